"""Evaluation of the model and the manual rule score on the untouched test slice.

Both scores are evaluated on exactly the same rows, so the comparison is fair; the rule
score is ranked (ROC/PR AUC, deciles, precision at capacity) but not treated as a
probability.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.metrics import decile_table, evaluate, segment_metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TestEvaluation:
    """Test-slice results.

    Attributes:
        metrics: Model metrics (see :func:`models.metrics.evaluate`).
        manual_metrics: Manual rule score metrics on the same rows, when given.
        deciles: Model decile table.
        manual_deciles: Manual score decile table, when given.
        segments: Per-segment metrics with a ``scorer`` column (``model``/``manual``).
    """

    metrics: dict[str, float]
    manual_metrics: dict[str, float] | None
    deciles: pd.DataFrame
    manual_deciles: pd.DataFrame | None
    segments: pd.DataFrame | None

    def flat_metrics(self) -> dict[str, float]:
        """``test_*`` and ``manual_*`` metrics plus ``auc_over_manual``, finite values only."""
        out = {f"test_{k}": v for k, v in self.metrics.items()}
        if self.manual_metrics is not None:
            out |= {f"manual_{k}": v for k, v in self.manual_metrics.items()}
            out["auc_over_manual"] = self.metrics["roc_auc"] - self.manual_metrics["roc_auc"]
        return {k: float(v) for k, v in out.items() if np.isfinite(v)}


def evaluate_test_slice(
    y: np.ndarray,
    p: np.ndarray,
    *,
    manual_score: np.ndarray | None = None,
    segments: pd.DataFrame | None = None,
    by: Sequence[str] = (),
    k_frac: float,
) -> TestEvaluation:
    """Evaluate the calibrated probabilities (and the manual score) on the test slice.

    Args:
        segments: Segment columns of the test rows, or None.
        by: Segment columns to report; ones absent from ``segments`` are skipped with a
            warning (not every source has company size).
        k_frac: The leads sales can work as a share of the leads (precision/recall at k).
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if manual_score is not None and len(manual_score) != len(y):
        raise ValueError(f"manual_score has {len(manual_score)} rows, the test slice {len(y)}")
    metrics = evaluate(y, p, is_probability=True, k_frac=k_frac)
    manual = None if manual_score is None else np.asarray(manual_score, dtype=float)
    manual_metrics = (
        None if manual is None else evaluate(y, manual, is_probability=False, k_frac=k_frac)
    )
    seg_table = None
    if segments is not None:
        present = [c for c in by if c in segments.columns]
        skipped = [c for c in by if c not in segments.columns]
        if skipped:
            log.warning("segment columns %s are not in the segment frame; skipped", skipped)
        if present:
            scored = [("model", p, True)] + ([] if manual is None else [("manual", manual, False)])
            seg_table = pd.concat(
                [
                    segment_metrics(
                        segments, y, s, present, is_probability=prob, k_frac=k_frac
                    ).assign(scorer=name)
                    for name, s, prob in scored
                ],
                ignore_index=True,
            )
    return TestEvaluation(
        metrics=metrics,
        manual_metrics=manual_metrics,
        deciles=decile_table(y, p),
        manual_deciles=None if manual is None else decile_table(y, manual),
        segments=seg_table,
    )
