"""Flow: validate -> load scorer -> published rulebook -> score, write and summarise.

The scoring task is :func:`serving.batch.run_batch` on the validation report (the
progress bar, the sink write and the summary live there).
Tasks pass frames in memory; caching is off (hashing a million-row frame costs more than
the step it would skip). ``engine="spark"`` runs the same job on Spark instead
(:func:`serving.spark.run_spark_batch`: canonical Parquet tables or catalog tables in,
the session from ``spark_config``); that branch is one task, as Spark plans its own steps.
Without a flow run (``leadscore score`` without ``--prefect``) the same steps run as plain
functions (:func:`pipelines.flows.common.step`).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from features.ingest.report import default_validation_dir, write_bots
from features.ingest.validation import ValidationReport
from models.store import existing_tracking_uri
from pipelines.cli_options import DEFAULT_WORKDIR
from pipelines.flows.common import io_task, load, step, validate_crm
from serving.batch import run_batch, utc_as_of
from serving.batch_summary import BatchSummary, format_summary
from serving.publish import with_published_rulebook
from serving.scorer_model import LoadedScorer
from serving.sinks import DEFAULT_TABLE_PREFIX


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
    sink: str,
    run_id: str | None,
    table_prefix: str,
) -> BatchSummary:
    """Score every lead, write scores and rejects in one transaction, summarise (writes
    the sink: retried if the error is transient; a retry is idempotent)."""
    return run_batch(
        report.tables,
        loaded.scorer,
        as_of,
        sink,
        model_name=loaded.model_name,
        model_version=loaded.model_version,
        rulebook_version=rulebook_version,
        run_id=run_id,
        table_prefix=table_prefix,
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
    data: str,
    loaded: LoadedScorer,
    as_of: pd.Timestamp,
    sink: str,
    spark_config: str | None,
    run_id: str | None,
    table_prefix: str,
    bots_path: str | None = None,
    bots_out: str | None = None,
) -> BatchSummary:
    """Read, filter bots, score and write on Spark, and the flagged activities to
    ``bots_out/bots.csv`` (one task: Spark retries its own failed tasks)."""
    from features.bots import load_bot_settings
    from serving.spark import load_spark_settings, run_spark_batch, spark_session

    settings = load_spark_settings(spark_config)
    return run_spark_batch(
        spark_session(settings),
        data,
        loaded,
        as_of,
        sink,
        settings=settings,
        run_id=run_id,
        table_prefix=table_prefix,
        bots=load_bot_settings(bots_path),
        bots_out=bots_out,
    )


@flow(name="score")
def score_flow(
    data: str,
    model_uri: str | None,
    as_of: str | None,
    sink: str,
    mapping: str | None = None,
    tracking_uri: str | None = None,
    workdir: str = str(DEFAULT_WORKDIR),
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    engine: Literal["local", "spark"] = "local",
    spark_config: str | None = None,
    bots_path: str | None = None,
) -> dict[str, Any]:
    """Nightly batch scoring into the CRM: every eligible lead scored or rejected.

    A database sink with a published rulebook version (``leadscore rules publish``) is
    scored with that version instead of the scorer's own rulebook.

    Args:
        data: Folder, file or database URL of the CRM export.
        model_uri: The scorer, e.g. ``models:/leadscore-conversion-scorer@champion``
            (None: the champion of the configured scorer name).
        as_of: Scoring time ``YYYY-MM-DD[THH:MM]`` (UTC); None: today 00:00 UTC.
        sink: ``sqlite:///scores.db``, ``postgresql+psycopg://...``, ``.parquet``/``.csv``
            path, folder, or ``hubspot:PATH.csv``.
        mapping: Column-mapping YAML for non-canonical exports.
        tracking_uri: MLflow tracking URI (default: the embedded store in WORKDIR/mlruns).
        workdir: Working directory of the embedded MLflow store.
        table_prefix: Database table-name prefix.
        engine: ``local`` (pandas, one machine) or ``spark`` (``data`` is a folder of
            canonical Parquet/CSV tables or ``table:<db>.<prefix>``; a folder sink becomes
            a Parquet dataset partitioned by ``as_of``).
        spark_config: YAML of :class:`serving.spark.SparkSettings` (None: ``local[*]``).
        bots_path: Bot filter settings YAML (default: features/bots/default.yaml); both
            engines filter with it and write the flagged activities to
            ``WORKDIR/validation/<source name>/bots.csv``, where ``leadscore validate``
            writes them by default.

    Returns:
        The summary (counts, stages, tiers, score bands, rejects, movers, seconds) and its
        one-screen text under ``text``.
    """
    stamp = utc_as_of(as_of)
    if engine == "spark" and mapping is not None:
        raise ValueError("--engine spark reads canonical tables: map the export first")
    uri = tracking_uri or existing_tracking_uri(Path(workdir))
    run_id = flow_run.get_id()  # None without a flow run: a deterministic id instead
    bots_out = str(default_validation_dir(data, workdir))
    if engine == "spark":
        loaded = step(load)(model_uri, uri)
        summary = step(score_on_spark)(
            data, loaded, stamp, sink, spark_config, run_id, table_prefix, bots_path, bots_out
        )
    else:
        report = step(validate_crm)(data, mapping, bots_path)
        loaded, version = step(published)(step(load)(model_uri, uri), sink, table_prefix)
        summary = step(score_and_write)(report, loaded, version, stamp, sink, run_id, table_prefix)
        summary = replace(summary, bots_file=step(write_flagged)(report, bots_out))
    return {**summary.to_dict(), "text": format_summary(summary)}
