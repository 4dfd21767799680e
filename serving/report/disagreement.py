"""Where the rules and the model disagree: manual stage x predictive tier, and who sits there.

The off-diagonal leads are the actionable ones: hot by the rules but cold by the model (sales
time the model would save) and cold by the rules but hot by the model (buyers the rules miss).
Leads are shown by contact id with their reasons; e-mail addresses never appear.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.reasons import rule_points_text
from rules.model import STAGE_ORDER

log = logging.getLogger(__name__)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
LEAD_COLUMNS = ("contact_id", "manual_stage", "manual_score", "tier", "probability", "final_score")


def _levels(values: pd.Series, first: Sequence[str]) -> list[str]:
    present = set(values.unique())
    return [v for v in first if v in present] + sorted(present - set(first))


def disagreement_matrix(
    manual: np.ndarray | pd.Series,
    tier: np.ndarray | pd.Series,
    y: np.ndarray | pd.Series,
) -> pd.DataFrame:
    """Counts and conversion rates of every manual stage (or grade) x predictive tier cell.

    Returns:
        Long table over all level combinations present (empty cells kept): ``manual``,
        ``tier``, ``n``, ``converted``, ``conversion_rate`` (NaN when empty). Manual levels
        follow the stage order (subscriber, lead, mql, sql), tiers sort alphabetically.
    """
    frame = pd.DataFrame(
        {
            "manual": pd.Series(manual).astype(str).to_numpy(),
            "tier": pd.Series(tier).astype(str).to_numpy(),
            "y": np.asarray(y, dtype=int),
        }
    )
    grid = pd.MultiIndex.from_product(
        [_levels(frame["manual"], STAGE_ORDER), sorted(frame["tier"].unique())],
        names=["manual", "tier"],
    )
    agg = frame.groupby(["manual", "tier"])["y"].agg(n="size", converted="sum")
    agg = agg.reindex(grid, fill_value=0).reset_index()
    n = agg["n"].to_numpy()
    agg["conversion_rate"] = np.where(n > 0, agg["converted"] / np.maximum(n, 1), np.nan)
    return agg


@dataclass(frozen=True)
class OffDiagonal:
    """The two disagreement groups.

    Attributes:
        counts: ``group``, ``n``, ``converted``, ``conversion_rate`` for
            ``hot_rules_cold_model`` and ``cold_rules_hot_model``.
        hot_rules_cold_model: Up to ``cap`` leads, coldest model probability first.
        cold_rules_hot_model: Up to ``cap`` leads, hottest model probability first.
    """

    counts: pd.DataFrame
    hot_rules_cold_model: pd.DataFrame
    cold_rules_hot_model: pd.DataFrame


def _text(raw: object, kind: str) -> str:
    """Readable reasons from a JSON list; unreadable values are shown as such."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return ""
    try:
        items = json.loads(str(raw))
    except json.JSONDecodeError:
        return "(unreadable)"
    if not isinstance(items, list):
        return "(unreadable)"
    parts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if kind == "rules":
            parts.append(rule_points_text(item.get("rule", "?"), item.get("points", 0)))
        else:
            parts.append(str(item.get("text") or item.get("feature", "?")))
    return _EMAIL.sub("(e-mail hidden)", "; ".join(parts))


def _lead_list(scored: pd.DataFrame, mask: np.ndarray, ascending: bool, cap: int) -> pd.DataFrame:
    chosen = scored.loc[mask].sort_values(
        ["probability", "manual_score"], ascending=[ascending, not ascending], kind="stable"
    )
    listed = chosen.head(cap)
    out = listed[list(LEAD_COLUMNS)].assign(converted=listed["y"].to_numpy())
    # A loop over at most ``cap`` rows: parsing JSON is per lead, but the list is capped.
    for column, kind in (("top_reasons", "reasons"), ("top_rules", "rules")):
        if column in listed.columns:
            out[column] = [_text(v, kind) for v in listed[column].to_numpy()]
    unreadable = sum(
        int((out[c] == "(unreadable)").sum()) for c in ("top_reasons", "top_rules") if c in out
    )
    if unreadable:
        log.warning("disagreement: %d reason list(s) were not valid JSON", unreadable)
    return out.reset_index(drop=True)


def off_diagonal_leads(
    scored: pd.DataFrame,
    hot_stages: Sequence[str],
    hot_tiers: Sequence[str],
    cap: int,
) -> OffDiagonal:
    """Leads the rules and the model classify differently, with their reasons.

    Args:
        scored: Usable rows of the scored frame (see :func:`serving.report.split_usable`).
        hot_stages: Manual stages that send a lead to sales (``ReportSettings.hot_stages``).
        hot_tiers: Predictive tiers the model calls hot (``ReportSettings.hot_tiers``).
        cap: Leads listed per group (``ReportSettings.max_listed``).
    """
    hot_rules = scored["manual_stage"].isin(list(hot_stages)).to_numpy()
    hot_model = scored["tier"].isin(list(hot_tiers)).to_numpy()
    y = scored["y"].to_numpy(dtype=int)
    groups = {
        "hot_rules_cold_model": hot_rules & ~hot_model,
        "cold_rules_hot_model": ~hot_rules & hot_model,
    }
    counts = pd.DataFrame(
        [
            {
                "group": name,
                "n": int(mask.sum()),
                "converted": int(y[mask].sum()),
                "conversion_rate": y[mask].mean() if mask.any() else np.nan,
            }
            for name, mask in groups.items()
        ]
    )
    return OffDiagonal(
        counts=counts,
        hot_rules_cold_model=_lead_list(scored, groups["hot_rules_cold_model"], True, cap),
        cold_rules_hot_model=_lead_list(scored, groups["cold_rules_hot_model"], False, cap),
    )
