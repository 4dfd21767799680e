"""The model matrix of a flat table under the type decisions of :mod:`features.infer`.

:func:`typed_features` gives the model matrix (dates as numbers). It applies decisions
learned once, so a new table is typed exactly like the training table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.blanks import blank_mask, stripped_strings
from features.infer import ColumnType, TableTypes
from features.parse import parse_dates, parse_numbers, parse_yes_no


def _typed_values(values: pd.Series, blank: pd.Series, col: ColumnType) -> pd.Series:
    """One column under its decision: float64, ``category`` or UTC datetime."""
    text = stripped_strings(values).where(~blank)
    if col.kind == "category":
        level = text.str.lower().map(col.spellings)
        plain = level.astype("object").where(level.notna(), None)
        return pd.Series(pd.Categorical(plain, categories=list(col.levels)), index=values.index)
    if col.kind == "boolean" and col.yes_no is not None:
        return parse_yes_no(text, col.yes_no)
    if col.kind in ("numeric", "boolean"):
        if pd.api.types.is_numeric_dtype(values.dtype):  # booleans included
            return values.where(~blank).astype("float64")
        return parse_numbers(text)[0]
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.to_datetime(values.where(~blank), utc=True)
    return parse_dates(text, col.date_format or "ISO8601")


def typed_features(frame: pd.DataFrame, types: TableTypes) -> pd.DataFrame:
    """The model matrix of ``frame`` under the decisions ``types``.

    Args:
        frame: A table with (at least) the used columns of ``types``.
        types: Decisions from :func:`infer_table_types` (on this or a training table).

    Returns:
        Float64 and ``category`` columns named by :attr:`ColumnType.features`, same index
        as ``frame``; dates become days before the latest date and month.

    Raises:
        ValueError: ``frame`` lacks a column that ``types`` uses.
    """
    used = [c for c in types.columns.values() if c.kind != "excluded"]
    missing = [c.name for c in used if c.name not in frame.columns]
    if missing:
        raise ValueError(f"the table lacks column(s) {missing} that the model uses; add them")
    out: dict[str, Any] = {}
    for col in used:
        blank = blank_mask(frame[col.name], types.blanks)
        values = _typed_values(frame[col.name], blank, col)
        if col.kind != "date":
            out[col.features[0]] = values
            continue
        days = (pd.Timestamp(col.date_reference) - values).dt.total_seconds() / 86400.0
        out[col.features[0]] = days.astype("float64")
        out[col.features[1]] = values.dt.month.astype("float64")
    return pd.DataFrame(out, index=frame.index)
