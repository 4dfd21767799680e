"""The scoring context: contact variables and an activity index at one ``as_of`` date.

Everything is positional: contact ``i`` is row ``i`` of the contacts frame, and every
activity carries the position of its contact. Measures (counts in a window, days since
last) are computed for all contacts at once with ``np.bincount`` / ``ufunc.at``; activity
filter masks are cached because many rules share them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rules.model import Measure
from rules.operators import apply_operator

log = logging.getLogger(__name__)

NS_PER_DAY = 86_400 * 10**9


@dataclass
class ActivityIndex:
    """Activities before ``as_of`` with the position of their contact.

    Attributes:
        frame: The activity table (all rows, original order).
        pos: Contact position per row (-1: unknown contact or not counted).
        time_ns: ``occurred_at`` as int64 nanoseconds.
        age_days: Age of each activity at ``as_of`` in days.
        valid: Rows that count (contact known, before ``as_of``, not forgotten by recycling).
        n_contacts: Number of contacts.
    """

    frame: pd.DataFrame
    pos: np.ndarray
    time_ns: np.ndarray
    age_days: np.ndarray
    valid: np.ndarray
    n_contacts: int
    as_of_ns: int
    _cache: dict[str, np.ndarray] = field(default_factory=dict)

    def filter_mask(self, flt: dict[str, Any]) -> np.ndarray:
        """Rows matching every entry of an activity filter (and counting).

        Categorical fields are tested on the whole column (cheap, cached per field test);
        text fields only on the rows the categorical tests left, since string tests such
        as regexes cost far more per row. Whole-filter results are cached as well.
        """
        full_key = repr(sorted(flt.items(), key=lambda kv: kv[0]))
        if full_key not in self._cache:
            match = np.ones(self.pos.size, dtype=bool)
            specs = sorted(
                flt.items(),
                key=lambda kv: (
                    not isinstance(self.frame[kv[0]].dtype, pd.CategoricalDtype),
                    kv[0],
                ),
            )
            for key, spec in specs:
                if isinstance(spec, dict):
                    op, value = spec["op"], spec.get("value")
                else:
                    op, value = ("in" if isinstance(spec, list) else "eq"), spec
                column = self.frame[key]
                if isinstance(column.dtype, pd.CategoricalDtype):
                    cache_key = f"{key}|{op}|{value!r}"
                    if cache_key not in self._cache:
                        self._cache[cache_key] = apply_operator(column, op, value)
                    match &= self._cache[cache_key]
                else:
                    rows = np.flatnonzero(match)
                    hit = apply_operator(column.take(rows).reset_index(drop=True), op, value)
                    match = np.zeros_like(match)
                    match[rows[hit]] = True
            self._cache[full_key] = match
        return self.valid & self._cache[full_key]

    def contact_time_order(self) -> np.ndarray | None:
        """Row order by (contact, time, row), cached; None when the rows are already in it."""
        if "__order__" not in self._cache:
            pos, t = self.pos, self.time_ns
            same = pos[1:] == pos[:-1]
            if bool(np.all((pos[1:] > pos[:-1]) | (same & (t[1:] >= t[:-1])))):
                order = np.zeros(0, dtype=np.int64)  # sentinel: already in order
            else:
                order = np.lexsort((np.arange(pos.size), t, pos))
            self._cache["__order__"] = order
        cached = self._cache["__order__"]
        return None if cached.size == 0 else cached

    def forgetting(self, forget_before_ns: np.ndarray) -> ActivityIndex:
        """A view where each contact's activities before its cut-off (int64 ns) do not count.

        Shares the filter cache, so masks computed on one view serve the other.
        """
        cut = forget_before_ns[np.where(self.pos >= 0, self.pos, 0)]
        return ActivityIndex(
            self.frame,
            self.pos,
            self.time_ns,
            self.age_days,
            self.valid & (self.time_ns >= cut),
            self.n_contacts,
            self.as_of_ns,
            self._cache,
        )

    def window(self, mask: np.ndarray, within_days: float | None) -> np.ndarray:
        return mask if within_days is None else mask & (self.age_days < within_days)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.pos[mask], minlength=self.n_contacts)

    def days_since(self, mask: np.ndarray, last: bool) -> np.ndarray:
        """Days between ``as_of`` and the last (or first) matching activity; NaN if none."""
        rows = np.flatnonzero(mask)
        pos, t = self.pos[rows], self.time_ns[rows]
        if self.contact_time_order() is None:
            # rows are in (contact, time) order: the edge row of each contact run is the answer
            edge = np.ones(rows.size, dtype=bool)
            if last:
                edge[:-1] = pos[1:] != pos[:-1]
            else:
                edge[1:] = pos[1:] != pos[:-1]
            days = np.full(self.n_contacts, np.nan)
            days[pos[edge]] = (self.as_of_ns - t[edge]) / NS_PER_DAY
            return days
        if last:
            out = np.full(self.n_contacts, np.iinfo(np.int64).min, dtype=np.int64)
            np.maximum.at(out, pos, t)
            none = out == np.iinfo(np.int64).min
        else:
            out = np.full(self.n_contacts, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(out, pos, t)
            none = out == np.iinfo(np.int64).max
        days = (self.as_of_ns - out) / NS_PER_DAY
        days[none] = np.nan
        return days

    def measure(self, m: Measure) -> np.ndarray:
        """A contact-level array for an activity measure."""
        mask = self.window(self.filter_mask(m.activity or {}), m.within_days)
        if m.agg == "count":
            return self.count(mask)
        return self.days_since(mask, last=m.agg == "days_since_last")


def positions_of(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 when absent), hashed in Arrow for speed."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    arr = _arrow(values)
    value_set = _arrow(pd.Series(index)).cast(arr.type)
    found = pc.index_in(arr, value_set=value_set)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def as_text(s: pd.Series) -> pd.Series:
    """``s`` itself when it already holds strings, else converted to ``str``."""
    return s if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object else s.astype("str")


def _is_arrow(s: pd.Series) -> bool:
    return hasattr(s.array, "_pa_array")


def _arrow(s: pd.Series) -> pa.Array:
    if _is_arrow(s):
        arr = s.array._pa_array
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
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
    time_ns = occurred.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").astype(np.int64)
    as_of_ns = int(as_of.value)
    valid = (pos >= 0) & (time_ns < as_of_ns)
    age = (as_of_ns - time_ns) / NS_PER_DAY
    return ActivityIndex(activities, pos, time_ns, age, valid, len(contact_ids), as_of_ns)
