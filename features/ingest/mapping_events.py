"""Collapse an event log to one row per id: what a mapping's ``one_row_per`` does.

A touchpoint or activity log holds one row per event; the contacts table needs one row
per contact. :func:`one_row_per` orders the mapped events by the table's time column and
keeps, per distinct key, the time of the first event and, for every other column, the
value of the first (or, with ``pick: last``, the last) event that has one. Nothing is
dropped silently: rows whose key is missing form one row with a missing key (validation
quarantines it), ragged rows (see :data:`features.ingest.readers.RAGGED_COLUMN`) stay
rows of their own, and timestamps that did not parse sort after the parsed ones, so a
contact whose events all have unparseable times keeps a raw value that validation
reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from features.ingest.readers import RAGGED_COLUMN
from features.schema import Table

_ORDER = "__leadscore_order__"


def order_column(table: Table) -> str | None:
    """The column events are ordered by: the table's time column (accounts: created_at)."""
    return table.time_column or ("created_at" if "created_at" in table.names else None)


def _sort_key(values: pd.Series) -> pd.Series:
    """Parsed timestamps as they are; anything else (raw text, None) as NaT."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    is_stamp = values.map(lambda v: isinstance(v, pd.Timestamp)).astype(bool)
    return pd.to_datetime(values.where(is_stamp), utc=True)


def one_row_per(
    frame: pd.DataFrame,
    keys: Sequence[str],
    order_by: str | None,
    picks: Mapping[str, str],
) -> pd.DataFrame:
    """One row per distinct value of ``keys``, built from the events of ``frame``.

    Args:
        frame: Mapped event rows (canonical columns, then extras).
        keys: Columns whose distinct values make the rows (e.g. ``["contact_id"]``).
        order_by: Column giving the events' time order (None, or absent from ``frame``:
            the order of the rows).
        picks: Column -> ``"first"`` or ``"last"``; columns not listed take the first.

    Returns:
        One row per key, ordered by each key's first event, same columns as ``frame``;
        ``order_by`` holds the first event's time unless ``picks`` says ``last``.
    """
    keys = list(keys)
    if RAGGED_COLUMN in frame.columns:  # ragged rows stay apart, to be quarantined
        ragged = frame[RAGGED_COLUMN].notna()
        rest = one_row_per(frame[~ragged].drop(columns=RAGGED_COLUMN), keys, order_by, picks)
        return pd.concat([rest, frame[ragged]], ignore_index=True)[list(frame.columns)]
    if frame.empty:
        return frame.reset_index(drop=True)
    events = frame
    if order_by is not None and order_by in frame.columns:
        events = frame.assign(**{_ORDER: _sort_key(frame[order_by])})
        events = events.sort_values(_ORDER, kind="stable", na_position="last")
        events = events.drop(columns=_ORDER)
    grouped = events.groupby(keys, sort=False, dropna=False)
    rows = grouped.first()
    last = [c for c in rows.columns if picks.get(c) == "last"]
    if last:
        rows[last] = grouped[last].last()
    rows = rows.reset_index()
    return rows[list(frame.columns)]
