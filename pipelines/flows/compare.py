"""Flow: the predictive-vs-manual comparison report on the newest period with known outcomes.

validate -> load scorer -> :func:`serving.compare.compare_validated` (period, scores,
labels, backtests, report) -> :func:`serving.compare.publish_report` (HTML, JSON, MLflow).
Without a flow run (``leadscore compare`` without ``--prefect``) the same steps run as
plain functions (:func:`pipelines.flows.common.step`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.ingest.validation import ValidationReport
from models.store import existing_tracking_uri
from pipelines.cli_options import DEFAULT_WORKDIR
from pipelines.flows.common import io_task, load, step, validate_crm
from serving.compare import compare_validated, publish_report
from serving.report import ComparisonReport
from serving.scorer_model import LoadedScorer


@task(name="build-comparison", cache_policy=NO_CACHE)
def compare(
    validation: ValidationReport,
    loaded: LoadedScorer,
    as_of: str | None,
    backtest_rulebooks: list[str],
) -> tuple[ComparisonReport, pd.Timestamp]:
    """Score and label the held-out period, replay the backtests, build the report (the
    label horizon comes from the scorer's run configuration)."""
    return compare_validated(validation, loaded, as_of, backtest_rulebooks)


@io_task("write-and-log-report", retries=1)
def publish(report: ComparisonReport, out: str, tracking_uri: str, as_of: pd.Timestamp) -> str:
    """Write the HTML file and report.json beside it; log both with the headline metrics
    to MLflow (I/O: retried if the error is transient)."""
    return publish_report(report, out, tracking_uri, as_of)


@flow(name="compare")
def compare_flow(
    data: str,
    model_uri: str | None,
    out: str | None = None,
    workdir: str = str(DEFAULT_WORKDIR),
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
        out: Where to write the self-contained HTML report (None: WORKDIR/report.html, as
            ``leadscore compare`` without ``--out``).
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
    validation = step(validate_crm)(data, mapping, bots_path)
    loaded = step(load)(model_uri, uri)
    report, when = step(compare)(validation, loaded, as_of, list(backtest_rulebooks or []))
    out = out or str(Path(workdir) / "report.html")
    run_id = step(publish)(report, out, uri, when)
    return {"report": out, "run_id": run_id, "as_of": str(when), "metrics": report.to_dict()}
