"""The console entry point's one error wrapper: a permanent error is one line, exit 1."""

from pathlib import Path

import pytest

from pipelines.cli import main

READ_ONLY = Path("/sys")  # a read-only file system on Linux, even for root


def _run(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as ended:
        main(argv)
    return int(ended.value.code or 0)


@pytest.mark.skipif(not READ_ONLY.is_dir(), reason="needs Linux's /sys")
def test_a_read_only_folder_is_one_line_and_exit_1(capsys):
    code = _run(["generate", "--contacts", "100", "--out", str(READ_ONLY / "leadscore-crm")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error:"), err
    assert "leadscore-crm" in err  # names the place


def test_verbose_keeps_the_traceback():
    out = str(READ_ONLY / "leadscore-crm")
    with pytest.raises(OSError):
        main(["--verbose", "generate", "--contacts", "100", "--out", out])


def test_a_bug_keeps_its_traceback(monkeypatch):
    import pipelines.cli as cli

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["generate"])
