"""Score distributions in bands and per stage: how many leads sit where, and how they convert.

This is the quarterly audit the point-scoring literature recommends: if the conversion rate
does not rise band by band, the points do not measure buying intent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.reasons import number_text
from rules.model import STAGE_ORDER


def _summary(groups: pd.Series, y: np.ndarray, levels: Sequence[object]) -> pd.DataFrame:
    frame = pd.DataFrame({"level": groups.to_numpy(), "y": y})
    agg = frame.groupby("level", sort=False)["y"].agg(["size", "sum"])
    agg = agg.reindex(list(levels), fill_value=0)
    n = agg["size"].to_numpy(dtype=int)
    converted = agg["sum"].to_numpy(dtype=int)
    total = max(len(y), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, converted / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {"n": n, "share": n / total, "converted": converted, "conversion_rate": rate}
    )


def band_table(
    score: np.ndarray | pd.Series, y: np.ndarray | pd.Series, width: float
) -> pd.DataFrame:
    """Leads and conversion rate per score band of fixed width.

    Bands run from ``floor(min / width) * width`` to the maximum; each band includes its
    lower edge and excludes its upper one, except the last band, which includes the
    maximum (so a score of 100 falls into 90 to 100). Empty bands in between are kept.

    Args:
        score: Scores (manual points or the 0-100 final score), row-aligned with ``y``.
        y: 0/1 labels.
        width: Band width (the report's ``band_width``).

    Returns:
        One row per band, lowest first: ``band`` (e.g. ``"10 to 20"``, ``"-60 to -50"``:
        a hyphen would make ``-60--50``), ``lower``, ``upper``,
        ``n``, ``share``, ``converted``, ``conversion_rate`` (NaN for empty bands).
    """
    if width <= 0:
        raise ValueError(f"band_table: width must be positive, got {width}")
    values = np.asarray(score, dtype=float)
    labels = np.asarray(y, dtype=int)
    if values.size == 0:
        raise ValueError("band_table: no scores")
    if np.isnan(values).any():
        raise ValueError("band_table: scores contain missing values; quarantine those rows first")
    start = np.floor(values.min() / width) * width
    n_bands = max(1, int(np.ceil((values.max() - start) / width)))
    index = np.minimum(((values - start) // width).astype(int), n_bands - 1)
    lower = start + np.arange(n_bands) * width
    bands = [f"{number_text(lo)} to {number_text(lo + width)}" for lo in lower.tolist()]
    edges = pd.DataFrame({"band": bands, "lower": lower, "upper": lower + width})
    return pd.concat([edges, _summary(pd.Series(index), labels, range(n_bands))], axis=1)


def stage_table(
    stage: np.ndarray | pd.Series,
    y: np.ndarray | pd.Series,
    order: Sequence[str] = STAGE_ORDER,
) -> pd.DataFrame:
    """Leads and conversion rate per stage (or tier, or grade).

    Args:
        stage: Stage of each lead, row-aligned with the 0/1 labels ``y``.
        y: 0/1 labels.
        order: Levels listed first, in this order (kept even when empty); other levels
            present follow in sorted order.

    Returns:
        One row per level: ``level``, ``n``, ``share``, ``converted``, ``conversion_rate``.
    """
    values = pd.Series(stage).astype(object).where(pd.Series(stage).notna(), "(missing)")
    values = values.astype(str)
    present = set(values.unique())
    levels = list(order) + sorted(present - set(order))
    table = _summary(values, np.asarray(y, dtype=int), levels)
    table.insert(0, "level", levels)
    return table
