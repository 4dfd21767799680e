"""Read helpers of a database sink: top movers (the batch's job summary), and current scores
and history (a Python API; no CLI command reads the sink).

``read_history(sink, "c-17", on="2024-01-03")`` answers "what was this lead's score on the
3rd, and why": the history row in effect then, with its reasons and versions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Any

import pandas as pd
import sqlalchemy as sa

from features.events import utc_timestamp
from serving.sinks.tables import DEFAULT_TABLE_PREFIX, SinkTables, build_tables, connect, masked

_IN_CHUNK = 10_000  # ids per IN (...) list, well under SQLite's bound-parameter limit
_TIME_COLUMNS = ("as_of", "scored_at")
MOVER_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "final_score",
    "previous_score",
    "delta",
    "tier",
    "previous_tier",
    "as_of",
    "previous_as_of",
)


def result_frame(result: sa.CursorResult[Any]) -> pd.DataFrame:
    """A query's rows as a frame (``as_of`` and ``scored_at`` as UTC times)."""
    keys = list(result.keys())
    rows = result.all()
    # Column-wise construction: pandas probes each Row object's attributes otherwise (slow).
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(keys)
    frame = pd.DataFrame({k: list(v) for k, v in zip(keys, columns, strict=True)})
    for col in _TIME_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


@contextmanager
def _reading(sink: str, table_prefix: str) -> Iterator[tuple[sa.Connection, SinkTables]]:
    """A connection to ``sink`` whose score tables exist (else a ValueError naming them)."""
    tables = build_tables(table_prefix)
    with connect(sink) as conn:
        inspector = sa.inspect(conn)
        required = (tables.current, tables.history)
        missing = [t.name for t in required if not inspector.has_table(t.name)]
        if missing:
            raise ValueError(
                f"sink {masked(sink)} has no table(s) "
                f"{missing}: write scores there first, or check the table prefix"
            )
        yield conn, tables


def _utc(value: date | datetime | str) -> pd.Timestamp:
    """A UTC time; a bare date (or 'YYYY-MM-DD') means the end of that UTC day."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time.max)
    elif isinstance(value, str) and len(value.strip()) == 10:
        value = datetime.combine(date.fromisoformat(value.strip()), time.max)
    return utc_timestamp(pd.Timestamp(value))


def read_current(
    sink: str, contact_ids: list[str] | None = None, *, table_prefix: str = DEFAULT_TABLE_PREFIX
) -> pd.DataFrame:
    """Current scores (one row per contact, sorted by ``contact_id``), optionally only for
    ``contact_ids``."""
    with _reading(sink, table_prefix) as (conn, tables):
        table = tables.current
        if contact_ids is None:
            parts = [result_frame(conn.execute(sa.select(table)))]
        else:
            ids = list(dict.fromkeys(contact_ids))
            parts = [
                result_frame(conn.execute(sa.select(table).where(table.c.contact_id.in_(chunk))))
                for chunk in (ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK))
            ] or [result_frame(conn.execute(sa.select(table).where(sa.false())))]
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values("contact_id", kind="stable").reset_index(drop=True)


def read_history(
    sink: str,
    contact_id: str,
    *,
    on: date | datetime | str | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
) -> pd.DataFrame:
    """A contact's score history, oldest first; with ``on``, only the row in effect then.

    Args:
        on: A time or date; the latest run with ``as_of <= on`` is returned (for a bare date,
            any run during that UTC day counts). Among model versions scored for the same
            as_of, the most recently scored wins.

    Returns:
        History rows (scores, JSON reasons and rules, versions, run id); empty if none.
    """
    with _reading(sink, table_prefix) as (conn, tables):
        history = tables.history
        stmt = sa.select(history).where(history.c.contact_id == contact_id)
        if on is not None:
            stmt = stmt.where(history.c.as_of <= _utc(on).to_pydatetime())
        frame = result_frame(conn.execute(stmt))
    frame = frame.sort_values(["as_of", "scored_at"], kind="stable").reset_index(drop=True)
    return frame.tail(1).reset_index(drop=True) if on is not None else frame


def latest_scores(history: sa.Table, when: datetime) -> sa.Select[Any]:
    """Score and tier per contact at ``when``, from the most recently scored history row.

    Picking the row in SQL keeps the (slow to parse) timestamps out of Python.
    """
    other = history.alias("other")
    latest = (
        sa.select(sa.func.max(other.c.scored_at))
        .where(other.c.contact_id == history.c.contact_id, other.c.as_of == history.c.as_of)
        .scalar_subquery()
    )
    return (
        sa.select(history.c.contact_id, history.c.final_score, history.c.tier)
        .where(history.c.as_of == when, history.c.scored_at == latest)
        .order_by(history.c.contact_id, history.c.model_version, history.c.rulebook_version)
    )


def previous_run(
    conn: sa.Connection,
    history: sa.Table,
    as_of: datetime | pd.Timestamp,
    select: Callable[[sa.Table, datetime], sa.Select[Any]] = latest_scores,
) -> tuple[pd.Timestamp, pd.DataFrame] | None:
    """The history's run before ``as_of``: its time and ``select``'s rows, one per contact.

    The one definition of "the previous run" for every reader (top movers, the previous
    tier mix, the score trend, stages that never move backwards). The caller decides what
    a missing history table means (see :func:`_reading` and
    :func:`serving.sinks.previous.previous_scores`).

    Args:
        conn: An open connection to the sink's database (its history table exists).
        select: The query of one run's rows (default: :func:`latest_scores`); where a
            contact has several rows the last one is kept.

    Returns:
        The previous run's ``as_of`` (UTC) and its rows, or None when there is no earlier run.
    """
    before = history.c.as_of < pd.Timestamp(as_of).to_pydatetime()
    when = conn.execute(sa.select(sa.func.max(history.c.as_of)).where(before)).scalar_one()
    if when is None:
        return None
    return utc_timestamp(pd.Timestamp(when)), run_rows(conn, history, when, select)


def run_rows(
    conn: sa.Connection,
    history: sa.Table,
    when: datetime,
    select: Callable[[sa.Table, datetime], sa.Select[Any]] = latest_scores,
) -> pd.DataFrame:
    """``select``'s rows of the run at ``when``, one per contact (the last one kept)."""
    frame = result_frame(conn.execute(select(history, when)))
    return frame.drop_duplicates("contact_id", keep="last").reset_index(drop=True)


def top_movers(
    sink: str, as_of: datetime, n: int = 10, *, table_prefix: str = DEFAULT_TABLE_PREFIX
) -> pd.DataFrame:
    """Contacts whose ``final_score`` moved most since the previous as_of in history.

    Contacts scored in only one of the two runs are left out (no movement to report).

    Returns:
        Columns ``MOVER_COLUMNS``, largest absolute ``delta`` first (ties by contact_id);
        empty when there is no earlier run.

    Raises:
        ValueError: The sink has no score tables (a wrong database or table prefix).
    """
    when = _utc(as_of).to_pydatetime()
    with _reading(sink, table_prefix) as (conn, tables):
        found = previous_run(conn, tables.history, when)
        if found is None:
            return pd.DataFrame({c: [] for c in MOVER_COLUMNS})
        prev_as_of, before = found
        now = run_rows(conn, tables.history, when)
    movers = now.set_index("contact_id").join(
        before.set_index("contact_id").add_prefix("previous_"), how="inner"
    )
    movers = movers.rename(columns={"previous_final_score": "previous_score"})
    movers = movers.assign(
        delta=movers["final_score"] - movers["previous_score"],
        as_of=pd.Timestamp(when),
        previous_as_of=prev_as_of,
    )
    movers = movers.reset_index().assign(abs_delta=lambda f: f["delta"].abs())
    movers = movers.sort_values(["abs_delta", "contact_id"], ascending=[False, True])
    return movers.loc[:, list(MOVER_COLUMNS)].head(n).reset_index(drop=True)


def previous_tiers(
    sink: str, as_of: datetime, *, table_prefix: str = DEFAULT_TABLE_PREFIX
) -> tuple[pd.Timestamp | None, dict[str, int]]:
    """Leads per tier of the run before ``as_of`` in the history (the tier mix over time).

    Returns:
        The previous run's ``as_of`` and its leads per tier; ``(None, {})`` without one.

    Raises:
        ValueError: The sink has no score tables (a wrong database or table prefix).
    """
    with _reading(sink, table_prefix) as (conn, tables):
        found = previous_run(conn, tables.history, _utc(as_of).to_pydatetime())
    if found is None:
        return None, {}
    prev_as_of, before = found
    counts = before["tier"].astype("str").value_counts().sort_index()
    return prev_as_of, {str(k): int(v) for k, v in counts.items()}
