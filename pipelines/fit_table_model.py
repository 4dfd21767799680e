"""The model steps of ``fit-table``: train and calibrate, explain exactly, score every row.

Thin functions over :mod:`models` and :mod:`serving.explain`, so the orchestration in
:mod:`pipelines.fit_table` reads as a list of steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.ingest import InputError
from models.estimator import MIN_VALID_PER_CLASS, ConversionModel, model_from_settings
from models.frames import align_features
from models.metrics import rank_deciles
from models.splits import Split
from pipelines.fit_table_settings import FitTableSettings

TIERS = np.array(["A", "A", "B", "B", "B", "C", "C", "C", "D", "D"])
"""Tier of each decile (1 = top): A the top 20 %, B the next 30 %, C 30 %, D the last 20 %."""


def fit_model(
    X: pd.DataFrame, y: np.ndarray, split: Split, settings: FitTableSettings, seed: int
) -> ConversionModel:
    """Train on ``split.train``; early-stop and calibrate on the two halves of ``split.valid``.

    Args:
        X: Model matrix of the usable rows.
        y: Their 0/1 labels.
        split: Row positions of train / valid / test.
        settings: LightGBM and calibration settings.
        seed: Seed of LightGBM and of the calibration halves.

    Returns:
        The fitted, calibrated model (the test rows are never seen).

    Raises:
        InputError: The validation slice has fewer than ``MIN_VALID_PER_CLASS`` rows of a
            class (early stopping and calibration each take half).
    """
    counts = np.bincount(y[split.valid], minlength=2)
    if counts.min() < MIN_VALID_PER_CLASS:
        raise InputError(
            f"the validation slice has {counts[1]} converted and {counts[0]} other rows; "
            f"early stopping and calibration need at least {MIN_VALID_PER_CLASS} of each: use "
            "a larger export (or, with --time, a period where both outcomes occur)"
        )
    model = model_from_settings(settings.lightgbm, calibration=settings.calibration, seed=seed)
    return model.fit(
        X.iloc[split.train], y[split.train], X_valid=X.iloc[split.valid], y_valid=y[split.valid]
    )


def exact_shap(model: ConversionModel, X: pd.DataFrame) -> np.ndarray:
    """Exact TreeSHAP values of the model's margin, ``(n, n_features + 1)`` (last: base).

    Uses :class:`serving.explain.FastTreeShap`; LightGBM's own ``pred_contrib`` (the same
    numbers, slower) when that package is unavailable.
    """
    aligned = align_features(X, model.feature_names_, model.categories_, "X")
    booster = model.booster_
    try:
        from serving.explain import FastTreeShap
    except ImportError:  # the fast explainer is optional; LightGBM's is exact too
        raw = booster.predict(aligned, pred_contrib=True, num_iteration=model.best_iteration_)
        return np.asarray(raw, dtype=float)
    # LightGBM stores names with spaces as underscores; FastTreeShap matches those names.
    renamed = aligned.set_axis(booster.feature_name(), axis=1)
    return FastTreeShap(booster, model.best_iteration_).shap_values(renamed)


def split_labels(n_rows: int, split: Split) -> np.ndarray:
    """``train`` / ``valid`` / ``test`` for every row position."""
    labels = np.full(n_rows, "", dtype=object)
    for name in ("train", "valid", "test"):
        labels[getattr(split, name)] = name
    return labels


def score_frame(ids: pd.Series, probability: np.ndarray, split: Split) -> pd.DataFrame:
    """One row per usable lead: id, calibrated probability, 0-100 score, decile, tier, split.

    Args:
        ids: Lead id (or row number) per row.
        probability: Calibrated P(convert) per row.
        split: The split, to say which slice each row was in.

    Returns:
        Columns ``id``, ``probability``, ``score`` (round(100 p)), ``decile`` (1 = the top
        10 % of all scored rows), ``tier`` (see :data:`TIERS`) and ``split``.
    """
    probability = np.asarray(probability, dtype=float)
    decile = rank_deciles(probability)
    return pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "probability": probability,
            "score": np.rint(100 * probability).astype(int),
            "decile": decile,
            "tier": TIERS[decile - 1],
            "split": split_labels(len(probability), split),
        }
    )
