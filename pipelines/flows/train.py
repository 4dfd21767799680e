"""Flow: validate -> features -> leakage guard -> train -> calibrate -> evaluate -> register."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any, cast

import mlflow
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.ingest.report import summary_dict
from features.ingest.validation import ValidationReport
from features.safe_yaml import read_yaml
from features.spec import load_feature_spec
from models import RunContext, TrainResult, load_train_config
from models.config import load_yaml_settings
from pipelines.flows.common import validate_crm
from pipelines.training_data import (
    Slices,
    flat_slices,
    is_flat,
    snapshot_slices,
    train_on_slices,
)
from rules import Rulebook, load_rulebook
from serving.blend import BlendConfig
from serving.explain.global_views import shap_views
from serving.scorer_training import ScorerRegistration, build_and_register_scorer

DEFAULT_RULEBOOK = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"


@task(name="build-training-slices", cache_policy=NO_CACHE)
def build_slices(
    report: ValidationReport,
    spec_path: str | None,
    rulebook: Rulebook | None,
    horizon_days: int,
    train_snapshots: int,
    every_days: int,
    seed: int,
    keep_leaky: bool,
) -> Slices:
    """Snapshots (or a flat split), labels, leakage guard and the test slice's manual score."""
    if is_flat(report.tables):
        return flat_slices(report.tables, rulebook=rulebook, seed=seed, keep_leaky=keep_leaky)
    spec = load_feature_spec(Path(spec_path) if spec_path else None)
    return snapshot_slices(
        report.tables,
        spec,
        horizon_days=horizon_days,
        rulebook=rulebook,
        train_snapshots=train_snapshots,
        every_days=every_days,
        keep_leaky=keep_leaky,
    )


@task(name="train-evaluate-register", cache_policy=NO_CACHE)
def fit_and_register(
    slices: Slices,
    config_path: str | None,
    report: ValidationReport,
    spec_path: str | None,
    rulebook: Rulebook | None,
    workdir: str,
    tracking_uri: str | None,
) -> TrainResult:
    """Train and calibrate, evaluate on the test slice, log to MLflow, gate promotion."""
    config = load_train_config(Path(config_path) if config_path else None)
    spec_raw = read_yaml(spec_path) if spec_path and slices.kind != "flat" else None
    context = RunContext(
        feature_spec=spec_raw or {"kind": slices.kind, "default_spec": spec_path is None},
        rulebook=rulebook.model_dump(mode="json", by_alias=True) if rulebook else None,
        rulebook_version=rulebook.version if rulebook else None,
        validation_summary=summary_dict(report),
        leakage_report=slices.leakage.to_dict(),
        data_fingerprint=slices.fingerprint,
    )
    return train_on_slices(
        slices, config, context=context, tracking_uri=tracking_uri, workdir=Path(workdir)
    )


@task(name="log-shap-views", cache_policy=NO_CACHE)
def log_shap_views(result: TrainResult, slices: Slices) -> list[str]:
    """SHAP summary (beeswarm) and dependence plots of the test slice, logged to the run."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = shap_views(result.model, slices.X("test"), Path(tmp))
        mlflow.set_tracking_uri(result.tracking_uri)
        with mlflow.start_run(run_id=result.run_id):
            mlflow.log_artifacts(tmp, "shap")
    return sorted(p.name for p in paths.values())


@task(name="register-scorer", cache_policy=NO_CACHE)
def register_scorer(
    result: TrainResult,
    slices: Slices,
    report: ValidationReport,
    rulebook: Rulebook,
    spec_path: str | None,
    blend_path: str | None,
) -> ScorerRegistration:
    """Bundle spec + rulebook + calibrated model + blend into one pyfunc and register it."""
    blend = BlendConfig()
    if blend_path:
        blend = load_yaml_settings(Path(blend_path), BlendConfig, "blend config")
    spec = (
        None if slices.kind == "flat" else load_feature_spec(Path(spec_path) if spec_path else None)
    )
    return build_and_register_scorer(
        result, slices, report.tables, rulebook=rulebook, spec=spec, blend=blend
    )


@flow(name="train")
def train_flow(
    data: str,
    workdir: str = "work",
    mapping: str | None = None,
    config_path: str | None = None,
    spec_path: str | None = None,
    rulebook_path: str | None = str(DEFAULT_RULEBOOK),
    tracking_uri: str | None = None,
    horizon_days: int = 90,
    train_snapshots: int = 6,
    every_days: int = 30,
    seed: int = 0,
    keep_leaky: bool = False,
    blend_path: str | None = None,
) -> dict[str, Any]:
    """Retrain the conversion model: validate -> features -> train -> register/promote.

    Args:
        data: Folder, file or database URL of the CRM export.
        workdir: Working directory (the embedded MLflow store lives in WORKDIR/mlruns).
        mapping: Column-mapping YAML for non-canonical exports.
        config_path: Training config YAML (default: models/config_default.yaml).
        spec_path: Feature spec YAML (default: features/spec_default.yaml).
        rulebook_path: Manual rulebook to compare against on the test slice (None: skip).
        tracking_uri: MLflow tracking URI (default: the config's, else embedded SQLite).
        horizon_days: Label horizon H: converts within H days of a snapshot.
        train_snapshots: Number of monthly training snapshots.
        every_days: Days between training snapshots.
        seed: Split seed for flat exports.
        keep_leaky: Keep columns the leakage guard flags (they stay reported).
        blend_path: Blend config YAML (method weighted|stacked, weights, tiers); default
            weighted 0.7 on the model.

    Returns:
        Run id, model URI, test metrics, promotion decision and leakage suspects.
    """
    Path(workdir).mkdir(parents=True, exist_ok=True)
    report = validate_crm(data, mapping)
    rulebook = load_rulebook(rulebook_path) if rulebook_path else None
    slices = build_slices(
        report, spec_path, rulebook, horizon_days, train_snapshots, every_days, seed, keep_leaky
    )
    # a sync task returns its value; cast() tells mypy so (prefect types tasks as awaitable)
    result = cast(
        TrainResult,
        fit_and_register(slices, config_path, report, spec_path, rulebook, workdir, tracking_uri),
    )
    log_shap_views(result, slices)
    scorer = None
    if rulebook is not None:
        scorer = register_scorer(result, slices, report, rulebook, spec_path, blend_path)
    return {
        "scorer_uri": scorer.model_uri if scorer else None,
        "blend_metrics": scorer.metrics if scorer else {},
        "run_id": result.run_id,
        "model_uri": result.model_uri,
        "tracking_uri": result.tracking_uri,
        "kind": slices.kind,
        "rows": {p: len(getattr(slices, p).y) for p in ("train", "valid", "test")},
        "metrics": result.metrics,
        "leakage_suspects": list(slices.leakage.suspects),
        "decision": dataclasses.asdict(result.decision),
    }
