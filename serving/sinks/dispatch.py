"""``write_scores``: validate a run's scores and send them to the sink named by a string.

Sink strings:

* a SQLAlchemy URL, ``sqlite:///scores.db`` or ``postgresql+psycopg://user@host/db``:
  the database sink (current table, history, rejects, run log);
* a path ending ``.parquet`` or ``.csv``: one file (rejects beside it as ``<stem>_rejects``);
* any other path without a suffix (or an existing folder): ``scores_<as_of>.parquet`` and
  ``rejects_<as_of>.parquet`` in that folder;
* ``hubspot:PATH.csv``: a CRM import file with HubSpot-style columns.

Given the rulebook's account roll-up, every sink also stores the account scores
(:mod:`serving.sinks.accounts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import sqlalchemy as sa

from features.files import FRAME_SUFFIXES
from serving.sinks.accounts import validate_accounts, write_account_file
from serving.sinks.contract import (
    REJECT_COLUMNS,
    RunInfo,
    SinkResult,
    check_run_matches,
    validate_rejects,
    validate_scores,
)
from serving.sinks.database import write_database
from serving.sinks.files import write_files
from serving.sinks.hubspot import write_hubspot
from serving.sinks.tables import DEFAULT_TABLE_PREFIX, validate_prefix

SinkKind = Literal["database", "parquet", "csv", "folder", "hubspot"]
_DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class SinkTarget:
    """A parsed sink string: its kind and where it points (URL or path)."""

    kind: SinkKind
    location: str


def parse_sink(sink: str) -> SinkTarget:
    """Work out which sink a string names (see the module docstring).

    Raises:
        ValueError: For an empty string, an unsupported database or file type, an
            in-memory SQLite URL, or a path that is neither a regular file nor a folder
            (``/dev/null``).
    """
    if not isinstance(sink, str) or not sink.strip():
        raise ValueError(f"sink must be a non-empty string, got {sink!r}")
    if sink.startswith("hubspot:"):
        path = sink.removeprefix("hubspot:")
        if not path.lower().endswith(".csv"):
            raise ValueError(f"HubSpot sink {sink!r} must name a .csv file: hubspot:PATH.csv")
        return SinkTarget("hubspot", path)
    if "://" in sink:
        try:
            url = sa.make_url(sink)
        except sa.exc.ArgumentError as err:
            raise ValueError(f"sink {sink!r} is not a valid SQLAlchemy URL: {err}") from None
        backend = url.get_backend_name()
        if backend == "sqlite" and url.database in (None, "", ":memory:"):
            raise ValueError(
                f"sink {sink!r} is an in-memory SQLite database: the scores would vanish when "
                "the run ends; use sqlite:///PATH.db"
            )
        if backend not in _DATABASES:
            raise ValueError(
                f"database sink backend {backend!r} is not supported: use sqlite:///PATH.db "
                "or postgresql+psycopg://USER@HOST:PORT/DB"
            )
        return SinkTarget("database", sink)
    where = Path(sink)
    if where.exists() and not where.is_file() and not where.is_dir():
        raise ValueError(
            f"sink {sink!r} is not a regular file or folder (a device, pipe or socket); give "
            "a .parquet/.csv file, a folder, hubspot:PATH.csv or a database URL"
        )
    suffix = where.suffix.lower()
    if suffix in FRAME_SUFFIXES:
        return SinkTarget(suffix.removeprefix("."), sink)  # type: ignore[arg-type]
    if suffix and not where.is_dir():
        raise ValueError(
            f"sink {sink!r}: unknown file type {suffix!r}; use {', '.join(FRAME_SUFFIXES)}, "
            "a folder, hubspot:PATH.csv or a database URL"
        )
    return SinkTarget("folder", sink)


def require_database(sink: str) -> str:
    """``sink`` if it is a database URL: rulebook versions live there, beside the scores.

    Raises:
        ValueError: For a file, folder or HubSpot sink.
    """
    if parse_sink(sink).kind != "database":
        raise ValueError(
            f"sink {sink!r} is not a database: rulebook versions live in the sink's database, "
            "beside the scores; give its URL (sqlite:///PATH.db or "
            "postgresql+psycopg://USER@HOST:PORT/DB)"
        )
    return sink


def write_scores(
    scores: pd.DataFrame,
    sink: str,
    run: RunInfo,
    *,
    rejects: pd.DataFrame | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    accounts: pd.DataFrame | None = None,
    in_transaction: Callable[[sa.Connection], None] | None = None,
) -> SinkResult:
    """Validate one run's scores and rejects and write them to ``sink``.

    Re-running with the same inputs changes nothing; a failure mid-write leaves the
    previous content of the sink intact.

    Args:
        scores: Scores frame (contract in ``serving.sinks.contract``).
        sink: Sink string (see the module docstring).
        run: Run metadata; ``run.as_of`` must equal the frame's ``as_of``.
        rejects: Leads that could not be scored (``contact_id``, ``reason``), or None.
        table_prefix: Database table-name prefix (``^[a-z_][a-z0-9_]{0,30}$``).
        accounts: The rulebook's account roll-up (``ScoreResult.accounts``) or None;
            written into the same sink (:mod:`serving.sinks.accounts`).
        in_transaction: Database sinks only: called inside the run's transaction before
            the scores are written (see :func:`serving.sinks.database.write_database`).

    Raises:
        ValueError: For a contract violation, a bad prefix or an unknown sink.
    """
    validate_prefix(table_prefix)
    target = parse_sink(sink)
    validate_scores(scores)
    check_run_matches(scores, run)
    if rejects is None:
        rejects = pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS})
    validate_rejects(rejects, scores)
    checked = None if accounts is None else validate_accounts(accounts)
    if in_transaction is not None:
        require_database(sink)
    if target.kind == "database":
        return write_database(
            scores,
            target.location,
            run,
            rejects,
            table_prefix,
            checked,
            in_transaction=in_transaction,
        )
    path = Path(target.location)
    if target.kind == "hubspot":
        written = write_hubspot(scores, path, run, rejects)
    else:
        written = write_files(target.kind, path, scores, run, rejects)
    if checked is None:
        return written
    return write_account_file(checked, target.kind, target.location, run, written)
