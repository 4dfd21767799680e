"""The nightly batch on Spark: read -> score (two stages) -> write -> summary, one call.

:func:`run_spark_batch` is the Spark twin of :func:`serving.batch.run_batch`: the same
previous-stage lookup, lead accounting (``scored + rejected == eligible``), sinks and
:class:`~serving.batch_summary.BatchSummary`, with the scoring done by
:func:`serving.spark.score.score_spark`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from features.bots import BotSettings
from features.ingest.report import write_bots
from serving.batch import run_info, summarise_batch, utc_as_of, with_trend, write_batch
from serving.batch_summary import BatchSummary
from serving.scorer_model import LoadedScorer
from serving.sinks import DEFAULT_TABLE_PREFIX, previous_scores, previous_stages
from serving.spark.bots import flagged_rows, spark_bot_counts
from serving.spark.score import score_spark
from serving.spark.session import SparkSettings, default_buckets
from serving.spark.sinks import is_dataset_sink, previous_dataset_scores, write_dataset
from serving.spark.tables import check_contact_keys, read_spark_tables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ("contact_id", "final_score", "tier", "stage")


def run_spark_batch(
    spark: SparkSession,
    data: str,
    loaded: LoadedScorer,
    as_of: str | pd.Timestamp | None,
    sink: str,
    *,
    settings: SparkSettings | None = None,
    run_id: str | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    n_movers: int = 10,
    explain: bool = True,
    bots: BotSettings | None = None,
    bots_out: str | Path | None = None,
) -> BatchSummary:
    """Score every eligible lead on Spark and write the run to ``sink``.

    Args:
        spark: The session (:func:`serving.spark.session.spark_session`).
        data: Folder of canonical Parquet/CSV tables or ``table:<db>.<prefix>``.
        loaded: The scorer loaded from the registry (:func:`serving.scorer_model.load_scorer`);
            the executors load the same model URI.
        as_of: Scoring time (naive = UTC); None = today 00:00 UTC.
        sink: A folder/dataset path (partitioned Parquet written by Spark) or any sink
            of :func:`serving.sinks.write_scores` (written from the driver).
        settings: Spark settings (bucket count); default :class:`SparkSettings`.
        run_id: Job run id (default: deterministic, as the local engine's).
        bots: Bot filter settings (:func:`features.bots.load_bot_settings`); the flagged
            activities are kept out of points and features and counted in the summary, as
            by the local engine. None: the tables are scored as they are.
        bots_out: With ``bots``, the folder of the run's ``bots.csv``: the flagged
            activities with their reason, as ``leadscore validate`` writes them
            (:func:`features.ingest.report.write_bots`: personal data redacted, atomic).

    Raises:
        ValueError: Unusable input tables, a broken sink contract or lead accounting.
    """
    settings = settings or SparkSettings()
    stamp = utc_as_of(as_of)
    start = time.perf_counter()
    scorer = loaded.scorer
    tables = read_spark_tables(spark, data, scorer.spec_, scorer.rulebook_)  # its extra columns
    check_contact_keys(tables.contacts, data)
    n_buckets = default_buckets(spark, settings, tables.contacts.count())
    previous = previous_stages(sink, stamp, table_prefix)
    run = score_spark(
        spark,
        tables,
        loaded.scorer,
        loaded.model_uri,
        stamp,
        n_buckets=n_buckets,
        previous=previous,
        explain=explain,
        bots=bots,
    )
    meta = {"model_name": loaded.model_name, "model_version": loaded.model_version}
    rulebook_version = str(loaded.scorer.rulebook_.version)
    steady = loaded.scorer.settings.trend_steady_points
    try:
        if is_dataset_sink(sink):
            # the trend is computed on the driver (one definition, serving.trend) and
            # joined back, so the dataset and the local sinks hold the same values
            result = run.collect(SUMMARY_COLUMNS)
            result = with_trend(result, previous_dataset_scores(spark, sink, stamp), steady)
            trends = result.scores.loc[:, ["contact_id", "score_trend"]]
            scores = run.scores.join(spark.createDataFrame(trends), "contact_id", "left")
            info = run_info(stamp, rulebook_version=rulebook_version, run_id=run_id, **meta)
            written = write_dataset(spark, scores, run.rejects, sink, info, run.accounts)
            scored_s = time.perf_counter() - start
        else:
            result = run.collect()
            result = with_trend(result, previous_scores(sink, stamp, table_prefix), steady)
            scored_s = time.perf_counter() - start - result.seconds["collect"]
            info, written = write_batch(
                result,
                sink,
                model_name=meta["model_name"],
                model_version=meta["model_version"],
                rulebook_version=rulebook_version,
                run_id=run_id,
                table_prefix=table_prefix,
            )
        flagged = (
            {}
            if bots is None or run.bots is None
            else spark_bot_counts(run.bots, tables.activities)
        )
        bots_file = None
        if bots is not None and run.bots is not None and bots_out is not None:
            bots_file = write_bots(flagged_rows(run.bots, tables.activities), Path(bots_out))
    finally:
        run.release()
    total = time.perf_counter() - start
    seconds = {"spark": scored_s, "driver": total - scored_s}
    summary = summarise_batch(
        result,
        info,
        written,
        sink,
        seconds=seconds,
        table_prefix=table_prefix,
        n_movers=n_movers,
        bot_counts=flagged,
    )
    if bots_file is not None:
        summary = replace(summary, bots_file=str(bots_file))
    log.info("Spark batch %s (%d buckets): %s", info.run_id, n_buckets, summary.to_dict())
    return summary
