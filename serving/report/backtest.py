"""Backtest summary: which leads each rulebook would have sent to sales, and how many converted.

The caller replays every rulebook (the current one first, then e.g. an edited one) over the
history of a past period with the rules engine and passes the stage each lead reached; this
module only summarises, so it stays a pure function of the stages and the outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.measures import ratio
from rules.model import STAGE_ORDER

_RANK = {stage: i for i, stage in enumerate(STAGE_ORDER)}


@dataclass(frozen=True)
class BacktestResult:
    """One rulebook replayed over a past period.

    Attributes:
        name: Rulebook label shown in the report (e.g. ``"current"``, ``"edited v8"``).
        stages: Stage each lead reached under that rulebook (subscriber/lead/mql/sql),
            indexed by contact_id.
        y: Actual conversion (0/1) of the same leads, indexed by contact_id.
        period: Label of the replayed period (rulebooks of one period are compared together;
            the first one listed for a period is the reference).
    """

    name: str
    stages: pd.Series
    y: pd.Series
    period: str = ""


def _stage_rank(stages: pd.Series, name: str) -> np.ndarray:
    values = stages.astype(object)
    unknown = sorted({str(v) for v in values[~values.isin(list(_RANK))]})
    if unknown:
        raise ValueError(
            f"backtest '{name}': unknown stage(s) {unknown[:5]}; expected one of "
            f"{list(STAGE_ORDER)} for every lead (re-score the period with the rules engine)"
        )
    return values.map(_RANK).to_numpy(dtype=int)


def _aligned(stages: pd.Series, y: pd.Series, name: str) -> pd.Series:
    if len(stages) != len(y):
        raise ValueError(
            f"backtest '{name}': {len(stages)} stages but {len(y)} outcomes; pass one stage "
            "per lead of the period"
        )
    if stages.index.equals(y.index):
        return stages
    if isinstance(stages.index, pd.RangeIndex) or isinstance(y.index, pd.RangeIndex):
        return pd.Series(stages.to_numpy(), index=y.index)
    if stages.index.is_unique and set(stages.index) == set(y.index):
        return stages.reindex(y.index)
    raise ValueError(
        f"backtest '{name}': the stages are indexed by other contact ids than the outcomes; "
        "index both by the contact ids of the replayed period"
    )


def summarise_backtest(stages_by_rulebook: dict[str, pd.Series], y: pd.Series) -> pd.DataFrame:
    """Leads each rulebook sends to sales (MQL or beyond, SQL) and their conversions.

    Args:
        stages_by_rulebook: Stage per lead under each rulebook, the reference (current)
            rulebook first. Aligned with ``y`` by index when both carry the same contact ids,
            otherwise by position.
        y: Actual conversion (0/1) per lead.

    Returns:
        One row per rulebook: ``rulebook``, ``n``, ``reached_mql`` (MQL or SQL),
        ``reached_mql_converted``, ``reached_mql_rate``, ``reached_mql_recall`` (share of
        all conversions), ``reached_sql``, ``reached_sql_converted``, ``reached_sql_rate``,
        and against the reference: ``gained_mql`` / ``gained_mql_converted`` (MQL here but
        not there) and ``lost_mql`` / ``lost_mql_converted``.

    Raises:
        ValueError: No rulebook, a stage outside the vocabulary, or lengths that differ.
    """
    if not stages_by_rulebook:
        raise ValueError("summarise_backtest needs at least one rulebook's stages")
    y = pd.Series(y)
    if y.isna().any() or not y.isin([0, 1]).all():
        raise ValueError("backtest y: outcomes must be 0/1 with no missing values")
    outcome = y.to_numpy(dtype=int)
    total = outcome.sum()
    mql, sql = _RANK["mql"], _RANK["sql"]
    rows = []
    reference: np.ndarray | None = None
    for name, stages in stages_by_rulebook.items():
        rank = _stage_rank(_aligned(pd.Series(stages), y, name), name)
        is_mql, is_sql = rank >= mql, rank >= sql
        if reference is None:
            reference = is_mql
        gained, lost = is_mql & ~reference, reference & ~is_mql
        n_mql, n_sql = int(is_mql.sum()), int(is_sql.sum())
        conv_mql, conv_sql = int(outcome[is_mql].sum()), int(outcome[is_sql].sum())
        rows.append(
            {
                "rulebook": name,
                "n": len(outcome),
                "reached_mql": n_mql,
                "reached_mql_converted": conv_mql,
                "reached_mql_rate": ratio(conv_mql, n_mql),
                "reached_mql_recall": ratio(conv_mql, total),
                "reached_sql": n_sql,
                "reached_sql_converted": conv_sql,
                "reached_sql_rate": ratio(conv_sql, n_sql),
                "gained_mql": int(gained.sum()),
                "gained_mql_converted": int(outcome[gained].sum()),
                "lost_mql": int(lost.sum()),
                "lost_mql_converted": int(outcome[lost].sum()),
            }
        )
    return pd.DataFrame(rows)
