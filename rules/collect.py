"""Gather every rule's contributions per scale, plus the sales-feedback recycle adjustments.

Rows are kept per scale (a rule counting towards two scales appears in both), so that caps
and totals work on each scale's arrays without selecting them out of one big table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rules.conditions import Evaluator, reads_activity
from rules.model import Rule, Rulebook
from rules.points import rule_contributions

RECYCLE_KINDS = ("not_ready", "unqualified")


@dataclass(frozen=True)
class ScaleRows:
    """Parallel arrays of one scale: contact position, rule index and points."""

    pos: np.ndarray
    rule: np.ndarray
    raw: np.ndarray
    decayed: np.ndarray
    value: np.ndarray


def uses_activity(rule: Rule) -> bool:
    """True when a rule's points depend on activities (recycling forgets those)."""
    return (
        rule.kind == "each"
        or reads_activity(rule.when)
        or (rule.kind == "bands" and rule.bands is not None and rule.bands.of.activity is not None)
        or (rule.kind == "steps" and rule.steps is not None and rule.steps.of.activity is not None)
    )


def collect_rows(rulebook: Rulebook, ev: Evaluator, fb_kind: np.ndarray) -> dict[str, ScaleRows]:
    """Evaluate all rules once and file their contributions under each of their scales.

    Recycle rule indices follow the rulebook's rules: ``len(rules) + i`` for
    ``RECYCLE_KINDS[i]``. ``reset`` adds ``to`` minus the points of rules that do not read
    activities (activities before the feedback are already forgotten by the evaluator);
    ``subtract`` adds ``-points``. ``fb_kind`` is the latest sales feedback kind per
    contact (``""`` when none). Returns scale name -> its rows.
    """
    n = ev.n
    parts: dict[str, list[tuple[np.ndarray, ...]]] = {s: [] for s in rulebook.scale_names()}
    fixed = {s: np.zeros(n) for s in parts}
    for r_i, rule in enumerate(rulebook.rules):
        c = rule_contributions(rule, ev)
        rule_col = np.full(c.pos.size, r_i, dtype=np.int64)
        for s in rulebook.rule_scales(rule):
            parts[s].append((c.pos, rule_col, c.raw, c.decayed, c.value))
            if not uses_activity(rule):
                fixed[s] += np.bincount(c.pos, weights=c.decayed, minlength=n)
    if rulebook.recycle is not None:
        for k_i, kind in enumerate(RECYCLE_KINDS):
            action = getattr(rulebook.recycle, kind)
            pos = np.flatnonzero(fb_kind == kind)
            if action.mode == "forget_activity" or pos.size == 0:
                continue
            rule_col = np.full(pos.size, len(rulebook.rules) + k_i, dtype=np.int64)
            for s in parts:
                pts = (
                    action.to - fixed[s][pos]
                    if action.mode == "reset"
                    else np.full(pos.size, -action.points)
                )
                parts[s].append((pos, rule_col, pts, pts.copy(), np.full(pos.size, np.nan)))
    out: dict[str, ScaleRows] = {}
    for s, items in parts.items():
        if not items:
            empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0)
            out[s] = ScaleRows(empty_i, empty_i, empty_f, empty_f, empty_f)
            continue
        cols = [np.concatenate([it[i] for it in items]) for i in range(5)]
        out[s] = ScaleRows(
            cols[0].astype(np.int64, copy=False),
            cols[1],
            cols[2].astype(float, copy=False),
            cols[3].astype(float, copy=False),
            cols[4].astype(float, copy=False),
        )
    return out
