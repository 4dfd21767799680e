"""Curves of several scores on the same rows: ROC and precision-recall, gains, reliability.

Every function takes the labels and a mapping ``method -> score`` on the same rows, so the
manual score, the model probability and the final blend are always judged side by side.
Training's evaluation plots and the comparison report draw these frames
(:mod:`models.plots`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from features.measures import ratio
from models.metrics import calibration_in_the_large, decile_table, ece, reliability_bins


def binary_labels(y: np.ndarray | pd.Series) -> np.ndarray:
    """``y`` as 0/1 integers.

    Raises:
        ValueError: ``y`` does not hold both classes (no curve or AUC is defined).
    """
    out = np.asarray(y, dtype=int)
    if len(np.unique(out)) != 2:
        raise ValueError("y: the held-out period needs both converted and unconverted leads")
    return out


def roc_pr_curves(
    y: np.ndarray | pd.Series, scores: Mapping[str, np.ndarray | pd.Series]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ROC and precision-recall curves with their areas.

    Returns:
        ``(summary, points)``: summary has ``method``, ``roc_auc``, ``pr_auc``; points has
        ``method``, ``curve`` (``roc``: x = false positive rate, y = true positive rate;
        ``pr``: x = recall, y = precision), ``x``, ``y``.
    """
    labels = binary_labels(y)
    summary, points = [], []
    for name, score in scores.items():
        roc_auc, pr_auc = roc_auc_score(labels, score), average_precision_score(labels, score)
        summary.append({"method": name, "roc_auc": float(roc_auc), "pr_auc": float(pr_auc)})
        fpr, tpr, _ = roc_curve(labels, score)
        precision, recall, _ = precision_recall_curve(labels, score)
        points.append(pd.DataFrame({"method": name, "curve": "roc", "x": fpr, "y": tpr}))
        points.append(pd.DataFrame({"method": name, "curve": "pr", "x": recall, "y": precision}))
    return pd.DataFrame(summary), pd.concat(points, ignore_index=True)


def gains_lift(
    y: np.ndarray | pd.Series,
    scores: Mapping[str, np.ndarray | pd.Series],
    n_bins: int = 10,
) -> pd.DataFrame:
    """Cumulative gains and lift by rank decile for each method.

    Returns:
        Long table: ``method`` plus the columns of :func:`models.metrics.decile_table` and
        ``cumulative_share`` (of leads worked), ``cumulative_lift`` (conversion rate of the
        top deciles so far over the base rate).
    """
    labels = np.asarray(y, dtype=int)
    base = labels.mean()
    tables = []
    for name, score in scores.items():
        table = decile_table(labels, np.asarray(score, dtype=float), n_bins)
        cum_n = table["n"].cumsum()
        table.insert(0, "method", name)
        table["cumulative_share"] = cum_n / len(labels)
        table["cumulative_lift"] = ratio(table["positives"].cumsum() / cum_n, base)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def calibration_table(
    y: np.ndarray | pd.Series,
    probabilities: Mapping[str, np.ndarray | pd.Series],
    n_bins: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability curve per method (:func:`models.metrics.reliability_bins`), Brier, ECE.

    Returns:
        ``(bins, summary)``: bins has ``method``, ``bin``, ``lower``, ``upper``, ``n``,
        ``mean_predicted``, ``observed_rate`` (empty bins left out); summary has
        ``method``, ``brier``, ``ece`` and :func:`models.metrics.calibration_in_the_large`'s
        ``mean_predicted``, ``observed_rate`` and ``z``.
    """
    labels = np.asarray(y, dtype=float)
    rows, summary = [], []
    for name, prob in probabilities.items():
        p = np.asarray(prob, dtype=float)
        if ((p < 0) | (p > 1)).any():
            raise ValueError(f"calibration: '{name}' has values outside [0, 1]")
        table = reliability_bins(labels, p, n_bins)
        table.insert(0, "method", name)
        rows.append(table)
        summary.append(
            {"method": name, "brier": float(brier_score_loss(labels, p)), "ece": ece(labels, p)}
            | calibration_in_the_large(labels, p)
        )
    return pd.concat(rows, ignore_index=True), pd.DataFrame(summary)
