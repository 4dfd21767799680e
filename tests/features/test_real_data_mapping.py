"""The shipped mappings on the real public exports in <repo>/../shared/data.

Expected counts are computed independently with plain pandas from the raw files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.ingest import load_mapping, read_source
from features.schema import LEAD_SOURCES

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
UTC = "datetime64[ns, UTC]"


def _folder(name: str) -> Path:
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"real data folder {folder} is absent (see /work/shared/data/README.md)")
    return folder


def _raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_x_education():
    folder = _folder("x_education")
    raw = _raw(folder / "leads.csv")
    out = read_source(folder, load_mapping("x_education"))
    contacts, outcomes = out["contacts"], out["outcomes"]

    assert len(contacts) == len(raw) == 9240
    assert contacts["contact_id"].tolist() == raw["Prospect ID"].tolist()
    assert str(contacts["created_at"].dtype) == UTC
    # every lead source in the file is mapped onto the closed vocabulary (blanks -> missing)
    assert set(contacts["lead_source"].dropna()) <= set(LEAD_SOURCES)
    assert contacts["lead_source"].isna().sum() == (raw["Lead Source"] == "").sum()
    assert contacts["do_not_email"].sum() == (raw["Do Not Email"] == "Yes").sum()
    # extra columns in snake_case, "Select" read as missing, the label not on contacts
    for extra in ("total_visits", "total_time_spent_on_website", "lead_origin", "city", "tags"):
        assert extra in contacts.columns
    assert "converted" not in contacts.columns
    assert contacts["city"].isna().sum() == raw["City"].isin(["", "Select"]).sum()
    # the six sales-filled leaky columns the guard cannot see are left out by the mapping
    for leaky in ("lead_profile", "asymmetrique_activity_index", "last_notable_activity"):
        assert leaky not in contacts.columns
    # 6 canonical columns + the 37 source columns minus the 4 mapped ones, Converted and 6
    assert len(contacts.columns) == 6 + (37 - 5 - 6)

    assert len(outcomes) == (raw["Converted"] == "1").sum() == 3561
    assert set(outcomes["outcome"]) == {"won"}
    assert set(outcomes["contact_id"]) == set(raw.loc[raw["Converted"] == "1", "Prospect ID"])


def test_olist():
    folder = _folder("olist_marketing_funnel")
    mqls = _raw(folder / "olist_marketing_qualified_leads_dataset.csv")
    deals = _raw(folder / "olist_closed_deals_dataset.csv")
    out = read_source(folder, load_mapping("olist"))
    contacts, outcomes = out["contacts"], out["outcomes"]

    assert len(contacts) == len(mqls) == 8000
    assert len(outcomes) == len(deals) == 842
    assert outcomes["contact_id"].isin(contacts["contact_id"]).all()
    assert str(contacts["created_at"].dtype) == UTC and contacts["created_at"].notna().all()
    assert str(outcomes["converted_at"].dtype) == UTC and outcomes["converted_at"].notna().all()
    # local midnight in Sao Paulo is 02:00 or 03:00 UTC (summer / standard time)
    assert set(contacts["created_at"].dt.hour) <= {2, 3}
    assert set(contacts["lead_source"].dropna()) <= set(LEAD_SOURCES)
    assert contacts["lead_source"].isna().sum() == mqls["origin"].isin(["", "unknown"]).sum()
    assert list(contacts.columns) == [
        "contact_id",
        "created_at",
        "lead_source",
        "original_source",
        "landing_page_id",
    ]  # nothing from the closed deals (they leak the outcome)


def test_maven():
    folder = _folder("maven_crm")
    accounts_raw = _raw(folder / "accounts.csv")
    pipeline = _raw(folder / "sales_pipeline.csv")
    out = read_source(folder, load_mapping("maven"))
    accounts, contacts, outcomes = out["accounts"], out["contacts"], out["outcomes"]

    assert len(accounts) == len(accounts_raw)
    first = accounts_raw.iloc[0]
    assert accounts["annual_revenue"].iloc[0] == pytest.approx(float(first["revenue"]) * 1e6)
    assert "technolgy" not in set(accounts["industry"])
    assert {"year_established", "subsidiary_of"} <= set(accounts.columns)

    assert len(contacts) == len(pipeline) == 8800  # rows without engage_date are kept
    no_engage = pipeline["engage_date"] == ""
    assert contacts["created_at"].isna().sum() == no_engage.sum() > 0
    assert not {"deal_stage", "close_date", "close_value"} & set(contacts.columns)
    linked = contacts["account_id"].dropna()
    assert linked.isin(accounts["account_id"]).all()

    counts = outcomes["outcome"].value_counts()
    assert counts["won"] == (pipeline["deal_stage"] == "Won").sum()
    assert counts["lost"] == (pipeline["deal_stage"] == "Lost").sum()
    assert len(outcomes) == counts["won"] + counts["lost"]
    assert str(outcomes["converted_at"].dtype) == UTC and outcomes["converted_at"].notna().all()
