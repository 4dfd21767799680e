"""Population stability index (PSI) of features and scores between two periods.

Numeric columns are binned at the quantiles of the reference (training) period, categorical
ones by level; missing values get a bin of their own in both. Proportions are floored at
``1e-4`` so an empty bin does not make the index infinite.

Lead age grows with time by construction: the pool of open leads scored later is older,
so its age (and everything that accumulates with age: activity counts, recency, the
scores) differs from the training period's even when nothing changed. With an
``age_column``, the reference leads are reweighted so that their age distribution
matches the current period's (like cohorts compared with like), and the age column
itself is listed as ``excluded`` with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PSI_FLOOR = 1e-4
_MISSING = "(missing)"


def psi_value(reference_share: np.ndarray, current_share: np.ndarray) -> float:
    """``sum((c - r) * ln(c / r))`` over bins, with both shares floored at ``PSI_FLOOR``."""
    r = np.maximum(np.asarray(reference_share, dtype=float), PSI_FLOOR)
    c = np.maximum(np.asarray(current_share, dtype=float), PSI_FLOOR)
    return float(((c - r) * np.log(c / r)).sum())


def psi_level(value: float, watch: float, warning: float) -> str:
    """``ok`` below ``watch``, ``watch`` below ``warning``, else ``warning`` (the thresholds:
    :class:`~serving.report.settings.ReportSettings` ``psi_watch`` and ``psi_warning``)."""
    if np.isnan(value):
        return "n/a"
    if value >= warning:
        return "warning"
    return "watch" if value >= watch else "ok"


AGE_NOTE = (
    "grows with time by construction (the pool scored later is older); excluded, and the "
    "other columns are compared at matched lead age"
)


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _quantile_bins(
    basis: np.ndarray, bins: int, *arrays: np.ndarray
) -> tuple[int, list[np.ndarray]]:
    """The bin of each value of ``arrays``, cut at ``bins`` quantiles of ``basis``'s values.

    Returns:
        ``(number of bins, bin indices per array)``; the last bin holds the missing values.
    """
    valid = basis[~np.isnan(basis)]
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(valid, inner)) if valid.size else np.array([])
    n_bins = len(edges) + 2  # value bins plus the missing bin
    missing = n_bins - 1
    return n_bins, [
        np.where(np.isnan(x), missing, np.searchsorted(edges, x, side="right")) for x in arrays
    ]


def _numeric_shares(
    ref: pd.Series, cur: pd.Series, bins: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r = _numbers(ref)
    n_bins, (r_bin, c_bin) = _quantile_bins(r, bins, r, _numbers(cur))

    def shares(idx: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        counts = np.bincount(idx, weights=w, minlength=n_bins)
        return counts / max(counts.sum(), 1e-12)

    return shares(r_bin, weights), shares(c_bin, None)


def _level_shares(
    ref: pd.Series, cur: pd.Series, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r = ref.astype(object).where(ref.notna(), _MISSING).astype(str)
    c = cur.astype(object).where(cur.notna(), _MISSING).astype(str)
    levels = sorted(set(r.unique()) | set(c.unique()))
    w = np.ones(len(r)) if weights is None else weights
    r_share = pd.Series(w, index=r.to_numpy()).groupby(level=0).sum()
    r_share = (r_share / r_share.sum()).reindex(levels, fill_value=0.0)
    c_share = c.value_counts(normalize=True).reindex(levels, fill_value=0.0)
    return r_share.to_numpy(), c_share.to_numpy()


def _same_ages(reference_age: pd.Series, current: pd.DataFrame) -> pd.DataFrame:
    """Current rows whose age lies within the reference's age range (missing ages kept):
    an older lead than any the reference had has no like to be compared with."""
    ref = pd.to_numeric(reference_age, errors="coerce")
    age = pd.to_numeric(current[reference_age.name], errors="coerce")
    inside = age.isna() | age.between(ref.min(), ref.max())
    return current.loc[inside.to_numpy()]


def _note(is_age: bool, matched: bool, outside: int, n_current: int) -> str:
    if is_age:
        older = (
            f"; {outside:,} of {n_current:,} scored leads are older than every "
            "training lead and are left out of the comparison"
            if outside
            else ""
        )
        return AGE_NOTE + older
    return "at matched lead age" if matched else ""


def age_weights(reference_age: pd.Series, current_age: pd.Series, bins: int) -> np.ndarray:
    """Weights of the reference rows that give them the current period's age distribution.

    Ages are binned at quantiles of the current period (missing ages form a bin); each
    reference row weighs ``current share / reference share`` of its bin. A current bin
    no reference lead falls in cannot be matched: its share is left out (the weights sum
    to the reference's row count either way).

    Returns:
        One non-negative weight per reference row.
    """
    r, c = _numbers(reference_age), _numbers(current_age)
    n_bins, (r_bin, c_bin) = _quantile_bins(c, bins, r, c)
    r_share = np.bincount(r_bin, minlength=n_bins) / max(len(r), 1)
    c_share = np.bincount(c_bin, minlength=n_bins) / max(len(c), 1)
    ratio = np.divide(c_share, r_share, out=np.zeros(n_bins), where=r_share > 0)
    weights = ratio[r_bin]
    total = weights.sum()
    return weights * (len(r) / total) if total > 0 else np.ones(len(r))


def psi(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    bins: int,
    *,
    watch: float,
    warning: float,
    age_column: str | None,
) -> pd.DataFrame:
    """PSI of every column of the reference period against the current period.

    Args:
        reference: Columns of the training (reference) period.
        current: The same columns for the scored (current) period.
        bins: Quantile bins of the reference for numeric columns (``psi_bins`` of
            :class:`~serving.report.settings.ReportSettings`; ``watch``, ``warning`` and
            ``age_column`` are its ``psi_watch``, ``psi_warning`` and ``age_column``:
            see the module docstring).

    Returns:
        One row per column, largest PSI first: ``column``, ``kind`` (numeric/categorical),
        ``psi``, ``level``, ``missing_reference``, ``missing_current`` (shares) and ``note``;
        the age column comes last with level ``excluded`` and PSI before matching.

    Raises:
        ValueError: A reference column missing from the current period, or an empty period.
    """
    missing = [c for c in reference.columns if c not in current.columns]
    if missing:
        raise ValueError(
            f"drift: column(s) {missing[:5]} of the reference period are not in the current "
            "period; pass the same feature columns for both"
        )
    if reference.empty or current.empty:
        raise ValueError("drift: the reference and current periods both need rows")
    matched = age_column is not None and age_column in reference.columns
    weights, like = None, current
    if matched:
        like = _same_ages(reference[age_column], current)
        weights = age_weights(reference[age_column], like[age_column], bins)
    outside = len(current) - len(like)
    rows = []
    for col in reference.columns:
        is_age = matched and col == age_column
        ref, cur = reference[col], (current if is_age else like)[col]
        numeric = pd.api.types.is_numeric_dtype(ref) and not pd.api.types.is_bool_dtype(ref)
        w = None if is_age else weights
        r, c = _numeric_shares(ref, cur, bins, w) if numeric else _level_shares(ref, cur, w)
        value = psi_value(r, c)
        rows.append(
            {
                "column": str(col),
                "kind": "numeric" if numeric else "categorical",
                "psi": value,
                "level": "excluded" if is_age else psi_level(value, watch, warning),
                "missing_reference": float(ref.isna().mean()),
                "missing_current": float(cur.isna().mean()),
                "note": _note(is_age, matched, outside, len(current)),
            }
        )
    table = pd.DataFrame(rows)
    order = table["level"].eq("excluded").astype(int) * 1e9 - table["psi"]
    return table.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
