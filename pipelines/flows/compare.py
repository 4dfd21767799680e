"""Flow: the predictive-vs-manual comparison report on the newest period with known outcomes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.bots import bot_share_text
from features.crm import CrmTables
from features.parse import utc_time
from features.training_set import data_end_of, snapshot_schedule
from models.tracking import artifact_location_for, ensure_experiment, existing_tracking_uri
from pipelines.flows.common import retry_transient, validate_crm
from rules import load_rulebook
from serving.batch_summary import validation_note
from serving.compare import comparison_inputs, first_touch_period
from serving.report import (
    ComparisonReport,
    build_report,
    json_path_beside,
    write_report,
    write_report_json,
)
from serving.scorer_model import LoadedScorer, load_scorer


@task(
    name="load-scorer",
    retries=2,
    retry_delay_seconds=5,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def load(model_uri: str | None, tracking_uri: str) -> LoadedScorer:
    """Load the registered scorer from MLflow (I/O: retried)."""
    return load_scorer(model_uri, tracking_uri)


@task(name="build-comparison", cache_policy=NO_CACHE)
def compare(
    tables: CrmTables,
    loaded: LoadedScorer,
    as_of: str | None,
    backtest_rulebooks: list[str],
    input_notes: tuple[str, ...] = (),
) -> tuple[ComparisonReport, pd.Timestamp]:
    """Score and label the held-out period, replay the backtests, build the report.

    The label horizon and the training period come from the scorer's run configuration.
    A ``first_touch`` scorer is compared on the contacts first touched in the period
    (default: the latest ``test_share`` of those whose label window is complete, as in
    training; ``as_of``: those from that day on), each scored and labelled at its own
    first touch; a snapshot scorer at ``as_of`` (default: the newest snapshot whose label
    window is complete).
    """
    if loaded.scorer.spec_ is None:
        raise ValueError(
            "compare replays a dated period of a CRM with history, but this scorer was trained "
            "on a flat export (no dates to hold a period out): leadscore train already "
            "compares the model with the rulebook on its test slice (the table it prints, "
            "and the MLflow run's metrics and plots)"
        )
    horizon_days = loaded.scorer.horizon_days()
    run = loaded.scorer.run_config_
    start = utc_time(as_of, "as_of") if as_of else None
    period = None
    if run is not None and run.framing == "first_touch":  # compared as it was trained
        period = first_touch_period(
            tables, horizon_days, run.train.first_touch_delay_days, run.train.test_share, start
        )
        when, reference = pd.Timestamp(period["as_of"].min()), None
    else:
        train_dates, _, test_date = snapshot_schedule(data_end_of(tables), horizon_days)
        when, reference = start or test_date, train_dates[-1]
        created = pd.to_datetime(tables.contacts["created_at"], utc=True)
        if not (created < when).any():
            raise ValueError(
                f"no contact was created before as_of {when:%Y-%m-%d} (contacts are created "
                f"from {created.min():%Y-%m-%d} to {created.max():%Y-%m-%d}); pass a later "
                "--as-of"
            )
    inputs = comparison_inputs(
        tables,
        loaded.scorer,
        when,
        horizon_days,
        reference_as_of=reference,
        backtest_rulebooks={Path(p).stem: load_rulebook(p) for p in backtest_rulebooks},
        model_version=f"{loaded.model_name} v{loaded.model_version}",
        first_touch=period,
    )
    notes = list(input_notes)
    if run is not None and run.rulebook.empty:
        notes.append(
            "No rulebook: the scorer was trained with the empty rulebook (no --rulebook fitted "
            "the data), so the manual score is 0 for every lead and the final score is the "
            "model's alone; the manual columns carry no information."
        )
    if notes:
        inputs = replace(inputs, input_notes=tuple(notes))
    return build_report(inputs), when


@task(name="write-and-log-report", cache_policy=NO_CACHE)
def publish(report: ComparisonReport, out: str, tracking_uri: str, as_of: pd.Timestamp) -> str:
    """Write the HTML file and report.json beside it; log both with the metrics to MLflow."""
    path = write_report(report, Path(out))
    summary = write_report_json(report, json_path_beside(path))
    experiment = ensure_experiment(
        "leadscore-compare", tracking_uri, artifact_location_for(tracking_uri)
    )
    with mlflow.start_run(experiment_id=experiment, run_name=f"compare {as_of:%Y-%m-%d}"):
        mlflow.log_metrics({k: float(v) for k, v in report.to_dict().items() if v == v})
        mlflow.log_artifact(str(path))
        mlflow.log_artifact(str(summary))
        return mlflow.active_run().info.run_id  # type: ignore[union-attr]


@flow(name="compare")
def compare_flow(
    data: str,
    model_uri: str | None,
    out: str = "work/report.html",
    workdir: str = "work",
    mapping: str | None = None,
    tracking_uri: str | None = None,
    as_of: str | None = None,
    backtest_rulebooks: list[str] | None = None,
    bots_path: str | None = None,
) -> dict[str, Any]:
    """Compare the model, the rules and the blend: load -> score -> label -> report -> log.

    Args:
        data: Folder, file or database URL of the CRM export (with outcome history).
        model_uri: Registered scorer, e.g. ``models:/leadscore-conversion-scorer@champion``.
        out: Where to write the self-contained HTML report.
        workdir: Working directory of the embedded MLflow store.
        mapping: Column mapping for non-canonical exports.
        tracking_uri: MLflow tracking URI (default: the embedded store in ``workdir``).
        as_of: Start of the compared period (default: the newest with complete outcomes;
            for a ``first_touch`` scorer the latest test share of first touches).
        backtest_rulebooks: Other rulebook files to replay over the same period.
        bots_path: Bot filter settings YAML (default: features/bots/default.yaml).

    Returns:
        The report path, the MLflow run id and the headline metrics.
    """
    uri = tracking_uri or existing_tracking_uri(Path(workdir))
    validation = validate_crm(data, mapping, bots_path)
    loaded = load(model_uri, uri)
    report, when = compare(
        validation.tables,
        loaded,
        as_of,
        list(backtest_rulebooks or []),
        tuple(
            note
            for note in (validation_note(validation.counts), bot_share_text(validation.bot_counts))
            if note
        ),
    )
    run_id = publish(report, out, uri, when)
    return {"report": out, "run_id": run_id, "as_of": str(when), "metrics": report.to_dict()}
