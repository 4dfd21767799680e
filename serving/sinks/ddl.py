"""Create a sink's tables safely when several first writers start at once.

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
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.schema import CreateColumn, CreateIndex, CreateTable


def advisory_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for ``name`` (a table prefix)."""
    digest = hashlib.sha256(f"leadscore-sink:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_for_run(conn: sa.Connection, name: str) -> None:
    """Hold the advisory lock of ``name`` until the current transaction ends (PostgreSQL;
    nothing to do on SQLite, whose write transaction is already exclusive)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(advisory_key(name))))


def add_missing_columns(conn: sa.Connection, table: sa.Table) -> list[str]:
    """Add the columns of ``table`` that the stored table lacks (an older schema).

    Args:
        conn: A connection inside the run's transaction (after the run's lock).
        table: The table as this version defines it; it must exist.

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
        conn: A connection inside the run's transaction.
        metadata: The tables to create when missing.
        lock_name: What the lock is named after (the table prefix): runs on the same name
            wait for each other.
    """
    lock_for_run(conn, lock_name)
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table, if_not_exists=True))
        add_missing_columns(conn, table)
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            conn.execute(CreateIndex(index, if_not_exists=True))
