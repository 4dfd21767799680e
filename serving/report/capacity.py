"""Threshold analysis at sales capacity: "if sales can call K leads, who should they call?".

Each method sends its top K leads to sales. The conversions it captures share ties as
:mod:`models.metrics` does (leads tied at the cut-off count at their group's rate, so row
order changes no count); who is sent, in the overlap between two methods, has to name
leads, so there ties are broken by row order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from features.measures import ratio
from models.metrics import expected_hits_at_k


@dataclass(frozen=True)
class CapacityResult:
    """Top-K comparison at one sales capacity.

    Attributes:
        summary: One row per method: ``method``, ``k``, ``converted`` (in its top K, ties
            shared: fractional when a tie group straddles the cut-off),
            ``conversion_rate``, ``share_of_conversions``, ``threshold`` (lowest score in its
            top K: the cut-off that gives about K leads), ``volume_at_threshold`` (leads at
            or above it; more than K when scores tie).
        overlap: One row per pair of methods: ``method_a``, ``method_b``, ``k``, ``both``,
            ``both_converted``, ``only_a``, ``only_a_converted`` (sent by a, not by b),
            ``only_b``, ``only_b_converted``.
    """

    summary: pd.DataFrame
    overlap: pd.DataFrame


def top_k_mask(score: np.ndarray | pd.Series, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` highest scores (ties in row order)."""
    values = np.asarray(score, dtype=float)
    mask = np.zeros(len(values), dtype=bool)
    mask[np.argsort(-values, kind="stable")[:k]] = True
    return mask


def capacity_analysis(
    scores: Mapping[str, np.ndarray | pd.Series], y: np.ndarray | pd.Series, k: int
) -> CapacityResult:
    """Conversions each method's top K captures, the cut-off it implies and who differs.

    Args:
        scores: ``method -> score`` on the same rows.
        y: 0/1 labels.
        k: Leads sales can work; capped at the number of leads.
    """
    labels = np.asarray(y, dtype=int)
    if k < 1:
        raise ValueError(f"capacity_analysis: k must be at least 1, got {k}")
    k_used = min(int(k), len(labels))
    total = labels.sum()
    masks, rows = {}, []
    for name, score in scores.items():
        values = np.asarray(score, dtype=float)
        mask = top_k_mask(values, k_used)
        masks[name] = mask
        converted = expected_hits_at_k(labels, values, k_used)
        threshold = float(values[mask].min())
        rows.append(
            {
                "method": name,
                "k": k_used,
                "converted": converted,
                "conversion_rate": converted / k_used,
                "share_of_conversions": ratio(converted, total),
                "threshold": threshold,
                "volume_at_threshold": int((values >= threshold).sum()),
            }
        )
    pairs = []
    for a, b in combinations(masks, 2):
        both, only_a, only_b = masks[a] & masks[b], masks[a] & ~masks[b], masks[b] & ~masks[a]
        pairs.append(
            {
                "method_a": a,
                "method_b": b,
                "k": k_used,
                "both": int(both.sum()),
                "both_converted": int(labels[both].sum()),
                "only_a": int(only_a.sum()),
                "only_a_converted": int(labels[only_a].sum()),
                "only_b": int(only_b.sum()),
                "only_b_converted": int(labels[only_b].sum()),
            }
        )
    return CapacityResult(summary=pd.DataFrame(rows), overlap=pd.DataFrame(pairs))


def threshold_volumes(
    score: np.ndarray | pd.Series, y: np.ndarray | pd.Series, thresholds: Mapping[str, float]
) -> pd.DataFrame:
    """Leads at or above each named cut-off of a score (e.g. the rulebook's MQL and SQL).

    Returns:
        One row per cut-off: ``name``, ``threshold``, ``n``, ``converted``,
        ``conversion_rate``, ``share_of_conversions``.
    """
    values = np.asarray(score, dtype=float)
    labels = np.asarray(y, dtype=int)
    total = labels.sum()
    rows = []
    for name, cut in thresholds.items():
        mask = values >= cut
        n, converted = int(mask.sum()), int(labels[mask].sum())
        rows.append(
            {
                "name": name,
                "threshold": float(cut),
                "n": n,
                "converted": converted,
                "conversion_rate": ratio(converted, n),
                "share_of_conversions": ratio(converted, total),
            }
        )
    return pd.DataFrame(rows)
