"""The X Education rulebook on the real leads.csv (flat columns, no activity table)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from features.crm import CrmTables, empty_table
from features.ingest import load_mapping, read_source
from rules import load_rulebook, score_rulebook

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data" / "x_education"
RULEBOOK = ROOT / "rules" / "rulebooks" / "x_education.yaml"


def _snake(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name)  # TotalVisits -> Total_Visits
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def _own_mapping() -> tuple[CrmTables, pd.Series]:
    """A tiny mapping of our own: Prospect ID -> contact_id, other columns in snake_case."""
    raw = pd.read_csv(DATA / "leads.csv", dtype=str, keep_default_na=False)
    raw = raw.replace({"Select": pd.NA, "": pd.NA})
    converted = raw.pop("Converted").astype(int)
    contacts = empty_table("contacts").reindex(range(len(raw)))
    contacts["contact_id"] = raw["Prospect ID"].astype("string")
    contacts["created_at"] = pd.Timestamp("2019-12-31", tz="UTC")
    contacts["original_source"] = raw["Lead Source"].astype("string")
    contacts["do_not_email"] = raw["Do Not Email"].map({"Yes": True, "No": False}).astype("boolean")
    for col in raw.columns:
        if col not in {"Prospect ID", "Lead Source", "Do Not Email"}:
            contacts[_snake(col)] = raw[col].astype("string")
    tables = CrmTables(
        contacts, empty_table("accounts"), empty_table("activities"), empty_table("outcomes")
    )
    return tables, pd.Series(converted.to_numpy(), index=contacts["contact_id"])


def _official_mapping() -> tuple[CrmTables, pd.Series]:
    """The shipped ``x_education`` mapping, as ``leadscore`` reads the export."""
    mapping = ROOT / "features" / "ingest" / "mappings" / "x_education.yaml"
    frames = read_source(DATA, load_mapping(mapping))
    tables = CrmTables(**{k: frames[k] for k in ("contacts", "accounts", "activities", "outcomes")})
    won = set(frames["outcomes"]["contact_id"].astype(str))
    ids = tables.contacts["contact_id"].astype(str)
    return tables, pd.Series(ids.isin(won).astype(int).to_numpy(), index=ids.to_numpy())


@pytest.mark.slow
@pytest.mark.parametrize("mapping", ["official", "own"])
def test_x_education_scores_all_rows_and_converted_score_higher(mapping):
    if not DATA.exists():
        pytest.skip(f"real data folder {DATA} is absent")
    tables, converted = _official_mapping() if mapping == "official" else _own_mapping()
    result = score_rulebook(tables, load_rulebook(RULEBOOK), "2020-01-01")
    scores = result.scores.set_index("contact_id")
    assert len(scores) == 9240
    assert scores["total"].notna().all()
    assert scores["rulebook_version"].eq("1.0.0").all()
    by_outcome = scores["total"].groupby(converted.reindex(scores.index).to_numpy()).mean()
    assert by_outcome.loc[1] > by_outcome.loc[0] + 5  # an honest sanity check, not a target
    # the breakdown explains every point: per contact, final points add up to the total
    sums = result.breakdown.groupby("contact_id", observed=False)["points_after_caps"].sum()
    assert (sums.reindex(scores.index).to_numpy() - scores["total"].to_numpy()).max() < 1e-9
