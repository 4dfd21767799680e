"""Probability calibration of a classifier margin: Platt scaling and isotonic regression.

Both calibrators map LightGBM's raw margin (log-odds) to a probability. :func:`fit_calibrator`
chooses between them by cross-fitted log loss on the calibration slice, then refits the
winner on the whole slice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

CalibrationMethod = Literal["isotonic", "platt"]

# A calibrated probability of exactly 0 or 1 is never justified by a finite sample and
# makes log loss infinite; isotonic steps are clipped to this margin.
PROBA_EPS = 1e-4


class Calibrator(Protocol):
    """Maps margins to probabilities."""

    def predict(self, margin: np.ndarray) -> np.ndarray: ...


@dataclass
class PlattCalibrator:
    """Logistic regression on the margin (Platt scaling), nearly unregularised."""

    model: LogisticRegression = field(default_factory=lambda: LogisticRegression(C=1e6))

    def fit(self, margin: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        self.model.fit(np.asarray(margin, dtype=float).reshape(-1, 1), y)
        return self

    def predict(self, margin: np.ndarray) -> np.ndarray:
        x = np.asarray(margin, dtype=float).reshape(-1, 1)
        return self.model.predict_proba(x)[:, 1]


@dataclass
class IsotonicCalibrator:
    """Monotone step function of the margin, clipped away from 0 and 1."""

    model: IsotonicRegression = field(
        default_factory=lambda: IsotonicRegression(
            y_min=PROBA_EPS, y_max=1 - PROBA_EPS, out_of_bounds="clip"
        )
    )

    def fit(self, margin: np.ndarray, y: np.ndarray) -> IsotonicCalibrator:
        self.model.fit(np.asarray(margin, dtype=float), y)
        return self

    def predict(self, margin: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(np.asarray(margin, dtype=float)), dtype=float)


def make_calibrator(method: CalibrationMethod) -> PlattCalibrator | IsotonicCalibrator:
    """A new, unfitted calibrator for ``method``."""
    if method == "platt":
        return PlattCalibrator()
    if method == "isotonic":
        return IsotonicCalibrator()
    raise ValueError(f"unknown calibration method {method!r}; use 'isotonic' or 'platt'")


def cross_fitted_log_loss(
    method: CalibrationMethod, margin: np.ndarray, y: np.ndarray, seed: int
) -> float:
    """Log loss of ``method`` fitted on one half of the slice and scored on the other, averaged.

    Args:
        method: Calibration method.
        margin: Raw margins of the calibration slice.
        y: 0/1 labels of the calibration slice.
        seed: Seed of the half split.

    Returns:
        Mean held-out log loss over the two folds.
    """
    halves = stratified_halves(y, seed)
    losses = []
    for fit_idx, eval_idx in (halves, halves[::-1]):
        cal = make_calibrator(method).fit(margin[fit_idx], y[fit_idx])
        losses.append(log_loss(y[eval_idx], cal.predict(margin[eval_idx]), labels=[0, 1]))
    return float(np.mean(losses))


def fit_calibrator(
    margin: np.ndarray,
    y: np.ndarray,
    method: Literal["auto", "isotonic", "platt"],
    seed: int,
) -> tuple[PlattCalibrator | IsotonicCalibrator, CalibrationMethod, dict[str, float]]:
    """Fit the calibrator, choosing the method by held-out log loss when ``method='auto'``.

    Args:
        margin: Raw margins of the calibration slice.
        y: 0/1 labels of the calibration slice.
        method: ``auto``, ``isotonic`` or ``platt``.
        seed: Seed of the cross-fitting split.

    Returns:
        The calibrator refitted on the whole slice, the method used, and the held-out log
        loss of each candidate (empty when the method was fixed).
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
    return make_calibrator(chosen).fit(margin, y), chosen, scores


def stratified_halves(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split positions into two halves with the same class balance (seeded)."""
    rng = np.random.default_rng(seed)
    first, second = [], []
    for label in (0, 1):
        pos = rng.permutation(np.flatnonzero(y == label))
        first.append(pos[: len(pos) // 2])
        second.append(pos[len(pos) // 2 :])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))
