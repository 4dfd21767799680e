"""Atomic file writes, the one way leadscore writes a file a user or another job reads, and
the lead layout every canonical Parquet table is written in (:func:`write_table`).

Content goes to a temporary sibling file (same folder, so same file system), is flushed to
disk, then moved over the target with ``os.replace``, which is atomic on POSIX and Windows:
a reader sees the old file or the new one, never half of one, and a failed or interrupted
write leaves the old file and no temporary file behind. The temporary file is created with
the usual permissions (umask), not ``mkstemp``'s owner-only 0600, so the result can be
shared like any other file the user writes.

A process killed outright (``kill -9``, out of memory, power loss) cannot clean up: its
temporary file ``.<name>.<host>-<pid>.<random>.tmp`` stays. The next write of the same
target removes the temporary files of processes of this host that are no longer running
(and any left by another host more than a day ago), never one another live writer uses.

Canonical tables are written as Parquet in the lead layout (:func:`write_table`), so that
one lead's rows can be read without the rest. ``leadscore explain`` reads one lead's
account out of a canonical Parquet folder (:mod:`serving.lead_rows`): the contact, its
account's contacts and their activities and outcomes. Activities are the big table (about
21 per contact), so they and the outcomes are written sorted by ``contact_id`` in row
groups of :data:`ROW_GROUP_ROWS` rows. Each row group's statistics then hold a narrow range
of ids, and a reader filtering on a few ids (DuckDB's ``IN``, Arrow dataset filters) skips
every other row group: at 1M contacts the read of one account's activities falls from a
scan of 21M rows to a few row groups. The sort is stable, so a contact's rows keep their
order (time order, for generated data) and the first of two duplicate rows stays first.
Contacts and accounts keep their order: both are keyed by the columns they are looked up
by and are a twentieth of the activities. Every writer of canonical Parquet tables (the
synthetic generator and ``validate --write-accepted``) writes through :func:`write_table`.
"""

from __future__ import annotations

import errno
import filecmp
import glob
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
_TMP = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)\.)?[0-9a-f]{12}\.tmp$")

FRAME_SUFFIXES = (".csv", ".parquet")
"""The file kinds a table of rows is written as and read back from: CLI outputs
(``pipelines.files.write_frame``) and file sinks (:mod:`serving.sinks.dispatch`)."""

STALE_OTHER_HOST_SECONDS = 86_400
"""A temporary file of another host (a shared folder) is left alone for a day."""

LEAD_ORDER: dict[str, str] = {"activities": "contact_id", "outcomes": "contact_id"}
"""Per table, the column its rows are sorted by (tables not named keep their order)."""

ROW_GROUP_ROWS = 100_000
"""Rows per Parquet row group: small enough that one contact's rows are one group of a
large table, large enough that the file's metadata stays small (about 200 groups at 21M
activities)."""


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete (and return) the temporary files that killed writers of ``path`` left behind."""
    removed: list[Path] = []
    if not path.parent.is_dir():
        return removed
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        match = _TMP.match(candidate.name)
        if match is None or match["name"] != path.name:
            continue
        if match["host"] == _HOST and match["pid"] is not None:
            stale = not _running(int(match["pid"]))
        else:  # another host, or written before temporary names carried the process
            try:
                age = time.time() - candidate.stat().st_mtime
            except FileNotFoundError:
                continue
            stale = age > STALE_OTHER_HOST_SECONDS
        if stale:
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def atomic_write(
    path: str | Path, write: Callable[[Path], object], *, skip_identical: bool = False
) -> bool:
    """Write ``path`` through a temporary sibling file and ``os.replace``.

    Args:
        path: Final file path; its folder is created when missing.
        write: Writes the whole content to the path it is given (an empty file exists there).
        skip_identical: Leave an existing file untouched (same modification time) when the
            new bytes equal it, so an idempotent re-run changes nothing.

    Returns:
        True if the file was created or replaced, False if identical content was kept.

    Raises:
        OSError: ``path`` exists and is not a regular file (``errno.ENXIO``), or the
            write failed (a note names ``path`` when the error does not).
    """
    path = Path(path)
    if path.exists() and not path.is_file():  # a folder, /dev/null, a pipe: never replaced
        raise OSError(errno.ENXIO, "not a regular file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.{_HOST}-{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        tmp.open("xb").close()  # claims the name with umask permissions
        write(tmp)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        if skip_identical and path.is_file() and filecmp.cmp(tmp, path, shallow=False):
            tmp.unlink()
            return False
        os.replace(tmp, path)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename is None:
            error.add_note(f"writing {path}")  # a full disk does not say which file
        raise
    _fsync_folder(path.parent)
    return True


def atomic_write_text(path: str | Path, text: str, *, skip_identical: bool = False) -> bool:
    """Write ``text`` as UTF-8 (newlines as given) with :func:`atomic_write`."""
    return atomic_write(
        path,
        lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""),
        skip_identical=skip_identical,
    )


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows opening a folder."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder; the rename still happened
        pass
    finally:
        os.close(fd)


def lead_ordered(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` in the row order of :data:`LEAD_ORDER` (missing keys last; stable).

    Args:
        frame: Rows of the canonical table ``table``.

    Returns:
        A new frame with a fresh index (``frame`` itself when the table keeps its order).
    """
    key = LEAD_ORDER.get(table)
    if key is None or key not in frame.columns:
        return frame
    codes, _ = pd.factorize(frame[key], sort=True)  # integer codes in sorted key order
    codes = np.where(codes < 0, np.iinfo(codes.dtype).max, codes)
    order = np.argsort(codes, kind="stable")
    return frame.take(order).reset_index(drop=True)


def write_table(frame: pd.DataFrame, table: str, path: Path) -> None:
    """Write one canonical table as Parquet in the lead layout (see the module docstring).

    Args:
        table: The table's name (``contacts``, ``activities``, ...).
        path: The file to write (callers pass a temporary name, see :func:`atomic_write`).
    """
    lead_ordered(frame, table).to_parquet(path, index=False, row_group_size=ROW_GROUP_ROWS)
