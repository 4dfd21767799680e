"""Flow: validate -> features -> leakage guard -> train -> calibrate -> evaluate -> register.

The entry point's :class:`pipelines.flow_requests.TrainRequest` (data, settings files and
objects, overrides) is resolved once into a :class:`serving.run_config.RunConfig` (training
config with the request's overrides, slices, resolved feature spec, rulebook, blend,
tracking URI, names), logged whole with the run and stored in the scorer, which is
always registered: without a rulebook that fits the data the empty one is used.
"""

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
from features.plan import TrainingPlan, make_plan
from features.spec import FeatureSpec
from models import RunContext, TrainResult
from models.config import TrainConfig
from models.store import default_tracking_uri
from pipelines.console import console
from pipelines.flow_requests import TrainRequest
from pipelines.flows.common import feature_spec, step, validate_crm
from pipelines.plan_slices import plan_request, plan_slices
from pipelines.training_data import (
    Slices,
    flat_plan_text,
    flat_slices,
    is_flat,
    slice_summaries,
    train_on_slices,
    training_ids_of,
)
from rules import Rulebook, load_rulebook
from serving.blend import BlendConfig
from serving.explain.global_views import shap_views
from serving.run_config import (
    RunConfig,
    choose_rulebook,
    resolve_train_config,
    rulebook_ref,
)
from serving.scorer_training import (
    ScorerRegistration,
    build_and_register_scorer,
    sales_share_of,
)

__all__ = ["train_flow"]


@task(name="plan-training", cache_policy=NO_CACHE)
def plan_training(
    report: ValidationReport, config: TrainConfig, notes: list[str], show: bool
) -> TrainingPlan:
    """Measure the data and choose framing, horizon and slices (fails at once if none fits)."""
    plan = make_plan(report.tables, plan_request(config)).with_notes(notes)
    if show:
        console.print(plan.describe(), highlight=False)
    return plan


@task(name="build-training-slices", cache_policy=NO_CACHE)
def build_slices(
    report: ValidationReport,
    spec: FeatureSpec | None,
    rulebook: Rulebook,
    plan: TrainingPlan | None,
    config: TrainConfig,
    request: TrainRequest,
) -> Slices:
    """The plan's slices (or a flat split with ``config.seed``, column types inferred with
    ``request.infer``): labels, leakage guard (``request.leakage``, ``keep_leaky``),
    manual scores."""
    keep, leakage = request.keep_leaky, request.leakage
    if spec is None or plan is None:
        return flat_slices(
            report.tables, rulebook=rulebook, config=config, keep_leaky=keep,
            infer=request.infer, leakage=leakage,
        )  # fmt: skip
    return plan_slices(
        report.tables, spec, plan, rulebook=rulebook, keep_leaky=keep, leakage=leakage
    )


@task(name="train-evaluate-register", cache_policy=NO_CACHE)
def fit_and_register(
    slices: Slices,
    run_config: RunConfig,
    report: ValidationReport,
    rulebook: Rulebook,
    workdir: Path,
    plan: TrainingPlan | None,
) -> TrainResult:
    """Train and calibrate, evaluate on the test slice (precision and recall at the leads
    sales can work: the blend's tiers), log to MLflow, gate promotion."""
    context = RunContext(
        feature_spec=run_config.feature_spec or {"kind": slices.kind},
        rulebook=rulebook.model_dump(mode="json", by_alias=True),
        rulebook_version=rulebook.version,
        validation_summary=summary_dict(report),
        leakage_report=slices.leakage.to_dict(),
        data_fingerprint=slices.fingerprint,
        run_config=run_config.model_dump(mode="json"),
        params=run_config.params(),
        plan=None if plan is None else plan.to_dict(),
    )
    return train_on_slices(
        slices,
        run_config.train,
        k_frac=sales_share_of(slices, run_config.blend, report.tables),
        context=context,
        tracking_uri=run_config.tracking_uri,
        workdir=workdir,
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
    spec: FeatureSpec | None,
    run_config: RunConfig,
) -> ScorerRegistration:
    """Bundle spec + rulebook + calibrated model + blend into one pyfunc and register it."""
    return build_and_register_scorer(
        result, slices, report.tables, rulebook=rulebook, spec=spec, run_config=run_config,
        training_ids=training_ids_of(slices),
    )  # fmt: skip


def blend_settings(blend: BlendConfig, empty_rulebook: bool) -> BlendConfig:
    """The blend of the run: the request's; with the empty rulebook the manual score is 0
    for everyone, so the model gets all the weight (manual weight 0)."""
    if not empty_rulebook:
        return blend
    bounds = (0.0, blend.weight_bounds[1])
    return BlendConfig.model_validate(
        {**blend.model_dump(), "manual_weight": 0.0, "weight_bounds": bounds}
    )


@flow(name="train")
def train_flow(request: TrainRequest, show_plan: bool = False) -> dict[str, Any]:
    """Retrain the conversion model: validate -> features -> train -> register/promote.

    Args:
        request: The run's :class:`pipelines.flow_requests.TrainRequest`.
        show_plan: Print the training plan before training (the command line does).

    Returns:
        Run id, model and scorer URIs, test metrics, promotion decision, leakage suspects
        the run configuration and what the bot filter took out.
    """
    workdir = request.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    config = resolve_train_config(request.config, request.overrides)
    uri = request.tracking_uri or config.tracking_uri or default_tracking_uri(workdir)
    report = step(validate_crm)(request.data, request.mapping, request.bots, infer=request.infer)
    book_path = choose_rulebook(request.rulebook, request.mapping)
    rulebook = load_rulebook(book_path)
    book = rulebook_ref(rulebook, book_path)
    spec: FeatureSpec | None = None
    notes: list[str] = []
    if not is_flat(report.tables, config.framing):
        spec, notes = feature_spec(request.spec, report.tables.contacts, request.infer)
    plan = None if spec is None else step(plan_training)(report, config, notes, show_plan)
    slices = step(build_slices)(report, spec, rulebook, plan, config, request)
    if plan is None and show_plan:  # a flat run has no dated plan: its slices are the plan
        console.print(flat_plan_text(slices, config.framing), highlight=False)
    if plan is not None:  # what the plan chose is what runs
        config = config.model_copy(
            update={
                "framing": plan.framing,
                "horizon_days": plan.horizon_days,
                "every_days": plan.every_days,
                "first_touch_delay_days": plan.delay_days or config.first_touch_delay_days,
            }
        )
    config = config.for_training_rows(len(slices.train.y))  # small data: simpler trees
    run_config = RunConfig(
        framing="flat" if plan is None else plan.framing,
        train=config,
        slices=slice_summaries(slices),
        feature_spec=None if spec is None else spec.model_dump(mode="json"),
        rulebook=book,
        blend=blend_settings(request.blend, book.empty),
        scorer=request.scorer,
        report=request.report,
        leakage=request.leakage,
        infer=request.infer,
        tracking_uri=uri,
        active_share=None if plan is None else plan.profile.active_share,
    )
    # a sync task returns its value; cast() tells mypy so (prefect types tasks as awaitable)
    result = cast(
        TrainResult, step(fit_and_register)(slices, run_config, report, rulebook, workdir, plan)
    )
    step(log_shap_views)(result, slices)
    scorer = cast(
        ScorerRegistration,
        step(register_scorer)(result, slices, report, rulebook, spec, run_config),
    )
    return {
        "scorer_uri": scorer.model_uri,
        "blend_metrics": scorer.metrics,
        "run_id": result.run_id,
        "model_uri": result.model_uri,
        "tracking_uri": result.tracking_uri,
        "kind": slices.kind,
        "rows": {p: len(getattr(slices, p).y) for p in ("train", "valid", "test")},
        "metrics": result.metrics,
        "calibration_recency": result.model.calibration_recency_.text(),
        "leakage_suspects": list(slices.leakage.suspects),
        "leakage": slices.leakage.to_dict(),
        "test_contact_ids": slices.test.contact_id.astype("str").tolist(),
        "bots": report.bot_counts,
        "decision": dataclasses.asdict(result.decision),
        "run_config": run_config.model_dump(mode="json"),
        "plan": None if plan is None else plan.to_dict(),
    }
