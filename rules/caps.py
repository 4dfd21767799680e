"""Caps on sums of points: per category, on a scale's total, and the gate.

When a sum exceeds its ``max``, the positive contributions in it are scaled down by one
common factor so the sum lands on ``max`` (negative points are never softened by a cap).
Symmetrically, a sum below ``min`` scales its negative contributions. The breakdown
therefore keeps, per rule, the points that survive the caps, and they add up to the total.

Exactness: a scaled sum ``m + p * f`` rarely equals the cap in floating point
(``99.99999999999999`` instead of ``100``), so the last scaled contribution of a group is
the remainder (cap minus the others), and the group's sum is the bound itself: a capped
total equals its cap to the last bit, and the stage is read from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bounded:
    """Contributions after a bound, and each group's exact sum where the bound held it.

    Attributes:
        values: New points per contribution.
        sums: Per group, the bound the sum was set to; NaN where no bound applied.
    """

    values: np.ndarray
    sums: np.ndarray


def _remainders(
    out: np.ndarray, rows: np.ndarray, group: np.ndarray, target: np.ndarray, scaled: np.ndarray
) -> None:
    """Set the last scaled row of each group to ``target`` minus the group's other rows.

    Args:
        out: Points, changed in place.
        rows: Every row (ascending) of the groups to make exact.
        group: Group of every row of ``out``.
        target: Per group, the sum to reach.
        scaled: Which of ``rows`` the bound scaled (the remainder goes to one of them).
    """
    picked = rows[scaled]
    if picked.size == 0:
        return
    order = np.argsort(group[picked], kind="stable")
    g_sorted = group[picked][order]
    is_last = np.ones(picked.size, dtype=bool)
    is_last[:-1] = g_sorted[1:] != g_sorted[:-1]
    last = picked[order[is_last]]
    sums = np.bincount(group[rows], weights=out[rows], minlength=target.size)
    out[last] = target[group[last]] - (sums[group[last]] - out[last])


def bound_sums(
    values: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    upper: np.ndarray | float | None = None,
    lower: np.ndarray | float | None = None,
) -> Bounded:
    """Scale contributions so that each group's sum lies within ``[lower, upper]``.

    Args:
        group: Group index of each contribution (e.g. contact position).
        upper: Max per group (scalar, array over groups, ``inf`` or None for none).
        lower: Min per group, likewise.

    Returns:
        The new points, and per group the bound its sum now equals exactly (NaN: none
        applied, or only negative points exceed ``max`` and nothing could be scaled).
    """
    sums = np.full(n_groups, np.nan)
    if values.size == 0 or (upper is None and lower is None):
        return Bounded(values, sums)
    total = np.bincount(group, weights=values, minlength=n_groups)
    up = None if upper is None else np.broadcast_to(np.asarray(upper, float), (n_groups,))
    lo = None if lower is None else np.broadcast_to(np.asarray(lower, float), (n_groups,))
    over = np.zeros(n_groups, dtype=bool) if up is None else total > up
    under = np.zeros(n_groups, dtype=bool) if lo is None else total < lo
    if not (over.any() or under.any()):
        return Bounded(values, sums)
    # only the rows of groups out of bounds change: work on them alone
    rows = np.flatnonzero((over | under)[group])
    v, g = values[rows], group[rows]
    p = np.bincount(g, weights=np.where(v > 0, v, 0.0), minlength=n_groups)
    m = np.bincount(g, weights=np.where(v < 0, v, 0.0), minlength=n_groups)
    factor = np.ones(v.size)
    target = np.full(n_groups, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if up is not None:
            over &= p > 0
            reach = over & (m <= up)  # m > up: even zero positives stay above the cap
            f_pos = np.where(over, np.clip((up - m) / p, 0.0, 1.0), 1.0)
            factor = np.where(v > 0, f_pos[g], factor)
            target[reach] = up[reach]
        if lo is not None:
            under &= m < 0
            reach = under & (p >= lo)
            f_neg = np.where(under, np.clip((lo - p) / m, 0.0, 1.0), 1.0)
            factor = np.where(v < 0, f_neg[g], factor)
            target[reach] = lo[reach]
    out = values.copy()
    out[rows] = v * factor
    exact = ~np.isnan(target)
    if exact.any():
        scaled = (factor < 1.0) & exact[g]
        rows_exact = rows[exact[g]]
        _remainders(out, rows_exact, group, target, scaled[exact[g]])
        sums[exact] = target[exact]
    return Bounded(out, sums)


@dataclass(frozen=True)
class ScaleCaps:
    """One scale's points after its caps, with its exact sums.

    Attributes:
        capped: Points after every cap and the gate.
        category_sums: ``(n_contacts, n_categories)`` sums after the category caps; a
            capped category equals its cap exactly (fit and engagement are read here, so
            they never drop because another category changed).
        totals: Per contact total after every cap; a capped total equals its bound exactly.
        cuts: What each bound changed, one entry per bound that held a sum:
            ``(what, pos, before, after)`` with ``what`` ``category:<index>``, ``total``
            or ``gate``, and parallel arrays of contact positions and sums.
    """

    capped: np.ndarray
    category_sums: np.ndarray
    totals: np.ndarray
    cuts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]


def combine_max(values: np.ndarray, group: np.ndarray, weights: list[float]) -> np.ndarray:
    """Keep each group's best contributions: the largest times ``weights[0]``, the second
    times ``weights[1]`` ..., the rest 0 (ties: the earlier row ranks first); ``[1.0]`` is
    a plain max. Returns the new points per contribution.
    """
    if values.size == 0:
        return values
    order = np.lexsort((np.arange(values.size), -values, group))
    g = group[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = g[1:] != g[:-1]
    idx = np.arange(order.size)
    rank = idx - np.maximum.accumulate(np.where(first, idx, 0))
    w = np.zeros(order.size)
    within = rank < len(weights)
    w[within] = np.asarray(weights, dtype=float)[rank[within]]
    out = np.empty_like(values, dtype=float)
    out[order] = values[order] * w
    return out


def apply_scale_caps(
    pos: np.ndarray,
    category: np.ndarray,
    points: np.ndarray,
    n_contacts: int,
    n_categories: int,
    category_caps: dict[int, tuple[float | None, float | None]],
    total_cap: tuple[float | None, float | None] | None,
    gate_max: np.ndarray | None,
    combine: dict[int, list[float]] | None = None,
) -> ScaleCaps:
    """Apply category caps, then the total cap, then the gate, for one scale.

    Args:
        pos: Contact position of each contribution.
        category: Category index of each contribution.
        points: Points after decay.
        n_categories: Number of categories (indices below it).
        category_caps: Category index -> (max, min).
        total_cap: (max, min) of the scale total, or None.
        gate_max: Per-contact max while the gate is closed (``inf`` where open), or None.
        combine: Category index -> weights of a ``combine: max`` category (applied first).

    Returns:
        The points after the category caps and after all caps, with exact sums.
    """
    group = pos * n_categories + category
    n_groups = n_contacts * n_categories
    if combine:
        points = points.copy()
        for cat, weights in combine.items():
            rows = np.flatnonzero(category == cat)
            points[rows] = combine_max(points[rows], group[rows], weights)
    out = points
    cat_bound = np.full(n_groups, np.nan)
    if category_caps:
        # one pass over all categories: a group is (contact, category)
        upper = np.full(n_categories, np.inf)
        lower = np.full(n_categories, -np.inf)
        for cat, (hi, lo) in category_caps.items():
            upper[cat] = np.inf if hi is None else hi
            lower[cat] = -np.inf if lo is None else lo
        bounded = bound_sums(
            out, group, n_groups, np.tile(upper, n_contacts), np.tile(lower, n_contacts)
        )
        out, cat_bound = bounded.values, bounded.sums
    cuts = []
    if category_caps and not np.isnan(cat_bound).all():
        before = np.bincount(group, weights=points, minlength=n_groups)
        held = np.flatnonzero(~np.isnan(cat_bound))
        for cat in np.unique(held % n_categories):
            mine = held[held % n_categories == cat]
            cuts.append((f"category:{cat}", mine // n_categories, before[mine], cat_bound[mine]))
    # group sums, where a cap held them its bound exactly
    sums = np.bincount(group, weights=out, minlength=n_groups) if out.size else np.zeros(n_groups)
    held = ~np.isnan(cat_bound)
    sums[held] = cat_bound[held]
    category_sums = sums.reshape(n_contacts, n_categories)
    # a contact whose total no bound touched is the sum of its exact category sums
    totals = category_sums.sum(axis=1)
    steps: list[tuple[str, np.ndarray | float | None, float | None]] = []
    if total_cap is not None:
        steps.append(("total", total_cap[0], total_cap[1]))
    if gate_max is not None:
        steps.append(("gate", gate_max, None))
    for what, step_max, step_min in steps:
        bounded = bound_sums(out, pos, n_contacts, step_max, step_min)
        held = np.flatnonzero(~np.isnan(bounded.sums))
        if held.size:
            cuts.append((what, held, totals[held], bounded.sums[held]))
            totals = totals.copy()
            totals[held] = bounded.sums[held]
        out = bounded.values
    return ScaleCaps(out, category_sums, totals, cuts)
