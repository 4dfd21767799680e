"""Leakage guard: find feature columns that know the answer before training on them.

Every column of ``X`` gets four pieces of evidence; a column is a *suspect* when any rule
fires, and the reason says which rule with the numbers:

* ``auc``: single-feature ROC AUC, symmetric (``max(auc, 1 - auc)``). Numerics are ranked
  as they are (missing below every value, so "missing" itself can leak); categoricals
  are target-mean encoded *out of fold*, so an id-like column with one row per level
  scores ~0.5 instead of a fake 1.0. Fires at ``auc >= auc_threshold``.
* ``presence_pos`` / ``presence_neg``: share of non-missing values among positives and
  negatives. Fires when one class has the column at least ``presence_ratio`` times as
  often as the other (columns filled in only for converted leads, e.g. a won date).
* ``after_as_of``: share of timestamp values later than ``as_of`` (per row or one
  cut-off). Fires when above 0.
* ``proxy_share``: share of rows in levels that are near-perfect proxies of the label: a
  level (missing counts as one) whose smoothed conversion odds differ from the overall
  odds by a factor of ``proxy_odds_ratio`` or more and whose rate is at least
  ``proxy_min_abs_diff`` away from the base rate (so that, at a 3 % base rate, a segment
  that never converts, e.g. students, is a strong feature, not a leak). Fires at ``proxy_share >=
  proxy_min_share`` (sales notes like "Closed by Horizzon" or "Worst").

Suspects are excluded by default (``keep_suspects=True`` keeps them, the report still
names them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.metrics import roc_auc_score

logger = logging.getLogger(__name__)

_EVIDENCE = ["auc", "presence_pos", "presence_neg", "after_as_of", "proxy_share", "reasons"]


class LeakageSettings(BaseModel):
    """Thresholds of the guard (validated once)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auc_threshold: float = Field(default=0.9, gt=0.5, le=1.0)
    presence_ratio: float = Field(default=20.0, gt=1.0)
    presence_min: float = Field(default=0.05, gt=0.0, le=1.0)
    proxy_odds_ratio: float = Field(default=15.0, gt=1.0)
    proxy_min_share: float = Field(default=0.10, gt=0.0, le=1.0)
    proxy_min_abs_diff: float = Field(default=0.25, gt=0.0, le=1.0)
    proxy_max_levels: int = Field(default=50, gt=1)
    smoothing: float = Field(default=10.0, ge=0.0)
    n_folds: int = Field(default=5, ge=2)
    random_state: int = 0


@dataclass(frozen=True)
class LeakageReport:
    """What the guard found.

    Attributes:
        suspects: Columns where a rule fired, in ``X``'s column order.
        evidence: One row per column (index = column name) with the evidence and reasons.
        excluded: Columns :meth:`apply` drops (the suspects unless kept).
        kept: Columns :meth:`apply` keeps.
    """

    suspects: list[str]
    evidence: pd.DataFrame
    excluded: list[str]
    kept: list[str]
    keep_suspects: bool
    settings: LeakageSettings

    def apply(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` without the :attr:`excluded` columns (all columns when suspects are kept)."""
        return X.drop(columns=[c for c in self.excluded if c in X.columns])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for MLflow (no data values, only column names and numbers)."""
        rows = self.evidence.astype("object").where(self.evidence.notna(), None)
        return {
            "suspects": list(self.suspects),
            "excluded": list(self.excluded),
            "kept_suspects": self.keep_suspects,
            "settings": self.settings.model_dump(),
            "evidence": {str(k): v for k, v in rows.to_dict(orient="index").items()},
        }


def _symmetric_auc(y: np.ndarray, score: np.ndarray) -> float:
    if np.unique(score).size < 2:
        return 0.5
    auc = float(roc_auc_score(y, score))
    return max(auc, 1.0 - auc)


def _levels(values: pd.Series) -> np.ndarray:
    """Integer level per row, missing as its own level (-1 -> last)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes)


def _oof_target_mean(codes: np.ndarray, y: np.ndarray, s: LeakageSettings) -> np.ndarray:
    """Out-of-fold smoothed target mean of each row's level."""
    rng = np.random.default_rng(s.random_state)
    fold = rng.integers(0, s.n_folds, len(y))
    n_levels = int(codes.max()) + 1
    pos_all = np.bincount(codes, weights=y, minlength=n_levels)
    cnt_all = np.bincount(codes, minlength=n_levels).astype(float)
    encoded = np.empty(len(y))
    for k in range(s.n_folds):
        held = fold == k
        pos = pos_all - np.bincount(codes[held], weights=y[held], minlength=n_levels)
        cnt = cnt_all - np.bincount(codes[held], minlength=n_levels)
        prior = y[~held].mean() if (~held).any() else y.mean()
        rate = (pos + s.smoothing * prior) / (cnt + s.smoothing)
        encoded[held] = rate[codes[held]]
    return encoded


def _proxy_share(codes: np.ndarray, y: np.ndarray, s: LeakageSettings) -> float:
    """Share of rows in levels whose smoothed odds are ``proxy_odds_ratio`` x off."""
    base = y.mean()
    if base in (0.0, 1.0):
        return 0.0
    pos = np.bincount(codes, weights=y)
    cnt = np.bincount(codes).astype(float)
    rate = (pos + s.smoothing * base) / (cnt + s.smoothing)
    ratio = (rate / (1 - rate)) / (base / (1 - base))
    extreme = (ratio >= s.proxy_odds_ratio) | (ratio <= 1 / s.proxy_odds_ratio)
    # with a low base rate most honest levels convert ~never: a level is a proxy only when
    # its rate also moves far from the base rate in absolute terms
    extreme &= np.abs(rate - base) >= s.proxy_min_abs_diff
    return float(cnt[extreme].sum() / len(y))


def _after_as_of(values: pd.Series, as_of: pd.Series | pd.Timestamp | None) -> float:
    if as_of is None or not pd.api.types.is_datetime64_any_dtype(values.dtype):
        return np.nan
    stamps = pd.to_datetime(values, utc=True)
    cut = pd.to_datetime(as_of, utc=True)
    if isinstance(cut, pd.Series):
        cut = cut.set_axis(values.index)
    return float((stamps > cut).mean())


def _column_evidence(
    values: pd.Series, y: np.ndarray, as_of: Any, s: LeakageSettings
) -> dict[str, Any]:
    present = values.notna().to_numpy()
    pos, neg = y == 1, y == 0
    ev: dict[str, Any] = {
        "presence_pos": float(present[pos].mean()),
        "presence_neg": float(present[neg].mean()),
        "after_as_of": _after_as_of(values, as_of),
    }
    categorical = not (
        pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)
        or pd.api.types.is_datetime64_any_dtype(values.dtype)
    )  # fmt: skip
    codes = _levels(values)
    if categorical:
        ev["auc"] = _symmetric_auc(y, _oof_target_mean(codes, y, s))
    else:
        numbers = values.astype("int64") if values.dtype.kind == "M" else values
        score = pd.to_numeric(numbers, errors="coerce").astype("float64").to_numpy()
        floor = np.nanmin(score) - 1 if present.any() else 0.0
        ev["auc"] = _symmetric_auc(y, np.where(np.isnan(score), floor, score))
    few_levels = categorical or codes.max() + 1 <= s.proxy_max_levels
    ev["proxy_share"] = _proxy_share(codes, y, s) if few_levels else np.nan
    return ev


def _reasons(ev: dict[str, Any], s: LeakageSettings) -> list[str]:
    out = []
    if ev["auc"] >= s.auc_threshold:
        out.append(f"single-feature AUC {ev['auc']:.3f} >= {s.auc_threshold}")
    lo, hi = sorted((ev["presence_pos"], ev["presence_neg"]))
    if hi >= s.presence_min and hi >= s.presence_ratio * lo:
        who = "positives" if ev["presence_pos"] > ev["presence_neg"] else "negatives"
        out.append(f"present mostly for {who} ({hi:.1%} vs {lo:.1%})")
    if ev["after_as_of"] > 0:
        out.append(f"{ev['after_as_of']:.1%} of timestamps after as_of")
    if ev["proxy_share"] >= s.proxy_min_share:
        out.append(
            f"{ev['proxy_share']:.1%} of rows in near-perfect proxy levels "
            f"(odds ratio >= {s.proxy_odds_ratio:g})"
        )
    return out


def check_leakage(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    as_of: pd.Series | pd.Timestamp | None = None,
    keep_suspects: bool = False,
    settings: LeakageSettings | None = None,
) -> LeakageReport:
    """Check every column of ``X`` for leakage of ``y``.

    Args:
        X: Candidate features (any dtypes); ``y`` the 0/1 label, row by row.
        as_of: The cut-off per row (aligned with ``X``) or one for all; enables the
            timestamp check.
        keep_suspects: Keep suspects in :meth:`LeakageReport.apply` (they stay named).

    Returns:
        The report; suspects are logged as warnings with their reasons.

    Raises:
        ValueError: ``y`` is not 0/1, has another length than ``X``, or one class only.
    """
    s = settings or LeakageSettings()
    labels = pd.to_numeric(pd.Series(y).astype("object"), errors="coerce").to_numpy(dtype=float)
    if len(labels) != len(X) or np.isnan(labels).any() or not np.isin(labels, (0, 1)).all():
        raise ValueError(f"check_leakage: y must be 0/1 with one value per row of X ({len(X)})")
    if np.unique(labels).size < 2:
        raise ValueError("check_leakage: y holds one class only; AUC is undefined")
    rows = {}
    for name in X.columns:
        ev = _column_evidence(X[name], labels, as_of, s)
        ev["reasons"] = "; ".join(_reasons(ev, s))
        rows[name] = ev
    evidence = pd.DataFrame.from_dict(rows, orient="index", columns=_EVIDENCE)
    suspects = [c for c in X.columns if rows[c]["reasons"]]
    for name in suspects:
        action = "kept on request" if keep_suspects else "excluded"
        logger.warning("leakage suspect %r (%s): %s", name, action, rows[name]["reasons"])
    excluded = [] if keep_suspects else suspects
    kept = [c for c in X.columns if c not in excluded]
    return LeakageReport(suspects, evidence, excluded, kept, keep_suspects, s)
