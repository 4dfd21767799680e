"""Flow: validate -> load scorer -> features/rules/model/blend/explain -> write sink -> summary.

Tasks pass frames in memory; caching is off (hashing a million-row frame costs more than
the step it would skip). ``engine="spark"`` runs the same job on Spark instead
(:func:`serving.spark.run_spark_batch`: canonical Parquet tables or catalog tables in,
the session from ``spark_config``); that branch is one task, as Spark plans its own steps.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from rich.progress import Progress

from features.ingest.validation import ValidationReport
from models.tracking import existing_tracking_uri
from pipelines.flows.common import retry_transient, validate_crm
from serving.batch import (
    STEPS,
    default_run_id,
    previous_stages,
    score_batch,
    summarise_batch,
    utc_as_of,
    write_batch,
)
from serving.batch_summary import format_summary
from serving.eligibility import validation_rejects
from serving.publish import with_published_rulebook
from serving.scorer import ScoredLeads
from serving.scorer_model import LoadedScorer, load_scorer
from serving.sinks import RunInfo, SinkResult, previous_scores


@task(
    name="load-scorer",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def load(model_uri: str | None, tracking_uri: str) -> LoadedScorer:
    """Load the scorer from the MLflow registry (I/O: retried)."""
    return load_scorer(model_uri, tracking_uri)


@task(
    name="read-published-rulebook",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def published(loaded: LoadedScorer, sink: str, table_prefix: str) -> tuple[LoadedScorer, str]:
    """The scorer with the rulebook version published in the sink, if any (I/O: retried)."""
    return with_published_rulebook(loaded, sink, table_prefix)


@task(
    name="read-previous-stages",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def read_previous(sink: str, as_of: pd.Timestamp, table_prefix: str) -> pd.DataFrame | None:
    """Stages of the previous run from a database sink (I/O: retried)."""
    return previous_stages(sink, as_of, table_prefix)


@task(
    name="read-previous-scores",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def read_previous_scores(sink: str, as_of: pd.Timestamp, table_prefix: str) -> pd.DataFrame | None:
    """Final scores of the sink's previous run, for the score trend (I/O: retried)."""
    return previous_scores(sink, as_of, table_prefix)


@task(name="score-leads", cache_policy=NO_CACHE)
def score(
    report: ValidationReport,
    loaded: LoadedScorer,
    as_of: pd.Timestamp,
    previous: pd.DataFrame | None,
    before: pd.DataFrame | None = None,
) -> ScoredLeads:
    """Features, rules, model, blend and explanations; quarantined contacts are rejects."""
    quarantined = report.quarantine.get("contacts", pd.DataFrame())
    extra = validation_rejects(quarantined, report.tables.contacts["contact_id"])
    # a progress bar of the steps on a terminal; nothing in logs of scheduled runs
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        steps = bar.add_task("scoring", total=len(STEPS))

        def on_step(name: str) -> None:
            bar.update(steps, description=name, completed=STEPS.index(name))

        return score_batch(
            report.tables,
            loaded.scorer,
            as_of,
            previous=previous,
            previous_scores=before,
            extra_rejects=extra,
            on_step=on_step,
        )


@task(
    name="write-sink",
    retries=2,
    retry_delay_seconds=30,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def write(
    result: ScoredLeads,
    loaded: LoadedScorer,
    sink: str,
    run_id: str,
    table_prefix: str,
    rulebook_version: str,
) -> tuple[RunInfo, SinkResult]:
    """Write scores and rejects in one transaction (I/O: retried; a retry is idempotent)."""
    return write_batch(
        result,
        sink,
        model_name=loaded.model_name,
        model_version=loaded.model_version,
        rulebook_version=rulebook_version,
        run_id=run_id,
        table_prefix=table_prefix,
    )


@task(
    name="summarise",
    retries=1,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def summarise(
    result: ScoredLeads,
    written: tuple[RunInfo, SinkResult],
    sink: str,
    table_prefix: str,
    validation_counts: dict[str, dict[str, int]],
    bot_counts: dict[str, Any],
) -> dict[str, Any]:
    """Counts, score bands, reject reasons, top movers and what validation quarantined
    (reads the sink: retried)."""
    run, sink_result = written
    summary = summarise_batch(
        result,
        run,
        sink_result,
        sink,
        table_prefix=table_prefix,
        validation_counts=validation_counts,
        bot_counts=bot_counts,
    )
    return {**summary.to_dict(), "text": format_summary(summary)}


@task(name="score-on-spark", cache_policy=NO_CACHE)
def score_on_spark(
    data: str,
    loaded: LoadedScorer,
    as_of: pd.Timestamp,
    sink: str,
    spark_config: str | None,
    run_id: str,
    table_prefix: str,
    bots_path: str | None = None,
) -> dict[str, Any]:
    """Read, filter bots, score and write on Spark (one task: Spark retries its own failed
    tasks)."""
    from features.bots import load_bot_settings
    from serving.spark import load_spark_settings, run_spark_batch, spark_session

    settings = load_spark_settings(spark_config)
    spark = spark_session(settings)
    summary = run_spark_batch(
        spark,
        data,
        loaded,
        as_of,
        sink,
        settings=settings,
        run_id=run_id,
        table_prefix=table_prefix,
        bots=load_bot_settings(bots_path),
    )
    return {**summary.to_dict(), "text": format_summary(summary)}


@flow(name="score")
def score_flow(
    data: str,
    model_uri: str | None,
    as_of: str | None,
    sink: str,
    mapping: str | None = None,
    tracking_uri: str | None = None,
    workdir: str = "work",
    table_prefix: str = "leadscore_",
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
            engines filter with it.

    Returns:
        The summary (counts, stages, tiers, score bands, rejects, movers, seconds) and its
        one-screen text under ``text``.
    """
    uri = tracking_uri or existing_tracking_uri(Path(workdir))
    stamp = utc_as_of(as_of)
    if engine == "spark":
        if mapping is not None:
            raise ValueError("--engine spark reads canonical tables: map the export first")
        loaded = load(model_uri, uri)
        run_id = flow_run.get_id() or default_run_id(stamp, "scorer", "unknown")
        return score_on_spark(
            data, loaded, stamp, sink, spark_config, str(run_id), table_prefix, bots_path
        )
    report = validate_crm(data, mapping, bots_path)
    loaded, rulebook_version = published(load(model_uri, uri), sink, table_prefix)
    previous = read_previous(sink, stamp, table_prefix)
    before = read_previous_scores(sink, stamp, table_prefix)
    result = score(report, loaded, stamp, previous, before)
    run_id = flow_run.get_id() or default_run_id(stamp, "scorer", "unknown")
    written = write(result, loaded, sink, str(run_id), table_prefix, rulebook_version)
    return summarise(result, written, sink, table_prefix, report.counts, report.bot_counts)
