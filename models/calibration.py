"""Probability calibration of LightGBM's margin: scikit-learn's Platt scaling or isotonic.

The booster is already trained when it is calibrated, so its margin (log-odds) is wrapped
in a fitted :class:`MarginClassifier`, frozen with :class:`~sklearn.frozen.FrozenEstimator`
and calibrated by :class:`~sklearn.calibration.CalibratedClassifierCV` (``sigmoid`` is
Platt scaling). :func:`fit_calibrator` chooses between the two methods by cross-fitted log
loss on the calibration slice, then fits the winner on the whole slice.
:func:`fit_recency_calibrator` adds recency weights chosen by forward validation
(``calibration_recency`` in the training config): see :func:`choose_recency`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
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
        """1 where the margin is positive (scikit-learn's parameter checks of
        ``cross_val_predict`` require a ``predict``; calibration reads the margin)."""
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
    sample_weight: np.ndarray | None = None,
) -> tuple[CalibratedClassifierCV, CalibrationMethod, dict[str, float]]:
    """Fit the calibrator, choosing the method by held-out log loss when ``method='auto'``.

    Args:
        margin: Raw margins of the calibration slice.
        y: 0/1 labels of the calibration slice.
        method: ``auto``, ``isotonic`` or ``platt``.
        seed: Seed of the cross-fitting split.
        sample_weight: Weights of the final fit (e.g. :func:`recency_weights`); the method
            is chosen with equal weights. None: equal weights.

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
    return _fit_weighted(chosen, margin, y, sample_weight), chosen, scores


# ---------------------------------------------------------------------------------------
# Recency: prior shift (campaigns, seasons, a sales team change) moves the conversion rate
# between the validation slice and the leads scored next; a calibrator fitted with equal
# weights reproduces the validation period's average. ``calibration_recency`` (training
# config) lets forward validation inside the calibration rows choose recency weights.

RECENCY_HALF_LIVES: tuple[int, ...] = (56, 28, 14)
"""Half-lives (days) that ``calibration_recency: auto`` tries against equal weights."""
FORWARD_SHARE = 1.0 / 3.0
"""The latest share of the calibration rows (by time) that scores each candidate; the
candidates are fitted on the earlier rows."""

CalibrationRecency = Literal["auto", "none"] | int
"""``auto`` (forward validation chooses), ``none`` (equal weights) or a half-life in days."""


def row_ages_days(time: pd.Series | np.ndarray | None) -> np.ndarray | None:
    """Days from each row's time to the latest row's time (0 for the newest rows).

    Args:
        time: The time of each row (its snapshot, or in ``first_touch`` its ``as_of``).

    Returns:
        The ages, or None when a time is missing or every row has the same time (a single
        snapshot, a flat export): recency cannot tell rows apart.
    """
    if time is None:
        return None
    stamps = pd.to_datetime(pd.Series(np.asarray(time)), utc=True)
    if len(stamps) == 0 or stamps.isna().any() or stamps.nunique() < 2:
        return None
    return ((stamps.max() - stamps).dt.total_seconds() / 86400.0).to_numpy(dtype=float)


def recency_weights(age_days: np.ndarray, half_life_days: float | None) -> np.ndarray:
    """``0.5 ** (age_days / half_life_days)``: a row ``half_life_days`` older counts half.

    Args:
        age_days: Age of each row in days (:func:`row_ages_days`).
        half_life_days: The half-life; None gives equal weights (1 for every row).
    """
    age = np.asarray(age_days, dtype=float)
    if half_life_days is None:
        return np.ones_like(age)
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be > 0, got {half_life_days}")
    return np.power(0.5, age / float(half_life_days))


def per_row_log_loss(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each row's log loss of probability ``p`` (clipped to ``[PROBA_EPS, 1 - PROBA_EPS]``)."""
    q = np.clip(np.asarray(p, dtype=float), PROBA_EPS, 1 - PROBA_EPS)
    return -np.where(np.asarray(y) == 1, np.log(q), np.log(1.0 - q))


def _fit_weighted(
    method: CalibrationMethod, margin: np.ndarray, y: np.ndarray, weight: np.ndarray | None
) -> CalibratedClassifierCV:
    """:func:`calibrator` fitted with sample weights (None: equal weights)."""
    fitting = calibrator(method)
    if weight is None:
        return fitting.fit(margin.reshape(-1, 1), y)
    with warnings.catch_warnings():
        # the frozen margin learns nothing: weights are meant for the calibration only,
        # which is what scikit-learn warns it does
        warnings.filterwarnings("ignore", message=".*FrozenEstimator does not appear to accept")
        return fitting.fit(margin.reshape(-1, 1), y, sample_weight=weight)


@dataclass(frozen=True)
class RecencyChoice:
    """What ``calibration_recency`` chose, and the forward validation that chose it.

    Attributes:
        setting: The setting: ``auto``, ``none`` or a half-life in days (as text).
        half_life_days: The half-life the calibration was fitted with; None: equal weights.
        forward_log_loss: ``auto``: log loss on the latest third of the calibration rows of
            each candidate fitted on the earlier rows (``none``, ``hl56``, ``hl28``, ...).
        gain_se: ``auto``: standard error of the paired per-row log-loss difference
            between ``none`` and each half-life candidate.
        reason: One sentence on how the choice was made.
    """

    setting: str
    half_life_days: int | None
    forward_log_loss: dict[str, float] = field(default_factory=dict)
    gain_se: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    @property
    def label(self) -> str:
        """``equal weights`` or ``half-life 28 days``."""
        if self.half_life_days is None:
            return "equal weights"
        return f"half-life {self.half_life_days} days"

    def text(self) -> str:
        """One line for the training summary, logs and the report."""
        return f"calibration recency ({self.setting}): {self.label}; {self.reason}"

    def metrics(self) -> dict[str, float]:
        """MLflow metrics: the forward log loss of each candidate and its standard error."""
        out = {f"calibration_recency_{k}_log_loss": v for k, v in self.forward_log_loss.items()}
        out |= {f"calibration_recency_{k}_se": v for k, v in self.gain_se.items()}
        return out

    def params(self) -> dict[str, str]:
        """MLflow parameters: the setting and the weighting chosen."""
        chosen = "none" if self.half_life_days is None else str(self.half_life_days)
        return {"calibration_recency": self.setting, "calibration_recency_chosen": chosen}


def _forward_cut(age: np.ndarray) -> np.ndarray:
    """Rows in the latest :data:`FORWARD_SHARE` by time (rows of one time stay together)."""
    order = np.sort(age)  # youngest first
    k = max(1, int(round(FORWARD_SHARE * age.size)))
    return age <= order[k - 1]


def choose_recency(
    margin: np.ndarray,
    y: np.ndarray,
    time: pd.Series | np.ndarray | None,
    method: CalibrationMethod,
    setting: CalibrationRecency,
) -> RecencyChoice:
    """The recency weighting of the calibration, chosen as ``setting`` says.

    ``auto``: each candidate (equal weights, and ``0.5 ** (age / h)`` for each ``h`` of
    :data:`RECENCY_HALF_LIVES`, ages counted from the end of the earlier rows) is fitted on
    the earlier two thirds of the rows by time and scored by log loss on the latest third.
    Equal weights stay unless a half-life beats them by more than one standard error of
    the paired per-row log-loss difference; of those that do, the lowest log loss wins.

    Args:
        margin: The calibrated score's input (the model's margin, the manual points).
        y: 0/1 labels of the same rows.
        time: Each row's time (None or all equal: equal weights).
        method: The calibration method the candidates are fitted with.
        setting: ``auto``, ``none`` or a half-life in days.

    Returns:
        The :class:`RecencyChoice`.
    """
    name = str(setting)
    if setting == "none":
        return RecencyChoice(name, None, reason="set to none")
    age = row_ages_days(time)
    if age is None:
        return RecencyChoice(name, None, reason="the rows have no distinct times")
    if not isinstance(setting, str):
        return RecencyChoice(name, int(setting), reason="set in the training config")
    margin = np.asarray(margin, dtype=float)
    y = np.asarray(y, dtype=int)
    late = _forward_cut(age)
    early = ~late
    if late.all() or np.bincount(y[early], minlength=2).min() < 2 * MIN_PER_CLASS:
        return RecencyChoice(
            name, None, reason="too few earlier rows of each class to validate forward"
        )
    early_age = age[early] - age[early].min()  # counted from the end of the earlier rows
    losses: dict[str, np.ndarray] = {}
    for half_life in (None, *RECENCY_HALF_LIVES):
        weight = None if half_life is None else recency_weights(early_age, half_life)
        fitted = _fit_weighted(method, margin[early], y[early], weight)
        key = "none" if half_life is None else f"hl{half_life}"
        losses[key] = per_row_log_loss(y[late], calibrated_probability(fitted, margin[late]))
    means = {k: float(v.mean()) for k, v in losses.items()}
    n = int(late.sum())
    se = {
        k: float(np.std(losses["none"] - v, ddof=1) / np.sqrt(n)) if n > 1 else np.inf
        for k, v in losses.items()
        if k != "none"
    }
    better = [k for k in se if means["none"] - means[k] > se[k]]
    if not better:
        return RecencyChoice(
            name, None, means, se, f"no half-life beat equal weights by more than 1 SE on the "
            f"latest {n:,} rows (log loss {means['none']:.4f})",
        )  # fmt: skip
    best = min(better, key=means.__getitem__)
    return RecencyChoice(
        name,
        int(best.removeprefix("hl")),
        means,
        se,
        f"forward log loss on the latest {n:,} rows {means[best]:.4f} against "
        f"{means['none']:.4f} with equal weights (1 SE {se[best]:.4f})",
    )


def fit_recency_calibrator(
    margin: np.ndarray,
    y: np.ndarray,
    method: Literal["auto", "isotonic", "platt"],
    seed: int,
    *,
    time: pd.Series | np.ndarray | None = None,
    recency: CalibrationRecency = "none",
) -> tuple[CalibratedClassifierCV, CalibrationMethod, dict[str, float], RecencyChoice]:
    """:func:`fit_calibrator`, then the recency weighting :func:`choose_recency` chooses.

    The method is chosen with equal weights (as :func:`fit_calibrator` does); the chosen
    method is then refitted on every row with the chosen recency weights (ages counted from
    the latest row).

    Returns:
        The fitted calibrator, the method, the method candidates' held-out log losses and
        the :class:`RecencyChoice`.
    """
    fitted, chosen, scores = fit_calibrator(margin, y, method, seed)
    choice = choose_recency(margin, y, time, chosen, recency)
    weight = recency_weights_of(time, choice)
    if weight is not None:
        margin, y = np.asarray(margin, dtype=float), np.asarray(y, dtype=int)
        fitted = _fit_weighted(chosen, margin, y, weight)
    return fitted, chosen, scores, choice


def recency_weights_of(
    time: pd.Series | np.ndarray | None, choice: RecencyChoice | None
) -> np.ndarray | None:
    """The weights ``choice`` fits with on rows of ``time`` (ages counted from the latest
    row), or None for equal weights (no choice, no half-life, or no distinct times)."""
    if choice is None or choice.half_life_days is None:
        return None
    age = row_ages_days(time)
    return None if age is None else recency_weights(age, choice.half_life_days)
