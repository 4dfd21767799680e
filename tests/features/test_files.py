"""atomic_write: whole files or nothing, umask permissions, identical content left alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from features.files import atomic_write, atomic_write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_writes_into_a_new_folder_with_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.txt"
    old = os.umask(0o022)
    try:
        assert atomic_write_text(target, "hello\r\nworld\n") is True
    finally:
        os.umask(old)
    assert target.read_bytes() == b"hello\r\nworld\n"  # newlines as given
    assert _mode(target) == 0o644  # not mkstemp's 0600
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_identical_content_is_left_untouched_only_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "scores.csv"
    atomic_write_text(target, "id,score\n1,0.5\n")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert atomic_write_text(target, "id,score\n1,0.5\n", skip_identical=True) is False
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert atomic_write_text(target, "id,score\n1,0.6\n", skip_identical=True) is True
    assert target.read_text() == "id,score\n1,0.6\n"
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert atomic_write_text(target, "id,score\n1,0.6\n") is True  # rewritten by default
    assert target.stat().st_mtime_ns != 1_000_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "table.parquet"
    atomic_write_text(target, "old content")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.parquet"]


def test_the_writer_gets_a_sibling_path_it_may_replace(tmp_path: Path) -> None:
    # pandas and pyarrow writers open the path themselves and truncate or replace it
    target = tmp_path / "x.bin"
    seen: list[Path] = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        assert tmp.parent == target.parent and tmp.exists() and tmp != target
        tmp.unlink()
        tmp.write_bytes(b"\x00\x01")

    assert atomic_write(target, write) is True
    assert target.read_bytes() == b"\x00\x01"
    assert not seen[0].exists()
