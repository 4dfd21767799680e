"""Points of one rule for every contact, as sparse contributions (no per-lead loop).

A rule gives, for each contact it fires for, the raw points, the points after decay and
the measured value (band measure or number of scoring activities). Per-activity rules
limit how many activities score per contact and period and decay each activity's points
with its age at ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.measures import DAY_NS, age_days, in_window
from rules.activities import ActivityIndex
from rules.conditions import Evaluator
from rules.model import Decay, Limit, Rule


@dataclass(frozen=True)
class Contributions:
    """Sparse per-contact output of one rule: parallel arrays over the contacts it fired for."""

    pos: np.ndarray
    raw: np.ndarray
    decayed: np.ndarray
    value: np.ndarray


def decay_factor(age_ns: np.ndarray, decay: Decay | None) -> np.ndarray:
    """Fraction of its points an activity of age ``age_ns`` (at ``as_of``, > 0) keeps.

    Returns:
        Factors in ``[decay.floor, 1]``. ``expiry`` keeps full points inside the window of
        ``days`` (:func:`features.measures.in_window`: exactly ``days`` old still counts).
    """
    if decay is None:
        return np.ones(np.shape(age_ns), dtype=float)
    if decay.kind == "expiry":
        factor = in_window(age_ns, decay.days).astype(float)
    elif decay.kind == "half_life":
        factor = np.power(0.5, age_days(age_ns) / decay.days)
    else:
        periods = np.floor(age_days(age_ns) / decay.days)
        factor = np.power(1.0 - (decay.percent or 0.0) / 100.0, periods)
    return np.maximum(factor, decay.floor)


def period_key(time_ns: np.ndarray, per: str) -> np.ndarray:
    """Calendar period (UTC) of each timestamp: day, ISO week (Monday start), month or one."""
    days = time_ns // DAY_NS
    if per == "day":
        return days
    if per == "week":
        return (days - 4) // 7  # 1970-01-05 was the first Monday
    if per == "month":
        return time_ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return np.zeros_like(days)


def limited_rows(acts: ActivityIndex, rows: np.ndarray, limit: Limit) -> np.ndarray:
    """Of ``rows`` (ascending), those the limit keeps: per contact and period, the earliest
    ``max_times``.

    Works in the index's (contact, time, row) order, computed once per scoring run, so
    each period's activities are contiguous and already in time order.
    """
    if rows.size == 0:
        return rows
    ordered = acts.in_contact_time_order(rows)
    pos, period = acts.pos[ordered], period_key(acts.time_ns[ordered], limit.per)
    new_group = np.ones(ordered.size, dtype=bool)
    new_group[1:] = (pos[1:] != pos[:-1]) | (period[1:] != period[:-1])
    idx = np.arange(ordered.size)
    start = np.maximum.accumulate(np.where(new_group, idx, 0))
    kept = ordered[(idx - start) < limit.max_times]
    return kept if ordered is rows else np.sort(kept)


def rule_contributions(rule: Rule, ev: Evaluator) -> Contributions:
    """Evaluate one rule for all contacts: the contributions of those it fired for."""
    gate = ev.condition(rule.when) if rule.when is not None else None
    if rule.kind == "criterion":
        assert gate is not None  # the loader requires 'when' on criterion rules
        pos = np.flatnonzero(gate)
        pts = np.full(pos.size, float(rule.points or 0.0))
        return Contributions(pos, pts, pts.copy(), np.full(pos.size, np.nan))
    if rule.kind == "bands":
        assert rule.bands is not None
        value = ev.measure(rule.bands.of)
        pts = np.full(ev.n, np.nan)
        for band in rule.bands.ranges:
            lo = -np.inf if band.min is None else band.min
            hi = np.inf if band.max is None else band.max
            pts[(value >= lo) & (value <= hi)] = band.points
        fired = ~np.isnan(pts) if gate is None else ~np.isnan(pts) & gate
        pos = np.flatnonzero(fired)
        return Contributions(pos, pts[pos], pts[pos].copy(), value[pos])
    if rule.kind == "steps":
        assert rule.steps is not None
        value = ev.measure(rule.steps.of)
        with np.errstate(invalid="ignore"):
            steps = np.floor(value / rule.steps.every)
        if rule.steps.max_steps is not None:
            steps = np.minimum(steps, rule.steps.max_steps)
        fired = ~np.isnan(steps) & (steps >= 1)
        fired = fired if gate is None else fired & gate
        pos = np.flatnonzero(fired)
        pts = float(rule.points or 0.0) * steps[pos]
        return Contributions(pos, pts, pts.copy(), steps[pos])
    acts = ev.activity
    rows = acts.window(acts.filter_rows(rule.each or {}), rule.within_days)
    if gate is not None:
        rows = rows[gate[acts.pos[rows]]]  # counting rows always have a contact
    if rule.limit is not None:
        rows = limited_rows(acts, rows, rule.limit)
    points = float(rule.points or 0.0)
    count = np.bincount(acts.pos[rows], minlength=ev.n)
    factor = decay_factor(acts.as_of_ns - acts.time_ns[rows], rule.decay)
    decayed = np.bincount(acts.pos[rows], weights=points * factor, minlength=ev.n)
    pos = np.flatnonzero(count)
    return Contributions(pos, points * count[pos], decayed[pos], count[pos].astype(float))
