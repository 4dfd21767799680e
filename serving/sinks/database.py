"""Database sink: current scores (upsert), append-only history, rejects and a run log.

Everything for one run happens in ONE transaction on one connection:

1. take the run's lock and create the tables if missing (:func:`serving.sinks.ddl.ensure_tables`:
   idempotent, transactional and safe under concurrent first writers);
2. bulk-insert the rows into a temporary staging table, in chunks (``executemany``);
3. upsert ``<prefix>scores_current`` from staging, only where the run's ``as_of`` is newer
   than the stored one, or equal with different values (so an older re-run never overwrites
   newer scores and an identical re-run changes nothing;
   :func:`serving.sinks.ddl.upsert_newer`, shared with the accounts);
4. insert ``<prefix>score_history`` from staging with ``ON CONFLICT DO NOTHING`` (key:
   contact, as_of, model version, rulebook version);
5. record rejects (upsert per contact and as_of), the account roll-up when given
   (:mod:`serving.sinks.accounts`: current upsert + history) and one ``<prefix>score_runs`` row;
6. drop staging and commit.

A failure at any step rolls the whole run back: the previous scores stay as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from serving.sinks.accounts import account_records, write_account_tables
from serving.sinks.contract import RunInfo, SinkResult
from serving.sinks.ddl import ROWCOUNT, dialect_insert, ensure_tables, upsert_newer
from serving.sinks.tables import (
    SinkTables,
    UtcDateTime,
    build_tables,
    connect,
    masked,
)

logger = logging.getLogger(__name__)

CHUNK_ROWS = 20_000


def column_values(frame: pd.DataFrame, column: str) -> list[Any]:
    """One column as Python values for the driver, with missing values as None."""
    values = frame[column]
    if values.hasnans:
        return values.astype(object).where(values.notna(), None).tolist()
    return values.tolist()


def _py(value: datetime) -> datetime:
    """A plain ``datetime`` for the driver (RunInfo holds pandas Timestamps)."""
    return pd.Timestamp(value).to_pydatetime()


def _stage_chunk(conn: sa.Connection, staging: sa.Table, chunk: pd.DataFrame) -> None:
    """Bulk-load one chunk into staging; values are always bound by the driver.

    PostgreSQL (psycopg 3): ``COPY ... FROM STDIN`` with ``write_row`` (the driver encodes
    each value; measured ~6x faster than executemany). Otherwise: the INSERT compiled from
    the Core table with ``cursor.executemany``, measured ~2.5x faster on SQLite than
    ``conn.execute(insert, dicts)``, whose per-row parameter processing these plain
    types do not need.
    """
    columns = tuple(c.name for c in staging.columns)
    lists = [column_values(chunk, c) for c in columns]
    if conn.dialect.driver == "psycopg":
        quote = conn.dialect.identifier_preparer
        copy_sql = (
            f"COPY {quote.format_table(staging)} "
            f"({', '.join(quote.quote(c) for c in columns)}) FROM STDIN"
        )
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(copy_sql) as copy:
            for row in zip(*lists, strict=True):
                copy.write_row(row)
        return
    compiled = staging.insert().compile(dialect=conn.dialect)
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup or columns]
        params: list[Any] = list(zip(*(lists[i] for i in order), strict=True))
    else:
        params = [dict(zip(columns, values, strict=True)) for values in zip(*lists, strict=True)]
    conn.exec_driver_sql(str(compiled), params)


def _stage_rows(conn: sa.Connection, staging: sa.Table, scores: pd.DataFrame) -> None:
    staging.drop(conn, checkfirst=True)
    staging.create(conn)
    for start in range(0, len(scores), CHUNK_ROWS):
        _stage_chunk(conn, staging, scores.iloc[start : start + CHUNK_ROWS])


def _staged_select(tables: SinkTables, run: RunInfo, columns: list[str]) -> sa.Select[Any]:
    """SELECT from staging with the run's metadata added as bound parameters."""
    meta: dict[str, sa.ColumnElement[Any]] = {
        "as_of": sa.literal(_py(run.as_of), UtcDateTime),
        "scored_at": sa.literal(_py(run.scored_at), UtcDateTime),
        **{
            k: sa.literal(getattr(run, k), sa.String)
            for k in ("model_name", "model_version", "rulebook_version", "run_id")
        },
    }
    exprs = [meta[c].label(c) if c in meta else tables.staging.c[c] for c in columns]
    # SQLite needs a WHERE in INSERT ... SELECT ... ON CONFLICT to parse it unambiguously.
    return sa.select(*exprs).where(sa.true())


def _upsert_current(conn: sa.Connection, tables: SinkTables, run: RunInfo) -> int:
    current = tables.current
    columns = [c.name for c in current.columns]
    stmt = dialect_insert(conn, current).from_select(columns, _staged_select(tables, run, columns))
    stmt = upsert_newer(stmt, current, "contact_id")
    return int(conn.execute(stmt, execution_options=ROWCOUNT).rowcount)


def _write_history(conn: sa.Connection, tables: SinkTables, run: RunInfo) -> int:
    columns = [c.name for c in tables.history.columns]
    stmt = dialect_insert(conn, tables.history).from_select(
        columns, _staged_select(tables, run, columns)
    )
    stmt = stmt.on_conflict_do_nothing()
    return int(conn.execute(stmt, execution_options=ROWCOUNT).rowcount)


def _write_rejects(
    conn: sa.Connection, tables: SinkTables, run: RunInfo, rejects: pd.DataFrame
) -> None:
    table, as_of = tables.rejects, _py(run.as_of)
    # A lead scored by this run is no longer a reject of this as_of (re-run after a fix).
    conn.execute(
        table.delete().where(
            table.c.as_of == sa.literal(as_of, UtcDateTime),
            table.c.contact_id.in_(sa.select(tables.staging.c.contact_id)),
        )
    )
    if rejects.empty:
        return
    ids, reasons = column_values(rejects, "contact_id"), column_values(rejects, "reason")
    records = [
        {"contact_id": i, "reason": r, "as_of": as_of, "run_id": run.run_id}
        for i, r in zip(ids, reasons, strict=True)
    ]
    stmt = dialect_insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.contact_id, table.c.as_of],
        set_={"reason": stmt.excluded.reason, "run_id": stmt.excluded.run_id},
        where=stmt.excluded.reason.is_distinct_from(table.c.reason),
    )
    conn.execute(stmt, records)


def _log_run(conn: sa.Connection, tables: SinkTables, run: RunInfo, counts: dict[str, int]) -> None:
    names = ("run_id", "model_name", "model_version", "rulebook_version")
    row = {n: getattr(run, n) for n in names}
    row.update(as_of=_py(run.as_of), scored_at=_py(run.scored_at), **counts)
    conn.execute(dialect_insert(conn, tables.runs).values(row).on_conflict_do_nothing())


def write_database(
    scores: pd.DataFrame,
    url: str,
    run: RunInfo,
    rejects: pd.DataFrame,
    table_prefix: str,
    accounts: pd.DataFrame | None = None,
    *,
    in_transaction: Callable[[sa.Connection], None] | None = None,
) -> SinkResult:
    """Write one validated run to a database in one transaction (see module docstring).

    Args:
        accounts: Validated account roll-up (:mod:`serving.sinks.accounts`), or None;
            written in the same transaction.
        in_transaction: Called with the connection once the tables exist, before the
            scores are written, inside the run's transaction (e.g.
            :func:`serving.sinks.versions.record_publish`): what it writes commits with
            the scores or not at all.
    """
    tables = build_tables(table_prefix)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    with connect(url, write=True) as conn:
        ensure_tables(conn, tables.metadata, table_prefix)
        if in_transaction is not None:
            in_transaction(conn)
        _stage_rows(conn, tables.staging, scores)
        n_current = _upsert_current(conn, tables, run)
        n_history = _write_history(conn, tables, run)
        _write_rejects(conn, tables, run, rejects)
        n_accounts = 0
        if accounts is not None:
            records = account_records(accounts, run, _py(run.as_of))
            n_accounts, _ = write_account_tables(
                conn,
                tables.accounts_current,
                tables.account_history,
                records,
            )
        counts = {
            "n_scored": len(scores),
            "n_rejected": len(rejects),
            "n_current_updated": n_current,
            "n_history_inserted": n_history,
        }
        _log_run(conn, tables, run, counts)
        tables.staging.drop(conn)
    result = SinkResult(
        kind="database",
        target=masked(url),
        n_written=len(scores),
        n_current_updated=n_current,
        n_history_inserted=n_history,
        n_history_unchanged=len(scores) - n_history,
        n_rejects=len(rejects),
        outputs=tuple(t.name for t in tables.metadata.sorted_tables),
        n_accounts=0 if accounts is None else len(accounts),
        n_accounts_updated=n_accounts,
    )
    logger.info(
        "database sink %s: %d scores (current updated %d, history +%d), %d rejects, run %s",
        result.target,
        len(scores),
        n_current,
        n_history,
        len(rejects),
        run.run_id,
    )
    return result
