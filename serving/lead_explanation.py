"""Why one lead has its score: the model's factors (SHAP) and the rules that fired.

``leadscore explain CONTACT_ID`` calls :func:`explain_lead`, which reads and validates
only the lead's account (:func:`explain_from_source`); notebooks call
:func:`explain_contact` with tables already in memory and format the result with
:func:`format_lead_explanation`. Model contributions are in log-odds of the model's raw
margin (they add up, with the expected value, to it); rule points are the points the
contact kept on the primary scale after decay and caps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.ingest import load_mapping
from features.ingest.load import filter_bots
from features.ingest.readers import InputError, TableError
from features.ingest.validation import ValidationReport, validate_tables
from features.reasons import format_number, points_text, time_text
from models.frames import align_features
from rules import explanation_frame
from serving.batch import utc_as_of
from serving.eligibility import as_of_that_explains, validation_rejects, warn_if_stale
from serving.explain import top_factors
from serving.lead_rows import read_lead
from serving.reason_rates import reason_line, shown_lift
from serving.reasons import CONTRIBUTION_UNIT, reasons_json, shap_contributions
from serving.scorer import LeadScorer
from serving.scorer_artifact import read_registered_scorer

FACTORS_SHOWN = 5
"""Model factors an explanation shows per direction when not told otherwise."""


@dataclass(frozen=True)
class LeadExplanation:
    """One lead's scores, model factors and rules.

    Attributes:
        as_of: Scoring time (UTC).
        scores: ``final_score``, ``tier``, ``stage``, ``probability``, ``manual_score``,
            ``grade`` and ``margin`` of the lead.
        expected_value: The model's average margin (SHAP base value).
        factors: ``feature``, ``text``, ``lift``, ``contribution`` (log-odds), strongest
            positive first, then strongest negative.
        rules: ``rule``, ``category``, ``points`` of every rule that gave points, largest
            absolute points first.
        crm_text: The reasons as the CRM shows them (the scorer's top factors up and
            down, each as a conversion rate, at most 200 characters).
    """

    contact_id: str
    as_of: pd.Timestamp
    scores: dict[str, Any]
    expected_value: float
    factors: pd.DataFrame
    rules: pd.DataFrame
    crm_text: str = ""


def explain_contact(
    scorer: LeadScorer,
    tables: CrmTables,
    as_of: str | pd.Timestamp,
    contact_id: str,
    k: int = FACTORS_SHOWN,
    data_end: pd.Timestamp | None = None,
) -> LeadExplanation:
    """Score the tables as of ``as_of`` and explain ``contact_id``.

    Args:
        tables: Validated CRM tables (all of them: account features need the colleagues).
        as_of: Scoring time (naive = UTC).
        k: Model factors per direction.
        data_end: Where the whole CRM's data ends when ``tables`` are one account's rows
            (the stale ``as_of`` warning judges by it); None: the tables' own end.

    Raises:
        KeyError: The contact is not in the tables, or was rejected (with the reason).
    """
    run = scorer.run_config_
    horizon = None if run is None else run.horizon_days
    warn_if_stale(tables, utc_as_of(as_of), horizon, data_end)
    prepared = scorer.prepare(tables, as_of)
    rows = np.flatnonzero(prepared.frame["contact_id"].to_numpy() == contact_id)
    if len(rows) == 0:
        hit = prepared.rejects.loc[prepared.rejects["contact_id"] == contact_id, "reason"]
        why = f"it was rejected: {hit.iloc[0]}" if len(hit) else "it is not in the contacts table"
        hint = as_of_that_explains(tables, contact_id, hit.iloc[0]) if len(hit) else ""
        why += f"; {hint}" if hint else ""
        raise KeyError(f"contact {contact_id!r} cannot be explained as of {prepared.as_of}: {why}")
    row = prepared.frame.iloc[rows]
    scored = scorer.score_frame(row, explain=False).iloc[0]
    model = scorer.model
    X = align_features(row, model.feature_names_, model.categories_, "contact")
    # one row: LightGBM's own exact TreeSHAP, without building the batch's fast explainer
    contrib = shap_contributions(model, X, method="lightgbm")
    up, down = scorer.settings.top_k, scorer.settings.top_k_down
    rates = getattr(scorer, "reason_rates", None)
    lift = None if rates is None else shown_lift(rates.lift_matrix(X))  # as the batch does
    i_pos, v_pos, i_neg, v_neg = top_factors(contrib, max(k, up, down), lift)

    def cell(n_up: int, n_down: int) -> str:
        idx = np.hstack([i_pos[:, :n_up], i_neg[:, :n_down]])
        return str(reasons_json(X, idx, np.hstack([v_pos[:, :n_up], v_neg[:, :n_down]]),
                                scorer.spec_, rates).iloc[0])  # fmt: skip

    columns = ["feature", "text", "lift", "contribution"]
    factors = pd.DataFrame(json.loads(cell(k, k)), columns=columns)
    if prepared.rules is None:  # prepare() always returns the rulebook result
        raise ValueError(f"no rule scores for {contact_id!r}")
    breakdown = explanation_frame(prepared.rules, contact_id)
    fired = breakdown.loc[
        (breakdown["scale"] == scorer.rulebook_.primary_scale)
        & (breakdown["points_after_caps"] != 0)
    ]
    rules = (
        fired.assign(points=fired["points_after_caps"], size=fired["points_after_caps"].abs())
        .sort_values("size", ascending=False, kind="stable")
        .loc[:, ["rule", "category", "points"]]
        .reset_index(drop=True)
    )
    keys = ("final_score", "tier", "stage", "probability", "manual_score", "grade", "margin")
    return LeadExplanation(
        contact_id,
        prepared.as_of,
        {key: scored[key] for key in keys},
        float(contrib[0, -1]),
        factors,
        rules,
        reason_line(cell(up, down)),
    )


def format_lead_explanation(explanation: LeadExplanation) -> str:
    """Plain text with both sections: model factors and rules fired."""
    s = explanation.scores
    grade = s["grade"] if isinstance(s["grade"], str) else "-"
    lines = [
        f"Lead {explanation.contact_id} as of {time_text(explanation.as_of)}",
        f"Final score {float(s['final_score']):.1f} (tier {s['tier']}), stage {s['stage']}, "
        f"grade {grade}",
        f"Model probability {float(s['probability']):.1%}; manual score "
        f"{format_number(float(s['manual_score']))} points",
        "",
        f"Model factors (contribution in {CONTRIBUTION_UNIT}; base "
        f"{explanation.expected_value:+.3f}, this lead {float(s['margin']):+.3f}):",
    ]
    if explanation.factors.empty:
        lines.append("  (no feature moved this lead away from the average)")
    for f in explanation.factors.itertuples(index=False):
        lines.append(f"  {f.contribution:+8.4f}  {f.text}")
    if explanation.crm_text:
        lines += [
            "",
            "In the CRM (conversion rates of leads like this one):",
            f"  {explanation.crm_text}",
        ]
    lines += ["", "Rules that fired (points on the primary scale):"]
    if explanation.rules.empty:
        lines.append("  (no rule gave points)")
    for r in explanation.rules.itertuples(index=False):
        lines.append(f"  {points_text(r.points):>8}  {r.rule} ({r.category})")
    return "\n".join(lines)


def scorer_to_explain(model_uri: str, tracking_uri: str | None) -> LeadScorer:
    """The registered scorer, read straight from its pickle in a local store (no MLflow
    import), else loaded through MLflow (about 1.5 s of CPU more)."""
    scorer = read_registered_scorer(model_uri, tracking_uri)
    if scorer is None:
        from serving.scorer_model import load_scorer

        scorer = load_scorer(model_uri, tracking_uri, check_requirements=False).scorer
    return scorer


def explain_lead(
    data: str,
    scorer: LeadScorer,
    contact_id: str,
    as_of: str | None = None,
    mapping: str | None = None,
    k: int = FACTORS_SHOWN,
) -> str:
    """Explain one lead's score: model factors and rules, as text for the terminal.

    Args:
        data: Folder, file or database URL of the CRM export (as for ``leadscore score``).
        scorer: The scorer (:func:`scorer_to_explain`).
        contact_id: The lead's CRM id.
        as_of: Scoring time, e.g. ``2026-11-01`` (default: today 00:00 UTC).
        mapping: Column-mapping YAML for non-canonical exports.
        k: Model factors shown per direction.

    Returns:
        The explanation text (both sections).
    """
    when = utc_as_of(as_of)
    explanation = explain_from_source(data, scorer, contact_id, when, mapping, k)
    text = format_lead_explanation(explanation)
    if as_of is None:
        text = f"No --as-of given: explained as of today, {time_text(when)}.\n{text}"
    return text


def explain_from_source(
    data: str | Path,
    scorer: LeadScorer,
    contact_id: str,
    as_of: str | pd.Timestamp,
    mapping: str | Path | None = None,
    k: int = FACTORS_SHOWN,
) -> LeadExplanation:
    """Read and validate only the lead's account (:func:`serving.lead_rows.read_lead`),
    filter bots with the default settings, as the batch does, and explain the lead.

    Validation runs the suites' rules with pandas (``engine="pandas"``: Great
    Expectations' verdicts without importing it), so the result equals that of the
    whole CRM ingested and :func:`explain_contact`.

    Args:
        data: Folder, file or database URL of the CRM export.
        contact_id: The lead's CRM id.
        as_of: Scoring time (naive = UTC).
        mapping: Column-mapping YAML (path or shipped name) for non-canonical exports.
        k: Model factors per direction.

    Raises:
        KeyError: The contact is not in the data, validation quarantined it, or it was
            rejected (the message says which).
        InputError: The data cannot be read, or its account's rows fail a table check.
    """
    lead = read_lead(data, contact_id, load_mapping(Path(mapping)) if mapping else None)
    return explain_account(
        lead.tables, scorer, contact_id, as_of, str(data), k, lead.data_end, now=lead.now
    )


def account_report(
    rows: dict[str, pd.DataFrame],
    scorer: LeadScorer,
    contact_id: str,
    source: str,
    *,
    now: pd.Timestamp | None = None,
) -> ValidationReport:
    """One lead's account's rows validated as the batch validates them, bots filtered.

    Kept columns are typed with the scorer's type inference settings and training's
    type of each (:meth:`serving.scorer.LeadScorer.read_settings`), as ``score`` and
    ``compare`` type them.

    Args:
        rows: The account's rows per canonical table (:func:`serving.lead_rows.read_lead`).
        contact_id: The lead's CRM id (named in errors).
        source: Where the rows came from (named in errors).
        now: Timestamps after this are future-dated and quarantined (None: the current UTC
            time).

    Raises:
        InputError: The rows fail a table check.
    """
    try:
        # the same rules and verdicts as GX, without importing it (a few hundred rows)
        report = validate_tables(
            rows, now=now, source=source, engine="pandas", **scorer.read_settings()
        )
    except TableError as exc:
        raise InputError(f"validating the account of contact {contact_id!r}: {exc}") from exc
    # as the batch does: bot rules look at one activity or one contact's, so the account's
    # rows get the whole run's verdicts
    return filter_bots(report)


def explain_account(
    rows: dict[str, pd.DataFrame],
    scorer: LeadScorer,
    contact_id: str,
    as_of: str | pd.Timestamp,
    source: str,
    k: int = FACTORS_SHOWN,
    data_end: pd.Timestamp | None = None,
    *,
    now: pd.Timestamp | None = None,
) -> LeadExplanation:
    """Validate one lead's account's rows, filter bots and explain the lead.

    The steps of :func:`explain_from_source` after reading: ``rows`` are unvalidated
    frames per canonical table, as :func:`serving.lead_rows.read_lead` returns them.

    Args:
        as_of: Scoring time (naive = UTC).
        source: Where the rows came from (named in errors).
        k: Model factors per direction.
        data_end: Where the whole source's data ends (:func:`serving.lead_rows.read_lead`),
            for the stale ``as_of`` warning; None: the account's rows' own end.
        now: Timestamps after this are future-dated and quarantined (None: the current UTC
            time); :func:`serving.lead_rows.read_lead` left them out of ``data_end`` by the
            same ``now`` (``LeadRows.now``).

    Raises:
        KeyError: Validation quarantined the contact, or it was rejected.
        InputError: The rows fail a table check.
    """
    report = account_report(rows, scorer, contact_id, source, now=now)
    quarantined = validation_rejects(
        report.quarantine.get("contacts", pd.DataFrame()), report.tables.contacts["contact_id"]
    )
    hit = quarantined.loc[quarantined["contact_id"] == contact_id, "reason"]
    if len(hit):
        raise KeyError(
            f"contact {contact_id!r} cannot be explained: validation quarantined it "
            f"({hit.iloc[0]}); fix the row in the export and re-run"
        )
    return explain_contact(scorer, report.tables, as_of, contact_id, k, data_end)
