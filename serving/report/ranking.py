"""Is one method's ranking really better: a paired bootstrap interval of the AUC difference.

The curves, gains and reliability of each method are :mod:`models.curves` (training's
plots draw them too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from models.curves import binary_labels

_BOOT_CELLS = 2_000_000  # resample x row cells ranked at once: bounds the bootstrap's memory


def _bootstrap_aucs(labels: np.ndarray, score: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """AUC of ``score`` on each resample (row of ``idx``), ties counted half.

    The rows are sorted by score once; each resample is a vector of draw counts, so the AUC
    is ``sum over score levels of positives * (negatives below + half the tied ones)``,
    computed for all resamples at once in O(resamples x rows).
    """
    n_boot, n = idx.shape
    flat = (idx + (np.arange(n_boot) * n)[:, None]).ravel()
    counts = np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(float)
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    positive = labels[order] == 1
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    drawn = counts[:, order]
    pos = np.add.reduceat(np.where(positive, drawn, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(positive, 0.0, drawn), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def auc_difference(
    y: np.ndarray | pd.Series,
    score_a: np.ndarray | pd.Series,
    score_b: np.ndarray | pd.Series,
    *,
    n_boot: int,
    seed: int,
) -> dict[str, float]:
    """ROC AUC of two scores and a bootstrap 95 % interval of their difference (a - b).

    Both scores are evaluated on the same resampled rows (paired bootstrap); resamples with
    a single class are skipped. ``n_boot`` resamples drawn with ``seed`` (the report's
    ``n_bootstrap`` and ``seed``).

    Returns:
        ``auc_a``, ``auc_b``, ``diff``, ``low``, ``high`` (2.5 / 97.5 percentiles) and
        ``n_boot`` (resamples used).
    """
    labels = binary_labels(y)
    a, b = np.asarray(score_a, dtype=float), np.asarray(score_b, dtype=float)
    n = len(labels)
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CELLS // n)
    diffs = []
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n))
        diffs.append(_bootstrap_aucs(labels, a, idx) - _bootstrap_aucs(labels, b, idx))
    diff = np.concatenate(diffs)
    diff = diff[np.isfinite(diff)]
    auc_a, auc_b = float(roc_auc_score(labels, a)), float(roc_auc_score(labels, b))
    low, high = np.percentile(diff, [2.5, 97.5]) if diff.size else (np.nan, np.nan)
    return {
        "auc_a": auc_a,
        "auc_b": auc_b,
        "diff": auc_a - auc_b,
        "low": float(low),
        "high": float(high),
        "n_boot": float(diff.size),
    }
