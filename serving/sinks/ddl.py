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
  first run leaves no tables behind.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable


def advisory_key(name: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key for ``name`` (a table prefix)."""
    digest = hashlib.sha256(f"leadscore-sink:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_for_run(conn: sa.Connection, name: str) -> None:
    """Hold the advisory lock of ``name`` until the current transaction ends (PostgreSQL;
    nothing to do on SQLite, whose write transaction is already exclusive)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(advisory_key(name))))


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
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            conn.execute(CreateIndex(index, if_not_exists=True))
