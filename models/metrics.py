"""Evaluation metrics for conversion scores: pure functions of labels and scores.

Scores are either calibrated probabilities (the model) or any monotone score (the manual
rule points); ranking metrics apply to both, probability metrics (log loss, Brier, ECE)
only to probabilities. Deciles are by rank: decile 1 holds the highest-scored 10 % of rows.
Leads with the same score share their conversions: a rank-based count (the top decile's
positives, the conversions in the top k) gives each rank position its tie group's
conversion rate, the expected count over every order of the tied leads. Row order never
changes a figure, and a score that ties every lead (the empty rulebook's 0 points) has a
lift of exactly 1, as its ROC AUC of 0.5 says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from features.measures import ratio

HEADLINE = ("roc_auc", "pr_auc", "log_loss", "brier", "ece", "top_decile_lift")
"""The test-slice metrics a training summary shows (``leadscore train``'s table, fit-table's
metrics.json)."""


def reliability_bins(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Observed conversion rate against mean probability per equal-width bin of [0, 1].

    The one binning of calibration: :func:`ece`, the reliability plot and the report's
    calibration table read it. Bins are ``[k / n_bins, (k + 1) / n_bins)``; a probability
    of exactly 1 falls into the last bin.

    Returns:
        One row per non-empty bin: ``bin`` (1 = lowest), ``lower``, ``upper``, ``n``,
        ``mean_predicted``, ``observed_rate``.

    Raises:
        ValueError: No rows, or a probability outside [0, 1].
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(y) == 0:
        raise ValueError("calibration bins need at least one row")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("calibration bins need probabilities in [0, 1]; got a value outside")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    used = np.flatnonzero(count)
    return pd.DataFrame(
        {
            "bin": used + 1,
            "lower": used / n_bins,
            "upper": (used + 1) / n_bins,
            "n": count[used],
            "mean_predicted": np.bincount(bins, p, n_bins)[used] / count[used],
            "observed_rate": np.bincount(bins, y, n_bins)[used] / count[used],
        }
    )


def ece(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error over :func:`reliability_bins` (0: perfectly calibrated).

    ``sum_b n_b / N * |mean(y in b) - mean(p in b)|`` over the ``n_bins`` equal-width bins.
    """
    table = reliability_bins(y, p, n_bins)
    gap = (table["observed_rate"] - table["mean_predicted"]).abs()
    return float((table["n"] * gap).sum() / table["n"].sum())


def calibration_in_the_large(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The average probability against the observed conversion rate, and how surprising
    their gap is.

    When ``p`` is calibrated, the number of conversions is a sum of independent Bernoulli
    draws with mean ``sum(p)`` and variance ``sum(p * (1 - p))``, so
    ``z = (sum(y) - sum(p)) / sqrt(sum(p * (1 - p)))`` is about standard normal. A large
    ``|z|`` means the conversion rate itself moved (e.g. a quieter month than training's),
    which no ranking can show. The gap also bounds the ECE from below: by the triangle
    inequality ``ece >= |observed_rate - mean_predicted|`` on any binning.

    Returns:
        ``mean_predicted``, ``observed_rate`` and ``z`` (NaN when every ``p`` is 0 or 1).
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    variance = float((p * (1.0 - p)).sum())
    gap = float(y.sum() - p.sum())
    return {
        "mean_predicted": float(p.mean()),
        "observed_rate": float(y.mean()),
        "z": gap / math.sqrt(variance) if variance > 0 else math.nan,
    }


def tie_shared_labels(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores from highest to lowest, each rank position with its tie group's label mean.

    Returns:
        ``(sorted_score, expected_y)``: the scores in descending order and, at each
        position, the conversion rate of the rows sharing that score (the expected label
        of the row at that rank when tied rows come in random order).
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    _, group, size = np.unique(ranked, return_inverse=True, return_counts=True)
    positives = np.bincount(group, weights=y[order], minlength=len(size))
    return ranked, positives[group] / size[group]


def expected_hits_at_k(y: np.ndarray, score: np.ndarray, k: int) -> float:
    """Conversions among the ``k`` highest scores, ties shared (see the module docstring)."""
    _, expected = tie_shared_labels(y, score)
    return float(expected[:k].sum())


def decile_table(y: np.ndarray, score: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Conversion rate and lift per score decile (``n_bins`` rank bins).

    Rank position ``i`` of ``N`` falls in bin ``i * n_bins // N + 1``; a tie group that
    straddles two bins gives each position its group's rate (``positives`` may then be
    fractional).

    Returns:
        One row per bin (1 = top): ``n``, ``positives``, ``conversion_rate``, ``lift``
        (rate / overall rate), ``cumulative_recall``, ``min_score``, ``max_score``.
    """
    y = np.asarray(y, dtype=float)
    ranked, expected = tie_shared_labels(y, score)
    bins = np.arange(len(ranked)) * n_bins // len(ranked) + 1
    frame = pd.DataFrame({"decile": bins, "y": expected, "score": ranked})
    table = frame.groupby("decile").agg(
        n=("y", "size"),
        positives=("y", "sum"),
        min_score=("score", "min"),
        max_score=("score", "max"),
    )
    table["conversion_rate"] = table["positives"] / table["n"]
    table["lift"] = ratio(table["conversion_rate"], y.mean())
    table["cumulative_recall"] = ratio(table["positives"].cumsum(), y.sum())
    cols = ["n", "positives", "conversion_rate", "lift", "cumulative_recall"]
    return table[cols + ["min_score", "max_score"]].reset_index()


def precision_recall_at_k(y: np.ndarray, score: np.ndarray, k_frac: float) -> tuple[float, float]:
    """Precision and recall when sales works the top ``k_frac`` of rows by score.

    The top ``ceil(k_frac * N)`` rows are taken, ties shared (:func:`expected_hits_at_k`).

    Returns:
        (precision, recall); recall is NaN when there are no positives.
    """
    if not 0 < k_frac <= 1:
        raise ValueError(f"k_frac={k_frac} must be in (0, 1]")
    y = np.asarray(y, dtype=float)
    k = max(1, math.ceil(round(k_frac * len(y), 9)))  # 7 / 30 * 30 is 7 leads, not 8
    hits = expected_hits_at_k(y, score, k)
    return float(hits / k), float(ratio(hits, y.sum()))


def evaluate(
    y: np.ndarray, score: np.ndarray, *, is_probability: bool, k_frac: float
) -> dict[str, float]:
    """All headline metrics of one score on one slice.

    Args:
        is_probability: ``score`` holds probabilities: add log loss, Brier score and ECE.
        k_frac: The leads sales can work as a share of the rows, for precision/recall at
            k (the blend's :meth:`~serving.blend.BlendConfig.sales_share`).

    Returns:
        ``n``, ``base_rate``, ``roc_auc``, ``pr_auc``, ``top_decile_rate``,
        ``top_decile_lift``, ``precision_at_k``, ``recall_at_k`` and, for probabilities,
        ``log_loss``, ``brier``, ``ece``. AUCs are NaN when only one class is present.
    """
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    both = len(np.unique(y)) == 2
    deciles = decile_table(y, score)
    precision, recall = precision_recall_at_k(y, score, k_frac)
    out = {
        "n": float(len(y)),
        "base_rate": float(y.mean()),
        "roc_auc": float(roc_auc_score(y, score)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, score)) if both else float("nan"),
        "top_decile_rate": float(deciles["conversion_rate"].iloc[0]),
        "top_decile_lift": float(deciles["lift"].iloc[0]),
        "precision_at_k": precision,
        "recall_at_k": recall,
    }
    if is_probability:
        out["log_loss"] = float(log_loss(y, score, labels=[0, 1]))
        out["brier"] = float(brier_score_loss(y, score))
        out["ece"] = ece(y, score)
    return out


def segment_metrics(
    frame: pd.DataFrame,
    y: np.ndarray,
    score: np.ndarray,
    by: Sequence[str],
    *,
    is_probability: bool,
    k_frac: float,
) -> pd.DataFrame:
    """Metrics per level of each segment column (lead source, region, company size, ...).

    Args:
        frame: Segment columns, row-aligned with ``y`` and ``score``.
        by: Segment columns to report; each must be in ``frame``.

    Returns:
        Long table: ``segment``, ``level`` (missing shown as ``"(missing)"``) and the
        :func:`evaluate` metrics of the rows in that level.
    """
    missing = [c for c in by if c not in frame.columns]
    if missing:
        raise ValueError(f"segment columns {missing} are not in the segment frame")
    if len(frame) != len(y):
        raise ValueError(f"segment frame has {len(frame)} rows but there are {len(y)} labels")
    y = np.asarray(y, dtype=int)
    score = np.asarray(score, dtype=float)
    rows = []
    for col in by:
        levels = frame[col].astype(object).where(frame[col].notna(), "(missing)").to_numpy()
        for level in pd.unique(levels):
            mask = levels == level
            metrics = evaluate(y[mask], score[mask], is_probability=is_probability, k_frac=k_frac)
            rows.append({"segment": col, "level": str(level), **metrics})
    return pd.DataFrame(rows)
