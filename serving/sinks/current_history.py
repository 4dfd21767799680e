"""The database sink's two-table pattern: a current table beside an append-only history.

Contact scores (:mod:`serving.sinks.tables`) and account roll-ups
(:mod:`serving.sinks.accounts`) are both stored this way:

* ``current``: one row per key, replaced only by a newer ``as_of`` or, for the same
  ``as_of``, by changed values, so an older re-run never overwrites newer rows and an
  identical re-run changes nothing (:func:`upsert_newer`);
* ``history``: append-only, keyed by key, ``as_of`` and the versions that produced the
  row; rows already there are kept (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

_DIALECT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_BOOKKEEPING = ("as_of", "run_id", "scored_at")  # not "values" when comparing rows


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
        metadata: The sink's metadata.
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
