"""Optional MLflow logging of a ``fit-table`` run (only when a tracking URI is given)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.estimator import ConversionModel


def log_fit_table_run(
    tracking_uri: str,
    experiment_name: str,
    model: ConversionModel,
    metrics: Mapping[str, Any],
    paths: Mapping[str, Path],
) -> str:
    """Log metrics, the LightGBM settings, the output files and the model booster.

    Args:
        tracking_uri: MLflow tracking URI.
        experiment_name: Experiment to log to (created when absent).
        model: The fitted model (its booster is logged as text).
        metrics: metrics.json contents; the numeric top-level entries become metrics.
        paths: Output files, logged as artifacts (scores.csv holds ids and reasons, not
            raw rows).

    Returns:
        The run id.
    """
    import mlflow

    from models.tracking import artifact_location_for, ensure_experiment, use_tracking_uri

    use_tracking_uri(tracking_uri)
    experiment_id = ensure_experiment(
        experiment_name, tracking_uri, artifact_location_for(tracking_uri)
    )
    numeric = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and v == v}
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metrics(numeric)
        mlflow.log_params({f"lgb_{k}": v for k, v in model.lgb_params().items()})
        mlflow.log_dict(dict(metrics), "metrics.json")
        for path in paths.values():
            mlflow.log_artifact(str(path))
        mlflow.log_text(model.booster_.model_to_string(), "model/booster.txt")
        return str(run.info.run_id)
