"""Metrics per lead source, region and company size, for every method side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.metrics import segment_metrics

_KEYS = ["segment", "level"]


def segment_table(
    segments: pd.DataFrame,
    y: np.ndarray | pd.Series,
    scores: Mapping[str, np.ndarray | pd.Series],
    by: Sequence[str],
) -> pd.DataFrame:
    """ROC AUC and top-decile lift of each method per level of each segment column.

    Args:
        segments: Segment columns, row-aligned with the 0/1 labels ``y``.
        scores: ``method -> score``.
        by: Segment columns to report (those absent from ``segments`` are skipped).

    Returns:
        One row per (segment, level), largest levels first within a segment: ``segment``,
        ``level``, ``n``, ``converted``, ``base_rate`` and per method ``roc_auc_<method>``
        and ``top_decile_lift_<method>`` (AUC is NaN when a level has a single class).
        Empty when no segment column is present.
    """
    present = [c for c in by if c in segments.columns]
    if not present:
        return pd.DataFrame(columns=[*_KEYS, "n", "converted", "base_rate"])
    if not scores:
        raise ValueError("segment_table: no scores to compare")
    labels = np.asarray(y, dtype=int)
    table = pd.DataFrame()
    for name, score in scores.items():
        metrics = segment_metrics(
            segments,
            labels,
            np.asarray(score, dtype=float),
            present,
            is_probability=False,
            k_frac=1.0,  # precision at k is not shown per segment: AUC and decile lift are
        )
        if table.empty:
            table = metrics[[*_KEYS, "n", "base_rate"]]
        table = table.assign(
            **{
                f"roc_auc_{name}": metrics["roc_auc"].to_numpy(),
                f"top_decile_lift_{name}": metrics["top_decile_lift"].to_numpy(),
            }
        )
    table["n"] = table["n"].astype(int)
    table.insert(3, "converted", (table["n"] * table["base_rate"]).round().astype(int))
    order = {c: i for i, c in enumerate(present)}
    table = table.assign(_order=table["segment"].map(order)).sort_values(
        ["_order", "n"], ascending=[True, False], kind="stable"
    )
    return table.drop(columns="_order").reset_index(drop=True)
