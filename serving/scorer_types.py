"""Settings and results of :class:`serving.scorer.LeadScorer`, and its step timer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from models.config import UpgradableSettings
from rules import ScoreResult

RULE_TEXT_COLUMNS: tuple[str, ...] = ("stage", "grade", "top_rules")
RULE_COLUMNS: tuple[str, ...] = ("manual_score", *RULE_TEXT_COLUMNS)
"""The rules' outputs in a prepared frame: the manual score (a number), then text."""
OUTPUT_COLUMNS: tuple[str, ...] = (
    "final_score", "tier", "stage", "probability", "manual_score", "grade", "top_reasons",
    "top_rules", "margin",
)  # fmt: skip
NUMBER_OUTPUTS: tuple[str, ...] = ("final_score", "probability", "manual_score", "margin")
"""The :data:`OUTPUT_COLUMNS` that hold numbers; the others hold text."""
StepHook = Callable[[str], None]


class ScorerSettings(UpgradableSettings):
    """How scores are finished and who is rejected.

    Attributes:
        reject_exclusions: Rulebook exclusion reasons whose contacts are rejected instead
            of scored: employees, customers and contacts with an open opportunity are not
            leads, and training leaves them out (converted contacts and contacts at
            customer accounts are not eligible there), so the model never learned them.
            Other exclusions (partner, competitor, unsubscribed) are scored with their
            stage capped by the rules.
        reject_converted: Reject contacts whose first won or opportunity outcome is at or
            before ``as_of`` (:func:`serving.eligibility.converted_rejects`), whatever the
            rulebook says: they are not leads, and training leaves them out.
        reject_customers: Reject, with reason ``customer``, contacts whose account was a
            customer at ``as_of`` when the scorer's training framing left them out
            (``snapshots``: :func:`serving.eligibility.customer_rejects`), whatever the
            rulebook says; a ``first_touch`` (or flat) scorer learned them and scores them.
        reject_employees: Reject, with reason ``employee``, contacts flagged
            ``is_employee`` (:func:`serving.eligibility.employee_rejects`), whatever the
            rulebook says: both training framings leave them out. A flat-export scorer
            learned every row it was given and scores them.
        tier_from: ``score`` (cut-offs of :class:`BlendConfig`) or ``grade`` (the
            rulebook's grade matrix; contacts without a grade fall back to the score tier).
        top_k: Model factors pushing the score up, and rules, stored per lead.
        top_k_down: Model factors pushing the score down stored per lead.
        default_stage: Stage of every lead when the rulebook defines no stages.
        shap_method: ``fast`` (exact TreeSHAP in :mod:`serving.explain`) or ``lightgbm``
            (``pred_contrib=True``: same values, several times slower; a fallback).
        trend_steady_points: A lead's ``score_trend`` is ``steady`` when its final score
            moved by less than this many points since the sink's previous run (final / 100
            is a probability, so 1.0 = one percentage point); a larger rise is
            ``improving``, a larger fall ``declining`` (:mod:`serving.trend`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    reject_exclusions: tuple[str, ...] = ("employee", "customer", "open_opportunity")
    reject_converted: bool = True
    reject_customers: bool = True
    reject_employees: bool = True
    tier_from: Literal["score", "grade"] = "score"
    top_k: int = Field(3, ge=1, le=10)
    top_k_down: int = Field(2, ge=0, le=10)
    default_stage: Literal["subscriber", "lead", "mql", "sql"] = "lead"
    shap_method: Literal["fast", "lightgbm"] = "fast"
    trend_steady_points: float = Field(1.0, ge=0.0, le=100.0)


@dataclass(frozen=True)
class ScoringInput:
    """The flat per-contact frame the model side needs, and who was rejected on the way."""

    frame: pd.DataFrame
    rejects: pd.DataFrame
    eligible_ids: pd.Series
    rules: ScoreResult | None
    as_of: pd.Timestamp
    seconds: dict[str, float]


@dataclass(frozen=True)
class ScoredLeads:
    """One scoring run: the contract's scores frame, rejects and what produced them.

    Attributes:
        scores: Columns :data:`serving.sinks.SCORED_COLUMNS` (the scorer's) or, once the
            batch added the trend, :data:`serving.sinks.SCORE_COLUMNS`; one row per contact.
        margin: The model's raw log-odds per scores row (explanations add up to it).
        rules: The rulebook result (with the breakdown) when asked for, else None.
        accounts: The rulebook's account roll-up (``ScoreResult.accounts``), or None when
            the rulebook has none.
    """

    scores: pd.DataFrame
    rejects: pd.DataFrame
    eligible_ids: pd.Series
    margin: np.ndarray
    rules: ScoreResult | None
    as_of: pd.Timestamp
    seconds: dict[str, float]
    accounts: pd.DataFrame | None = None


@contextmanager
def timed_step(seconds: dict[str, float], name: str, hook: StepHook | None) -> Iterator[None]:
    if hook is not None:
        hook(name)
    start = time.perf_counter()
    yield
    seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start


def text_column(frame: pd.DataFrame, column: str, n: int, default: str | None) -> pd.Series:
    """A text column of ``frame`` (missing cells -> ``default``), or ``default`` throughout."""
    if column not in frame.columns:
        return pd.Series([default] * n, dtype="str")
    values = frame[column].reset_index(drop=True)
    if default is not None and values.isna().any():
        values = values.astype("object").fillna(default)
    return values.astype("str")
