"""The point-in-time view of the activities table that every activity feature reads.

:func:`events_before` keeps the activities with ``occurred_at < as_of`` of the contacts
being featurised, once, and turns them into flat numpy arrays: the contact's row position,
the age in nanoseconds (``as_of - occurred_at``, always > 0) and integer codes of the
columns that groups filter on. Nothing after ``as_of`` survives this step, which is what
makes the features point-in-time safe.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.measures import age_days, epoch_ns, window_ns
from features.spec import ActivityFilter

CHUNK = 1 << 21
_NAT = np.iinfo(np.int64).min


def utc_timestamp(value: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """``value`` as a UTC timestamp in nanoseconds (naive input is read as UTC)."""
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError("as_of is NaT; pass a real timestamp")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.as_unit("ns")


def _arrow_text(s: pd.Series) -> pa.Array:
    """``s`` as one Arrow string array: an Arrow-backed column as it is (no copy)."""
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return pa.array(s.astype("string[pyarrow]"), type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    return arr


def positions_of(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 when absent or missing), hashed in Arrow.

    A categorical column hashes each category once. Otherwise, since exports usually list
    a contact's rows together, runs of equal values are looked up once (hash lookups into
    a million ids miss the cache; comparing neighbours does not), so the cost follows the
    number of runs rather than the number of rows.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = index.get_indexer(values.cat.categories.astype(index.dtype))
        codes = values.array.codes
        return np.where(codes >= 0, lookup[codes], -1).astype(np.int64)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    arr = _arrow_text(values)
    value_set = _arrow_text(pd.Series(index)).cast(arr.type)
    changed = pc.not_equal(arr.slice(1), arr.slice(0, len(arr) - 1))  # empty for one row
    # a null next to anything compares as null: count it as a new run
    changed = changed.fill_null(True).to_numpy(zero_copy_only=False)
    starts = np.concatenate([[0], np.flatnonzero(changed) + 1])
    if starts.size > len(arr) // 2:  # hardly any runs: look every row up
        found = pc.index_in(arr, value_set=value_set)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = pc.index_in(arr.take(pa.array(starts)), value_set=value_set)
    heads = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    run = np.zeros(len(arr), dtype=np.int32 if starts.size < 2**31 else np.int64)
    np.cumsum(changed, out=run[1:])  # run number of each row
    return heads[run]  # np.repeat is slow on millions of short runs


@dataclass(frozen=True)
class Events:
    """Activities before ``as_of`` of the featurised contacts, as flat arrays.

    Attributes:
        n_contacts: Number of featurised contacts (rows of the feature frame).
        contact: Row position (0..n_contacts-1) of each event's contact (int32).
        age_ns: ``as_of - occurred_at`` in nanoseconds, > 0.
        columns: Filterable activity columns (category or string) restricted to the events.
    """

    n_contacts: int
    contact: np.ndarray
    age_ns: np.ndarray
    columns: dict[str, pd.Series]

    def mask(self, match: ActivityFilter) -> np.ndarray:
        """Boolean mask of the events that satisfy every condition of ``match``."""
        keep = np.ones(len(self.contact), dtype=bool)
        for column, allowed in match.conditions().items():
            values = self.columns.get(column)
            if values is None:
                return np.zeros(len(self.contact), dtype=bool)
            keep &= _isin(values, allowed)
        return keep


def _isin(values: pd.Series, allowed: tuple[str, ...]) -> np.ndarray:
    """``values.isin(allowed)`` through the category codes when there are any (fast)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        hit = np.append(values.cat.categories.isin(allowed), False)
        return hit[values.array.codes]  # .cat.codes would copy the codes first
    return values.isin(allowed).to_numpy(dtype=bool, na_value=False)


def events_before(
    activities: pd.DataFrame,
    contact_ids: pd.Index,
    as_of: pd.Timestamp,
    columns: frozenset[str] = frozenset(),
) -> Events:
    """Select the activities strictly before ``as_of`` of the contacts in ``contact_ids``.

    Args:
        contact_ids: Ids of the featurised contacts, in output row order.
        as_of: UTC cut-off; an activity exactly at ``as_of`` is not known yet.
        columns: Activity columns that group filters read (others are not copied).
    """
    occurred = epoch_ns(activities["occurred_at"], "activities.occurred_at")
    cutoff = utc_timestamp(as_of).value
    before = (occurred != _NAT) & (occurred < cutoff)
    # the common case (scoring "now") keeps every row: avoid copying the columns then
    rows: np.ndarray | None = None if before.all() else np.flatnonzero(before)
    contact = positions_of(_take(activities["contact_id"], rows), contact_ids)
    known = contact >= 0
    if not known.all():
        rows = np.flatnonzero(known) if rows is None else rows[known]
        contact = contact[known]
    age = occurred.copy() if rows is None else occurred[rows]
    np.subtract(cutoff, age, out=age)
    kept = {
        name: _take(activities[name], rows).reset_index(drop=True)
        for name in sorted(columns)
        if name in activities.columns
    }
    return Events(len(contact_ids), contact.astype(np.int32), age, kept)


def _take(values: pd.Series, rows: np.ndarray | None) -> pd.Series:
    return values if rows is None else values.iloc[rows]


def chunks(n: int, size: int = CHUNK) -> list[slice]:
    """Slices of at most ``size`` rows covering ``range(n)``: bounds temporary memory."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def window_counts(events: Events, mask: np.ndarray, windows_days: list[float]) -> np.ndarray:
    """Per-contact counts of the masked events within each window.

    A window holds the ages :func:`features.measures.in_window` accepts (``<= w`` days).

    Args:
        windows_days: Window lengths in days, ascending; ``inf`` counts every event.

    Returns:
        Array of shape (n_contacts, len(windows_days)) of float64 counts.
    """
    edges = np.array([window_ns(w) for w in windows_days], dtype=np.int64)
    width = len(edges) + 1  # bin k holds ages in (edge[k-1], edge[k]]; the last one the rest
    n_keys = events.n_contacts * width
    # the keys of every chunk go into one buffer and one bincount: a bincount per chunk
    # would cost n_contacts per chunk, i.e. grow with the square of the data
    keys = np.empty(int(np.count_nonzero(mask)), dtype=np.int32 if n_keys < 2**31 else np.int64)
    filled = 0
    for part in chunks(len(mask)):
        hit = mask[part]
        bins = np.searchsorted(edges, events.age_ns[part][hit], side="left")
        chunk_keys = events.contact[part][hit].astype(keys.dtype) * width + bins
        keys[filled : filled + chunk_keys.size] = chunk_keys
        filled += chunk_keys.size
    counts = np.bincount(keys, minlength=n_keys)
    return counts.reshape(events.n_contacts, width).cumsum(axis=1)[:, :-1]


def last_age_days(events: Events, mask: np.ndarray) -> np.ndarray:
    """Days since the most recent masked event per contact (NaN when there is none)."""
    never = np.iinfo(np.int64).max
    youngest = np.full(events.n_contacts, never, dtype=np.int64)
    for part in chunks(len(mask)):
        hit = mask[part]
        np.minimum.at(youngest, events.contact[part][hit], events.age_ns[part][hit])
    days = age_days(youngest)
    days[youngest == never] = np.nan
    return days
