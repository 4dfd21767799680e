"""Probability calibration of LightGBM's margin: scikit-learn's Platt scaling or isotonic.

The booster is already trained when it is calibrated, so its margin (log-odds) is wrapped
in a fitted :class:`MarginClassifier`, frozen with :class:`~sklearn.frozen.FrozenEstimator`
and calibrated by :class:`~sklearn.calibration.CalibratedClassifierCV` (``sigmoid`` is
Platt scaling). :func:`fit_calibrator` chooses between the two methods by cross-fitted log
loss on the calibration slice, then fits the winner on the whole slice.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict

CalibrationMethod = Literal["isotonic", "platt"]

# A calibrated probability of exactly 0 or 1 is never justified by a finite sample and
# makes log loss infinite; calibrated probabilities are clipped to this margin.
PROBA_EPS = 1e-4

MIN_PER_CLASS = 2
"""Rows of each class every calibrator is fitted on, at the least (scikit-learn's check)."""

_SKLEARN_METHOD = {"platt": "sigmoid", "isotonic": "isotonic"}


class MarginClassifier(ClassifierMixin, BaseEstimator):
    """The fitted booster's margin as a classifier: its decision function is its one column.

    ``fit`` learns nothing; it only declares the classes, so that the already trained
    booster's margins can be calibrated by scikit-learn's calibrators.
    """

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> MarginClassifier:
        """Declare the classes 0 and 1; nothing is learned."""
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The margin: the single column of ``X``."""
        return np.asarray(X, dtype=float).reshape(len(X), -1)[:, 0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """1 where the margin is positive (scikit-learn's classifier contract)."""
        return (self.decision_function(X) > 0).astype(int)


def calibrator(method: CalibrationMethod) -> CalibratedClassifierCV:
    """An unfitted calibrator of a margin column (``fit(margin[:, None], y)``)."""
    if method not in _SKLEARN_METHOD:
        raise ValueError(f"unknown calibration method {method!r}; use 'isotonic' or 'platt'")
    frozen = FrozenEstimator(MarginClassifier().fit(np.zeros((1, 1))))
    # with a frozen estimator nothing is refitted per fold; cv only sets the class check
    return CalibratedClassifierCV(frozen, method=_SKLEARN_METHOD[method], cv=MIN_PER_CLASS)


def calibrated_probability(fitted: CalibratedClassifierCV, margin: np.ndarray) -> np.ndarray:
    """P(convert) of each margin, clipped to ``[PROBA_EPS, 1 - PROBA_EPS]``."""
    column = np.asarray(margin, dtype=float).reshape(-1, 1)
    return np.clip(fitted.predict_proba(column)[:, 1], PROBA_EPS, 1 - PROBA_EPS)


def cross_fitted_log_loss(
    method: CalibrationMethod, margin: np.ndarray, y: np.ndarray, seed: int
) -> float:
    """Log loss of ``method`` fitted on one stratified half of the slice, scored on the other.

    Args:
        method: Calibration method.
        margin: Raw margins of the calibration slice.
        y: 0/1 labels of the calibration slice.
        seed: Seed of the half split.

    Returns:
        The held-out log loss over the whole slice (each row predicted by the calibrator
        fitted on the other half).
    """
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    column = np.asarray(margin, dtype=float).reshape(-1, 1)
    p = cross_val_predict(calibrator(method), column, y, cv=folds, method="predict_proba")
    return float(log_loss(y, np.clip(p[:, 1], PROBA_EPS, 1 - PROBA_EPS), labels=[0, 1]))


def fit_calibrator(
    margin: np.ndarray,
    y: np.ndarray,
    method: Literal["auto", "isotonic", "platt"],
    seed: int,
) -> tuple[CalibratedClassifierCV, CalibrationMethod, dict[str, float]]:
    """Fit the calibrator, choosing the method by held-out log loss when ``method='auto'``.

    Args:
        margin: Raw margins of the calibration slice.
        y: 0/1 labels of the calibration slice.
        method: ``auto``, ``isotonic`` or ``platt``.
        seed: Seed of the cross-fitting split.

    Returns:
        The calibrator fitted on the whole slice (see :func:`calibrated_probability`), the
        method used, and the held-out log loss of each candidate (empty when the method was
        fixed).
    """
    margin = np.asarray(margin, dtype=float)
    y = np.asarray(y, dtype=int)
    scores: dict[str, float] = {}
    chosen: CalibrationMethod
    if method == "auto":
        for candidate in ("platt", "isotonic"):
            scores[candidate] = cross_fitted_log_loss(candidate, margin, y, seed)
        chosen = "isotonic" if scores["isotonic"] < scores["platt"] else "platt"
    else:
        chosen = method
    return calibrator(chosen).fit(margin.reshape(-1, 1), y), chosen, scores
