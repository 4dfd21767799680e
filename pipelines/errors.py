"""Which failures are worth another attempt, and the one line a user sees for the others.

Errors are classified by their cause, not by a list of exception types:

* **transient** (a task retries them): a connection refused, reset or aborted, a timeout,
  a locked database (SQLite ``database is locked``, PostgreSQL lock or statement timeout,
  deadlock, serialization failure), an MLflow server that is temporarily unavailable;
* **permanent** (failed at once, no retries): bad input, a missing file, folder, table or
  model, permission denied, no space left, a read-only or full disk, a target that is not
  a regular file, a corrupt or truncated pickle, an invalid URL or a host name that does
  not resolve.

:func:`describe_error` turns a permanent error (or a transient one still failing after
the retries) into one readable line naming the file, URL or setting and what to do; the
command line prints it and exits 1 (the traceback only with ``--verbose``). Library code
names the place with ``error.add_note(...)`` (standard Python, no import of this module).
An error it does not recognise (a bug) gives None and keeps its traceback; it is not
retried either (the same code fails the same way).
"""

from __future__ import annotations

import errno
import pickle
import socket
import sqlite3
from collections.abc import Iterator

from mlflow.exceptions import MlflowException
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, NoSuchTableError

from models.store import MLFLOW_NOT_FOUND_CODES

_TRANSIENT_TEXT = (
    "connection refused",
    "connection reset",
    "connection timed out",
    "server closed the connection",
    "terminating connection",
    "database is locked",
    "database table is locked",
    "lock timeout",
    "canceling statement due to lock timeout",
    "deadlock detected",
    "could not serialize access",
    "too many connections",
    "the database system is starting up",
    "the database system is shutting down",
)
"""Driver messages of a lost connection or a lock that another attempt may get."""

_TRANSIENT_SQLSTATE = ("08", "40001", "40P01", "55P03", "57014", "53300", "57P03")
"""PostgreSQL SQLSTATE (class 08: connection; serialization, deadlock, lock not available,
statement cancelled by a timeout, too many connections, cannot connect now)."""

_TRANSIENT_ERRNO = (
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
)

_DNS_TEXT = (
    "failed to resolve host",
    "could not translate host name",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
)
"""A host name that does not resolve: the URL is wrong, not the network busy."""

_MISSING_TABLE_TEXT = ("no such table", "does not exist", "undefined table")

_OS_ADVICE = {
    errno.EACCES: (
        "permission denied",
        "make it readable/writable for this user or use another path",
    ),
    errno.EPERM: ("operation not permitted", "use a path this user may write"),
    errno.EROFS: ("read-only file system", "write to a writable disk"),
    errno.ENOENT: ("no such file or folder", "check the path"),
    errno.ENOTDIR: ("a part of the path is not a folder", "check the path"),
    errno.EISDIR: ("is a folder, not a file", "give a file path"),
    errno.EEXIST: ("already exists and is not a folder", "remove it or choose another path"),
    errno.ENXIO: ("not a regular file", "give a path to a regular file or folder"),
    errno.ENOSPC: ("no space left on the device", "free space on that disk or write elsewhere"),
    errno.EDQUOT: ("disk quota exceeded", "free space in your quota or write elsewhere"),
    errno.EFBIG: (
        "file too large for this system's limits",
        "raise the file-size limit or write elsewhere",
    ),
}
"""errno -> (what happened, what to do) for file-system errors."""


FIRST_LINE_CHARS = 200
"""How much of an error's own text a one-line message quotes."""


def first_line(error: BaseException) -> str:
    """The first non-blank line of ``error``'s text, stripped, at most
    :data:`FIRST_LINE_CHARS` characters; ``""`` when the error has no text."""
    text = str(error).strip()
    return text.splitlines()[0].strip()[:FIRST_LINE_CHARS] if text else ""


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and its causes / contexts (a driver error inside SQLAlchemy's, ...)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )


def _sqlstate(error: BaseException) -> str:
    for err in _chain(error):
        state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if isinstance(state, str):
            return state
    return ""


def _text(error: BaseException) -> str:
    return " ".join(str(err) for err in _chain(error)).lower()


def _is_dns_failure(error: BaseException) -> bool:
    return any(isinstance(e, socket.gaierror) for e in _chain(error)) or any(
        t in _text(error) for t in _DNS_TEXT
    )


def _is_corrupt_pickle(error: BaseException) -> bool:
    return any(isinstance(e, pickle.UnpicklingError | EOFError) for e in _chain(error))


def is_transient(error: BaseException) -> bool:
    """Whether another attempt may succeed (see the module docstring).

    Args:
        error: The exception a task raised.

    Returns:
        True for a lost connection, a timeout or a lock; False for everything else.
    """
    if isinstance(error, MlflowException):
        return error.error_code not in MLFLOW_NOT_FOUND_CODES and not _is_corrupt_pickle(error)
    if _is_dns_failure(error) or _is_corrupt_pickle(error):
        return False
    if isinstance(error, ConnectionError | TimeoutError):
        return True
    if isinstance(error, DBAPIError | sqlite3.OperationalError):
        state = _sqlstate(error)
        if state and state.startswith(_TRANSIENT_SQLSTATE):
            return True
        text = _text(error)
        return any(t in text for t in _TRANSIENT_TEXT)
    if isinstance(error, OSError) and error.errno in _TRANSIENT_ERRNO:
        return True
    # requests/urllib3 wrap a refused or reset connection in their own OSError subclasses
    return isinstance(error, OSError) and any(t in _text(error) for t in _TRANSIENT_TEXT)


def _os_message(error: OSError) -> str:
    what, todo = _OS_ADVICE.get(error.errno or -1, (error.strerror or str(error), "check the path"))
    if error.filename is None:
        return f"{what} ({error}); {todo}"
    extra = f" -> {error.filename2}" if error.filename2 else ""
    return f"{error.filename}{extra}: {what}; {todo}"


def _database_message(error: BaseException, where: str) -> str | None:
    where = f"the database{where}"
    text = _text(error)
    if any(t in text for t in _MISSING_TABLE_TEXT) or _sqlstate(error) == "42P01":
        return f"{where}: a table is missing ({first_line(error)}); check the URL and table prefix"
    if "password authentication failed" in text or _sqlstate(error) == "28P01":
        return f"{where}: authentication failed; check the user and password in the URL"
    if _sqlstate(error) == "3D000" or ("database" in text and "does not exist" in text):
        return f"{where}: the database does not exist; create it or fix the URL"
    if "unable to open database file" in text:
        return f"{where}: cannot open the SQLite file; check the folder exists and is writable"
    if "readonly database" in text or "read-only" in text:
        return f"{where}: the database is read-only; make the file writable or use another"
    return None


def _where(error: BaseException) -> str:
    """The place the failing code named with ``add_note`` (a sink URL, a scorer), if any."""
    notes = [n for e in _chain(error) for n in getattr(e, "__notes__", ())]
    return f" ({'; '.join(notes)})" if notes else ""


def describe_error(error: BaseException) -> str | None:
    """One line saying what failed, where, and what to do (see the module docstring).

    Library code names the place with ``error.add_note("sink postgresql://...")``; the
    note is part of the line.

    Args:
        error: The exception a command ended with (after any retries).

    Returns:
        The message, or None when the error is not recognised (a bug: the caller keeps
        its traceback).
    """
    where = _where(error)
    if _is_corrupt_pickle(error):
        return (
            f"the scorer's pickle is corrupt or truncated{where}; train the model again or "
            "restore the MLflow artifact store"
        )
    if _is_dns_failure(error):
        first = first_line(error)
        return f"the host name does not resolve{where}: {first}; check the host in the URL"
    if isinstance(error, ArgumentError | NoSuchModuleError):
        return (
            f"invalid database URL{where}: {first_line(error)}; use "
            "sqlite:///PATH.db or postgresql+psycopg://USER@HOST:PORT/DB"
        )
    if is_transient(error):
        first = first_line(error)
        return (
            f"{type(error).__name__}: {first}{where}; still failing after retries: check "
            "the server is running and reachable, then run again"
        )
    if isinstance(error, NoSuchTableError):
        return f"table {error} does not exist{where}; check the URL and the table prefix"
    if isinstance(error, DBAPIError | sqlite3.Error):
        return _database_message(error, where)
    if isinstance(error, MlflowException):
        return f"MLflow: {first_line(error)}{where}"
    if isinstance(error, KeyError) and error.args:
        return f"{error.args[0]}{where}"
    if isinstance(error, ValueError):
        return f"{error}{where}"
    if isinstance(error, OSError):
        return _os_message(error) + where
    return None
