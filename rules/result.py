"""The scorer's result: per-contact scores, the long rule breakdown and the account roll-up."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "contact_id",
    "scale",
    "rule",
    "category",
    "value",
    "points_raw",
    "points_after_decay",
    "points_after_caps",
)


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`rules.score_rulebook` returns.

    Attributes:
        scores: One row per contact: ``contact_id``, ``total`` (primary scale), one column
            per scale, ``<scale>_level`` for scales with thresholds, ``fit`` and
            ``engagement`` (sums of the fit / engagement categories on the primary scale after
            decay and category caps, before the total cap and gate), ``grade``, ``stage``,
            ``excluded_reason`` (categoricals), ``rulebook``, ``rulebook_version``,
            ``as_of``. Pass it as ``previous`` to the next run.
        breakdown: Long format, one row per (contact, scale, rule that fired):
            ``contact_id`` (categorical), ``scale``, ``rule``, ``category``, ``value`` (band
            measure or number of scoring activities; NaN for criteria), ``points_raw``,
            ``points_after_decay``, ``points_after_caps``. Per contact and scale,
            ``points_after_caps`` adds up to the scale total.
        accounts: Account roll-up (see :func:`rules.accounts.roll_up_accounts`) or None.
        rulebook_name: Name of the rulebook used.
        rulebook_version: Its version (recorded with every score).
        as_of: The scoring date (UTC).
        ignored_activities: Activity rows of unknown contacts that were not scored.
    """

    scores: pd.DataFrame
    breakdown: pd.DataFrame
    accounts: pd.DataFrame | None
    rulebook_name: str
    rulebook_version: str
    as_of: pd.Timestamp
    ignored_activities: int = 0


def breakdown_frame(
    ids: pd.Index,
    pos: np.ndarray,
    scale_idx: np.ndarray,
    rule_idx: np.ndarray,
    cat_idx: np.ndarray,
    value: np.ndarray,
    raw: np.ndarray,
    decayed: np.ndarray,
    capped: np.ndarray,
    scales: list[str],
    rules: list[str],
    categories: list[str],
) -> pd.DataFrame:
    """Assemble the long breakdown from parallel arrays (categoricals keep it compact).

    Rows come grouped by scale, then rule (rulebook order), contacts ascending within; the
    order is deterministic. Sorting by contact would cost more than it helps: filter instead.
    """

    def cat(codes: np.ndarray, names: list[str] | pd.Index) -> pd.Categorical:
        index = pd.Index(names)
        return pd.Categorical.from_codes(
            codes, categories=index if index.dtype == "str" else index.astype("str")
        )

    return pd.DataFrame(  # copy=False: no consolidation copy of tens of millions of rows
        {
            "contact_id": cat(pos, ids),
            "scale": cat(scale_idx, scales),
            "rule": cat(rule_idx, rules),
            "category": cat(cat_idx, categories),
            "value": value.astype(float, copy=False),
            "points_raw": raw.astype(float, copy=False),
            "points_after_decay": decayed.astype(float, copy=False),
            "points_after_caps": capped.astype(float, copy=False),
        },
        copy=False,
    )
