"""Paired comparisons of two scorers: DeLong's test on one test set, and tests over seeds.

:func:`delong_test` compares two ROC AUCs computed on the same rows (DeLong, DeLong &
Clarke-Pearson 1988, "Comparing the areas under two or more correlated receiver operating
characteristic curves"), with the O(n log n) midrank algorithm of Sun & Xu 2014 ("Fast
implementation of DeLong's algorithm", IEEE Signal Processing Letters 21(11)).
:func:`over_seeds` asks whether per-seed paired differences are reliably positive: a
one-sided sign test and a one-sided paired t-test (``scipy.stats``).
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np
from scipy import stats


def _structural_components(
    y: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUC per scorer and DeLong's structural components, by midranks (Sun & Xu 2014).

    Args:
        y: 0/1 labels, shape ``(n,)``.
        scores: One row per scorer, shape ``(k, n)``; higher means more likely positive.

    Returns:
        ``auc`` ``(k,)``; ``v10`` ``(k, m)``, for each positive the share of negatives it
        outranks (ties count one half); ``v01`` ``(k, n_neg)``, for each negative the
        share of positives that outrank it.
    """
    positive = y == 1
    m, n = int(positive.sum()), int((~positive).sum())
    pos, neg = scores[:, positive], scores[:, ~positive]
    tx = np.vstack([stats.rankdata(row) for row in pos])  # midranks among positives
    ty = np.vstack([stats.rankdata(row) for row in neg])  # midranks among negatives
    tz = np.vstack([stats.rankdata(row) for row in np.hstack([pos, neg])])
    auc = (tz[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:, :m] - tx) / n
    v01 = 1.0 - (tz[:, m:] - ty) / m
    return auc, v10, v01


def delong_covariance(y: Any, *scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """The AUCs of ``scores`` on labels ``y`` and DeLong's estimate of their covariance.

    Args:
        y: 0/1 labels; both classes must be present.
        *scores: One score array per scorer, each as long as ``y``.

    Returns:
        ``(auc, cov)``: the AUC per scorer, shape ``(k,)``, and their covariance matrix,
        shape ``(k, k)`` (``S10 / m + S01 / n``, sample covariances with ``m - 1`` and
        ``n - 1`` in the denominators, as DeLong et al. define them).

    Raises:
        ValueError: A class is missing, fewer than two rows in a class, or a score array
            has another length than ``y``.
    """
    labels = np.asarray(y).astype(int).ravel()
    rows = [np.asarray(s, dtype=float).ravel() for s in scores]
    if any(row.size != labels.size for row in rows):
        sizes = ", ".join(str(row.size) for row in rows)
        raise ValueError(f"score arrays have {sizes} rows, the labels {labels.size}")
    matrix = np.vstack(rows)
    m, n = int((labels == 1).sum()), int((labels == 0).sum())
    if min(m, n) < 2 or m + n != labels.size:
        raise ValueError(f"need 0/1 labels with two rows or more per class (got {m} and {n})")
    auc, v10, v01 = _structural_components(labels, matrix)
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return auc, cov


def auc_interval(y: Any, scores: Any) -> tuple[float, float, float]:
    """The AUC of ``scores`` and its 95 % interval from DeLong's variance.

    Normal approximation, clipped to [0, 1].

    Returns:
        ``(auc, low, high)``.
    """
    auc, cov = delong_covariance(y, scores)
    half = 1.959964 * float(np.sqrt(max(float(cov[0, 0]), 0.0)))
    return float(auc[0]), max(0.0, float(auc[0]) - half), min(1.0, float(auc[0]) + half)


def delong_test(y: Any, score_a: Any, score_b: Any) -> dict[str, float]:
    """DeLong's test of AUC(a) - AUC(b) on the same rows (two-sided).

    Returns:
        ``auc_a``, ``auc_b``, ``diff`` (a - b), ``se`` (its standard error), ``z`` and
        ``p_two_sided`` (normal approximation; 1.0 when the two scorers rank alike).
    """
    auc, cov = delong_covariance(y, score_a, score_b)
    diff = float(auc[0] - auc[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    if se == 0.0:
        z, p = 0.0, 1.0
    else:
        z = diff / se
        p = float(2 * stats.norm.sf(abs(z)))
    return {
        "auc_a": float(auc[0]),
        "auc_b": float(auc[1]),
        "diff": diff,
        "se": se,
        "z": float(z),
        "p_two_sided": p,
    }


def over_seeds(with_values: list[float], without_values: list[float]) -> dict[str, Any]:
    """Are the per-seed paired gains (with minus without, same CRM) reliably positive?

    Args:
        with_values: The metric per seed with the change (e.g. with bot filtering).
        without_values: The metric per seed without it, the seeds in the same order.

    Returns:
        ``seeds``; ``mean``, ``min`` and ``max`` of the gains; ``positive`` (seeds with a
        gain above 0); ``sign_test_p`` (one-sided exact binomial test of ``positive``
        among the non-zero gains against 1/2; 1.0 without any) and ``t_test_p``
        (one-sided paired t-test of mean gain > 0, ``scipy.stats.ttest_rel``; None for
        fewer than two seeds or gains without variance).
    """
    on = [float(v) for v in with_values]
    off = [float(v) for v in without_values]
    gains = [a - b for a, b in zip(on, off, strict=True)]
    nonzero = [g for g in gains if g != 0]
    positive = sum(g > 0 for g in gains)
    sign_p = (
        float(stats.binomtest(positive, len(nonzero), 0.5, alternative="greater").pvalue)
        if nonzero
        else 1.0
    )
    t_p = None
    if len(gains) >= 2 and statistics.pstdev(gains) > 0:
        t_p = float(stats.ttest_rel(on, off, alternative="greater").pvalue)
    return {
        "seeds": len(gains),
        "mean": statistics.fmean(gains) if gains else float("nan"),
        "min": min(gains) if gains else float("nan"),
        "max": max(gains) if gains else float("nan"),
        "positive": positive,
        "sign_test_p": sign_p,
        "t_test_p": t_p,
    }
