"""Flow: the predictive-vs-manual comparison report on the newest period with known outcomes.

load scorer -> validate (with the scorer's read settings,
:meth:`serving.scorer.LeadScorer.read_settings`) -> :func:`serving.compare.compare_validated`
(period, scores, labels, backtests, report) -> :func:`serving.compare.publish_report`
(HTML, JSON, MLflow).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.ingest.validation import ValidationReport
from models.store import existing_tracking_uri
from pipelines.flow_requests import CompareRequest
from pipelines.flows.common import io_task, load, step, validate_crm
from serving.compare import compare_validated, publish_report
from serving.report import ComparisonReport
from serving.scorer_model import LoadedScorer


@task(name="build-comparison", cache_policy=NO_CACHE)
def compare(
    validation: ValidationReport,
    loaded: LoadedScorer,
    as_of: dt.datetime | None,
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
def compare_flow(request: CompareRequest) -> dict[str, Any]:
    """Compare the model, the rules and the blend: load -> score -> label -> report -> log.

    Args:
        request: The run's :class:`pipelines.flow_requests.CompareRequest` (the data with
            its outcome history). Without ``as_of`` the period is the newest with complete
            outcomes (for a ``first_touch`` scorer the latest test share of first touches).

    Returns:
        The report path, the MLflow run id, the period (its start ``as_of`` and the report
        header's text: for a flat-export scorer the held-out rows, see
        :mod:`serving.held_out`), the headline metrics and the validation counts per
        table (``validation``: input, accepted, quarantined, warnings).
    """
    uri = request.tracking_uri or existing_tracking_uri(request.workdir)
    loaded = step(load)(request.model_uri, uri)
    validation = step(validate_crm)(
        request.data, request.mapping, request.bots, **loaded.scorer.read_settings()
    )
    backtests = [str(p) for p in request.backtest]
    report, when = step(compare)(validation, loaded, request.as_of, backtests)
    out = str(request.report_path())
    run_id = step(publish)(report, out, uri, when)
    return {
        "report": out,
        "run_id": run_id,
        "as_of": str(when),
        "period": report.as_of,
        "metrics": report.to_dict(),
        "validation": validation.counts,
    }
