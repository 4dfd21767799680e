"""Flow: load scorer -> validate -> published rulebook -> score, write and summarise.

The export is validated with the scorer's read settings
(:meth:`serving.scorer.LeadScorer.read_settings`: its type inference settings and
training's type of each kept column), so a kept column is typed as training typed it.

The scoring task is :func:`serving.batch.run_batch` on the validation report (the
progress bar, the sink write and the summary live there). ``engine="spark"`` runs the same
job on Spark instead (:func:`serving.spark.run_spark_batch`: canonical Parquet tables or
catalog tables in, the session from ``spark_config``); that branch is one task, as Spark
plans its own steps.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from features.ingest.report import write_bots
from features.ingest.validation import ValidationReport
from models.store import existing_tracking_uri
from pipelines.flow_requests import ScoreRequest
from pipelines.flows.common import io_task, load, step, validate_crm
from serving.batch import run_batch, utc_as_of
from serving.batch_summary import BatchSummary, format_summary
from serving.publish import with_published_rulebook
from serving.scorer_model import LoadedScorer


@io_task("read-published-rulebook")
def published(loaded: LoadedScorer, sink: str, table_prefix: str) -> tuple[LoadedScorer, str]:
    """The scorer with the rulebook version published in the sink, if any (I/O: retried)."""
    return with_published_rulebook(loaded, sink, table_prefix)


@io_task("score-write-summarise", delay_seconds=30)
def score_and_write(
    report: ValidationReport,
    loaded: LoadedScorer,
    rulebook_version: str,
    as_of: pd.Timestamp,
    request: ScoreRequest,
    run_id: str | None,
) -> BatchSummary:
    """Score every lead, write scores and rejects in one transaction, summarise (writes
    the sink: retried if the error is transient; a retry is idempotent)."""
    return run_batch(
        report.tables,
        loaded.scorer,
        as_of,
        request.sink,
        model_name=loaded.model_name,
        model_version=loaded.model_version,
        rulebook_version=rulebook_version,
        run_id=run_id,
        table_prefix=request.table_prefix,
        progress=sys.stderr.isatty(),  # a progress bar on a terminal, not in job logs
        validation=report,
    )


@io_task("write-bots")
def write_flagged(report: ValidationReport, out_dir: str) -> str:
    """Write the activities the bot filter flagged, with their reasons, to
    ``out_dir/bots.csv`` (:func:`features.ingest.report.write_bots`; atomic)."""
    return str(write_bots(report.bots, Path(out_dir)))


@task(name="score-on-spark", cache_policy=NO_CACHE)
def score_on_spark(
    request: ScoreRequest, loaded: LoadedScorer, as_of: pd.Timestamp, run_id: str | None
) -> BatchSummary:
    """Read, filter bots, score and write on Spark, and the flagged activities to the
    validation folder's ``bots.csv`` (one task: Spark retries its own failed tasks)."""
    from features.bots import load_bot_settings
    from serving.spark import load_spark_settings, run_spark_batch, spark_session

    settings = load_spark_settings(request.spark_config)
    return run_spark_batch(
        spark_session(settings),
        request.data,
        loaded,
        as_of,
        request.sink,
        settings=settings,
        run_id=run_id,
        table_prefix=request.table_prefix,
        bots=load_bot_settings(request.bots),
        bots_out=str(request.validation_dir()),
    )


@flow(name="score")
def score_flow(request: ScoreRequest) -> dict[str, Any]:
    """Nightly batch scoring into the CRM: every eligible lead scored or rejected.

    A database sink with a published rulebook version (``leadscore rules publish``) is
    scored with that version instead of the scorer's own rulebook.

    Args:
        request: The run's :class:`pipelines.flow_requests.ScoreRequest`. Both engines
            filter bots with ``request.bots`` and write the flagged activities to
            ``WORKDIR/validation/<source name>/bots.csv``.

    Returns:
        The summary (counts, stages, tiers, score bands, rejects, movers, seconds) and its
        one-screen text under ``text``.
    """
    stamp = utc_as_of(request.as_of)
    if request.engine == "spark" and request.mapping is not None:
        raise ValueError("--engine spark reads canonical tables: map the export first")
    uri = request.tracking_uri or existing_tracking_uri(request.workdir)
    run_id = flow_run.get_id()  # None without a flow run: a deterministic id instead
    loaded = step(load)(request.model_uri, uri)
    if request.engine == "spark":
        summary = step(score_on_spark)(request, loaded, stamp, run_id)
    else:
        report = step(validate_crm)(
            request.data, request.mapping, request.bots, **loaded.scorer.read_settings()
        )
        loaded, version = step(published)(loaded, request.sink, request.table_prefix)
        summary = step(score_and_write)(report, loaded, version, stamp, request, run_id)
        bots_file = step(write_flagged)(report, str(request.validation_dir()))
        summary = replace(summary, bots_file=bots_file)
    return {**summary.to_dict(), "text": format_summary(summary)}
