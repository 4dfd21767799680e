"""The declared grid of the ceiling study (:mod:`benchmarks.ceiling`): honest alternatives
to the shipped model, each a :data:`benchmarks.time_folds.Scorer`.

Every candidate is fitted on (training, early-stopping) rows and scores rows it has not
seen, so the same candidate runs on the test slice (train, valid, test), on the rolling
time folds of :mod:`benchmarks.time_folds` and inside cross-validation folds. The frames
carry the lead's columns after the leakage guard plus :data:`DATE_COLUMNS` (the contact's
weekday and month, :func:`with_contact_dates`); a candidate that does not use the dates
never sees them. The families:

* logistic regressions of the real-data table's baseline
  (:func:`benchmarks.real_data.baseline_probabilities`, fitted on training + stopping rows)
  over ``C`` x one-hot ``min_frequency`` (:data:`LR_C`, :data:`LR_MIN_FREQUENCY`), and
  the baseline with the contact's weekday, or weekday and month;
* the training config's LightGBM (:func:`benchmarks.time_folds.model_scorer`), as is, or
  with ``landing_page_id`` replaced by its target encoding (scikit-learn's
  ``TargetEncoder``, cross-fitted on the training rows only), with or without the weekday.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import TargetEncoder

from benchmarks.real_data import as_text, baseline_probabilities
from benchmarks.time_folds import Fold, Scorer, model_scorer
from models.config import TrainConfig

DATE_COLUMNS = ("contact_weekday", "contact_month")
"""The contact's weekday (0 = Monday) and month, as categories."""
LR_C = (0.03, 0.1, 0.3, 1.0, 3.0)
"""Inverse L2 strengths of the logistic-regression grid."""
LR_MIN_FREQUENCY = (1, 5, 10, 20)
"""One-hot ``min_frequency`` values of the logistic-regression grid."""
ENCODED = "landing_page_id"
"""The column the LightGBM candidates may replace by its target encoding."""
BASELINE = "LR C=1 min_frequency=5 (the real-data baseline)"
SHIPPED = "LightGBM, training defaults (the shipped model)"
CEILING_CANDIDATES = (BASELINE, "LR + weekday + month", SHIPPED, "LightGBM + target encoding")
"""The candidates whose no-drift ceilings the study measures (cross-validation)."""


def with_contact_dates(X: pd.DataFrame, contact_day: pd.Series) -> pd.DataFrame:
    """``X`` with :data:`DATE_COLUMNS` of each row's contact day (categories of fixed
    levels, so every slice one-hot encodes them alike)."""
    day = pd.to_datetime(pd.Series(np.asarray(contact_day)), utc=True)
    if len(day) != len(X) or day.isna().any():
        raise ValueError(f"contact days: {len(day)} values, some missing, for {len(X)} rows")
    out = X.reset_index(drop=True).copy()
    out[DATE_COLUMNS[0]] = pd.Categorical(day.dt.weekday, categories=range(7))
    out[DATE_COLUMNS[1]] = pd.Categorical(day.dt.month, categories=range(1, 13))
    return out


def _columns(X: pd.DataFrame, dates: tuple[str, ...]) -> pd.DataFrame:
    """``X`` without the date columns not in ``dates``."""
    return X.drop(columns=[c for c in DATE_COLUMNS if c not in dates and c in X.columns])


def lr_scorer(C: float, min_frequency: int, dates: tuple[str, ...] = ()) -> Scorer:
    """The real-data baseline with ``C`` and ``min_frequency``, fitted on the training and
    stopping rows, using the date columns ``dates``."""

    def score(X_all: pd.DataFrame, y_all: np.ndarray, fold: Fold) -> np.ndarray:
        X, y, X_stop, y_stop, X_eval = fold.rows(_columns(X_all, dates), y_all)
        fit = pd.concat([X, X_stop], ignore_index=True)
        return baseline_probabilities(
            fit, np.r_[y, y_stop], X_eval, C=C, min_frequency=min_frequency
        )

    return score


def target_encoded(
    X: pd.DataFrame, y: np.ndarray, *others: pd.DataFrame, seed: int
) -> list[pd.DataFrame]:
    """``X`` and ``others`` with :data:`ENCODED` replaced by its target encoding, learned on
    ``X`` only (cross-fitted there, so no training row sees its own label)."""
    encoder = TargetEncoder(target_type="binary", random_state=seed)
    fitted = encoder.fit_transform(as_text(X[[ENCODED]]), y)[:, 0]
    values = [fitted] + [encoder.transform(as_text(o[[ENCODED]]))[:, 0] for o in others]
    return [
        frame.reset_index(drop=True).assign(**{ENCODED: v.astype(float)})
        for frame, v in zip((X, *others), values, strict=True)
    ]


def lightgbm_scorer(
    config: TrainConfig, *, encode: bool = False, dates: tuple[str, ...] = ()
) -> Scorer:
    """The training config's LightGBM (:func:`benchmarks.time_folds.model_scorer`: early
    stopping and calibration on the stopping rows, raw margin), optionally on the target
    encoding of :data:`ENCODED` and the date columns ``dates``."""
    inner = model_scorer(config, {})

    def score(X_all: pd.DataFrame, y_all: np.ndarray, fold: Fold) -> np.ndarray:
        X, y, X_stop, y_stop, X_eval = fold.rows(_columns(X_all, dates), y_all)
        frames = [X, X_stop, X_eval]
        if encode:
            frames = target_encoded(X, y, X_stop, X_eval, seed=config.seed)
        ordered = pd.concat(frames, ignore_index=True)
        blocks = Fold.consecutive(len(X), len(X_stop), len(X_eval))
        return inner(ordered, np.r_[y, y_stop], blocks)  # y of the fit and stop rows only

    return score


def grid(config: TrainConfig) -> dict[str, Scorer]:
    """Every candidate of the study by name (the logistic-regression grid first)."""
    out: dict[str, Scorer] = {}
    for C in LR_C:
        for m in LR_MIN_FREQUENCY:
            name = BASELINE if (C, m) == (1.0, 5) else f"LR C={C:g} min_frequency={m}"
            out[name] = lr_scorer(C, m)
    out["LR + weekday"] = lr_scorer(1.0, 5, DATE_COLUMNS[:1])
    out["LR + weekday + month"] = lr_scorer(1.0, 5, DATE_COLUMNS)
    out[SHIPPED] = lightgbm_scorer(config)
    out["LightGBM + target encoding"] = lightgbm_scorer(config, encode=True)
    out["LightGBM + target encoding + weekday"] = lightgbm_scorer(
        config, encode=True, dates=DATE_COLUMNS[:1]
    )
    return out
