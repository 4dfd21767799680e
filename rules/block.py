"""Score one block of contacts: everything decided per contact, on that block's rows alone.

A contact's score depends only on its own properties, its account and its own activities,
so the scorer cuts the contact table into blocks (with their activities) and scores each
block on its own: the arrays of a block stay small enough for the CPU caches and memory is
bounded by the block, which keeps the cost linear in the number of contacts. What needs
all contacts (stages against ``previous``, the account roll-up, the breakdown's order)
happens after, in :mod:`rules.scorer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rules.activities import ActivityIndex
from rules.caps import apply_scale_caps
from rules.collect import RECYCLE_KINDS, collect_rows
from rules.conditions import Evaluator
from rules.model import Rulebook, Scale
from rules.stages import RANK, latest_feedback
from rules.variables import VariableCache
from rules.vocabulary import variables_for


def index_dtype(n: int) -> type[np.signedinteger]:
    """The smallest signed integer type holding the indexes ``0..n-1`` (rules, scales,
    categories): int8/int16 keep the breakdown small, int32/int64 lift any limit on
    how many rules a rulebook has."""
    for dtype in (np.int8, np.int16, np.int32):
        if n <= np.iinfo(dtype).max + 1:
            return dtype
    return np.int64


NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Layout:
    """Names and index maps the scorer derives from the rulebook once.

    Attributes:
        scale_names: Scales in rulebook order.
        rule_names: Rules in rulebook order, then ``recycle:<kind>`` per recycle kind.
        categories: Sorted categories (with ``recycle``).
        cat_of_rule: Category index of each entry of ``rule_names``.
        reasons: Exclusion reasons, first listed first.
    """

    scale_names: list[str]
    rule_names: list[str]
    categories: list[str]
    cat_of_rule: np.ndarray
    reasons: list[str]


def rulebook_layout(rulebook: Rulebook) -> Layout:
    """The :class:`Layout` of a validated rulebook."""
    categories = sorted({r.category for r in rulebook.rules} | {"recycle"})
    exclusions = rulebook.stages.exclusions if rulebook.stages else []
    return Layout(
        rulebook.scale_names(),
        [r.name for r in rulebook.rules] + [f"recycle:{k}" for k in RECYCLE_KINDS],
        categories,
        np.array(
            [categories.index(r.category) for r in rulebook.rules]
            + [categories.index("recycle")] * len(RECYCLE_KINDS),
            dtype=index_dtype(len(categories)),
        ),
        list(dict.fromkeys(ex.reason for ex in exclusions)),
    )


@dataclass(frozen=True)
class BlockRows:
    """One scale's breakdown rows in a block, grouped by rule (rulebook order).

    ``pos`` is the contact position within the block; within a rule, ascending.
    """

    pos: np.ndarray
    rule: np.ndarray
    value: np.ndarray
    raw: np.ndarray
    decayed: np.ndarray
    capped: np.ndarray


@dataclass(frozen=True)
class BlockScores:
    """Per-contact results of one block (arrays over the block's contacts)."""

    totals: dict[str, np.ndarray]
    fit: np.ndarray
    engagement: np.ndarray
    reason: np.ndarray
    fb_kind: np.ndarray
    fb_time: np.ndarray
    rows: dict[str, BlockRows]
    released: np.ndarray
    hold_rank: np.ndarray
    cuts: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]
    unparsed: dict[str, int]


def _forget_before(rulebook: Rulebook, fb_kind: np.ndarray, fb_time: np.ndarray) -> np.ndarray:
    """Per contact, the time before which activities stop earning points (recycling)."""
    forget = np.full(fb_kind.size, NO_TIME, dtype=np.int64)
    if rulebook.recycle is not None:
        for kind in RECYCLE_KINDS:
            if getattr(rulebook.recycle, kind).mode in {"forget_activity", "reset"}:
                hit = fb_kind == kind
                forget[hit] = fb_time[hit]
    return forget


def _cut_label(what: str, categories: list[str], scale: Scale) -> str:
    """``cap fit``, ``total cap`` or ``gate <name>``: what cut a sum, for explanations."""
    if what.startswith("category:"):
        return f"cap {categories[int(what.split(':')[1])]}"
    if what == "gate" and scale.gate is not None:
        return "gate" if scale.gate.name == "gate" else f"gate {scale.gate.name}"
    return "total cap"


def acted_after(history: ActivityIndex, since_ns: np.ndarray) -> np.ndarray:
    """Per contact, whether any activity other than sales feedback came after ``since_ns``."""
    rows = history.filter_rows({"activity_type": {"op": "ne", "value": "sales_feedback"}})
    latest = np.full(history.n_contacts, NO_TIME, dtype=np.int64)
    np.maximum.at(latest, history.pos[rows], history.time_ns[rows])
    return latest > since_ns


def _released(
    rulebook: Rulebook, ev: Evaluator, fb_kind: np.ndarray, fb_time: np.ndarray
) -> np.ndarray:
    """Recycled contacts free to leave their recycle stage (``until`` holds, or they acted
    again after the feedback); True for everyone else."""
    released = np.ones(fb_kind.size, dtype=bool)
    if rulebook.recycle is None:
        return released
    acted: np.ndarray | None = None
    for kind in RECYCLE_KINDS:
        action = getattr(rulebook.recycle, kind)
        hit = fb_kind == kind
        if not hit.any():
            continue
        if action.until is not None:
            released[hit] = ev.condition(action.until)[hit]
        else:
            acted = acted_after(ev.history, fb_time) if acted is None else acted
            released[hit] = acted[hit]
    return released


def _hold_rank(rulebook: Rulebook, ev: Evaluator) -> np.ndarray:
    """Highest stage rank the holds allow per contact (3, sql: no hold applies)."""
    top = np.full(ev.n, RANK["sql"], dtype=np.int8)
    for hold in rulebook.stages.holds if rulebook.stages else []:
        waiting = ~ev.condition(hold.until)
        top[waiting] = np.minimum(top[waiting], RANK[hold.stage])
    return top


def score_block(
    contacts: pd.DataFrame,
    accounts: pd.DataFrame,
    history: ActivityIndex,
    rulebook: Rulebook,
    layout: Layout,
    account_pos: np.ndarray | None = None,
) -> BlockScores:
    """Rule contributions, caps, totals, fit, engagement and exclusions of a block.

    Args:
        contacts: The block's contacts (RangeIndex, scoring order).
        accounts: The whole account table.
        history: The block's activities before ``as_of`` (:meth:`ActivityIndex.block`).
        layout: The rulebook's :func:`rulebook_layout`.
        account_pos: Position of each contact's account in ``accounts`` (-1: none), when
            the caller looked it up for all blocks at once; None looks it up here.
    """
    n = len(contacts)
    rule_type = index_dtype(len(layout.rule_names))
    fb_kind, fb_time = latest_feedback(history)
    forget = _forget_before(rulebook, fb_kind, fb_time)
    activity = history.forgetting(forget) if (forget > NO_TIME).any() else history
    ev = Evaluator(
        contacts,
        accounts,
        history,
        activity,
        variables_for(dict(rulebook.extra_columns)),
        tuple(rulebook.free_email_domains) if rulebook.free_email_domains else None,
        VariableCache(account_pos=account_pos),
    )
    categories, cat_of_rule = layout.categories, layout.cat_of_rule
    collected = collect_rows(rulebook, ev, fb_kind)
    rows: dict[str, BlockRows] = {}
    totals: dict[str, np.ndarray] = {}
    category_sums = np.zeros((n, len(categories)))
    cuts: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]] = []
    for scale in rulebook.scales:
        r = collected[scale.name]
        capped = {categories.index(c): cap for c, cap in scale.caps.items() if c in categories}
        cat_caps = {i: (cap.max, cap.min) for i, cap in capped.items()}
        total_cap = (scale.total.max, scale.total.min) if scale.total else None
        gate_max = None
        if scale.gate is not None:
            gate_max = np.where(ev.condition(scale.gate.unless), np.inf, scale.gate.max)
        combine = {i: list(c.weights or [1.0]) for i, c in capped.items() if c.combine == "max"}
        caps = apply_scale_caps(
            r.pos,
            cat_of_rule[r.rule],
            r.decayed,
            n,
            len(categories),
            cat_caps,
            total_cap,
            gate_max,
            combine,
        )
        if scale.name == rulebook.primary_scale:
            category_sums = caps.category_sums
        totals[scale.name] = caps.totals
        for what, where, before, after in caps.cuts:
            cuts.append((scale.name, _cut_label(what, categories, scale), where, before, after))
        rows[scale.name] = BlockRows(
            r.pos.astype(np.int32), r.rule.astype(rule_type), r.value, r.raw, r.decayed, caps.capped
        )

    # fit and engagement: after decay and category caps, before the total cap and the gate
    def category_sum(names: list[str]) -> np.ndarray:
        picked = [categories.index(c) for c in names if c in categories]
        return category_sums[:, picked].sum(axis=1) if picked else np.zeros(n)

    reason = np.full(n, -1, dtype=np.int64)
    exclusions = list(rulebook.stages.exclusions) if rulebook.stages else []
    for ex in reversed(exclusions):  # first listed reason wins
        reason[ev.condition(ex.when)] = layout.reasons.index(ex.reason)
    return BlockScores(
        totals,
        category_sum(rulebook.fit_categories),
        category_sum(rulebook.engagement_categories),
        reason,
        fb_kind,
        fb_time,
        rows,
        _released(rulebook, ev, fb_kind, fb_time),
        _hold_rank(rulebook, ev),
        cuts,
        dict(ev.unparsed),
    )
