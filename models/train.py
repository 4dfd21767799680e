"""Library entry point of training: fit, evaluate, log to MLflow, register and gate.

The train flow builds the slices (:mod:`pipelines.training_data`: the plan's snapshots or
first touches, or a flat export's split), runs the leakage guard, then calls
:func:`train_and_register` with the feature matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from models.config import TrainConfig
from models.estimator import ConversionModel
from models.evaluation import evaluate_test_slice
from models.frames import check_target
from models.metrics import evaluate
from models.pyfunc import OUTPUT_COLUMN, serving_frame, to_serving_frame
from models.registry import PromotionDecision, register_and_promote
from models.search import random_search
from models.store import default_tracking_uri
from models.tracking import RunContext, frame_fingerprint, log_frame, log_training_run


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced (the full test-slice evaluation, its figures and any
    search trials are logged in the MLflow run, not returned).

    Attributes:
        run_id: The MLflow run.
        model_uri: The logged model.
        model: The fitted model.
        metrics: Test-slice metrics, flat (:meth:`models.evaluation.TestEvaluation.flat_metrics`).
        decision: The promotion decision.
        tracking_uri: The MLflow store the run is in.
    """

    run_id: str
    model_uri: str
    model: ConversionModel
    metrics: dict[str, float]
    decision: PromotionDecision
    tracking_uri: str


def model_from_config(
    config: TrainConfig, overrides: Mapping[str, Any] | None = None
) -> ConversionModel:
    """An unfitted :class:`ConversionModel` with every setting of ``config``: its LightGBM
    settings (``lightgbm.extra`` becomes ``extra_params``), calibration, seed and
    calibration recency.

    The one place that turns settings into an estimator: training, the random search, the
    benchmarks and ``fit-table`` all call it, so a new LightGBM setting is added to
    :class:`models.config.LightGBMParams` and to the estimator's ``__init__`` only.

    Args:
        overrides: Estimator parameters replacing the config's (e.g. searched values).
    """
    lightgbm = config.lightgbm
    model = ConversionModel(
        **lightgbm.model_dump(exclude={"extra"}),
        extra_params=dict(lightgbm.extra) or None,
        calibration=config.calibration,
        seed=config.seed,
        calibration_recency=config.calibration_recency,
    )
    return model.set_params(**overrides) if overrides else model


def champion_scorer(
    X_test: pd.DataFrame, y_test: np.ndarray, k_frac: float
) -> Callable[[str], dict[str, float]]:
    """A function scoring any registered model URI on this test slice (for the registry)."""

    def score(model_uri: str) -> dict[str, float]:
        loaded = mlflow.pyfunc.load_model(model_uri)
        inputs = loaded.metadata.get_input_schema().inputs
        text = {
            s.name
            for s in inputs
            if str(s.type) == "string" or getattr(s.type, "name", "") == "string"
        }
        frame = serving_frame(X_test, [s.name for s in inputs], text)
        p = loaded.predict(frame)[OUTPUT_COLUMN].to_numpy(dtype=float)
        return evaluate(y_test, p, is_probability=True, k_frac=k_frac)

    return score


def train_and_register(
    X_train: pd.DataFrame,
    y_train: Any,
    X_valid: pd.DataFrame,
    y_valid: Any,
    X_test: pd.DataFrame,
    y_test: Any,
    *,
    config: TrainConfig,
    k_frac: float,
    manual_score_test: Any = None,
    segments_test: pd.DataFrame | None = None,
    tracking_uri: str | None = None,
    context: RunContext | None = None,
    workdir: Path | None = None,
    time_valid: Any = None,
) -> TrainResult:
    """Train, evaluate on the untouched test slice, log everything and gate promotion.

    Args:
        X_train: Training features (oldest snapshots for time data).
        y_train: 0/1 labels: converted within ``config.horizon_days``.
        X_valid: Validation features (newer); early stopping and calibration.
        X_test: Test features (newest); used only for evaluation and champion comparison.
        config: Training config (its small-data LightGBM values apply when ``X_train`` has
            fewer rows than ``config.small_data.rows_below``: what is logged is what ran).
        k_frac: The leads sales can work as a share of the leads, for precision and recall
            at k and the champion comparison: the blend's
            :meth:`~serving.blend.BlendConfig.sales_share` (logged as ``capacity_k``).
        manual_score_test: The manual rulebook's score of the test rows, to compare against.
        segments_test: Segment columns (lead source, region, company size) of the test rows.
        tracking_uri: Overrides ``config.tracking_uri``; both None: the embedded SQLite
            store in ``workdir``.
        context: Feature spec, rulebook, validation summary, leakage report, fingerprint.
        workdir: Working directory of the embedded store; None: the current directory.
        time_valid: The time of each validation row (its snapshot, ``first_touch``
            ``as_of``, or a time-split flat export's creation time): the calibration's
            recency weighting (``config.calibration_recency``) reads it; None: equal
            weights.

    Returns:
        The run id, model URI, fitted model, test-slice metrics and promotion decision (the
        full evaluation and any search trials are in the MLflow run).
    """
    uri = tracking_uri or config.tracking_uri or default_tracking_uri(workdir or Path.cwd())
    config = config.for_training_rows(len(X_train))
    y_tr = check_target(y_train, len(X_train), "y_train")
    y_va = check_target(y_valid, len(X_valid), "y_valid")
    y_te = check_target(y_test, len(X_test), "y_test")
    search = None
    overrides: dict[str, Any] = {}
    if config.search_budget_seconds is not None:
        search = random_search(
            X_train,
            y_tr,
            X_valid,
            y_va,
            model=model_from_config(config),
            budget_seconds=config.search_budget_seconds,
            max_trials=config.search_max_trials,
        )
        overrides = search.best_params
    model = model_from_config(config, overrides).fit(
        X_train, y_tr, X_valid=X_valid, y_valid=y_va, time_valid=time_valid
    )
    p_test = model.predict_conversion(X_test)
    evaluation = evaluate_test_slice(
        y_te,
        p_test,
        manual_score=manual_score_test,
        segments=segments_test,
        by=config.segments,
        k_frac=k_frac,
    )
    fingerprint = {
        "train": frame_fingerprint(X_train, y_tr),
        "valid": frame_fingerprint(X_valid, y_va),
        "test": frame_fingerprint(X_test, y_te),
    }
    calib_scores = {f"calibration_{k}_log_loss": v for k, v in model.calibration_scores_.items()}
    recency = model.calibration_recency_
    run_id, info = log_training_run(
        model=model,
        config=config,
        evaluation=evaluation,
        y_test=y_te,
        p_test=p_test,
        input_example=to_serving_frame(X_test.head(5), model),
        fingerprint=fingerprint,
        tracking_uri=uri,
        manual_score_test=manual_score_test,
        context=context,
        extra_metrics=calib_scores | recency.metrics(),
        extra_params={"capacity_k": k_frac}
        | recency.params()
        | ({"search_trials": len(search.trials)} if search else {}),
    )
    if search is not None:
        with mlflow.start_run(run_id=run_id):
            log_frame(search.trials, "search/trials.csv")
    metrics = evaluation.flat_metrics()
    gate_metrics = {**evaluation.metrics}
    if "auc_over_manual" in metrics:
        gate_metrics["auc_over_manual"] = metrics["auc_over_manual"]
    decision = register_and_promote(
        run_id,
        config.model_name,
        gate_metrics,
        config.gates,
        test_slice_scorer=champion_scorer(X_test, y_te, k_frac),
        model_uri=info.model_uri,
        tracking_uri=uri,
    )
    return TrainResult(run_id, info.model_uri, model, metrics, decision, uri)
