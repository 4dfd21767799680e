"""Every command reads a settings file (``--infer``, ``--blend``, ...) the same way
(:func:`pipelines.flow_requests.settings_groups`): one bad file, one message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # imports both flows (~7 s here)
def test_a_bad_infer_file_reads_the_same_through_validate_and_train(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("numeric_min_share: 2\n")  # a share above 1
    data = str(tmp_path / "no-such-export")  # never read: the file is refused first
    outputs = []
    for command in (["validate", "--data", data], ["train", "--data", data]):
        result = CliRunner().invoke(app, [*command, "--infer", str(bad)])
        assert result.exit_code == 1, result.output
        outputs.append(" ".join(result.output.split()))
    assert outputs[0] == outputs[1]
    assert "bad.yaml" in outputs[0] and "numeric_min_share" in outputs[0]


def test_no_command_reads_a_settings_group_itself() -> None:
    # the request's settings groups go through settings_groups, never a second reader
    groups = "InferSettings|BlendConfig|LeakageSettings|ScorerSettings|ReportSettings"
    own = re.compile(rf"settings_from_file\(\s*({groups})\b")
    holders = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "pipelines").rglob("*.py"))
        if own.search(p.read_text())
    ]
    assert holders == []
