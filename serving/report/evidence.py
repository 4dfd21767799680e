"""Per-rule evidence and suggested points: which behaviours really signal buying.

``rule_evidence`` is the "asset -> opportunity %" table: for every rule, the conversion rate
of the leads it matched against those it did not. ``suggest_points`` fits an L1-regularised
logistic regression on the rule indicators and scales its coefficients to the rulebook's
points range; the suggestion is judged on held-out folds, never on its own training rows,
and is never applied without the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold


def _hits_matrix(rule_hits: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    rules = [c for c in rule_hits.columns if c != "contact_id"]
    if not rules:
        raise ValueError("rule_hits: no rule columns (only contact_id)")
    return rules, rule_hits[rules].to_numpy(dtype=float)


def rule_evidence(rule_hits: pd.DataFrame, y: np.ndarray | pd.Series) -> pd.DataFrame:
    """How leads matched by each rule convert, compared with those it did not match.

    Args:
        rule_hits: One boolean column per rule (a ``contact_id`` column is ignored),
            row-aligned with the 0/1 labels ``y``.

    Returns:
        One row per rule, highest lift first (rules that matched nobody last):
        ``rule``, ``n_matched``, ``share_matched``, ``converted_matched``,
        ``rate_matched``, ``rate_not_matched``, ``lift`` (rate_matched / overall rate).
    """
    rules, hits = _hits_matrix(rule_hits)
    labels = np.asarray(y, dtype=float)
    if len(labels) != len(hits):
        raise ValueError(f"rule_hits has {len(hits)} rows but there are {len(labels)} labels")
    n = len(labels)
    matched = hits.sum(axis=0)
    converted = labels @ hits
    not_matched = n - matched
    base = labels.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_matched = np.where(matched > 0, converted / matched, np.nan)
        rate_not = np.where(not_matched > 0, (labels.sum() - converted) / not_matched, np.nan)
        lift = rate_matched / base if base > 0 else np.full(len(rules), np.nan)
    table = pd.DataFrame(
        {
            "rule": rules,
            "n_matched": matched.astype(int),
            "share_matched": matched / n,
            "converted_matched": converted.astype(int),
            "rate_matched": rate_matched,
            "rate_not_matched": rate_not,
            "lift": lift,
        }
    )
    return table.sort_values(
        "lift", ascending=False, na_position="last", kind="stable"
    ).reset_index(drop=True)


@dataclass(frozen=True)
class PointSuggestion:
    """Points fitted from the data next to the current ones.

    Attributes:
        table: One row per rule, largest suggestion first: ``rule``, ``n_matched``,
            ``current_points``, ``suggested_points``, ``change``, ``coefficient``.
        auc_current: Mean held-out-fold ROC AUC of the sum of current points.
        auc_suggested: Mean held-out-fold ROC AUC of points fitted on the other folds.
    """

    table: pd.DataFrame
    auc_current: float
    auc_suggested: float
    n_folds: int


def _fit_points(
    hits: np.ndarray, y: np.ndarray, points_range: tuple[float, float], c: float
) -> tuple[np.ndarray, np.ndarray]:
    """L1 logistic coefficients and their integer points, scaled into ``points_range``."""
    model = LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", max_iter=1000)
    coef = model.fit(hits, y).coef_[0]
    low, high = points_range
    # One factor for all rules keeps their ratios; the strongest rule gets the range's end.
    factor = 0.0
    if high > 0 and coef.max() > 0:
        factor = high / coef.max()
    elif low < 0 and coef.min() < 0:
        factor = low / coef.min()
    return coef, np.clip(np.round(coef * factor), low, high)


def suggest_points(
    rule_hits: pd.DataFrame,
    y: np.ndarray | pd.Series,
    current_points: Mapping[str, float],
    points_range: tuple[float, float],
    *,
    c: float,
    folds: int,
    seed: int,
) -> PointSuggestion:
    """Point values fitted from the data, and how well the rulebook would rank with them.

    Args:
        rule_hits: One boolean column per rule (``contact_id`` ignored), row-aligned with the
            0/1 labels ``y``.
        points_range: (min, max) points of the rulebook; suggestions are clipped to it.
        c: Inverse L1 strength (smaller gives fewer non-zero rules): the report's ``l1_c``.
        folds: Cross-validation folds (reduced when a class has fewer leads): ``cv_folds``.
        seed: Seed of the fold split: ``seed``.

    Returns:
        A :class:`PointSuggestion`; both AUCs use the point sums on the same held-out folds
        (the rules engine's decay and caps are not replayed here).

    Raises:
        ValueError: A rule without current points, or fewer than two leads in a class.
    """
    rules, hits = _hits_matrix(rule_hits)
    labels = np.asarray(y, dtype=int)
    missing = [r for r in rules if r not in current_points]
    if missing:
        raise ValueError(f"suggest_points: no current points for rule(s) {missing[:5]}")
    current = np.array([float(current_points[r]) for r in rules])
    n_splits = min(folds, int(np.bincount(labels, minlength=2).min()))
    if n_splits < 2:
        raise ValueError(
            "suggest_points: needs at least two converted and two unconverted leads to "
            "cross-validate; use a longer period"
        )
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    auc_now, auc_new = [], []
    for train, test in splitter.split(hits, labels):
        _, fold_points = _fit_points(hits[train], labels[train], points_range, c)
        auc_now.append(roc_auc_score(labels[test], hits[test] @ current))
        auc_new.append(roc_auc_score(labels[test], hits[test] @ fold_points))
    coef, points = _fit_points(hits, labels, points_range, c)
    table = pd.DataFrame(
        {
            "rule": rules,
            "n_matched": hits.sum(axis=0).astype(int),
            "current_points": current,
            "suggested_points": points,
            "change": points - current,
            "coefficient": coef,
        }
    ).sort_values(["suggested_points", "rule"], ascending=[False, True], kind="stable")
    return PointSuggestion(
        table=table.reset_index(drop=True),
        auc_current=float(np.mean(auc_now)),
        auc_suggested=float(np.mean(auc_new)),
        n_folds=n_splits,
    )
