"""The activity index: activities before ``as_of``, each with the position of its contact
(:func:`build_activity_index` builds it for one scoring run).

Everything is positional: contact ``i`` is row ``i`` of the contacts frame. An activity
filter gives the sorted row numbers of the activities that match it and count; rules then
work on those rows only (windows, gates, limits, decay), so a rule costs what it selects,
not the size of the whole activity table. Contact-level measures (counts, days since last)
come from ``np.bincount`` over those rows. Filters are cached because many rules share them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from features.events import positions_of
from features.measures import age_days, in_window
from rules.model import Measure
from rules.operators import apply_operator, category_lookup, lookup_codes

log = logging.getLogger(__name__)


@dataclass
class RunCache:
    """What every view and block of one scoring run shares.

    Attributes:
        lookups: Per-category answers of field tests (:func:`category_lookup`), by test.
        codes: The whole frame's category codes, by field.
    """

    lookups: dict[str, tuple[pd.Index, np.ndarray]] = field(default_factory=dict)
    codes: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class ActivityIndex:
    """Activities before ``as_of`` with the position of their contact.

    Attributes:
        frame: The whole activity table (original order); a block reads its own rows of it
            (``frame_rows``) column by column, when a rule asks for the column.
        pos: Contact position per row (-1: unknown contact or not counted).
        time_ns: ``occurred_at`` as int64 nanoseconds.
        valid: Rows that count (contact known, before ``as_of``, not forgotten by recycling).
        n_contacts: Number of contacts.
        as_of_ns: The scoring date as int64 nanoseconds.
        by_contact: Rows are grouped by contact (``pos`` never decreases), as in a block.
        frame_rows: Row ``i`` of this index is row ``frame_rows[i]`` of ``frame`` (None:
            the same row).
    """

    frame: pd.DataFrame
    pos: np.ndarray
    time_ns: np.ndarray
    valid: np.ndarray
    n_contacts: int
    as_of_ns: int
    by_contact: bool = False
    frame_rows: np.ndarray | slice | None = None
    _cache: dict[str, np.ndarray] = field(default_factory=dict)  # shared with views
    _rows: dict[str, np.ndarray] = field(default_factory=dict)  # this view's rows
    _run: RunCache = field(default_factory=RunCache)  # shared by all views and blocks

    def _lookup(self, name: str, column: pd.Series, op: str, value: Any) -> np.ndarray:
        """:func:`category_lookup` of a categorical field, computed once per scoring run."""
        key = f"{name}|{op}|{value!r}"
        categories = column.cat.categories
        cached = self._run.lookups.get(key)
        if cached is None or not (cached[0] is categories or cached[0].equals(categories)):
            cached = (categories, category_lookup(categories, op, value))
            self._run.lookups[key] = cached
        return cached[1]

    def positions_in_frame(self, rows: np.ndarray) -> np.ndarray:
        """Positions in ``frame`` of ``rows`` of this index."""
        if self.frame_rows is None:
            return rows
        if isinstance(self.frame_rows, slice):
            return rows + (self.frame_rows.start or 0)
        return self.frame_rows[rows]

    def values(self, name: str, rows: np.ndarray) -> pd.Series:
        """Activity field ``name`` at ``rows`` of this index (index 0..len(rows)-1)."""
        return self.frame[name].take(self.positions_in_frame(rows)).reset_index(drop=True)

    def _codes(self, name: str) -> np.ndarray:
        """Category codes of a categorical field for this index's rows (cached)."""
        key = f"__codes__{name}"
        if key not in self._cache:
            if name not in self._run.codes:  # the frame's codes, read once (no copy)
                self._run.codes[name] = self.frame[name].array.codes
            codes = self._run.codes[name]
            self._cache[key] = codes if self.frame_rows is None else codes[self.frame_rows]
        return self._cache[key]

    def _rows_in_categories(self, name: str, lookup: np.ndarray) -> np.ndarray:
        """Sorted rows whose category of ``name`` the lookup accepts.

        The rows are grouped by category once (a stable sort of the codes keeps each group
        ascending), so a test that accepts a few categories costs the rows it selects, not
        a pass over the whole table.
        """
        codes = self._codes(name)
        accepted = np.flatnonzero(lookup)
        if accepted.size > 4:  # a wide test: one pass is cheaper than merging many groups
            return np.flatnonzero(lookup_codes(codes, lookup))
        key = f"__groups__{name}"
        if key not in self._cache:
            order = np.argsort(codes, kind="stable")
            self._cache[key] = order
            self._cache[key + "bounds"] = np.searchsorted(codes[order], np.arange(-1, lookup.size))
        order, bounds = self._cache[key], self._cache[key + "bounds"]
        # lookup slot i is code i, its last slot code -1 (missing); code c's rows are
        # order[bounds[c + 1] : bounds[c + 2]]
        codes_in = np.where(accepted == lookup.size - 1, -1, accepted)
        groups = [order[bounds[c + 1] : bounds[c + 2]] for c in codes_in]
        if not groups:
            return np.zeros(0, dtype=np.int64)
        return groups[0] if len(groups) == 1 else np.sort(np.concatenate(groups))

    def _matching(self, flt: dict[str, Any], key: str) -> np.ndarray:
        """Sorted rows matching every entry of a filter, counting or not (cached, shared by
        the views of a block).

        The activity type is tested first (by its groups), other categorical fields next
        and text fields last, each only on the rows the tests before it left: string tests
        such as regexes cost far more per row.
        """
        if key not in self._cache:
            specs = sorted(
                flt.items(),
                key=lambda kv: (
                    not isinstance(self.frame[kv[0]].dtype, pd.CategoricalDtype),
                    kv[0] != "activity_type",
                    kv[0],
                ),
            )
            rows: np.ndarray | None = None  # None: every row
            for name, spec in specs:
                if isinstance(spec, dict):
                    op, value = spec["op"], spec.get("value")
                else:
                    op, value = ("in" if isinstance(spec, list) else "eq"), spec
                column = self.frame[name]
                if isinstance(column.dtype, pd.CategoricalDtype):
                    lookup = self._lookup(name, column, op, value)
                    if rows is None:
                        rows = self._rows_in_categories(name, lookup)
                    else:
                        rows = rows[lookup[self._codes(name)[rows]]]
                else:
                    rows = np.arange(self.pos.size) if rows is None else rows
                    rows = rows[apply_operator(self.values(name, rows), op, value)]
            self._cache[key] = np.arange(self.pos.size) if rows is None else rows
        return self._cache[key]

    def filter_rows(self, flt: dict[str, Any]) -> np.ndarray:
        """Sorted row numbers of the counting activities that match a filter (cached)."""
        key = repr(sorted(flt.items(), key=lambda kv: kv[0]))
        if key not in self._rows:
            rows = self._matching(flt, key)
            self._rows[key] = rows[self.valid[rows]]
        return self._rows[key]

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

    def in_contact_time_order(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` (ascending) rearranged into (contact, time, row) order."""
        order = self.contact_time_order()
        if order is None:
            return rows
        if "__rank__" not in self._cache:
            rank = np.empty_like(order)
            rank[order] = np.arange(order.size)
            self._cache["__rank__"] = rank
        return rows[np.argsort(self._cache["__rank__"][rows], kind="stable")]

    def forgetting(self, forget_before_ns: np.ndarray) -> ActivityIndex:
        """A view where each contact's activities before its cut-off (int64 ns) do not count.

        Shares the filter cache, so masks computed on one view serve the other.
        """
        cut = forget_before_ns[np.where(self.pos >= 0, self.pos, 0)]
        # _rows holds this view's filter results, which depend on ``valid``: a fresh one
        return replace(self, valid=self.valid & (self.time_ns >= cut), _rows={})

    def block(self, lo: int, hi: int) -> ActivityIndex:
        """The rows of contacts ``lo .. hi-1`` as an index of its own (positions from 0).

        Rows keep their relative order within each contact, so every per-contact result
        (sums in row order, ties broken by row) is the same as on the whole index. Rows of
        unknown contacts belong to no block.
        """
        if self.frame_rows is not None:
            raise ValueError("block() works on the whole index, not on a block")
        if "__by_contact__" not in self._cache:
            if bool(np.all(self.pos[1:] >= self.pos[:-1])):
                order = np.zeros(0, dtype=np.int64)  # sentinel: already grouped
                self._cache["__by_contact_pos__"] = self.pos
            else:
                order = np.argsort(self.pos, kind="stable")
                self._cache["__by_contact_pos__"] = self.pos[order]
            self._cache["__by_contact__"] = order
        order = self._cache["__by_contact__"]
        grouped = self._cache["__by_contact_pos__"]
        a_lo, a_hi = (int(i) for i in np.searchsorted(grouped, [lo, hi]))
        rows = slice(a_lo, a_hi) if order.size == 0 else order[a_lo:a_hi]
        return ActivityIndex(
            self.frame,
            self.pos[rows] - lo,
            self.time_ns[rows],
            self.valid[rows],
            hi - lo,
            self.as_of_ns,
            by_contact=True,
            frame_rows=rows,
            _run=self._run,
        )

    def window(self, rows: np.ndarray, within_days: float | None) -> np.ndarray:
        """The rows in a window of ``within_days`` at ``as_of`` (all when None).

        The window is :func:`features.measures.in_window`, the features' own:
        ``as_of - within_days <= occurred_at < as_of``.
        """
        if within_days is None:
            return rows
        return rows[in_window(self.as_of_ns - self.time_ns[rows], within_days)]

    def count(self, rows: np.ndarray) -> np.ndarray:
        """Number of ``rows`` per contact."""
        return np.bincount(self.pos[rows], minlength=self.n_contacts)

    def days_since(self, rows: np.ndarray, last: bool) -> np.ndarray:
        """Days between ``as_of`` and the last (or first) of ``rows``; NaN if none."""
        if rows.size == 0:
            return np.full(self.n_contacts, np.nan)
        pos, t = self.pos[rows], self.time_ns[rows]
        if not self.by_contact:
            order = np.argsort(pos, kind="stable")
            pos, t = pos[order], t[order]
        # each contact's rows now form one run: reduce it to its latest / earliest time
        start = np.flatnonzero(np.concatenate([[True], pos[1:] != pos[:-1]]))
        edge = (np.maximum if last else np.minimum).reduceat(t, start)
        days = np.full(self.n_contacts, np.nan)
        days[pos[start]] = age_days(self.as_of_ns - edge)
        return days

    def measure(self, m: Measure) -> np.ndarray:
        """A contact-level array for an activity measure."""
        rows = self.window(self.filter_rows(m.activity or {}), m.within_days)
        if m.agg == "count":
            return self.count(rows)
        return self.days_since(rows, last=m.agg == "days_since_last")


def build_activity_index(
    activities: pd.DataFrame, contact_ids: pd.Index, as_of: pd.Timestamp
) -> ActivityIndex:
    """Index activities for scoring at ``as_of`` (only ``occurred_at < as_of`` counts), with
    ``contact_ids`` in scoring order; rows of unknown contacts are logged and left out."""
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
