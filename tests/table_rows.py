"""Canonical CRM frames from row dicts, for hand-computed test fixtures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.schema import TABLES


def canonical_frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Table ``table`` holding ``rows`` in the schema's dtypes.

    Schema columns missing from the rows are null; categories take the schema's allowed
    values; keys outside the schema are kept after the schema's columns, as given (the
    extra columns a mapping keeps).
    """
    raw = pd.DataFrame(rows)
    names = list(TABLES[table].names)
    out = pd.DataFrame({c: raw[c] if c in raw else pd.Series(None, index=raw.index) for c in names})
    for col, dtype in TABLES[table].dtypes().items():
        if dtype == "category":
            allowed = TABLES[table].column(col).allowed
            out[col] = pd.Categorical(out[col].astype("object"), categories=allowed)
        else:
            out[col] = out[col].astype(dtype)
    return pd.concat([out, raw.drop(columns=[c for c in names if c in raw])], axis=1)
