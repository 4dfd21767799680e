"""The database sink's tables: the current/history pair, created safely when several first
writers start at once.

Every table a database sink writes (scores, history, rejects, run log, and any table a
later feature adds) is created through :func:`ensure_tables`, inside the run's own
transaction:

* on PostgreSQL, the run first takes a transaction-scoped advisory lock named after the
  table prefix (:func:`advisory_key`), so runs on one prefix queue instead of racing: two
  sessions issuing ``CREATE TABLE`` for the same new name at once fail with a unique
  violation on PostgreSQL's catalog, ``IF NOT EXISTS`` notwithstanding. The lock is held
  until the run commits or rolls back, so it also serialises the run's writes;
* on SQLite, ``BEGIN IMMEDIATE`` (see :func:`serving.sinks.tables.make_engine`) already
  serialises writers;
* then ``CREATE TABLE IF NOT EXISTS`` / ``CREATE INDEX IF NOT EXISTS`` for every table
  of the metadata, in dependency order: transactional DDL on both dialects, so a failed
  first run leaves no tables behind;
* then the columns a newer leadscore added to an existing table (e.g. ``score_trend``)
  are added with ``ALTER TABLE ... ADD COLUMN`` (:func:`add_missing_columns`): such
  columns are nullable, so rows written before keep NULL there.

Contact scores (:mod:`serving.sinks.tables`) and account roll-ups
(:mod:`serving.sinks.accounts`) are both stored as a current table beside an append-only
history (:func:`current_and_history`):

* ``current``: one row per key, replaced only by a newer ``as_of`` or, for the same
  ``as_of``, by changed values, so an older re-run never overwrites newer rows and an
  identical re-run changes nothing (:func:`upsert_newer`);
* ``history``: append-only, keyed by key, ``as_of`` and the versions that produced the
  row; rows already there are kept (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateTable

_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
ROWCOUNT: Mapping[str, Any] = MappingProxyType({"preserve_rowcount": True})
"""Execution options of the sinks' writes that report a row count: ``rowcount`` of an
``INSERT ... SELECT`` or an executemany, on every driver."""
_BOOKKEEPING = ("as_of", "run_id", "scored_at")  # not "values" when comparing rows


def advisory_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for ``name`` (a table prefix)."""
    digest = hashlib.sha256(f"leadscore-sink:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def add_missing_columns(conn: sa.Connection, table: sa.Table) -> list[str]:
    """Add the columns of ``table`` (as this version defines it; it must exist) that the
    stored table lacks (an older schema), inside the run's transaction after its lock.

    Returns:
        The names of the columns added (empty when the schema is current).

    Raises:
        ValueError: A missing column cannot be added to filled rows (not nullable or part
            of the key); the message names the table and column.
    """
    stored = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    added = []
    quote = conn.dialect.identifier_preparer
    for column in table.columns:
        if column.name in stored:
            continue
        if not column.nullable or column.primary_key:
            raise ValueError(
                f"sink table {table.name} lacks column {column.name!r}, which cannot be added "
                "to existing rows: write to a new table prefix or database"
            )
        spec = CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {quote.format_table(table)} ADD COLUMN {spec}")
        added.append(column.name)
    return added


def ensure_tables(conn: sa.Connection, metadata: sa.MetaData, lock_name: str) -> None:
    """Create the missing tables and indexes of ``metadata`` under the run's lock.

    Call it first in the run's transaction; every table of a sink goes through it.

    Args:
        lock_name: What the lock is named after (the table prefix): runs on the same name
            wait for each other.
    """
    # held until the transaction ends; SQLite's write transaction is already exclusive
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(advisory_key(lock_name))))
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table, if_not_exists=True))
        add_missing_columns(conn, table)
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            conn.execute(CreateIndex(index, if_not_exists=True))


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the connection's dialect.

    Raises:
        ValueError: For a database other than SQLite or PostgreSQL.
    """
    try:
        return _DIALECT_INSERT[conn.dialect.name](table)
    except KeyError:
        raise ValueError(
            f"database sink supports sqlite and postgresql URLs, not {conn.dialect.name!r}"
        ) from None


def columns(
    names: Iterable[str], types: Mapping[str, Any], nullable: Collection[str] = ()
) -> list[sa.Column[Any]]:
    """New columns (a column belongs to one table): the SQL type from ``types`` by name (else
    a string), ``NOT NULL`` unless named in ``nullable``."""
    return [sa.Column(n, types.get(n, sa.String), nullable=n in nullable) for n in names]


def current_and_history(
    metadata: sa.MetaData,
    names: tuple[str, str],
    key: str,
    timestamp: sa.types.TypeEngine[Any],
    values: Callable[[], list[sa.Column[Any]]],
    run: Callable[[], list[sa.Column[Any]]],
    versions: tuple[str, ...],
) -> tuple[sa.Table, sa.Table]:
    """Define a current table and its history in ``metadata``.

    Args:
        names: ``(current table name, history table name)``.
        key: The entity's key column (a string), e.g. ``contact_id``.
        timestamp: The sink's UTC timestamp type (for ``as_of``).
        values: New copies of the value columns (a column belongs to one table).
        run: New copies of the run-metadata columns of the current table, in order.
        versions: The run columns that also key the history (e.g. the rulebook version),
            so one ``as_of`` scored by two versions keeps both rows.

    Returns:
        ``(current, history)``: current is ``key, as_of, values, run``; history is
        ``key, as_of, versions, values`` and the other run columns.
    """
    current = sa.Table(
        names[0],
        metadata,
        sa.Column(key, sa.String, primary_key=True),
        sa.Column("as_of", timestamp, nullable=False),
        *values(),
        *run(),
    )
    history = sa.Table(
        names[1],
        metadata,
        sa.Column(key, sa.String, primary_key=True),
        sa.Column("as_of", timestamp, primary_key=True),
        *(sa.Column(v, sa.String, primary_key=True) for v in versions),
        *values(),
        *(c for c in run() if c.name not in versions),
    )
    return current, history


def upsert_newer(stmt: Any, current: sa.Table, key: str) -> Any:
    """``stmt`` (a dialect insert into ``current``) as the current table's upsert.

    A stored row is replaced when the new ``as_of`` is later, or equal with any value
    (every column but the key, ``as_of``, ``run_id`` and ``scored_at``) different.
    """
    new = stmt.excluded
    content = [c.name for c in current.columns if c.name != key and c.name not in _BOOKKEEPING]
    changed = sa.or_(*(new[c].is_distinct_from(current.c[c]) for c in content))
    return stmt.on_conflict_do_update(
        index_elements=[current.c[key]],
        set_={c.name: new[c.name] for c in current.columns if c.name != key},
        where=sa.or_(new.as_of > current.c.as_of, sa.and_(new.as_of == current.c.as_of, changed)),
    )
