"""Errors are classified by cause (retried or not) and shown as one line naming the place.

Every error here is a real one, raised by the operating system, the database driver or
pickle, not constructed by hand: the classification must hold for what users meet.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from features.files import atomic_write, atomic_write_text
from pipelines.errors import describe_error, is_transient


def _raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except BaseException as error:  # noqa: BLE001 - the error under test
        return error
    raise AssertionError("expected an error")


def _connect(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        engine.connect().close()
    finally:
        engine.dispose()


def _write_beyond_file_size_limit(path: Path) -> None:
    """Write 64 KiB through ``atomic_write`` under a 16 KiB file-size limit (a full disk,
    as the kernel reports it: the write fails, the file name is not in the error)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, hard))
    try:
        atomic_write(path, lambda tmp: tmp.write_bytes(os.urandom(65_536)))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def _locked_sqlite(path: Path) -> None:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_refused_or_locked_connection_is_retried(tmp_path: Path) -> None:
    refused = _raised(lambda: _connect("postgresql+psycopg://u@127.0.0.1:1/db"))
    locked = _raised(lambda: _locked_sqlite(tmp_path / "x.db"))
    assert is_transient(refused)
    assert is_transient(locked)
    assert "still failing after retries" in (describe_error(refused) or "")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (
            lambda tmp: _connect("postgresql+psycopg://u@no-such-host.invalid/db"),
            "does not resolve",
        ),
        (lambda tmp: _connect("nosuchdialect://x/y"), "invalid database URL"),
        (lambda tmp: pickle.loads(pickle.dumps(list(range(100)))[:40]), "corrupt or truncated"),
        (lambda tmp: pickle.loads(b"not a pickle at all"), "corrupt or truncated"),
        (lambda tmp: sqlite3.connect(tmp / "a.db").execute("SELECT * FROM nope"), "table"),
        (lambda tmp: (tmp / "nope" / "model.pkl").read_bytes(), "no such file"),
        (lambda tmp: _write_beyond_file_size_limit(tmp / "big.bin"), "big.bin"),
        # /sys refuses new files to every user, root included (a read-only folder)
        (lambda tmp: atomic_write_text("/sys/leadscore/scores.csv", "x"), "/sys/leadscore"),
    ],
    ids=[
        "dns",
        "bad-url",
        "truncated-pickle",
        "corrupt-pickle",
        "missing-table",
        "missing-file",
        "file-too-large",
        "read-only-folder",
    ],
)
def test_permanent_errors_are_not_retried_and_read_as_one_line(
    tmp_path: Path, make: Callable[[Path], object], expected: str
) -> None:
    error = _raised(lambda: make(tmp_path))
    assert not is_transient(error)
    message = describe_error(error)
    assert message is not None and expected in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_a_note_names_the_place_in_the_line(tmp_path: Path) -> None:
    error = _raised(lambda: pickle.loads(b"\x80\x04\x95"))
    error.add_note("scorer models:/x@champion, artifact /store/scorer.pkl")
    assert "scorer models:/x@champion, artifact /store/scorer.pkl" in (describe_error(error) or "")


def test_a_bug_keeps_its_traceback_and_is_not_retried() -> None:
    error = _raised(lambda: [].pop())  # IndexError: not a user's mistake
    assert describe_error(error) is None
    assert not is_transient(error)
