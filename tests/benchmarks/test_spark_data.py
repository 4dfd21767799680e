"""The chunked synthetic CRM (10M-contact Spark benchmark): unique ids, intact references."""

from __future__ import annotations

import pandas as pd

from benchmarks.spark_data import write_chunked_crm
from features.synthetic import DirtConfig, generate_crm


def _read(folder, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / name)  # the part files as one table, as Spark reads them


def test_chunks_keep_ids_unique_and_references_intact(tmp_path):
    rows = write_chunked_crm(250, tmp_path, seed=5, chunk=100)
    parts = sorted(p.name for p in (tmp_path / "contacts").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    contacts, accounts = _read(tmp_path, "contacts"), _read(tmp_path, "accounts")
    activities, outcomes = _read(tmp_path, "activities"), _read(tmp_path, "outcomes")
    assert len(contacts) == rows["contacts"] == 250
    assert len(activities) == rows["activities"] and len(outcomes) == rows["outcomes"]
    assert contacts["contact_id"].is_unique and accounts["account_id"].is_unique
    assert activities["activity_id"].is_unique
    assert activities["contact_id"].isin(contacts["contact_id"]).all()
    assert outcomes["contact_id"].isin(contacts["contact_id"]).all()
    linked = contacts["account_id"].dropna()
    assert len(linked) and linked.isin(accounts["account_id"]).all()
    # chunk 1 is the generator's CRM with seed + 1, ids prefixed: nothing else changed
    second = generate_crm(100, 6, dirt=DirtConfig.none()).tables.contacts
    mine = contacts[contacts["contact_id"].str.startswith("k001-")].reset_index(drop=True)
    assert (mine["contact_id"] == "k001-" + second["contact_id"].astype(str)).all()
    pd.testing.assert_series_equal(
        mine["created_at"], second["created_at"].reset_index(drop=True), check_names=False
    )
