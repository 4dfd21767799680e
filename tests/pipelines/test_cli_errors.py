"""An unreachable or malformed database ends a command with one readable line naming it and
exit 1, at once, without a traceback. Run as the installed ``leadscore`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LEADSCORE = Path(sys.executable).parent / "leadscore"


def _leadscore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LEADSCORE), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},  # one line stays one line
        timeout=300,
    )


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(  # a second installed-command start (~2 s): the same one-line path
            "postgresql+psycopg://u@no-such-host.invalid:5432/crm",
            "no-such-host.invalid",
            marks=pytest.mark.slow,
        ),
        ("nosuchdialect://x/y", "nosuchdialect"),
    ],
)
def test_an_unreachable_database_is_one_line(data: str, expected: str, tmp_path: Path) -> None:
    line = _one_line_error(_leadscore("validate", "--data", data, "--out", str(tmp_path)))
    assert expected in line
