"""MLflow tracking: where runs go, and logging everything a training run must record.

By default runs go to an embedded store inside the working directory:
``sqlite:///<workdir>/mlruns/mlflow.db`` with artifacts under ``<workdir>/mlruns/artifacts``.
Any other tracking URI (e.g. ``http://mlflow:5000`` in front of PostgreSQL) works the same.
Nothing with personal data is logged: the input example is built from the feature matrix,
and :func:`check_no_pii` refuses frames holding e-mail addresses or phone numbers.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models.model import ModelInfo
from mlflow.tracking import MlflowClient
from mlflow.utils.git_utils import get_git_commit
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT

from features.json_text import json_text
from features.personal import personal_columns
from models.config import TrainConfig
from models.estimator import ConversionModel
from models.evaluation import TestEvaluation
from models.plots import write_plots
from models.pyfunc import log_conversion_model
from models.store import artifact_location_for as artifact_location_for
from models.store import use_tracking_uri as use_tracking_uri


@dataclass(frozen=True)
class RunContext:
    """What the pipeline knows about a run besides the model: logged with it.

    Attributes:
        feature_spec: The feature specification (as a mapping) the matrix was built with.
        rulebook: The manual rulebook (as a mapping) scoring the same rows.
        validation_summary: Great Expectations validation summary.
        data_fingerprint: Extra fingerprint fields (e.g. snapshot time ranges per slice);
            row counts and content hashes are computed by the training entry point.
        run_config: The whole run configuration, logged as ``run_config.json``.
        plan: The training plan (framing, horizon, slices, the measured data), ``plan.json``.
        params: Further parameters (e.g. the run configuration's headline values).
    """

    feature_spec: Mapping[str, Any] | None = None
    rulebook: Mapping[str, Any] | None = None
    rulebook_version: str | None = None
    validation_summary: Mapping[str, Any] | None = None
    leakage_report: Mapping[str, Any] | None = None
    data_fingerprint: Mapping[str, Any] = field(default_factory=dict)
    run_config: Mapping[str, Any] | None = None
    plan: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def ensure_experiment(name: str, tracking_uri: str, artifact_location: str | None = None) -> str:
    """Return the id of experiment ``name``, creating it with ``artifact_location`` if absent
    (None: the server decides)."""
    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(name, artifact_location=artifact_location))


def git_tags() -> dict[str, str]:
    """MLflow's own git tag (``mlflow.source.git.commit``) of the leadscore checkout.

    MLflow sets it only when the script it runs sits in a tracked folder; ``leadscore`` runs
    from ``.venv/bin`` (ignored by git), so the tag is resolved from this package's folder
    with MLflow's helper. Empty for an install outside a git checkout.
    """
    commit = get_git_commit(str(Path(__file__).resolve().parent))
    return {MLFLOW_GIT_COMMIT: commit} if commit else {}


def frame_fingerprint(X: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """Row count, positives and a SHA-256 of the content (values, column names, labels)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in X.columns]).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.asarray(y, dtype=np.int64).tobytes())
    return {"rows": len(X), "positives": int(np.sum(y)), "sha256": digest.hexdigest()}


def check_no_pii(frame: pd.DataFrame, what: str) -> None:
    """Refuse to log a frame holding e-mail addresses or phone numbers (by content, the
    rule of :func:`features.personal.personal_data_reason`, whatever the column's name).

    Raises:
        ValueError: Naming the column (never a value); drop it from the feature matrix.
    """
    for column, reason in personal_columns(frame).items():
        raise ValueError(f"{what}: column {column!r} holds {reason}; drop it")


def log_json(obj: Any, artifact_file: str) -> None:
    """Log ``obj`` as pretty JSON (:func:`features.json_text.json_text`)."""
    mlflow.log_text(json_text(obj), artifact_file)


def log_frame(frame: pd.DataFrame, artifact_file: str) -> None:
    """Log a DataFrame as CSV."""
    mlflow.log_text(frame.to_csv(index=False), artifact_file)


def log_context(context: RunContext) -> None:
    """Log the run context's artifacts and tags in the active run."""
    if context.rulebook_version is not None:
        mlflow.set_tag("leadscore.rulebook_version", context.rulebook_version)
    if context.params:
        mlflow.log_params(dict(context.params))
    named = {
        "run_config.json": context.run_config,
        "plan.json": context.plan,
        "spec/feature_spec.json": context.feature_spec,
        "spec/rulebook.json": context.rulebook,
        "data/validation_summary.json": context.validation_summary,
        "data/leakage_report.json": context.leakage_report,
    }
    for path, obj in named.items():
        if obj is not None:
            log_json(obj, path)


def log_training_run(
    *,
    model: ConversionModel,
    config: TrainConfig,
    evaluation: TestEvaluation,
    y_test: np.ndarray,
    p_test: np.ndarray,
    input_example: pd.DataFrame,
    fingerprint: Mapping[str, Any],
    tracking_uri: str,
    manual_score_test: np.ndarray | None = None,
    context: RunContext | None = None,
    extra_metrics: Mapping[str, float] | None = None,
    extra_params: Mapping[str, Any] | None = None,
) -> tuple[str, ModelInfo]:
    """Log one training run: params, context, fingerprint, metrics, tables, plots, model.

    Args:
        config: The training config (logged as parameters and as ``config.json``).
        y_test: Test labels (for the plots, with ``p_test`` and ``manual_score_test``).
        input_example: A few feature rows in the serving schema; checked for PII.
        fingerprint: Data fingerprint (row counts, hashes, time ranges).
        extra_metrics: Further metrics (e.g. validation/calibration losses).
        extra_params: Further parameters (e.g. searched LightGBM values).

    Returns:
        The run id and the logged model's info.
    """
    check_no_pii(input_example, "model input example")
    context = context or RunContext()
    use_tracking_uri(tracking_uri)
    experiment_id = ensure_experiment(
        config.experiment_name, tracking_uri, artifact_location_for(tracking_uri)
    )
    with mlflow.start_run(experiment_id=experiment_id, tags=git_tags()) as run:
        mlflow.set_tags(
            {
                "leadscore.calibration_method": model.calibration_method_,
                "leadscore.horizon_days": str(config.horizon_days),
            }
        )
        params = {f"lgb_{k}": v for k, v in model.get_params().items() if k != "extra_params"}
        params |= {f"lgb_extra_{k}": v for k, v in (model.extra_params or {}).items()}
        params |= {
            "calibration_method": model.calibration_method_,
            "best_iteration": model.best_iteration_,
            "n_features": len(model.feature_names_),
            "horizon_days": config.horizon_days,
            "seed": config.seed,
            **(extra_params or {}),
        }
        mlflow.log_params(params)
        log_json(config.model_dump(mode="json"), "config.json")
        log_json({**fingerprint, **context.data_fingerprint}, "data/fingerprint.json")
        log_context(context)
        mlflow.log_metrics({**evaluation.flat_metrics(), **(extra_metrics or {})})
        log_frame(evaluation.deciles, "evaluation/deciles_model.csv")
        if evaluation.manual_deciles is not None:
            log_frame(evaluation.manual_deciles, "evaluation/deciles_manual.csv")
        if evaluation.segments is not None:
            log_frame(evaluation.segments, "evaluation/segments.csv")
        importance = model.feature_importance()
        log_frame(importance, "evaluation/feature_importance.csv")
        with tempfile.TemporaryDirectory() as tmp:
            write_plots(
                y_test, p_test, Path(tmp), manual_score=manual_score_test, importance=importance
            )
            mlflow.log_artifacts(tmp, "plots")
        info = log_conversion_model(model, input_example)
        return run.info.run_id, info
