"""Tiny hand-built CRM tables for the rules tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.crm import CrmTables, empty_table
from rules import rulebook_from_dict

AS_OF = pd.Timestamp("2026-06-01", tz="UTC")


def frame(
    name: str, rows: list[dict[str, Any]], extra: dict[str, str] | None = None
) -> pd.DataFrame:
    """A canonical table ``name`` holding ``rows`` (missing columns are null)."""
    empty = empty_table(name)
    data = {}
    for col in empty.columns:
        values = [r.get(col) for r in rows]
        if str(empty[col].dtype).startswith("datetime"):
            data[col] = pd.to_datetime(pd.Series(values, dtype="object"), utc=True)
        elif isinstance(empty[col].dtype, pd.CategoricalDtype):
            data[col] = pd.Series(values, dtype="object").astype("category")
        else:
            data[col] = pd.Series(values, dtype="object").astype(empty[col].dtype)
    for col, dtype in (extra or {}).items():
        data[col] = pd.Series([r.get(col) for r in rows], dtype="object").astype(dtype)
    return pd.DataFrame(data)


def tables(
    contacts: list[dict[str, Any]],
    activities: list[dict[str, Any]] | None = None,
    accounts: list[dict[str, Any]] | None = None,
    contact_extra: dict[str, str] | None = None,
) -> CrmTables:
    """CrmTables from row dicts; ``created_at`` defaults to 2026-01-01."""
    contacts = [{"created_at": "2026-01-01", **c} for c in contacts]
    acts = [{"activity_id": f"a{i}", **a} for i, a in enumerate(activities or [])]
    return CrmTables(
        contacts=frame("contacts", contacts, contact_extra),
        accounts=frame("accounts", accounts or []),
        activities=frame("activities", acts),
        outcomes=empty_table("outcomes"),
    )


def book(rules: list[dict[str, Any]], **top: Any):
    """A validated rulebook with the given rules and top-level settings."""
    raw = {
        "name": "test",
        "version": "1.0",
        "changelog": [{"version": "1.0", "date": "2026-01-01", "changes": "test"}],
        "scales": [{"name": "main"}],
        "rules": rules,
        **top,
    }
    return rulebook_from_dict(raw)


def days_before(days: float, as_of: pd.Timestamp = AS_OF) -> pd.Timestamp:
    return as_of - pd.Timedelta(days=days)
