"""Table definitions of the database sink (SQLAlchemy Core) and the engine factory.

Table names are built from code plus a validated prefix, never from data. All timestamps are
UTC: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, naive UTC text on SQLite (whose fixed
``YYYY-MM-DD HH:MM:SS.ffffff`` format sorts and compares correctly as text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine

from serving.sinks.accounts import account_tables
from serving.sinks.contract import SCORE_COLUMNS, score_columns
from serving.sinks.ddl import columns, current_and_history

DEFAULT_TABLE_PREFIX = "leadscore_"
"""The table-name prefix of a database sink unless one is given (``--table-prefix``)."""

PREFIX_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,30}$")
RUN_COUNTS = ("n_scored", "n_rejected", "n_current_updated", "n_history_inserted")
"""The counts a database sink records per run in ``<prefix>score_runs`` (in this order)."""


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A UTC timestamp: aware datetimes in, aware UTC datetimes out, on every dialect."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value} has no time zone; pass UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is a safe table-name prefix.

    Raises:
        ValueError: When it does not match ``^[a-z_][a-z0-9_]{0,30}$``.
    """
    if not isinstance(prefix, str) or not PREFIX_PATTERN.fullmatch(prefix):
        raise ValueError(
            f"table_prefix {prefix!r} is not allowed: use 1-31 lower-case letters, digits or "
            "underscores, not starting with a digit (pattern ^[a-z_][a-z0-9_]{0,30}$)"
        )
    return prefix


_SQL_TYPES = {
    **dict.fromkeys(score_columns("number"), sa.Double),
    **dict.fromkeys(score_columns("json"), sa.Text),
    "scored_at": UtcDateTime,
}
"""SQL types of the score and run columns that are not strings."""
_RUN_COLUMNS = ("model_name", "model_version", "rulebook_version", "run_id", "scored_at")


def _score_columns() -> list[sa.Column[Any]]:
    # score_trend is nullable: sinks created before trends have none in their old rows
    values = [c for c in SCORE_COLUMNS if c not in ("contact_id", "as_of")]
    return columns(values, _SQL_TYPES, nullable=(*score_columns("text or null"), "score_trend"))


def _run_columns() -> list[sa.Column[Any]]:
    return columns(_RUN_COLUMNS, _SQL_TYPES)


@dataclass(frozen=True)
class SinkTables:
    """The tables of one prefix, bound to their own ``MetaData``."""

    metadata: sa.MetaData
    current: sa.Table
    history: sa.Table
    rejects: sa.Table
    runs: sa.Table
    staging: sa.Table
    accounts_current: sa.Table
    account_history: sa.Table


def build_tables(prefix: str) -> SinkTables:
    """Define the sink tables for ``prefix`` (validated, e.g. ``leadscore_``); ``staging`` is
    a temporary table, not part of ``create_all``."""
    p = validate_prefix(prefix)
    md = sa.MetaData()
    current, history = current_and_history(
        md,
        (f"{p}scores_current", f"{p}score_history"),
        "contact_id",
        UtcDateTime(),
        _score_columns,
        _run_columns,
        versions=("model_version", "rulebook_version"),
    )
    sa.Index(f"{p}score_history_as_of_ix", history.c.as_of)
    rejects = sa.Table(
        f"{p}score_rejects",
        md,
        sa.Column("contact_id", sa.String, primary_key=True),
        sa.Column("as_of", UtcDateTime, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("run_id", sa.String, nullable=False),
    )
    runs = sa.Table(
        f"{p}score_runs",
        md,
        sa.Column("run_id", sa.String, primary_key=True),
        sa.Column("as_of", UtcDateTime, nullable=False),
        *(c for c in _run_columns() if c.name != "run_id"),
        *(sa.Column(n, sa.Integer, nullable=False) for n in RUN_COUNTS),
    )
    staging = sa.Table(
        f"{p}scores_staging",
        sa.MetaData(),
        sa.Column("contact_id", sa.String, primary_key=True),
        *_score_columns(),
        prefixes=["TEMPORARY"],
    )
    accounts_current, account_history = account_tables(md, p, UtcDateTime())
    return SinkTables(
        md, current, history, rejects, runs, staging, accounts_current, account_history
    )


def make_engine(url: str) -> Engine:
    """Create an engine; on SQLite, make DDL and DML truly transactional. A database error
    carries a note naming the sink (password hidden), for the user's one-line message.

    Python 3.11's ``sqlite3`` only opens a transaction before DML, so a ``CREATE`` would
    commit on its own; the SQLAlchemy-documented recipe below emits ``BEGIN`` itself. A
    connection with the execution option ``leadscore_write=True`` begins with
    ``BEGIN IMMEDIATE`` (write lock taken up front, so two writers queue instead of
    deadlocking).
    """
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "handle_error")
    def _name_the_sink(context: Any) -> None:
        # the driver's message names a host or nothing; the user needs the sink they gave
        error = context.sqlalchemy_exception
        if error is not None and not getattr(error, "__notes__", None):
            error.add_note(f"sink {masked(url)}")

    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(conn: sa.Connection) -> None:
            write = conn.get_execution_options().get("leadscore_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def connect(url: str, *, write: bool = False) -> Iterator[sa.Connection]:
    """A connection to the sink's database; the engine is disposed afterwards.

    Args:
        write: Run the block in one transaction that takes the write lock up front
            (``BEGIN IMMEDIATE`` on SQLite, see :func:`make_engine`), committed when the
            block ends and rolled back when it raises.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if write:
                with conn.execution_options(leadscore_write=True).begin():
                    yield conn
            else:
                yield conn
    finally:
        engine.dispose()


def masked(url: str) -> str:
    """The URL with any password hidden, for logs and results."""
    return sa.make_url(url).render_as_string(hide_password=True)
