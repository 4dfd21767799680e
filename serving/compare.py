"""Assemble the comparison report's inputs from a scorer and the CRM history.

The report compares the manual score, the model's probability and the final blend on the
newest period whose outcomes are known: every lead scored at ``as_of`` gets the label
"converted within H days after as_of" (the training label). Drift compares the features
and scores of the training period (``reference_as_of``) with that period. Backtests replay
other rulebooks over the same period. The report settings are the scorer's (its run
configuration's ``report``: :class:`serving.report.settings.ReportSettings`).

A flat-export scorer (no dates, no period) is compared on the export's rows it never
learned from (:mod:`serving.held_out`), with the training label.

A ``first_touch`` scorer is compared as it was trained (:func:`first_touch_period`): the
contacts created in the period, each scored, ruled and labelled at its own first touch
(midnight of its creation day + the delay), over the scorer's horizon.

:func:`compare_period` chooses the period (from the scorer's run configuration) and
builds the report, :func:`compare_validated` does so from a validation report, and
:func:`publish_report` writes it and logs it to MLflow: the compare flow's tasks and
``leadscore compare`` call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.bots import bot_share_text
from features.crm import CrmTables
from features.customers import share_customer_since
from features.events import utc_timestamp
from features.first_touch import day_tables, first_touch_labels, latest_share_start
from features.fit import fit_features
from features.flat import flat_as_of, flat_rule_tables
from features.ingest.validation import ValidationReport
from features.parse import utc_time
from features.reasons import day_text
from features.schema import POSITIVE_OUTCOMES
from features.training_set import data_end_of, outcome_labels, snapshot_schedule
from models.tracking import artifact_location_for, ensure_experiment
from rules import Rulebook, load_rulebook, score_rulebook
from serving.batch_summary import validation_note
from serving.eligibility import warn_if_stale
from serving.held_out import flat_held_out
from serving.report.backtest import BacktestResult
from serving.report.build import ComparisonReport, build_report
from serving.report.inputs import ComparisonInputs
from serving.report.render import write_report
from serving.report.settings import ReportSettings
from serving.report.summary import json_path_beside, write_report_json
from serving.report.weights import blend_view, capacity_of
from serving.run_config import RunConfig
from serving.scorer import LeadScorer
from serving.scorer_model import LoadedScorer

EMPTY_RULEBOOK_NOTE = (
    "No rulebook: the scorer was trained with the empty rulebook (no --rulebook fitted "
    "the data), so the manual score is 0 for every lead and the final score is the "
    "model's alone; the manual columns carry no information."
)

SCORE_DRIFT = ("probability", "manual_score", "final_score")


def _rule_hits(
    breakdown: pd.DataFrame, contact_ids: pd.Series, scale: str, rules: Sequence[str] = ()
) -> pd.DataFrame:
    """One boolean column per rule: did it give the contact points? ``rules`` are listed
    even when they fired for nobody (the empty rulebook's rule never fires)."""
    fired = breakdown.loc[breakdown["scale"].astype("str") == scale]
    fired = fired.loc[fired["points_after_caps"].to_numpy() != 0, ["contact_id", "rule"]]
    hits = pd.crosstab(fired["contact_id"].astype("str"), fired["rule"].astype("str")) > 0
    hits = hits.reindex(contact_ids.astype("str").to_numpy(), fill_value=False)
    missing = [r for r in rules if r not in hits.columns]
    if missing:
        hits = hits.reindex(columns=[*hits.columns, *missing], fill_value=False)
    return hits.rename_axis(index="contact_id", columns=None).reset_index()


def _rule_points(
    rulebook: Rulebook, breakdown: pd.DataFrame, rules: Sequence[str]
) -> dict[str, float]:
    """Current points per rule: the rulebook's own, else the typical points of a firing."""
    declared = {r.name: r.points for r in rulebook.rules if r.points is not None}
    typical = breakdown.groupby(breakdown["rule"].astype("str"))["points_raw"].median()
    return {r: float(declared.get(r, typical.get(r, 0.0))) for r in rules}


def _stage_cuts(rulebook: Rulebook) -> tuple[float, float]:
    stages = rulebook.stages
    if stages is None:
        raise ValueError(
            f"rulebook {rulebook.name!r} defines no stages: the report needs its MQL and SQL "
            "cut-offs (add a `stages:` section)"
        )
    if stages.mql is None or stages.sql is None:
        raise ValueError(
            f"rulebook {rulebook.name!r} routes stages by grade (stages.by_grade): the report "
            "needs MQL and SQL cut-offs on the score (stages: lead, mql, sql)"
        )
    return float(stages.mql), float(stages.sql)


def _segments(tables: CrmTables, scorer: LeadScorer, names: Sequence[str]) -> pd.DataFrame:
    """The segment columns ``names`` (the report settings' ``segment_columns``) the data
    has, per contact: a flat export's own columns, else the fit features (no activity pass)."""
    contacts = tables.contacts
    if scorer.spec_ is not None:
        contacts = fit_features(contacts, tables.accounts, scorer.spec_.fit)
    present = [c for c in names if c in contacts.columns]
    return contacts[present].set_axis(tables.contacts["contact_id"].astype("str"))


def _drift_columns(frame: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Numeric and categorical features of a prepared frame beside the scores of the same
    rows (a new lead-source mix is drift too)."""
    features = frame.drop(columns=["contact_id"], errors="ignore")
    kept = features.select_dtypes(include=["number", "category"])
    keep = [c for c in kept.columns if c not in SCORE_DRIFT]
    scores = scored[[c for c in SCORE_DRIFT if c in scored.columns]].reset_index(drop=True)
    return pd.concat([kept[keep].reset_index(drop=True), scores], axis=1)


def first_touch_period(
    tables: CrmTables,
    horizon_days: int,
    delay_days: int,
    share: float,
    start: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The contacts a ``first_touch`` scorer is compared on, with their ``as_of`` and label.

    Eligible as in training (:func:`features.first_touch.first_touch_labels`: label window
    inside the data, not converted at first touch, ...); the period is the latest ``share``
    of them by ``as_of`` (on the training data: its test slice), or those from ``start``.

    Returns:
        Indexed by ``contact_id``: ``as_of`` and ``y``, oldest first.

    Raises:
        ValueError: No contact of the period has a complete label window; the message
            gives the last first touch that has one.
    """
    labels = first_touch_labels(
        tables, horizon_days, delay_days, data_end_of(tables), POSITIVE_OUTCOMES
    )
    eligible = labels.loc[labels["eligible"].to_numpy(), ["as_of", "y"]]
    if eligible.empty:
        raise ValueError(
            f"no contact has a complete {horizon_days}-day label window after its first "
            "touch in this data: compare needs outcomes known for at least one contact"
        )
    as_of = pd.Series(pd.to_datetime(eligible["as_of"], utc=True).to_numpy(), index=eligible.index)
    begin = latest_share_start(as_of, share) if start is None else pd.Timestamp(start)
    chosen = eligible.loc[(as_of >= begin).to_numpy()]
    if chosen.empty:
        raise ValueError(
            f"no contact first touched from {day_text(begin)} on has a complete "
            f"{horizon_days}-day label window (the last one is {day_text(as_of.max())}): "
            "pass an earlier --as-of"
        )
    return chosen.assign(as_of=as_of.loc[chosen.index]).sort_values("as_of", kind="stable")


def _first_touch_scores(
    tables: CrmTables, scorer: LeadScorer, period: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores (with explanations) and rule breakdown of each period contact at its own
    ``as_of``: one pass per first-touch day over that day's contacts and their accounts."""
    scores, breakdowns = [], []
    for day, group in period.groupby("as_of", sort=True):
        ids = pd.Index(group.index.astype("str"))
        sub = day_tables(tables, pd.Index(group.index))
        # the whole activity table: the scorer checks the data's shape (history or not) on
        # it, and a day whose leads did nothing yet is no history-less export
        sub = CrmTables(sub.contacts, sub.accounts, tables.activities, sub.outcomes)
        sub = share_customer_since(tables, sub)
        # the account colleagues are context (account features, rules): prepare, score and
        # explain the day's own contacts only; preparing a colleague built its features at
        # its own first touch, one feature build per colleague's day, on every period day
        prepared = scorer.prepare(sub, pd.Timestamp(day), keep_excluded=True, only=ids)
        if prepared.rules is None:
            raise ValueError("the scorer returned no rule scores; cannot build rule evidence")
        scored = scorer.score_frame(prepared.frame, explain=True).reset_index(drop=True)
        scored["contact_id"] = scored["contact_id"].astype("str")
        scores.append(scored)
        breakdown = prepared.rules.breakdown
        breakdowns.append(breakdown.loc[breakdown["contact_id"].astype("str").isin(ids)])
    return (
        pd.concat(scores, ignore_index=True),
        pd.concat(breakdowns, ignore_index=True),
    )


def _stages(
    tables: CrmTables, book: Rulebook, as_of: pd.Timestamp, first_touch: pd.DataFrame | None
) -> pd.Series:
    """A rulebook's stage per contact at ``as_of``, or at each first-touch day's own."""
    if first_touch is None:
        return score_rulebook(tables, book, as_of).scores.set_index("contact_id")["stage"]
    parts = []
    for day, group in first_touch.groupby("as_of", sort=True):
        sub = day_tables(tables, pd.Index(group.index))
        scores = score_rulebook(sub, book, pd.Timestamp(day)).scores.set_index("contact_id")
        parts.append(scores["stage"].loc[scores.index.isin(group.index)])
    return pd.concat(parts)


def comparison_inputs(
    tables: CrmTables,
    scorer: LeadScorer,
    as_of: pd.Timestamp,
    horizon_days: int | None,
    *,
    labels: pd.DataFrame | None = None,
    reference_as_of: pd.Timestamp | None = None,
    backtest_rulebooks: Mapping[str, Rulebook] | None = None,
    capacity_k: Sequence[int] | None = None,
    model_version: str = "",
    first_touch: pd.DataFrame | None = None,
) -> ComparisonInputs:
    """Score the period at ``as_of`` and label it: the report's inputs.

    Args:
        tables: Validated canonical tables covering at least ``as_of + horizon_days``.
        as_of: Start of the held-out period (e.g. the training run's test snapshot).
        horizon_days: Label horizon H, as in training (None with ``labels``).
        labels: ``eligible`` and ``y`` per ``contact_id`` (index) of a held-out slice whose
            outcomes are known otherwise (a flat export's held-out rows,
            :func:`serving.held_out.flat_held_out`); None: labelled as in training
            (:func:`features.training_set.outcome_labels`). An optional boolean
            ``reference`` column marks the training rows: the drift section's reference
            (the eligible rows its current population).
        reference_as_of: A training-period snapshot for the drift section (None: no drift).
        backtest_rulebooks: Other rulebooks (name -> rulebook) to replay over the period.
        capacity_k: Capacities over the period in leads, the first the leads sales can
            work (default: the blend's, see :func:`capacity_of`).
        first_touch: A ``first_touch`` scorer's period (:func:`first_touch_period`): its
            contacts are scored and labelled at their own ``as_of`` instead (``as_of`` is
            then the period's start; no drift section, no reference snapshot).
    """
    prepared = None
    reference_rows = None
    settings = ReportSettings() if scorer.run_config_ is None else scorer.run_config_.report
    if first_touch is not None:
        scores, breakdown = _first_touch_scores(tables, scorer, first_touch)
        period = first_touch.set_axis(first_touch.index.astype("str"))
        labels = pd.DataFrame(
            {"y": period["y"].reindex(scores["contact_id"]).to_numpy(), "eligible": True}
        )
        reference_as_of = None
    else:  # one pass at as_of serves the scores, the rule hits and the drift's current side
        prepared = scorer.prepare(tables, as_of, keep_excluded=True)
        if prepared.rules is None:  # prepare() always returns the rulebook result
            raise ValueError("the scorer returned no rule scores; cannot build rule evidence")
        breakdown = prepared.rules.breakdown
        scores = scorer.score_frame(prepared.frame, explain=True).reset_index(drop=True)
        scores["contact_id"] = scores["contact_id"].astype("str")
        ids = pd.Index(scores["contact_id"])
        if labels is not None:  # a held-out slice labelled by the caller
            labels = labels.reindex(ids.astype("object"))
            labels = labels.assign(
                eligible=labels["eligible"].fillna(False).astype(bool),
                y=labels["y"].fillna(0).astype("int64"),
            )
            if "reference" in labels.columns:
                reference_rows = labels["reference"].fillna(False).to_numpy(dtype=bool)
        elif horizon_days is None:
            raise ValueError("comparison_inputs: pass horizon_days, or labels for every lead")
        else:
            labels = outcome_labels(tables, ids, as_of, horizon_days)
    segments = _segments(tables, scorer, settings.segment_columns)
    segments = segments.reindex(scores["contact_id"].to_numpy())
    scored = pd.DataFrame(
        {
            "contact_id": scores["contact_id"].to_numpy(),
            "y": labels["y"].to_numpy(),
            "manual_score": scores["manual_score"].to_numpy(),
            "manual_stage": scores["stage"].astype("str").to_numpy(),
            "manual_grade": scores["grade"].to_numpy(),
            "probability": scores["probability"].to_numpy(),
            "final_score": scores["final_score"].to_numpy(),
            "tier": scores["tier"].astype("str").to_numpy(),
            "top_reasons": scores["top_reasons"].to_numpy(),
            "top_rules": scores["top_rules"].to_numpy(),
            **{c: segments[c].astype("str").to_numpy() for c in segments.columns},
        }
    ).loc[labels["eligible"].to_numpy()]
    rulebook = scorer.rulebook_
    hits = _rule_hits(
        breakdown,
        scored["contact_id"],
        rulebook.primary_scale,
        () if breakdown["rule"].size else [r.name for r in rulebook.rules],
    )
    rules = [c for c in hits.columns if c != "contact_id"]
    points = _rule_points(rulebook, breakdown, rules)
    mql, sql = _stage_cuts(rulebook)
    y = pd.Series(scored["y"].to_numpy(), index=scored["contact_id"].to_numpy())
    backtests = [BacktestResult("current", scored.set_index("contact_id")["manual_stage"], y)]
    for name, book in (backtest_rulebooks or {}).items():
        stages = _stages(tables, book, as_of, first_touch)
        backtests.append(BacktestResult(name, stages.astype("str").reindex(y.index), y))
    n = len(scored)
    k = [max(1, min(int(x), n)) for x in capacity_k or capacity_of(scorer.blend, n)]
    drift_ref = drift_cur = None
    if reference_as_of is not None and prepared is not None:
        reference = scorer.prepare(tables, reference_as_of, keep_excluded=True).frame
        drift_ref = _drift_columns(reference, scorer.score_frame(reference, explain=False))
        drift_cur = _drift_columns(prepared.frame, scores)
    elif reference_rows is not None and reference_rows.any() and prepared is not None:
        current = labels["eligible"].to_numpy(dtype=bool)  # one pass scored both
        drift_ref = _drift_columns(prepared.frame.loc[reference_rows], scores.loc[reference_rows])
        drift_cur = _drift_columns(prepared.frame.loc[current], scores.loc[current])
    values = np.array(list(points.values()) or [0.0, 1.0])
    low, high = float(min(values.min(), 0.0)), float(max(values.max(), 1.0))
    return ComparisonInputs(
        scored=scored.reset_index(drop=True),
        rule_hits=hits,
        rule_points=points,
        rule_points_range=(low, high),
        mql_threshold=mql,
        sql_threshold=sql,
        capacity_k=list(k),
        drift_reference=drift_ref,
        drift_current=drift_cur,
        drift_reference_as_of=(
            "" if drift_ref is None or reference_as_of is None else f"{reference_as_of:%Y-%m-%d}"
        ),
        backtests=backtests,
        as_of=(
            f"{as_of:%Y-%m-%d}"
            if first_touch is None
            else f"first touch {first_touch['as_of'].min():%Y-%m-%d} to "
            f"{first_touch['as_of'].max():%Y-%m-%d}"
        ),
        model_version=model_version,
        rulebook_version=f"{rulebook.name} v{rulebook.version}",
        blend=blend_view(scorer.blend, scored, k[0]) if scored["y"].nunique() == 2 else None,
        settings=settings,
    )


def training_reference(run: RunConfig | None, when: pd.Timestamp) -> pd.Timestamp | None:
    """The drift section's reference: the training run's last training snapshot (from the
    scorer's run configuration), so that drift is measured since training also on a
    later export; None when the scorer records none before ``when``."""
    train = None if run is None or run.framing != "snapshots" else run.slices.get("train")
    if train is None or not train.dates:
        return None
    last = utc_timestamp(train.dates[-1])
    return last if last < when else None


def compare_period(
    tables: CrmTables,
    scorer: LeadScorer,
    as_of: str | dt.datetime | None = None,
    *,
    backtest_rulebooks: Sequence[str | Path] = (),
    model_version: str = "",
    input_notes: Sequence[str] = (),
) -> tuple[ComparisonReport, pd.Timestamp]:
    """The comparison report of one period: choose it, score and label it, build the report.

    The label horizon H, the framing and so the period come from the scorer's run
    configuration (a ``first_touch`` scorer is compared at each contact's first touch). An
    ``as_of`` more than H days after the data's last record is logged as a warning
    (:func:`serving.eligibility.warn_if_stale`).

    A flat-export scorer (no dates) is compared on the export's rows it was not trained on
    (:func:`serving.held_out.flat_held_out`), labelled "has a positive outcome" as in
    training; the report's header and data notes say how many leads were held out and how
    many training leads were left out.

    Args:
        tables: Validated canonical tables with outcome history.
        scorer: The registered scorer.
        as_of: Start of the compared period (ISO 8601 text or a timestamp); None: the
            newest period whose outcomes are complete (the test snapshot of
            :func:`features.training_set.snapshot_schedule`; for a ``first_touch`` scorer
            the latest ``test_share`` of first touches, see :func:`first_touch_period`).
        backtest_rulebooks: Other rulebook files to replay over the same period.
        input_notes: Notes on the input (what validation quarantined, what the bot filter
            kept out) for the report's *Data notes*.

    Returns:
        The report and the period's start.

    Raises:
        ValueError: No contact was created before ``as_of`` (the message names the dates
            the contacts span), no contact of a ``first_touch`` period has a complete label
            window, or (a flat-export scorer) ``as_of`` is given, the scorer stores no
            fingerprint of its training rows or the export holds no other row.
    """
    books = {Path(p).stem: load_rulebook(p) for p in backtest_rulebooks}
    if scorer.spec_ is None:  # a flat export: its rows the model never learned from
        if as_of is not None:
            raise ValueError(
                f"as_of {as_of}: a flat-export scorer is compared on the export's rows it was "
                "not trained on, not on a period (a flat export has no dates): leave --as-of "
                "out"
            )
        return _compare_flat(tables, scorer, books, model_version, input_notes)
    horizon_days = scorer.horizon_days()
    run = scorer.run_config_
    start = None if as_of is None else utc_time(as_of, "as_of")
    period = None
    if run is not None and run.framing == "first_touch":  # compared as it was trained
        period = first_touch_period(
            tables, horizon_days, run.train.first_touch_delay_days, run.train.test_share, start
        )
        when, reference = pd.Timestamp(period["as_of"].min()), None
    else:
        train_dates, _, test_date = snapshot_schedule(data_end_of(tables), horizon_days)
        when = start or test_date
        reference = training_reference(run, when) or train_dates[-1]
        created = pd.to_datetime(tables.contacts["created_at"], utc=True)
        if not (created < when).any():
            raise ValueError(
                f"no contact was created before as_of {day_text(when)} (contacts are created "
                f"from {day_text(created.min())} to {day_text(created.max())}); pass a later "
                "--as-of"
            )
    warn_if_stale(tables, when, horizon_days)
    inputs = comparison_inputs(
        tables,
        scorer,
        when,
        horizon_days,
        reference_as_of=reference,
        backtest_rulebooks=books,
        model_version=model_version,
        first_touch=period,
    )
    return build_report(_with_notes(inputs, scorer, input_notes)), when


def _with_notes(
    inputs: ComparisonInputs, scorer: LeadScorer, notes: Sequence[str]
) -> ComparisonInputs:
    """``inputs`` with the data notes, and the empty rulebook's when the scorer has it."""
    run = scorer.run_config_
    empty = [EMPTY_RULEBOOK_NOTE] if run is not None and run.rulebook.empty else []
    given = [*notes, *empty]
    return replace(inputs, input_notes=tuple(given)) if given else inputs


def _compare_flat(
    tables: CrmTables,
    scorer: LeadScorer,
    backtest_rulebooks: Mapping[str, Rulebook],
    model_version: str,
    input_notes: Sequence[str],
) -> tuple[ComparisonReport, pd.Timestamp]:
    """The report of a flat-export scorer on the export's held-out rows
    (:func:`serving.held_out.flat_held_out`), scored as training scored its test rows: at
    :func:`features.flat.flat_as_of` on :func:`features.flat.flat_rule_tables`, with the
    outcome as the label, not as a CRM event (so a converted lead is scored, not rejected,
    and no rule reads the label)."""
    held = flat_held_out(tables, scorer.training_ids())
    when = flat_as_of(tables.contacts)
    unlabelled = flat_rule_tables(tables)
    inputs = comparison_inputs(
        unlabelled,
        scorer,
        when,
        None,
        labels=held.labels,
        backtest_rulebooks=backtest_rulebooks,
        model_version=model_version,
    )
    drift = held.drift_note()
    notes = [held.note(), *([drift] if drift else []), *input_notes]
    inputs = replace(inputs, as_of=held.period())
    return build_report(_with_notes(inputs, scorer, notes)), when


def compare_validated(
    report: ValidationReport,
    loaded: LoadedScorer,
    as_of: str | dt.datetime | None = None,
    backtest_rulebooks: Sequence[str | Path] = (),
) -> tuple[ComparisonReport, pd.Timestamp]:
    """:func:`compare_period` on the validation report of a CRM export
    (:func:`features.ingest.ingest`): the report's *Data notes* say what validation
    quarantined and what the bot filter kept out, its header names the registered
    scorer's (:func:`serving.scorer_model.load_scorer`) version."""
    notes = (validation_note(report.counts), bot_share_text(report.bot_counts))
    return compare_period(
        report.tables,
        loaded.scorer,
        as_of,
        backtest_rulebooks=backtest_rulebooks,
        model_version=f"{loaded.model_name} v{loaded.model_version}",
        input_notes=tuple(note for note in notes if note),
    )


def publish_report(
    report: ComparisonReport, out: str | Path, tracking_uri: str, as_of: pd.Timestamp
) -> str:
    """Write the report's HTML file and ``report.json`` beside it; log both with the
    headline metrics to MLflow.

    Args:
        out: The HTML file to write (atomically); the JSON summary goes beside it.
        tracking_uri: MLflow tracking URI; the run goes to the ``leadscore-compare``
            experiment.
        as_of: The period's start (names the run).

    Returns:
        The MLflow run id.
    """
    path = write_report(report, Path(out))
    summary = write_report_json(report, json_path_beside(path))
    experiment = ensure_experiment(
        "leadscore-compare", tracking_uri, artifact_location_for(tracking_uri)
    )
    with mlflow.start_run(experiment_id=experiment, run_name=f"compare {as_of:%Y-%m-%d}") as run:
        mlflow.log_metrics({k: float(v) for k, v in report.to_dict().items() if v == v})
        mlflow.log_artifact(str(path))
        mlflow.log_artifact(str(summary))
        return str(run.info.run_id)
