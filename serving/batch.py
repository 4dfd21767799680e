"""The nightly batch: score every eligible lead, write the sink, summarise the run.

:func:`run_batch` is one call for the CLI, the Prefect flow (whose task passes it the
validation report too) and rulebook publishing (:mod:`serving.publish`, with the rulebook
overridden): scorer steps (eligibility, rules, features, model, blend, explanations) ->
:func:`serving.sinks.write_scores` -> :class:`BatchSummary` (lead accounting, counts per
stage, tier and score trend, score bands, reject reasons, top movers, seconds per step).
The score trend of each lead (:mod:`serving.trend`) is set here, against the sink's
previous run (:func:`serving.sinks.previous_scores`); stages never move backwards from the
previous run's (:func:`serving.sinks.previous_stages`).
:func:`serving.batch_summary.format_summary` renders the summary on one screen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from rich.progress import Progress

from features.crm import CrmTables
from features.parse import utc_time
from rules import Rulebook
from serving.batch_summary import BatchSummary, score_bands, value_counts
from serving.eligibility import rejects_frame, validation_rejects, warn_if_stale
from serving.scorer import LeadScorer
from serving.scorer_types import ScoredLeads, StepHook
from serving.sinks import (
    DEFAULT_TABLE_PREFIX,
    RunInfo,
    SinkResult,
    previous_scores,
    previous_stages,
    previous_tiers,
    reconcile_leads,
    top_movers,
    write_scores,
)
from serving.trend import score_trends

if TYPE_CHECKING:
    from features.ingest.validation import ValidationReport

log = logging.getLogger(__name__)

STEPS = ("eligibility", "rules", "features", "model", "blend", "explanations", "write")


def run_info(
    as_of: pd.Timestamp,
    model_name: str,
    model_version: str,
    rulebook_version: str,
    run_id: str | None = None,
) -> RunInfo:
    """The metadata of a run scored now; ``run_id`` None gives a deterministic id
    (``score-<as_of>-<model>-v<version>``), so re-running the same job writes the same run
    row."""
    return RunInfo(
        as_of=as_of,
        model_name=model_name,
        model_version=model_version,
        rulebook_version=rulebook_version,
        run_id=run_id or f"score-{as_of:%Y%m%dT%H%M%SZ}-{model_name}-v{model_version}",
        scored_at=datetime.now(UTC).replace(microsecond=0),
    )


def utc_as_of(as_of: str | datetime | None) -> pd.Timestamp:
    """The scoring time in UTC; None means today at 00:00 UTC (the nightly run).

    Text must be ISO 8601 (:func:`features.parse.utc_time`); ambiguous dates are refused.
    A request's time is parsed already (:data:`pipelines.flow_requests.UtcTime`).
    """
    if as_of is None:
        return pd.Timestamp.now(tz="UTC").normalize()
    return utc_time(as_of, "as_of")


def with_trend(
    result: ScoredLeads, previous: pd.DataFrame | None, steady_points: float
) -> ScoredLeads:
    """The run with each lead's ``score_trend`` against the previous run's scores
    (:func:`serving.sinks.previous_scores` of the sink, or None) with the scorer's
    ``ScorerSettings.trend_steady_points``."""
    trend = score_trends(result.scores, previous, steady_points)
    return replace(result, scores=result.scores.assign(score_trend=trend))


def score_batch(
    tables: CrmTables,
    scorer: LeadScorer,
    as_of: pd.Timestamp,
    *,
    previous: pd.DataFrame | None = None,
    previous_scores: pd.DataFrame | None = None,
    extra_rejects: pd.DataFrame | None = None,
    on_step: StepHook | None = None,
) -> ScoredLeads:
    """Score the tables and account for every lead (scored + rejected == eligible).

    Args:
        as_of: Scoring time (UTC).
        previous: Stages of the previous run (:func:`serving.sinks.previous_stages`).
        previous_scores: Final scores of the sink's previous run
            (:func:`serving.sinks.previous_scores`) for the score trend; None: all ``new``.
        extra_rejects: Leads rejected before scoring, e.g. contacts quarantined by
            validation (:func:`serving.eligibility.validation_rejects`); they count as
            eligible.
        on_step: Called with each step's name as it starts.

    Returns:
        The scored leads (with ``score_trend``) and the extra rejects merged in.

    Raises:
        ValueError: The lead accounting does not add up.
    """
    run = scorer.run_config_
    warn_if_stale(tables, as_of, None if run is None else run.horizon_days)
    result = scorer.score(tables, as_of, previous=previous, on_step=on_step)
    if extra_rejects is not None and len(extra_rejects):
        rejects = rejects_frame(result.rejects, extra_rejects)
        eligible = pd.concat([result.eligible_ids, extra_rejects["contact_id"].astype("str")])
        result = replace(result, rejects=rejects, eligible_ids=eligible.reset_index(drop=True))
    reconcile_leads(result.eligible_ids, result.scores, result.rejects)
    return with_trend(result, previous_scores, scorer.settings.trend_steady_points)


def write_batch(
    result: ScoredLeads,
    sink: str,
    *,
    model_name: str,
    model_version: str,
    rulebook_version: str,
    run_id: str | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    in_transaction: Callable[[sa.Connection], None] | None = None,
) -> tuple[RunInfo, SinkResult]:
    """Write a scored batch to ``sink`` (atomic; re-writing the same run changes nothing).

    ``in_transaction`` (database sinks) runs inside the write's transaction, e.g. to record
    a published rulebook version with the scores it produced.
    """
    run = run_info(result.as_of, model_name, model_version, rulebook_version, run_id)
    written = write_scores(
        result.scores,
        sink,
        run,
        rejects=result.rejects,
        table_prefix=table_prefix,
        accounts=result.accounts,
        in_transaction=in_transaction,
    )
    return run, written


def summarise_batch(
    result: ScoredLeads,
    run: RunInfo,
    written: SinkResult,
    sink: str,
    *,
    seconds: dict[str, float] | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    n_movers: int = 10,
    validation_counts: dict[str, dict[str, int]] | None = None,
    bot_counts: dict[str, Any] | None = None,
) -> BatchSummary:
    """The run summary; top movers are read back from a database sink; with
    ``validation_counts`` it also names the rows validation quarantined, with
    ``bot_counts`` the activities the bot filter kept out."""
    movers = pd.DataFrame()
    before: dict[str, int] = {}
    if written.kind == "database":
        movers = top_movers(sink, run.as_of, n_movers, table_prefix=table_prefix)
        _, before = previous_tiers(sink, run.as_of, table_prefix=table_prefix)
    return BatchSummary(
        run_id=run.run_id,
        as_of=result.as_of,
        model_name=run.model_name,
        model_version=run.model_version,
        rulebook_version=run.rulebook_version,
        sink=written.target,
        counts=reconcile_leads(result.eligible_ids, result.scores, result.rejects),
        per_stage=value_counts(result.scores["stage"]),
        per_tier=value_counts(result.scores["tier"]),
        per_trend=value_counts(result.scores["score_trend"]),
        score_bands=score_bands(result.scores["final_score"].to_numpy()),
        reject_reasons=value_counts(result.rejects["reason"]),
        movers=movers,
        seconds=dict(seconds if seconds is not None else result.seconds),
        sink_result=written,
        validation_counts=dict(validation_counts or {}),
        previous_tiers=before,
        bot_counts=dict(bot_counts or {}),
    )


def run_batch(
    tables: CrmTables,
    scorer: LeadScorer,
    as_of: str | pd.Timestamp | None,
    sink: str,
    *,
    model_name: str,
    model_version: str,
    run_id: str | None = None,
    table_prefix: str = DEFAULT_TABLE_PREFIX,
    extra_rejects: pd.DataFrame | None = None,
    n_movers: int = 10,
    progress: bool = False,
    rulebook: Rulebook | None = None,
    rulebook_version: str | None = None,
    in_transaction: Callable[[sa.Connection], None] | None = None,
    validation: ValidationReport | None = None,
) -> BatchSummary:
    """Score every eligible lead as of ``as_of`` and write the run to ``sink``: one call.

    Idempotent: the same tables, scorer and ``as_of`` write the same rows, and the sink
    skips what it already holds; a failed write leaves the sink as it was.

    Args:
        tables: Validated canonical CRM tables; every contact is eligible.
        scorer: The loaded scorer (:func:`serving.scorer_model.load_scorer`).
        as_of: Scoring time, e.g. ``2026-11-01`` (naive = UTC); None = today 00:00 UTC.
        sink: ``sqlite:///scores.db``, ``postgresql+psycopg://...``, ``out.parquet``,
            ``out.csv``, a folder or ``hubspot:PATH.csv``.
        model_name: Registered scorer name and version (stored with every score).
        run_id: Job run id (e.g. the Prefect flow-run id); default
            :func:`run_info` (deterministic, so a re-run adds no run row).
        extra_rejects: Leads rejected before scoring (see :func:`score_batch`).
        n_movers: Top movers to report (database sinks).
        progress: Show a rich progress bar of the steps.
        rulebook: Score with this rulebook instead of the scorer's own (the model, spec
            and blend are kept; :meth:`serving.scorer.LeadScorer.with_rulebook`), as
            publishing a rulebook does.
        rulebook_version: The rulebook version the rows carry; default the version of
            the rulebook scored with.
        in_transaction: Database sinks: run inside the write's transaction
            (:func:`serving.sinks.write_scores`).
        validation: The validation report ``tables`` come from
            (:func:`features.ingest.ingest`): the contacts it quarantined are rejects
            (:func:`serving.eligibility.validation_rejects`), and the summary names every
            table's quarantined rows and what the bot filter kept out.

    Returns:
        The run summary (:func:`serving.batch_summary.format_summary` renders it).

    Raises:
        ValueError: Lead accounting fails, or the scores break the sink contract.
    """
    stamp = utc_as_of(as_of)
    if rulebook is not None:
        scorer = scorer.with_rulebook(rulebook)
    if validation is not None:
        quarantined = validation.quarantine.get("contacts", pd.DataFrame())
        rejected = validation_rejects(quarantined, tables.contacts["contact_id"])
        if extra_rejects is not None:
            rejected = rejects_frame(extra_rejects, rejected)
        extra_rejects = rejected
    with Progress(transient=True, disable=not progress) as bar:
        task = bar.add_task("scoring", total=len(STEPS))

        def on_step(name: str) -> None:
            bar.update(task, description=name, completed=STEPS.index(name))

        previous = previous_stages(sink, stamp, table_prefix)
        result = score_batch(
            tables,
            scorer,
            stamp,
            previous=previous,
            previous_scores=previous_scores(sink, stamp, table_prefix),
            extra_rejects=extra_rejects,
            on_step=on_step,
        )
        on_step("write")
        start = time.perf_counter()
        run, written = write_batch(
            result,
            sink,
            model_name=model_name,
            model_version=model_version,
            rulebook_version=rulebook_version or str(scorer.rulebook_.version),
            run_id=run_id,
            table_prefix=table_prefix,
            in_transaction=in_transaction,
        )
        seconds = {**result.seconds, "write": time.perf_counter() - start}
        bar.update(task, completed=len(STEPS))
    summary = summarise_batch(
        result,
        run,
        written,
        sink,
        seconds=seconds,
        table_prefix=table_prefix,
        n_movers=n_movers,
        validation_counts=None if validation is None else validation.counts,
        bot_counts=None if validation is None else validation.bot_counts,
    )
    log.info("batch %s: %s", run.run_id, summary.to_dict())
    return summary
