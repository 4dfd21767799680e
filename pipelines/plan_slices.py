"""Wiring: turn a :class:`features.plan.TrainingPlan` into the three model slices.

``snapshots``: the plan's snapshot dates, stacked by
:func:`features.training_set.build_training_set` and split by date. ``first_touch``: one
row per eligible contact at its own ``as_of``
(:func:`features.first_touch.build_first_touch_set`), split by the plan's time order. The
manual rulebook is scored at each row's ``as_of`` for the valid and test rows.
:func:`config_slices` is both steps at once (plan, then slices), for callers outside the
train flow (tests, benchmarks), so that they train on what ``leadscore train`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.first_touch import build_first_touch_set, day_tables
from features.plan import PlanRequest, TrainingPlan, make_plan
from features.spec import FeatureSpec
from features.training_set import TrainingSet, build_training_set, time_split
from models.config import TrainConfig
from models.estimator import MIN_VALID_PER_CLASS
from models.leakage import LeakageSettings, check_leakage
from pipelines.training_data import (
    SEGMENT_COLUMNS,
    RuleTotals,
    Slices,
    require_both_classes,
)
from rules import Rulebook, score_rulebook
from serving.scorer_training import manual_scores_of


def plan_request(config: TrainConfig) -> PlanRequest:
    """The training config's plan settings (None: the plan chooses): each field of
    :class:`PlanRequest` from the config's field of the same name, but these two."""
    given: dict[str, Any] = {
        "delay_days": config.first_touch_delay_days,
        "min_valid_per_class": MIN_VALID_PER_CLASS,
    }
    same = {f.name: getattr(config, f.name) for f in fields(PlanRequest) if f.name not in given}
    return PlanRequest(**same, **given)


def _segments(test: TrainingSet) -> pd.DataFrame:
    return test.X[[c for c in SEGMENT_COLUMNS if c in test.X.columns]].rename(
        columns=SEGMENT_COLUMNS
    )


def _per_day(
    part: TrainingSet, total_at: Callable[[pd.Timestamp, pd.Series], np.ndarray]
) -> np.ndarray:
    """``total_at(day, contact ids)`` for each row at its own snapshot, day by day."""
    out = np.zeros(len(part.y), dtype="float64")
    stamps = part.snapshot.reset_index(drop=True)
    ids = part.contact_id.reset_index(drop=True)
    for day in stamps.unique():
        rows = (stamps == day).to_numpy()
        out[rows] = total_at(pd.Timestamp(day), ids[rows])
    return out


ManualScores = Callable[[TrainingSet], np.ndarray]
"""The rulebook total of each row of a slice at its own ``as_of``."""

Parts = tuple[TrainingSet, TrainingSet, TrainingSet, TrainingSet, ManualScores]
"""All rows, then the train, valid and test slices, and their manual scores."""


def _snapshot_parts(
    tables: CrmTables, spec: FeatureSpec, plan: TrainingPlan, rulebook: Rulebook
) -> Parts:
    train_dates, valid_dates, test_dates = (
        plan.snapshot_dates(p) for p in ("train", "valid", "test")
    )
    totals = RuleTotals(tables, rulebook, (*valid_dates, *test_dates))
    ts = build_training_set(
        tables,
        [*train_dates, *valid_dates, *test_dates],
        plan.horizon_days,
        spec,
        rule_scores=totals,
    )
    train, valid, test = time_split(
        ts, valid_snapshots=len(valid_dates), test_snapshots=len(test_dates)
    )
    return ts, train, valid, test, lambda part: _per_day(part, totals.of)


def _first_touch_parts(
    tables: CrmTables, spec: FeatureSpec, plan: TrainingPlan, rulebook: Rulebook
) -> Parts:
    labels = plan.first_touch
    if labels is None:
        raise ValueError(
            "a first_touch plan carries its per-contact labels; make it with make_plan"
        )

    def rule_totals(sub: CrmTables, as_of: pd.Timestamp) -> pd.Series:
        scores = score_rulebook(sub, rulebook, as_of).scores
        return scores.set_index("contact_id")["total"]

    def total_at(day: pd.Timestamp, ids: pd.Series) -> np.ndarray:
        """The rulebook total of first-touch rows at their own ``as_of`` (day by day)."""
        sub = day_tables(tables, pd.Index(ids.astype("object")))
        return manual_scores_of(rule_totals(sub, day), ids)

    ts = build_first_touch_set(tables, labels, plan.horizon_days, spec, rule_scores=rule_totals)
    part = labels["slice"].reindex(ts.contact_id.astype("object").to_numpy()).to_numpy()
    train, valid, test = (ts.subset(part == name) for name in ("train", "valid", "test"))
    return ts, train, valid, test, lambda rows: _per_day(rows, total_at)


def plan_slices(
    tables: CrmTables,
    spec: FeatureSpec,
    plan: TrainingPlan,
    *,
    rulebook: Rulebook,
    keep_leaky: bool = False,
    leakage: LeakageSettings | None = None,
) -> Slices:
    """The train / valid / test slices the plan describes, after the leakage guard.

    Args:
        tables: Validated canonical tables.
        plan: From :func:`features.plan.make_plan`.
        rulebook: The manual rulebook (the manual score of valid and test rows).
        keep_leaky: Keep columns the leakage guard flags (still reported).
        leakage: The guard's thresholds (None: :class:`models.leakage.LeakageSettings`).
    """
    kind = "first_touch" if plan.framing == "first_touch" else "snapshots"
    parts = _first_touch_parts if kind == "first_touch" else _snapshot_parts
    ts, train, valid, test, manual = parts(tables, spec, plan, rulebook)
    require_both_classes(ts, {"train": train, "valid": valid, "test": test})
    as_of = train.snapshot.reset_index(drop=True)
    guard = check_leakage(train.X, train.y, as_of=as_of, keep_suspects=keep_leaky, settings=leakage)
    return Slices(
        train, valid, test, guard, kind, manual(test), _segments(test),
        {"plan": plan.to_dict()}, manual_score_valid=manual(valid),
    )  # fmt: skip


def config_slices(
    tables: CrmTables,
    spec: FeatureSpec,
    config: TrainConfig,
    *,
    rulebook: Rulebook,
) -> Slices:
    """The slices ``leadscore train`` builds from ``config``: the plan
    :func:`features.plan.make_plan` chooses for its settings, then :func:`plan_slices`.

    Args:
        tables: Validated canonical tables (with activity history).
        config: The training config (framing, horizon, snapshots, shares).

    Raises:
        features.plan.PlanError: No plan fits the data and settings.
    """
    plan = make_plan(tables, plan_request(config))
    return plan_slices(tables, spec, plan, rulebook=rulebook)
