"""Upper bounds of the ceiling study (:mod:`benchmarks.ceiling`): the in-sample AUC of a
slice's own cell rates, and the ECE floor of each calibrator the product can fit.

**The ECE floor.** For equal-width bins ``b`` holding ``n_b`` of the ``N`` rows,
``ECE = sum_b n_b / N * |mean_b(y) - mean_b(p)| >= |sum_b n_b / N * (mean_b(y) -
mean_b(p))| = |mean(y) - mean(p)|`` (triangle inequality; the weighted sums of the per-bin
means are the overall means). So a calibrator whose average probability on the test slice
misses its conversion rate by more than 0.02 cannot reach ECE 0.02, however it ranks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from benchmarks.ceiling_data import StudyData
from benchmarks.ceiling_grid import DATE_COLUMNS
from models.calibration import (
    RECENCY_HALF_LIVES,
    CalibrationRecency,
    calibrated_probability,
    fit_recency_calibrator,
)
from models.config import TrainConfig
from models.estimator import ConversionModel
from models.metrics import calibration_in_the_large, ece
from models.splits import stratified_halves

ECE_TARGET = 0.02
"""Issue #16's target final ECE."""
ORIGIN_COLUMNS = ("lead_source", "original_source")
"""Where a lead came from (Olist's ``origin``, mapped to both)."""


def saturated_auc(X: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """The in-sample AUC of each row's cell rate: the share of converted rows among the rows
    that share all of ``X``'s values (missing is a value of its own).

    No score that is a function of ``X``'s columns can rank these rows better, even one
    fitted on their labels: such a score is constant within a cell, and swapping two
    adjacent cells ``i, j`` in the ranking changes the AUC by ``(P_i N_j - P_j N_i) / (P N)``
    (``P_i``, ``N_i``: converted and other rows of cell ``i``), so ordering the cells by
    rate maximises it. A hard upper bound, and loose: a cell of one converted row is
    "predicted" perfectly.

    Returns:
        ``auc`` and ``cells`` (distinct value combinations).
    """
    text = X.astype("object").where(X.notna(), "<missing>").astype(str)
    cell = text.agg("\x1f".join, axis=1).to_numpy()
    rate = pd.Series(y, dtype=float).groupby(cell).transform("mean")
    return {"auc": float(roc_auc_score(y, rate)), "cells": int(pd.unique(cell).size)}


def saturated_bounds(data: StudyData) -> dict[str, dict[str, Any]]:
    """:func:`saturated_auc` of the test slice for the origin columns alone
    (:data:`ORIGIN_COLUMNS` present), the model's columns, with the contact's weekday, and
    with weekday and month."""
    X = data.X["test"]
    origin = [c for c in ORIGIN_COLUMNS if c in X.columns]
    sets = {
        "origin columns only": X[origin],
        "model columns": data.features("test"),
        "model columns + weekday": X.drop(columns=list(DATE_COLUMNS[1:])),
        "model columns + weekday + month": X,
    }
    return {name: saturated_auc(frame, data.y["test"]) for name, frame in sets.items()}


def floor_row(name: str, y: np.ndarray, p: np.ndarray, **extra: Any) -> dict[str, Any]:
    """A calibrator's test mean, the test rate, the ECE floor ``|difference|`` and its ECE."""
    big = calibration_in_the_large(y, p)
    return {
        "calibrator": name,
        **extra,
        "test_mean_predicted": big["mean_predicted"],
        "test_rate": big["observed_rate"],
        "ece_floor": abs(big["mean_predicted"] - big["observed_rate"]),
        "ece": ece(y, p),
    }


def ece_floors(model: ConversionModel, data: StudyData, config: TrainConfig) -> dict[str, Any]:
    """The ECE floor of every calibrator the product can fit on the validation slice.

    The shipped model's own probabilities; its margin recalibrated on the calibration half
    of the validation slice (:func:`models.splits.stratified_halves`, as ``fit`` halves it)
    by Platt and isotonic, each with equal weights, each half-life of
    :data:`models.calibration.RECENCY_HALF_LIVES` and ``auto``; and the final score (the
    blend fitted on the validation slice as ``train`` fits it).
    """
    from pipelines.flows.train import blend_settings
    from serving.blend import BlendConfig, fit_blend

    X_valid, X_test = data.features("valid"), data.features("test")
    y_valid, y_test = data.y["valid"], data.y["test"]
    _, cal = stratified_halves(y_valid, config.seed)
    margin_cal = model.predict_raw(X_valid)[cal]
    time_cal = np.asarray(data.time_valid)[cal]
    margin_test = model.predict_raw(X_test)
    rows = [
        floor_row(
            "shipped model",
            y_test,
            model.predict_conversion(X_test),
            method=model.calibration_method_,
            recency=model.calibration_recency_.label,
        )
    ]
    for method in ("platt", "isotonic"):
        settings: tuple[CalibrationRecency, ...] = ("none", *RECENCY_HALF_LIVES, "auto")
        for setting in settings:
            fitted, _, _, choice = fit_recency_calibrator(
                margin_cal, y_valid[cal], method, config.seed, time=time_cal, recency=setting
            )
            p = calibrated_probability(fitted, margin_test)
            rows.append(
                floor_row(f"{method}, recency {setting}", y_test, p, method=method,
                          recency=choice.label)
            )  # fmt: skip
    blend = fit_blend(
        model.predict_conversion(X_valid),
        data.manual["valid"],
        y_valid,
        blend_settings(BlendConfig(), data.empty_rulebook),
        time=data.time_valid,
        recency=model.calibration_recency_,
    )
    final = blend.probability(model.predict_conversion(X_test), data.manual["test"])
    rows.append(floor_row("final score (blend)", y_test, final, method="blend", recency="-"))
    rate = float(y_test.mean())
    return {
        "valid_rate": float(y_valid.mean()),
        "calibration_rows_rate": float(y_valid[cal].mean()),
        "test_rate": rate,
        "target": ECE_TARGET,
        "test_mean_needed": [max(0.0, rate - ECE_TARGET), rate + ECE_TARGET],
        "calibrators": rows,
        "lowest_floor": min(r["ece_floor"] for r in rows),
    }
