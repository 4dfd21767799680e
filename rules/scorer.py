"""Score the whole contact table with a rulebook at one ``as_of`` date, vectorised.

Order of work: activity index (``occurred_at < as_of`` only) -> sales feedback and
recycling (which activities still earn points) -> every rule's contributions (criteria,
bands, per-activity with limits and decay) -> recycle adjustments -> caps per scale
(category, total, gate) -> totals, fit, engagement, grade, stage, exclusions -> account
roll-up. Same rulebook + same data + same ``as_of`` gives the same result.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from features.crm import CrmTables
from rules.accounts import roll_up_accounts
from rules.caps import apply_scale_caps
from rules.collect import RECYCLE_KINDS, collect_rows
from rules.conditions import Evaluator
from rules.context import build_activity_index
from rules.model import STAGE_ORDER, Recycle, Rulebook
from rules.result import ScoreResult, breakdown_frame
from rules.stages import grades, latest_feedback, lifecycle_stage, previous_state, scale_level
from rules.vocabulary import variables_for

log = logging.getLogger(__name__)


def _as_timestamp(as_of: str | dt.date | dt.datetime | pd.Timestamp) -> pd.Timestamp:
    ts = pd.Timestamp(as_of)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _contacts(tables: CrmTables) -> pd.DataFrame:
    contacts = tables.contacts.reset_index(drop=True)
    dup = contacts["contact_id"].duplicated()
    if dup.any():
        first = contacts.loc[dup, "contact_id"].iloc[0]
        raise ValueError(
            f"contacts.contact_id has {int(dup.sum())} duplicate id(s), e.g. row "
            f"{int(np.flatnonzero(dup.to_numpy())[0])} ({first!r}); deduplicate "
            "contacts before scoring"
        )
    return contacts


def score_rulebook(
    tables: CrmTables,
    rulebook: Rulebook,
    as_of: str | dt.date | dt.datetime | pd.Timestamp,
    previous: pd.DataFrame | None = None,
) -> ScoreResult:
    """Score every contact with ``rulebook`` as of ``as_of``.

    Only activities with ``occurred_at < as_of`` count; outcomes are never read. Sales
    feedback (``sales_feedback`` activities) and deal stage changes before ``as_of`` feed
    recycling, exclusions and stages (see :mod:`rules.stages`).

    Args:
        tables: Canonical CRM tables (clean, canonical dtypes); extra contact columns the
            rulebook declares under ``extra_columns`` are read by name.
        rulebook: A validated rulebook (:func:`rules.load_rulebook`).
        as_of: Scoring date; naive values are UTC.
        previous: The prior run's ``ScoreResult.scores`` (``contact_id``, ``stage``,
            ``as_of``) so that stages never move backwards; None derives what it can from
            the feedback history.

    Returns:
        Per-contact scores, the long breakdown of every rule that fired and the account
        roll-up.

    Raises:
        ValueError: duplicate contact ids, or an extra column missing / of the wrong type.
    """
    ts = _as_timestamp(as_of)
    contacts = _contacts(tables)
    ids = pd.Index(contacts["contact_id"].astype("str"))
    n = len(contacts)
    history = build_activity_index(tables.activities, ids, ts)
    fb_kind, fb_time = latest_feedback(history)
    recycle = rulebook.recycle
    forget = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if recycle is not None:
        for kind in RECYCLE_KINDS:
            if getattr(recycle, kind).mode in {"forget_activity", "reset"}:
                hit = fb_kind == kind
                forget[hit] = fb_time[hit]
    activity = history.forgetting(forget) if (forget > np.iinfo(np.int64).min).any() else history
    ev = Evaluator(
        contacts,
        tables.accounts,
        history,
        activity,
        variables_for(dict(rulebook.extra_columns)),
        tuple(rulebook.free_email_domains) if rulebook.free_email_domains else None,
    )

    scale_names = rulebook.scale_names()
    rule_names = [r.name for r in rulebook.rules] + [f"recycle:{k}" for k in RECYCLE_KINDS]
    categories = sorted({r.category for r in rulebook.rules} | {"recycle"})
    cat_of_rule = np.array(
        [categories.index(r.category) for r in rulebook.rules] + [categories.index("recycle")] * 2
    )
    rows = collect_rows(rulebook, ev, fb_kind)
    capped: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    totals: dict[str, np.ndarray] = {}
    for scale in rulebook.scales:
        r = rows[scale.name]
        cat_caps = {
            categories.index(c): (cap.max, cap.min)
            for c, cap in scale.caps.items()
            if c in categories
        }
        total_cap = (scale.total.max, scale.total.min) if scale.total else None
        gate_max = None
        if scale.gate is not None:
            gate_max = np.where(ev.condition(scale.gate.unless), np.inf, scale.gate.max)
        capped[scale.name] = apply_scale_caps(
            r.pos, cat_of_rule[r.rule], r.decayed, n, cat_caps, total_cap, gate_max
        )
        totals[scale.name] = np.bincount(r.pos, weights=capped[scale.name][1], minlength=n)

    # fit and engagement: after decay and category caps, before the total cap and the gate
    prim = rows[rulebook.primary_scale]
    prim_cat = cat_of_rule[prim.rule]
    by_category = capped[rulebook.primary_scale][0]

    def category_sum(names: list[str]) -> np.ndarray:
        sel = np.isin(prim_cat, [categories.index(c) for c in names if c in categories])
        return np.bincount(prim.pos[sel], weights=by_category[sel], minlength=n)

    fit = category_sum(rulebook.fit_categories)
    engagement = category_sum(rulebook.engagement_categories)
    total = totals[rulebook.primary_scale]

    scores = pd.DataFrame({"contact_id": ids.to_numpy(), "total": total})
    for scale in rulebook.scales:
        scores[scale.name] = totals[scale.name]
        if scale.thresholds:
            scores[f"{scale.name}_level"] = scale_level(totals[scale.name], scale)
    scores["fit"] = fit
    scores["engagement"] = engagement
    scores["grade"] = (
        grades(fit, engagement, rulebook.grade)
        if rulebook.grade
        else pd.Categorical.from_codes(np.full(n, -1), categories=[])
    )
    reason = np.full(n, -1, dtype=np.int64)
    stages_cfg = rulebook.stages
    exclusions = list(stages_cfg.exclusions) if stages_cfg else []
    reasons = list(dict.fromkeys(ex.reason for ex in exclusions))
    if stages_cfg is not None:
        for ex in reversed(exclusions):  # first listed reason wins
            reason[ev.condition(ex.when)] = reasons.index(ex.reason)
        prev_rank, prev_at = previous_state(previous, ids)
        scores["stage"] = lifecycle_stage(
            total,
            stages_cfg,
            recycle or Recycle(),
            fb_kind,
            fb_time,
            reason >= 0,
            prev_rank,
            prev_at,
        )
    else:
        scores["stage"] = pd.Categorical.from_codes(np.full(n, -1), categories=list(STAGE_ORDER))
    scores["excluded_reason"] = pd.Categorical.from_codes(reason, categories=reasons)
    scores["rulebook"] = rulebook.name
    scores["rulebook_version"] = rulebook.version
    scores["as_of"] = ts

    order = [rows[s] for s in scale_names]
    rule_idx = np.concatenate([r.rule for r in order])
    breakdown = breakdown_frame(
        ids,
        np.concatenate([r.pos for r in order]),
        np.repeat(np.arange(len(order)), [r.pos.size for r in order]),
        rule_idx,
        cat_of_rule[rule_idx],
        np.concatenate([r.value for r in order]),
        np.concatenate([r.raw for r in order]),
        np.concatenate([r.decayed for r in order]),
        np.concatenate([capped[s][1] for s in scale_names]),
        scale_names,
        rule_names,
        categories,
    )
    accounts = None
    if rulebook.accounts is not None and "account_id" in contacts:
        column = rulebook.accounts.scale or rulebook.primary_scale
        accounts = roll_up_accounts(scores, contacts["account_id"], column, rulebook.accounts)
    ignored = int((history.pos < 0).sum())
    log.info(
        "scored %d contacts with rulebook %s v%s as of %s (%d breakdown rows)",
        n,
        rulebook.name,
        rulebook.version,
        ts.isoformat(),
        len(breakdown),
    )
    return ScoreResult(scores, breakdown, accounts, rulebook.name, rulebook.version, ts, ignored)
