"""Sinks that would lose the scores or damage the system are refused before anything is
written; a writer killed mid-file leaves a temporary file the next write removes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from features.files import atomic_write_text, remove_stale_temporaries
from pipelines.errors import describe_error
from serving.sinks import parse_sink, write_scores

ROOT = Path(__file__).resolve().parents[2]

SLOW_WRITER = """
import sys, time
from features.files import atomic_write

def write(tmp):
    tmp.write_text("contact_id,final_score\\nc1,80\\n")  # half a file
    print("writing", flush=True)
    time.sleep(120)

atomic_write(sys.argv[1], write)
"""


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_sink_is_refused(url: str, fx) -> None:
    with pytest.raises(ValueError, match="in-memory SQLite database.*sqlite:///PATH.db"):
        write_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1), url, fx.run(fx.DAY1))


def test_a_device_is_never_a_sink() -> None:
    with pytest.raises(ValueError, match="'/dev/null' is not a regular file or folder"):
        parse_sink("/dev/null")
    with pytest.raises(OSError, match="not a regular file") as caught:
        atomic_write_text("/dev/null", "x")  # as root, a rename would replace the device
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert describe_error(caught.value) == (
        "/dev/null: not a regular file; give a path to a regular file or folder"
    )
    assert list(Path("/dev").glob(".null.*.tmp")) == []


def _start_writer(target: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    return writer


def test_a_writer_killed_mid_csv_leaves_a_temporary_file_the_next_run_removes(
    tmp_path: Path, fx
) -> None:
    target = tmp_path / "scores.csv"
    writer = _start_writer(target)
    try:
        partial = list(tmp_path.glob(".scores.csv.*.tmp"))
        assert len(partial) == 1
        assert remove_stale_temporaries(target) == []  # a live writer's file is left alone
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert partial[0].exists() and not target.exists()  # what kill -9 leaves

    write_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1), str(target), fx.run(fx.DAY1))

    assert not partial[0].exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert pd.read_csv(target)["contact_id"].tolist() == ["c1", "c2", "c3"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://u:secret@no-such-host.invalid:5432/crm", "does not resolve"),
        ("sqlite:////nonexistent-folder-leadscore/sub/x.db", "cannot open the SQLite file"),
    ],
)
def test_a_database_sink_error_is_one_line_naming_the_sink(url: str, expected: str) -> None:
    from serving.sinks import previous_stages

    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is checked below
        previous_stages(url, pd.Timestamp("2024-01-03", tz="UTC"), "leadscore_")
    message = describe_error(caught.value)
    assert message is not None and expected in message and "\n" not in message
    assert f"(sink {url.replace(':secret@', ':***@')})" in message
    assert "secret" not in message
