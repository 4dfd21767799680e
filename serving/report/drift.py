"""Population stability index (PSI) of features and scores between two periods.

Numeric columns are binned at the quantiles of the reference (training) period, categorical
ones by level; missing values get a bin of their own in both. Proportions are floored at
``1e-4`` so an empty bin does not make the index infinite.
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


def psi_level(value: float, watch: float = 0.1, warning: float = 0.25) -> str:
    """``ok`` below ``watch``, ``watch`` below ``warning``, else ``warning``."""
    if np.isnan(value):
        return "n/a"
    if value >= warning:
        return "warning"
    return "watch" if value >= watch else "ok"


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numeric_shares(ref: pd.Series, cur: pd.Series, bins: int) -> tuple[np.ndarray, np.ndarray]:
    r = pd.to_numeric(ref, errors="coerce").to_numpy(dtype=float)
    c = pd.to_numeric(cur, errors="coerce").to_numpy(dtype=float)
    valid = r[~np.isnan(r)]
    inner = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(valid, inner)) if valid.size else np.array([])
    n_bins = len(edges) + 2  # value bins plus the missing bin

    def shares(x: np.ndarray) -> np.ndarray:
        idx = np.where(np.isnan(x), n_bins - 1, np.searchsorted(edges, x, side="right"))
        return np.bincount(idx, minlength=n_bins) / max(len(x), 1)

    return shares(r), shares(c)


def _level_shares(ref: pd.Series, cur: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    r = ref.astype(object).where(ref.notna(), _MISSING).astype(str)
    c = cur.astype(object).where(cur.notna(), _MISSING).astype(str)
    levels = sorted(set(r.unique()) | set(c.unique()))
    r_share = r.value_counts(normalize=True).reindex(levels, fill_value=0.0)
    c_share = c.value_counts(normalize=True).reindex(levels, fill_value=0.0)
    return r_share.to_numpy(), c_share.to_numpy()


def psi(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    bins: int = 10,
    *,
    watch: float = 0.1,
    warning: float = 0.25,
) -> pd.DataFrame:
    """PSI of every column of the reference period against the current period.

    Args:
        reference: Columns of the training (reference) period.
        current: The same columns for the scored (current) period.
        bins: Quantile bins of the reference for numeric columns.
        watch: PSI from which a column is flagged ``watch`` (0.1 by convention).
        warning: PSI from which a column is flagged ``warning`` (0.25 by convention).

    Returns:
        One row per column, largest PSI first: ``column``, ``kind`` (numeric/categorical),
        ``psi``, ``level``, ``missing_reference``, ``missing_current`` (shares).

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
    rows = []
    for col in reference.columns:
        ref, cur = reference[col], current[col]
        numeric = _is_numeric(ref)
        r, c = _numeric_shares(ref, cur, bins) if numeric else _level_shares(ref, cur)
        value = psi_value(r, c)
        rows.append(
            {
                "column": str(col),
                "kind": "numeric" if numeric else "categorical",
                "psi": value,
                "level": psi_level(value, watch, warning),
                "missing_reference": float(ref.isna().mean()),
                "missing_current": float(cur.isna().mean()),
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)
