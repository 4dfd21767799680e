"""Caps on sums of points: per category, on a scale's total, and the gate.

When a sum exceeds its ``max``, the positive contributions in it are scaled down by one
common factor so the sum lands exactly on ``max`` (negative points are never softened by a
cap). Symmetrically, a sum below ``min`` scales its negative contributions. The breakdown
therefore keeps, per rule, the points that survive the caps, and they add up to the total.
"""

from __future__ import annotations

import numpy as np


def bound_sums(
    values: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    upper: np.ndarray | float | None = None,
    lower: np.ndarray | float | None = None,
) -> np.ndarray:
    """Scale contributions so that each group's sum lies within ``[lower, upper]``.

    Args:
        values: Points per contribution.
        group: Group index of each contribution (e.g. contact position).
        n_groups: Number of groups.
        upper: Max per group (scalar, array over groups, ``inf`` or None for none).
        lower: Min per group, likewise.

    Returns:
        New points per contribution.
    """
    if values.size == 0 or (upper is None and lower is None):
        return values
    total = np.bincount(group, weights=values, minlength=n_groups)
    up = None if upper is None else np.broadcast_to(np.asarray(upper, float), (n_groups,))
    lo = None if lower is None else np.broadcast_to(np.asarray(lower, float), (n_groups,))
    out_of_bounds = np.zeros(n_groups, dtype=bool)
    if up is not None:
        out_of_bounds |= total > up
    if lo is not None:
        out_of_bounds |= total < lo
    if not out_of_bounds.any():
        return values
    # only the rows of groups out of bounds change: work on them alone
    rows = np.flatnonzero(out_of_bounds[group])
    v, g = values[rows], group[rows]
    p = np.bincount(g, weights=np.where(v > 0, v, 0.0), minlength=n_groups)
    m = np.bincount(g, weights=np.where(v < 0, v, 0.0), minlength=n_groups)
    factor = np.ones(v.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        if up is not None:
            over = (total > up) & (p > 0)
            f_pos = np.where(over, np.clip((up - m) / p, 0.0, 1.0), 1.0)
            factor = np.where(v > 0, f_pos[g], factor)
        if lo is not None:
            under = (total < lo) & (m < 0)
            f_neg = np.where(under, np.clip((lo - p) / m, 0.0, 1.0), 1.0)
            factor = np.where(v < 0, f_neg[g], factor)
    out = values.copy()
    out[rows] = v * factor
    return out


def apply_scale_caps(
    pos: np.ndarray,
    category: np.ndarray,
    points: np.ndarray,
    n_contacts: int,
    category_caps: dict[int, tuple[float | None, float | None]],
    total_cap: tuple[float | None, float | None] | None,
    gate_max: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply category caps, then the total cap, then the gate, for one scale.

    Args:
        pos: Contact position of each contribution.
        category: Category index of each contribution.
        points: Points after decay.
        n_contacts: Number of contacts.
        category_caps: Category index -> (max, min).
        total_cap: (max, min) of the scale total, or None.
        gate_max: Per-contact max while the gate is closed (``inf`` where open), or None.

    Returns:
        Points after the category caps only (fit and engagement scores are read here, so
        they never drop because another category changed), and after all caps.
    """
    out = points
    if category_caps:
        # one pass over all categories: a group is (contact, category)
        n_cat = int(max(int(category.max(initial=0)), max(category_caps))) + 1
        upper = np.full(n_cat, np.inf)
        lower = np.full(n_cat, -np.inf)
        for cat, (hi, lo) in category_caps.items():
            upper[cat] = np.inf if hi is None else hi
            lower[cat] = -np.inf if lo is None else lo
        group = pos * n_cat + category
        out = bound_sums(
            out, group, n_contacts * n_cat, np.tile(upper, n_contacts), np.tile(lower, n_contacts)
        )
    by_category = out
    if total_cap is not None:
        out = bound_sums(out, pos, n_contacts, total_cap[0], total_cap[1])
    if gate_max is not None:
        out = bound_sums(out, pos, n_contacts, gate_max, None)
    return by_category, out
