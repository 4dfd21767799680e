"""What the comparison report is computed from, checked once, and the rows it cannot use.

The report is a pure function of these frames: the flow loads the held-out period, scores it
with the rulebook and the model, and passes the result here. Rows that cannot be used (no
outcome, no score, a duplicate contact) are quarantined with a reason and counted in the
report, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from serving.report.backtest import BacktestResult
from serving.report.settings import ReportSettings
from serving.report.weights import BlendView

REQUIRED_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "y",
    "manual_score",
    "manual_stage",
    "probability",
    "final_score",
    "tier",
)


@dataclass(frozen=True)
class ComparisonInputs:
    """Everything the report needs, as data frames (no I/O).

    Attributes:
        scored: One row per lead of the held-out period: ``contact_id``, ``y`` (0/1 actual
            conversion), ``manual_score``, ``manual_stage``, ``probability`` (calibrated),
            ``final_score`` (0-100), ``tier`` (A/B/C/D) and optionally ``manual_grade``,
            segment columns and ``top_reasons`` / ``top_rules`` (JSON strings).
        rule_hits: ``contact_id`` plus one boolean column per rule (did the rule fire).
        rule_points: Current points of each rule in ``rule_hits``.
        rule_points_range: (min, max) points of the rulebook; suggestions are scaled to it.
        mql_threshold: Manual score from which a lead is an MQL.
        sql_threshold: Manual score from which a lead is an SQL.
        capacity_k: Capacities over the scored period in leads, one analysis per value;
            the first is the leads sales can work (the headline, ``report.json``'s
            ``captured_at_capacity`` and precision/recall at k use it).
        drift_reference: Feature and score columns of the training period, or None.
        drift_reference_as_of: The date ``drift_reference`` was taken at (shown).
        drift_current: The same columns for the scored period, or None.
        backtests: Rulebooks replayed over past periods (see :class:`BacktestResult`).
        as_of: Scoring date shown in the header (as are the versions).
        input_notes: Notes on the input data shown under "Data notes" (e.g. what
            validation quarantined before scoring).
        blend: The scorer's blend weights, their price on this period and its tiers, or
            None (no blend section).
    """

    scored: pd.DataFrame
    rule_hits: pd.DataFrame
    rule_points: Mapping[str, float]
    rule_points_range: tuple[float, float]
    mql_threshold: float
    sql_threshold: float
    capacity_k: Sequence[int]
    drift_reference: pd.DataFrame | None = None
    drift_current: pd.DataFrame | None = None
    drift_reference_as_of: str = ""
    backtests: Sequence[BacktestResult] = field(default_factory=tuple)
    title: str = "Predictive model vs point rules"
    as_of: str = ""
    model_version: str = ""
    rulebook_version: str = ""
    settings: ReportSettings = field(default_factory=ReportSettings)
    input_notes: Sequence[str] = ()
    blend: BlendView | None = None

    def __post_init__(self) -> None:
        missing = [c for c in REQUIRED_COLUMNS if c not in self.scored.columns]
        if missing:
            raise ValueError(
                f"scored: missing column(s) {missing}; the report needs {list(REQUIRED_COLUMNS)}"
            )
        ids = self.scored["contact_id"].astype("str")
        if ids.str.contains("@", regex=False).any():
            raise ValueError(
                "scored.contact_id: values look like e-mail addresses; pass the CRM contact id "
                "(the report must not show e-mail addresses)"
            )
        _check_rule_hits(self.rule_hits, self.rule_points)
        low, high = self.rule_points_range
        if not low < high:
            raise ValueError(f"rule_points_range: min {low} must be below max {high}")
        if self.sql_threshold < self.mql_threshold:
            raise ValueError(
                f"sql_threshold ({self.sql_threshold}) is below mql_threshold "
                f"({self.mql_threshold}); check the rulebook's stage cut-offs"
            )
        bad_k = [k for k in self.capacity_k if int(k) != k or k < 1]
        if not self.capacity_k or bad_k:
            raise ValueError(f"capacity_k: give positive whole numbers of leads, got {bad_k}")
        if (self.drift_reference is None) != (self.drift_current is None):
            raise ValueError("drift_reference and drift_current must be given together")


def _check_rule_hits(rule_hits: pd.DataFrame, rule_points: Mapping[str, float]) -> None:
    if "contact_id" not in rule_hits.columns:
        raise ValueError("rule_hits: missing column 'contact_id'")
    if not rule_hits["contact_id"].is_unique:
        dup = rule_hits.loc[rule_hits["contact_id"].duplicated(), "contact_id"].iloc[0]
        raise ValueError(f"rule_hits: contact_id {dup!r} appears more than once")
    rules = [c for c in rule_hits.columns if c != "contact_id"]
    for rule in rules:
        col = rule_hits[rule]
        if col.isna().any() or not col.isin([0, 1, True, False]).all():
            raise ValueError(
                f"rule_hits: column '{rule}' must hold booleans (did the rule fire) with no "
                "missing values"
            )
    no_points = [r for r in rules if r not in rule_points]
    if no_points:
        raise ValueError(f"rule_points: no current points for rule(s) {no_points[:5]}")


def split_usable(scored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Separate the rows of :attr:`ComparisonInputs.scored` the report can use from those it
    cannot.

    Returns:
        ``(usable, quarantined)``: usable rows with ``y`` as int and the score columns as
        float (index reset); quarantined rows as ``contact_id`` and ``reason`` (the first
        problem found), in input order.
    """
    y = pd.to_numeric(scored["y"].astype(object), errors="coerce")
    manual = pd.to_numeric(scored["manual_score"], errors="coerce")
    prob = pd.to_numeric(scored["probability"], errors="coerce")
    final = pd.to_numeric(scored["final_score"], errors="coerce")
    checks = [
        (scored["contact_id"].isna(), "contact_id is missing"),
        (~y.isin([0, 1]), "y is missing or not 0/1"),
        (manual.isna(), "manual_score is missing or not a number"),
        (scored["manual_stage"].isna(), "manual_stage is missing"),
        (prob.isna() | (prob < 0) | (prob > 1), "probability is missing or outside [0, 1]"),
        (final.isna(), "final_score is missing or not a number"),
        (scored["tier"].isna(), "tier is missing"),
        (scored["contact_id"].duplicated(), "duplicate contact_id (first row kept)"),
    ]
    conditions = [c.to_numpy(dtype=bool) for c, _ in checks]
    reason = np.select(conditions, [r for _, r in checks], default="")
    bad = reason != ""
    quarantined = pd.DataFrame(
        {"contact_id": scored["contact_id"].astype("str").to_numpy()[bad], "reason": reason[bad]}
    )
    usable = scored.loc[~bad].assign(
        y=y[~bad].astype(int),
        manual_score=manual[~bad].astype(float),
        probability=prob[~bad].astype(float),
        final_score=final[~bad].astype(float),
        contact_id=scored.loc[~bad, "contact_id"].astype("str"),
        manual_stage=scored.loc[~bad, "manual_stage"].astype("str"),
        tier=scored.loc[~bad, "tier"].astype("str"),
    )
    return usable.reset_index(drop=True), quarantined
