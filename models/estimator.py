"""The conversion model: LightGBM on native categoricals, calibrated to P(convert within H days).

:class:`ConversionModel` follows scikit-learn's estimator contract. ``fit`` trains a
LightGBM booster with early stopping on a validation slice and then calibrates its margin
on a calibration slice. When no separate calibration slice is given, the validation slice
is split into two class-balanced halves (seeded): the first half drives early stopping,
the second is used for calibration, so the calibrator never sees rows that chose the
number of trees. With a time-ordered split, pass the newer rows as ``X_valid`` (or a
separate, newer ``X_calib``) and keep the newest rows as the untouched test slice; with
their times (``time_valid``), ``calibration_recency`` may weight the calibration towards
the latest rows (:func:`models.calibration.choose_recency`).
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from models.calibration import (
    MIN_PER_CLASS,
    CalibrationRecency,
    RecencyChoice,
    calibrated_probability,
    fit_recency_calibrator,
)
from models.config import LightGBMParams, packaged_default
from models.frames import align_features, check_target, learn_categories
from models.splits import stratified_halves

LGB_FIXED: dict[str, Any] = {
    "objective": "binary",
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}


def train_booster(
    params: dict[str, Any],
    X: pd.DataFrame,
    y: np.ndarray,
    X_stop: pd.DataFrame,
    y_stop: np.ndarray,
    *,
    n_estimators: int,
    early_stopping_rounds: int,
    pos_weight: float = 1.0,
) -> lgb.Booster:
    """Train a booster on ``X`` with early stopping on ``X_stop`` (binary log loss).

    Args:
        params: Full LightGBM parameters (:meth:`ConversionModel.lgb_params`).
        X: Training features, already aligned (category columns as pandas ``category``).
        y: 0/1 training labels.
        X_stop: Early-stopping features, aligned like ``X``.
        y_stop: 0/1 early-stopping labels.
        n_estimators: Maximum number of boosting rounds.
        early_stopping_rounds: Stop when the stopping loss has not improved for this many.
        pos_weight: Weight of positive rows in both sets, so that early stopping watches
            the same (weighted) loss that training minimises.

    Returns:
        The trained booster; ``best_iteration`` is set.
    """
    weights = None if pos_weight == 1.0 else np.where(y == 1, pos_weight, 1.0)
    stop_weights = None if pos_weight == 1.0 else np.where(y_stop == 1, pos_weight, 1.0)
    train_set = lgb.Dataset(
        X, label=y, weight=weights, categorical_feature="auto", free_raw_data=False
    )
    stop_set = lgb.Dataset(X_stop, label=y_stop, weight=stop_weights, reference=train_set)
    return lgb.train(
        {**params, "metric": "binary_logloss"},
        train_set,
        num_boost_round=n_estimators,
        valid_sets=[stop_set],
        callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
    )


def refit_booster(
    params: dict[str, Any], X: pd.DataFrame, y: np.ndarray, rounds: int, pos_weight: float = 1.0
) -> lgb.Booster:
    """Train a booster for exactly ``rounds`` rounds on ``X`` (no early stopping)."""
    weights = None if pos_weight == 1.0 else np.where(y == 1, pos_weight, 1.0)
    train_set = lgb.Dataset(X, label=y, weight=weights, categorical_feature="auto")
    return lgb.train({**params, "metric": "binary_logloss"}, train_set, num_boost_round=rounds)


MIN_CALIB_PER_CLASS = 2 * MIN_PER_CLASS
"""Rows of each class in the calibration slice: ``auto`` fits a calibrator on each half."""
MIN_VALID_PER_CLASS = 2 * MIN_CALIB_PER_CLASS
"""Rows of each class in a validation slice that is halved into early stopping and calibration."""


def _check_class_counts(y: np.ndarray, minimum: int, name: str) -> None:
    """Calibration (cross-fitted on halves) needs a few rows of each class."""
    counts = np.bincount(y, minlength=2)
    if counts.min() < minimum:
        raise ValueError(
            f"{name} has {counts[1]} converted and {counts[0]} other rows; early stopping "
            f"and calibration need at least {minimum} of each: use a larger slice"
        )


# LightGBM settings whose None means "the packaged default" (models/config_default.yaml,
# read when fitting, so direct users get what training uses and nothing runs at import):
# every field of LightGBMParams but class_weight (None: no weighting) and extra
_FROM_CONFIG = tuple(f for f in LightGBMParams.model_fields if f not in ("class_weight", "extra"))
# estimator parameters that steer fitting rather than being passed to LightGBM as they are
_NOT_BOOSTER_PARAMS = frozenset(
    ("n_estimators", "early_stopping_rounds", "class_weight", "calibration", "seed", "num_threads")
    + ("extra_params", "refit_on_stopping_rows", "calibration_recency")
)


FITTED_BEFORE_RECENCY = RecencyChoice(
    "none", None, reason="calibrated before calibration recency existed: equal weights"
)
"""The ``calibration_recency_`` of a model pickled before the attribute existed: its
calibration weighted every row equally."""


class ConversionModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM classifier for P(convert within the horizon).

    Every LightGBM setting left at None takes its value from ``models/config_default.yaml``
    (:class:`models.config.LightGBMParams`) when the model is fitted.

    Args:
        learning_rate: Boosting learning rate.
        num_leaves: Maximum leaves per tree.
        min_child_samples: Minimum rows per leaf.
        feature_fraction: Fraction of features sampled per tree.
        bagging_fraction: Fraction of rows sampled per bagging round.
        bagging_freq: Bagging every this many rounds (0: off).
        lambda_l2: L2 regularisation.
        n_estimators: Maximum boosting rounds (early stopping picks the number).
        early_stopping_rounds: Patience of early stopping.
        class_weight: ``"balanced"`` up-weights positives by neg/pos; None: no weighting.
        calibration: ``"auto"`` (isotonic or Platt by held-out log loss), ``"isotonic"``
            or ``"platt"``; None: the packaged ``calibration``.
        seed: Seed of LightGBM and of the calibration split; None: the packaged ``seed``.
        num_threads: LightGBM threads.
        extra_params: Further LightGBM parameters, passed through.
        refit_on_stopping_rows: After early stopping chose the number of trees, train the
            booster again with that many trees on the training rows plus the rows that
            chose it (the early-stopping half of the validation slice: the newest rows of
            time data); the calibration rows stay unseen.
        calibration_recency: ``auto``, ``none`` or a half-life in days: recency weights of
            the calibration when ``fit`` is given the rows' times; None: the training
            config's default (:class:`models.config.TrainConfig`).
    """

    def __init__(
        self,
        learning_rate: float | None = None,
        num_leaves: int | None = None,
        min_child_samples: int | None = None,
        feature_fraction: float | None = None,
        bagging_fraction: float | None = None,
        bagging_freq: int | None = None,
        lambda_l2: float | None = None,
        n_estimators: int | None = None,
        early_stopping_rounds: int | None = None,
        class_weight: Literal["balanced"] | None = None,
        calibration: Literal["auto", "isotonic", "platt"] | None = None,
        seed: int | None = None,
        num_threads: int | None = None,
        extra_params: dict[str, Any] | None = None,
        refit_on_stopping_rows: bool | None = None,
        calibration_recency: CalibrationRecency | None = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.bagging_freq = bagging_freq
        self.lambda_l2 = lambda_l2
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.class_weight = class_weight
        self.calibration = calibration
        self.seed = seed
        self.num_threads = num_threads
        self.extra_params = extra_params
        self.refit_on_stopping_rows = refit_on_stopping_rows
        self.calibration_recency = calibration_recency

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, giving a parameter the object was pickled without (an older version's,
        e.g. before ``calibration_recency``) its default in :meth:`__init__`'s signature,
        the one place it is defined, so ``get_params``, ``repr`` and ``clone`` work; a
        fitted model calibrated before recency weights existed gets the
        ``calibration_recency_`` that says what its calibration did
        (:data:`FITTED_BEFORE_RECENCY`: equal weights), so every reader takes the attribute
        as it is."""
        signature = inspect.signature(type(self).__init__).parameters.values()
        defaults = {p.name: p.default for p in signature if p.name != "self"}
        learned = {}
        if "calibrator_" in state and "calibration_recency_" not in state:
            learned["calibration_recency_"] = FITTED_BEFORE_RECENCY
        filled = {k: v for k, v in defaults.items() if k not in state}
        super().__setstate__({**filled, **learned, **state})

    def settings(self) -> dict[str, Any]:
        """Every parameter, with the settings left at None filled from the config."""
        params = self.get_params()
        missing = [k for k in _FROM_CONFIG if params[k] is None]
        if missing:
            defaults = LightGBMParams()
            params.update({k: getattr(defaults, k) for k in missing})
        for name in ("calibration", "seed", "calibration_recency"):  # training config fields
            if params[name] is None:
                params[name] = packaged_default(name)
        return params

    def lgb_params(self) -> dict[str, Any]:
        """The LightGBM parameters this estimator trains with (before class weighting):
        its settings and ``extra_params``, then the fixed, reproducibility-relevant ones."""
        settings = self.settings()
        params = {k: v for k, v in settings.items() if k not in _NOT_BOOSTER_PARAMS}
        fixed = {**LGB_FIXED, "seed": settings["seed"], "num_threads": settings["num_threads"]}
        return {**params, **(self.extra_params or {}), **fixed}

    def fit(
        self,
        X: pd.DataFrame,
        y: Any,
        *,
        X_valid: pd.DataFrame,
        y_valid: Any,
        X_calib: pd.DataFrame | None = None,
        y_calib: Any = None,
        time_valid: Any = None,
    ) -> ConversionModel:
        """Train the booster with early stopping (then again on more rows when
        ``refit_on_stopping_rows``), then calibrate it.

        Args:
            X: Training features: numeric, boolean or pandas ``category`` columns.
            y: 0/1 labels of ``X``.
            X_valid: Validation features (same columns), newer than ``X`` for time data.
            y_valid: 0/1 labels of ``X_valid``.
            X_calib: Optional separate calibration slice; None splits ``X_valid`` in halves.
            y_calib: 0/1 labels of ``X_calib``.
            time_valid: The time of each ``X_valid`` row (snapshot, ``first_touch``
                ``as_of``, or a time-split flat export's creation time); the calibration's
                recency weights read it (when ``X_valid`` is halved). None: equal weights.

        Returns:
            self.

        Raises:
            ValueError: A column has an unusable dtype or name, columns differ between
                slices, or labels are not 0/1 (the message names the slice and column).
        """
        settings = self.settings()
        if settings["calibration"] not in ("auto", "isotonic", "platt"):
            raise ValueError(
                f"calibration={settings['calibration']!r}; use auto, isotonic or platt"
            )
        self.categories_ = learn_categories(X, "X")
        self.feature_names_ = [str(c) for c in X.columns]
        self.feature_names_in_ = np.asarray(self.feature_names_, dtype=object)
        self.n_features_in_ = len(self.feature_names_)
        self.classes_ = np.array([0, 1])
        X_fit = align_features(X, self.feature_names_, self.categories_, "X")
        y_fit = check_target(y, len(X_fit), "y")
        X_val = align_features(X_valid, self.feature_names_, self.categories_, "X_valid")
        y_val = check_target(y_valid, len(X_val), "y_valid")
        _check_class_counts(y_val, MIN_VALID_PER_CLASS if X_calib is None else 1, "y_valid")
        if X_calib is None:
            stop_idx, cal_idx = stratified_halves(y_val, settings["seed"])
            X_stop, y_stop = X_val.iloc[stop_idx], y_val[stop_idx]
            X_cal, y_cal = X_val.iloc[cal_idx], y_val[cal_idx]
            t_cal = None if time_valid is None else _row_times(time_valid, len(X_val))[cal_idx]
        else:
            X_stop, y_stop = X_val, y_val
            X_cal = align_features(X_calib, self.feature_names_, self.categories_, "X_calib")
            y_cal = check_target(y_calib, len(X_cal), "y_calib")
            _check_class_counts(y_cal, MIN_CALIB_PER_CLASS, "y_calib")
            t_cal = None  # a separate calibration slice is weighted equally
        pos_weight = 1.0
        if self.class_weight == "balanced":
            pos_weight = float((y_fit == 0).sum() / (y_fit == 1).sum())
        elif self.class_weight is not None:
            raise ValueError(f"class_weight={self.class_weight!r}; use 'balanced' or None")
        self.booster_ = self.early_stopped_booster(X_fit, y_fit, X_stop, y_stop, pos_weight)
        self.best_iteration_ = int(
            self.booster_.best_iteration or self.booster_.current_iteration()
        )
        if settings["refit_on_stopping_rows"]:
            both = pd.concat([X_fit, X_stop])
            y_both = np.r_[y_fit, y_stop]
            self.booster_ = refit_booster(
                self.lgb_params(), both, y_both, self.best_iteration_, pos_weight
            )
        margin = self._margin(X_cal)
        (
            self.calibrator_,
            self.calibration_method_,
            self.calibration_scores_,
            self.calibration_recency_,
        ) = fit_recency_calibrator(
            margin,
            y_cal,
            settings["calibration"],
            settings["seed"],
            time=t_cal,
            recency=settings["calibration_recency"],
        )
        return self

    def early_stopped_booster(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        X_stop: pd.DataFrame,
        y_stop: np.ndarray,
        pos_weight: float = 1.0,
    ) -> lgb.Booster:
        """:func:`train_booster` with this estimator's parameters, rounds and patience."""
        settings = self.settings()
        return train_booster(
            self.lgb_params(),
            X,
            y,
            X_stop,
            y_stop,
            n_estimators=settings["n_estimators"],
            early_stopping_rounds=settings["early_stopping_rounds"],
            pos_weight=pos_weight,
        )

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Uncalibrated LightGBM margin (log-odds) per row."""
        self._check_fitted()
        return self._margin(align_features(X, self.feature_names_, self.categories_, "X"))

    def predict_conversion(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated P(convert within the horizon) per row, as a 1-D array."""
        self._check_fitted()
        return self.probability_from_margin(self.predict_raw(X))

    def probability_from_margin(self, margin: np.ndarray) -> np.ndarray:
        """Calibrated P(convert) of raw margins (as :meth:`predict_raw` returns them)."""
        self._check_fitted()
        return calibrated_probability(self.calibrator_, margin)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated class probabilities, shape (n, 2): column 1 is P(convert)."""
        p = self.predict_conversion(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """0/1 prediction at probability 0.5 (scikit-learn contract; rank by probability)."""
        return (self.predict_conversion(X) >= 0.5).astype(int)

    def feature_importance(self) -> pd.DataFrame:
        """Gain and split importance per feature, sorted by gain (descending)."""
        self._check_fitted()
        frame = pd.DataFrame(
            {
                "feature": self.feature_names_,
                "gain": self.booster_.feature_importance("gain", self.best_iteration_),
                "split": self.booster_.feature_importance("split", self.best_iteration_),
            }
        )
        return frame.sort_values("gain", ascending=False, ignore_index=True)

    def _margin(self, X_aligned: pd.DataFrame) -> np.ndarray:
        raw = self.booster_.predict(X_aligned, raw_score=True, num_iteration=self.best_iteration_)
        return np.asarray(raw, dtype=float)

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError(
                "this ConversionModel is not fitted yet: call fit(X, y, X_valid=..., "
                "y_valid=...) before predicting"
            )


def _row_times(time: Any, rows: int) -> np.ndarray:
    """Row times as an array of ``rows`` values (positions match the slice's rows)."""
    values = np.asarray(time)
    if len(values) != rows:
        raise ValueError(f"time: {len(values)} values for {rows} rows; give one time per row")
    return values
