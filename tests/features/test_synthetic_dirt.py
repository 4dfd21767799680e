"""Planted dirt: every kind is present in exactly the recorded amount, and none when off."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pydantic import ValidationError

from features.schema import TABLES
from features.synthetic import DirtConfig, SyntheticCrm, generate_crm

END = pd.Timestamp("2026-09-30", tz="UTC")
N = 2000
SEED = 7


@pytest.fixture(scope="module")
def clean() -> SyntheticCrm:
    return generate_crm(N, seed=SEED, dirt=DirtConfig.none())


@pytest.fixture(scope="module")
def dirty() -> SyntheticCrm:
    return generate_crm(N, seed=SEED)


def _off_vocabulary(frame: pd.DataFrame, table: str) -> dict[str, int]:
    """Non-null category values outside the schema vocabulary, per column."""
    out = {}
    for col in TABLES[table].columns:
        if col.allowed is not None:
            values = frame[col.name].dropna().astype(str)
            out[f"{table}.{col.name}"] = int((~values.isin(col.allowed)).sum())
    return out


def test_none_plants_nothing(clean: SyntheticCrm) -> None:
    t, dirt = clean.tables, clean.truth_params["dirt"]
    assert not t.activities["activity_id"].duplicated().any()
    assert not t.contacts["contact_id"].duplicated().any()
    assert t.activities["contact_id"].isin(t.contacts["contact_id"]).all()
    assert (t.activities["occurred_at"] < END).all()
    for name in TABLES:
        assert sum(_off_vocabulary(t.table(name), name).values()) == 0
    assert clean.csv_timestamp_typos.empty
    assert dirt["duplicate_activities"] == dirt["duplicate_contacts"] == 0
    assert dirt["orphan_activities"] == dirt["future_activities"] == 0
    assert set(dirt["category_noise"].values()) == {0}
    assert set(dirt["missing"].values()) == {0}


def test_dirt_leaves_the_truth_alone(clean: SyntheticCrm, dirty: SyntheticCrm) -> None:
    pd.testing.assert_frame_equal(clean.truth, dirty.truth)
    pd.testing.assert_frame_equal(clean.tables.outcomes, dirty.tables.outcomes)


def test_duplicate_activities_are_exact_copies(dirty: SyntheticCrm) -> None:
    acts = dirty.tables.activities
    planted = dirty.truth_params["dirt"]["duplicate_activities"]
    assert planted > 0
    assert acts["activity_id"].duplicated().sum() == planted
    assert acts.duplicated().sum() == planted


def test_duplicate_contacts_are_exact_copies(dirty: SyntheticCrm) -> None:
    contacts = dirty.tables.contacts
    planted = dirty.truth_params["dirt"]["duplicate_contacts"]
    assert planted == math.ceil(0.002 * N)
    assert contacts["contact_id"].duplicated().sum() == planted
    assert contacts.duplicated().sum() == planted


def test_orphans_point_to_no_contact(dirty: SyntheticCrm) -> None:
    t = dirty.tables
    orphan = ~t.activities["contact_id"].isin(t.contacts["contact_id"])
    assert orphan.sum() == dirty.truth_params["dirt"]["orphan_activities"] > 0
    assert not t.activities.loc[orphan, "activity_id"].duplicated().any()


def test_future_dates_are_year_typos(clean: SyntheticCrm, dirty: SyntheticCrm) -> None:
    acts = dirty.tables.activities
    future = acts["occurred_at"] >= END
    assert future.sum() == dirty.truth_params["dirt"]["future_activities"] > 0
    assert (acts.loc[future, "occurred_at"].dt.year == 2099).all()
    # only the year changed: month and time of day are those of the clean row
    original = clean.tables.activities.set_index("activity_id")["occurred_at"]
    before = acts.loc[future, "activity_id"].map(original)
    after = acts.loc[future, "occurred_at"]
    assert (before.dt.month == after.dt.month).all()
    assert (before.dt.hour == after.dt.hour).all()


@pytest.mark.parametrize("name", ["contacts", "accounts", "activities"])
def test_category_noise_matches_record_and_normalises_back(dirty: SyntheticCrm, name: str) -> None:
    frame = dirty.tables.table(name)
    recorded = dirty.truth_params["dirt"]["category_noise"]
    found = _off_vocabulary(frame, name)
    assert found == {k: v for k, v in recorded.items() if k.startswith(f"{name}.")}
    assert sum(found.values()) > 0
    for col in TABLES[name].columns:
        if col.allowed is not None:
            values = frame[col.name].dropna().astype(str)
            lowered = {a.lower() for a in col.allowed}
            assert values.str.strip().str.lower().isin(lowered).all(), col.name


def test_noise_includes_whitespace_and_case(dirty: SyntheticCrm) -> None:
    kinds = dirty.tables.activities["activity_type"].dropna().astype(str)
    odd = kinds[~kinds.isin(TABLES["activities"].column("activity_type").allowed)]
    assert (odd != odd.str.strip()).any()
    assert (odd.str.strip() != odd.str.strip().str.lower()).any()


@pytest.mark.parametrize("name", ["contacts", "accounts"])
def test_missing_values_match_record(clean: SyntheticCrm, dirty: SyntheticCrm, name: str) -> None:
    key = TABLES[name].primary_key[0]
    frame = dirty.tables.table(name).drop_duplicates(key).reset_index(drop=True)
    base = clean.tables.table(name)
    for field, planted in dirty.truth_params["dirt"]["missing"].items():
        table, col = field.split(".")
        if table == name:
            extra = frame[col].isna().sum() - base[col].isna().sum()
            assert extra == planted > 0, field


def test_csv_typos_are_recorded_and_point_at_real_rows(dirty: SyntheticCrm) -> None:
    typos = dirty.csv_timestamp_typos
    assert len(typos) == dirty.truth_params["dirt"]["unparseable_timestamps_csv"] > 0
    assert typos.index.max() < len(dirty.tables.activities)
    parsed = pd.to_datetime(typos, errors="coerce", format="ISO8601")
    assert parsed.isna().all()
    parsed = pd.to_datetime(typos, errors="coerce", dayfirst=True, format="%d/%m/%Y")
    assert parsed.isna().all()


def test_counts_follow_the_configured_rates(clean: SyntheticCrm) -> None:
    crm = generate_crm(
        N, seed=SEED, dirt=DirtConfig.none().model_copy(update={"duplicate_activity_rate": 0.01})
    )
    n_clean = len(clean.tables.activities)
    assert crm.truth_params["dirt"]["duplicate_activities"] == math.ceil(0.01 * n_clean)
    assert len(crm.tables.activities) == n_clean + math.ceil(0.01 * n_clean)
    assert crm.truth_params["dirt"]["orphan_activities"] == 0


def test_dirt_config_is_validated_and_frozen() -> None:
    with pytest.raises(ValidationError, match="missing_rate"):
        DirtConfig(missing_rate=-0.1)
    with pytest.raises(ValidationError, match="surprise"):
        DirtConfig(surprise=0.1)
    config = DirtConfig()
    with pytest.raises(ValidationError):
        config.missing_rate = 0.2
    assert DirtConfig().count("missing_rate", 10) == 1  # any positive rate plants one
    assert DirtConfig.none().count("missing_rate", 10_000) == 0
