"""The scoring context: build the activity index at one ``as_of`` date, match ids fast.

Everything is positional: contact ``i`` is row ``i`` of the contacts frame, and every
activity carries the position of its contact (:class:`rules.activities.ActivityIndex`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rules.activities import NS_PER_DAY, ActivityIndex

log = logging.getLogger(__name__)

__all__ = ["NS_PER_DAY", "ActivityIndex", "as_text", "build_activity_index", "positions_of"]


def positions_of(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 when absent), hashed in Arrow for speed.

    Activity exports usually list a contact's rows together: runs of equal values are
    looked up once (hash lookups into a million ids miss the cache; comparing neighbours
    does not), so the cost follows the number of runs rather than the number of rows.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    arr = _arrow(values)
    value_set = _arrow(pd.Series(index)).cast(arr.type)
    if len(arr) == 1:
        changed = np.zeros(0, dtype=bool)
    else:
        changed = pc.not_equal(arr.slice(1), arr.slice(0, len(arr) - 1))
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


def as_text(s: pd.Series) -> pd.Series:
    """``s`` itself when it already holds strings, else converted to ``str``."""
    return s if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object else s.astype("str")


def _is_arrow(s: pd.Series) -> bool:
    return hasattr(s.array, "_pa_array")


def _arrow(s: pd.Series) -> pa.Array:
    if _is_arrow(s):
        arr = s.array._pa_array
        if isinstance(arr, pa.ChunkedArray):  # one chunk is used as it is: no copy
            return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
        return arr
    return pa.array(
        s.astype(object).where(s.notna(), None).to_numpy(dtype=object), type=pa.large_string()
    )


def build_activity_index(
    activities: pd.DataFrame, contact_ids: pd.Index, as_of: pd.Timestamp
) -> ActivityIndex:
    """Index activities for scoring at ``as_of`` (only ``occurred_at < as_of`` counts).

    Args:
        activities: Canonical activity table.
        contact_ids: The contacts' ids in scoring order.
        as_of: Scoring date (UTC timestamp).

    Returns:
        The index; rows of unknown contacts are logged and left out.
    """
    pos = positions_of(activities["contact_id"], contact_ids)
    unknown = int((pos < 0).sum())
    if unknown:
        # validation quarantines true orphans; what is left here belongs to contacts the
        # caller left out (e.g. created after as_of), so this is information, not a problem
        log.info("%d activity rows belong to contacts not being scored; skipped", unknown)
    occurred = activities["occurred_at"]
    time_ns = occurred.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view(np.int64)
    as_of_ns = int(as_of.value)
    valid = (pos >= 0) & (time_ns < as_of_ns)
    return ActivityIndex(activities, pos, time_ns, valid, len(contact_ids), as_of_ns)
