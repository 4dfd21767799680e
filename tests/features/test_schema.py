"""The canonical data model is consistent with itself and documented in the README."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.crm import CrmTables, empty_table
from features.schema import PANDAS_DTYPES, TABLES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", list(TABLES))
def test_every_canonical_column_is_documented_with_its_type(name: str) -> None:
    table = TABLES[name]
    assert f"`{name}`" in README
    for col in table.columns:
        row = next((ln for ln in README.splitlines() if ln.startswith(f"| `{col.name}` |")), None)
        assert row is not None, f"README lacks {name}.{col.name}"


@pytest.mark.parametrize("name", list(TABLES))
def test_keys_and_references_name_real_columns(name: str) -> None:
    table = TABLES[name]
    for key in table.primary_key:
        assert not table.column(key).nullable, f"{name}.{key} is a key but nullable"
    for fk in table.foreign_keys:
        table.column(fk.column)
        TABLES[fk.ref_table].column(fk.ref_column)


def test_empty_table_has_canonical_dtypes() -> None:
    frame = empty_table("activities")
    assert list(frame.columns) == list(TABLES["activities"].names)
    assert str(frame["occurred_at"].dtype) == PANDAS_DTYPES["datetime"]
    assert isinstance(frame["activity_type"].dtype, pd.CategoricalDtype)


def test_crm_tables_rejects_unknown_table() -> None:
    tables = CrmTables(
        *(empty_table(n) for n in ("contacts", "accounts", "activities", "outcomes"))
    )
    with pytest.raises(KeyError, match="unknown table 'leads'"):
        tables.table("leads")
    assert all(tables.table(name) is getattr(tables, name) for name in TABLES)
