"""Training slices: planned snapshots with the manual rule score as a feature, and flat
exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.plan import make_plan
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from models.config import TrainConfig
from pipelines import training_data
from pipelines.plan_slices import config_slices, plan_request, plan_slices
from rules import load_rulebook, score_rulebook

DEFAULT = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"
SNAPSHOTS_2 = TrainConfig(framing="snapshots", horizon_days=90, train_snapshots=2)


@pytest.fixture(scope="module")
def crm():
    return generate_crm(800, 17, dirt=DirtConfig.none()).tables


def _scored_separately(crm, rulebook, part) -> np.ndarray:
    as_of = part.snapshot.iloc[0]
    totals = score_rulebook(crm, rulebook, as_of).scores.set_index("contact_id")["total"]
    return totals.reindex(part.contact_id.astype(str)).fillna(0.0).to_numpy()


def test_rule_score_feature_equals_the_rulebook_total_of_each_test_lead(crm, monkeypatch):
    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    rulebook = load_rulebook(DEFAULT)
    scored_at: list[pd.Timestamp] = []

    def counting(tables, book, as_of, *args, **kwargs):
        scored_at.append(pd.Timestamp(as_of))
        return score_rulebook(tables, book, as_of, *args, **kwargs)

    monkeypatch.setattr(training_data, "score_rulebook", counting)
    slices = config_slices(crm, spec, SNAPSHOTS_2, rulebook=rulebook)
    monkeypatch.undo()
    # each snapshot is scored once: the feature and the manual scores share the result
    assert len(scored_at) == len(set(scored_at)) == 4
    test = slices.X("test")
    assert "rule_score" in test.columns
    expected_test = _scored_separately(crm, rulebook, slices.test)
    np.testing.assert_array_equal(slices.manual_score_test, expected_test)
    np.testing.assert_array_equal(test["rule_score"].to_numpy(), expected_test)
    expected_valid = _scored_separately(crm, rulebook, slices.valid)
    np.testing.assert_array_equal(slices.manual_score_valid, expected_valid)
    assert test["rule_score"].gt(0).any()
    assert slices.X("train")["rule_score"].notna().all()


def test_rule_score_feature_without_rule_scores_names_the_fix(crm):
    from features.training_set import build_training_set

    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    with pytest.raises(ValueError, match="pass rule_scores= .leadscore train scores its"):
        build_training_set(crm, [pd.Timestamp("2025-01-01", tz="UTC")], 90, spec)


@pytest.mark.slow  # validates the whole real X Education export with GX (~2 s)
def test_flat_export_manual_scores_of_valid_and_test_come_from_one_scoring(monkeypatch):
    from features.flat import flat_rule_tables
    from features.ingest.load import ingest
    from pipelines.training_data import flat_slices

    leads = Path(__file__).resolve().parents[3] / "shared" / "data" / "x_education" / "leads.csv"
    if not leads.exists():
        pytest.skip(f"real data not found at {leads} (../shared/data beside the checkout)")
    tables = ingest(leads, "x_education").tables
    rulebook = load_rulebook(DEFAULT.with_name("x_education.yaml"))
    calls: list[pd.Timestamp] = []

    def counting(tables, book, as_of, *args, **kwargs):
        calls.append(pd.Timestamp(as_of))
        return score_rulebook(tables, book, as_of, *args, **kwargs)

    monkeypatch.setattr(training_data, "score_rulebook", counting)
    slices = flat_slices(tables, rulebook=rulebook)
    monkeypatch.undo()
    assert len(calls) == 1  # valid and test share the export's as_of
    scored = score_rulebook(flat_rule_tables(tables), rulebook, calls[0]).scores
    totals = scored.set_index("contact_id")["total"]
    for part, got in (("valid", slices.manual_score_valid), ("test", slices.manual_score_test)):
        ids = getattr(slices, part).contact_id.astype(str)
        np.testing.assert_array_equal(got, totals.reindex(ids).to_numpy())
    assert len(slices.manual_score_valid) == len(slices.valid.y) > 1000


def test_a_slice_without_conversions_is_a_clear_error_with_the_counts(crm):
    from features.crm import CrmTables

    # the plan is made on the data with outcomes (make_plan itself refuses data without)
    plan = make_plan(crm, plan_request(SNAPSHOTS_2))
    no_outcomes = CrmTables(crm.contacts, crm.accounts, crm.activities, crm.outcomes.iloc[:0])
    with pytest.raises(ValueError) as info:
        plan_slices(no_outcomes, load_feature_spec(), plan, rulebook=load_rulebook(DEFAULT))
    message = str(info.value)
    assert "train and valid and test slice(s) hold only one class" in message
    assert message.count("0 converting") == 4  # each of the four snapshots is listed
    assert "--horizon-days" in message


def _flat_tables(created: pd.Series) -> tuple:
    """A flat export of 100 leads: 'visits' (0-9), every third lead converted (won)."""
    from features.crm import CrmTables, empty_table

    n = len(created)
    contacts = empty_table("contacts").reindex(range(n))
    contacts["contact_id"] = pd.Series([f"c{i:03d}" for i in range(n)], dtype="string")
    contacts["created_at"] = created.to_numpy()
    contacts["visits"] = np.arange(n, dtype=float) % 10
    won = contacts["contact_id"][::3]
    outcomes = empty_table("outcomes").reindex(range(len(won)))
    outcomes["contact_id"] = won.to_numpy()
    outcomes["converted_at"] = created.max()
    outcomes["outcome"] = pd.Series(["won"] * len(won), dtype="string")
    tables = CrmTables(contacts, empty_table("accounts"), empty_table("activities"), outcomes)
    return tables, won


def test_flat_export_without_dates_splits_stratified_with_the_config_shares():
    from models.config import TrainConfig
    from pipelines.training_data import flat_slices, is_flat

    tables, won = _flat_tables(pd.Series([pd.Timestamp("2024-01-01", tz="UTC")] * 100))
    assert is_flat(tables) and not is_flat(tables, "first_touch")
    config = TrainConfig(valid_share=0.3, test_share=0.2, seed=3)
    slices = flat_slices(tables, rulebook=None, config=config)
    rows = [len(getattr(slices, p).y) for p in ("train", "valid", "test")]
    assert rows == [50, 30, 20]  # 1 - 0.3 - 0.2, 0.3, 0.2 of 100
    for part in ("train", "valid", "test"):
        ts = getattr(slices, part)
        assert ts.y.tolist() == ts.contact_id.isin(set(won)).astype(int).tolist()
    assert slices.fingerprint == {"split": "stratified random 50/30/20", "seed": 3}
    assert list(slices.X("train").columns) == ["visits"]
    # the training config's seed (one definition) decides the split: the same seed, the same
    # rows; another seed, other rows
    again = flat_slices(tables, rulebook=None, config=config)
    assert again.test.contact_id.tolist() == slices.test.contact_id.tolist()
    other = flat_slices(tables, rulebook=None, config=config.model_copy(update={"seed": 4}))
    assert other.fingerprint["seed"] == 4
    assert other.test.contact_id.tolist() != slices.test.contact_id.tolist()


def test_a_flat_run_prints_its_plan_rows_and_positives_per_slice():
    # leadscore train printed no plan for a flat export (X Education): neither that auto
    # chose flat, nor the rows and positives per slice the README promises
    from models.config import TrainConfig
    from pipelines.training_data import flat_plan_text, flat_slices

    tables, won = _flat_tables(pd.Series([pd.Timestamp("2024-01-01", tz="UTC")] * 100))
    assert len(won) == 34  # leads 0, 3, ..., 99
    config = TrainConfig(valid_share=0.3, test_share=0.2, seed=3)
    text = flat_plan_text(flat_slices(tables, rulebook=None, config=config), "auto")
    lines = text.splitlines()
    assert lines[0] == 'training plan: flat, one row per lead, label "has a positive outcome"'
    rows = {line.split()[0]: line.split() for line in lines[1:4]}
    assert [rows[p][1] for p in ("train", "valid", "test")] == ["50", "30", "20"]
    assert sum(int(rows[p][3]) for p in rows) == 34  # every converter in exactly one slice
    assert "framing auto -> flat: no activity history and one creation time" in text
    assert lines[-1] == "  note: split stratified random 50/30/20 (seed 3)"
    asked = flat_plan_text(flat_slices(tables, rulebook=None, config=config), "flat")
    assert "framing flat (asked for)" in asked


def test_flat_export_with_creation_dates_tests_on_the_newest_leads():
    from pipelines.training_data import flat_slices, is_flat

    created = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC"))
    tables, _ = _flat_tables(created.sample(frac=1, random_state=0).reset_index(drop=True))
    assert not is_flat(tables) and is_flat(tables, "flat")
    slices = flat_slices(tables, rulebook=None)
    when = tables.contacts.set_index("contact_id")["created_at"]
    newest_train = when[slices.train.contact_id.astype(str)].max()
    assert newest_train < when[slices.valid.contact_id.astype(str)].min()
    assert (
        when[slices.valid.contact_id.astype(str)].max()
        < when[slices.test.contact_id.astype(str)].min()
    )
    assert [len(slices.train.y), len(slices.valid.y), len(slices.test.y)] == [60, 20, 20]
    assert slices.fingerprint == {"split": "by creation time 60/20/20"}


def test_a_time_split_flat_exports_calibration_rows_carry_their_creation_times():
    from models.calibration import row_ages_days
    from pipelines.training_data import flat_slices

    created = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC"))
    tables, _ = _flat_tables(created.sample(frac=1, random_state=0).reset_index(drop=True))
    slices = flat_slices(tables, rulebook=None)

    when = tables.contacts.set_index("contact_id")["created_at"]
    expected = when[slices.valid.contact_id.astype(str)].tolist()
    assert slices.time_valid.tolist() == expected  # each valid row's own creation time
    # 60/20/20 by time: the valid leads are days 61-80, so their ages are 19 days to 0
    ages = row_ages_days(slices.time_valid)
    assert ages is not None and sorted(ages)[-1] == 19.0 and sorted(ages)[0] == 0.0
    # a snapshot of the features stays unknown (the export's columns, not a time's)
    assert slices.valid.snapshot.isna().all()


def test_a_flat_export_split_at_random_keeps_equal_calibration_weights():
    from models.calibration import row_ages_days
    from pipelines.training_data import flat_slices

    tables, _ = _flat_tables(pd.Series([pd.Timestamp("2024-01-01", tz="UTC")] * 100))
    slices = flat_slices(tables, rulebook=None)

    assert slices.time_valid.isna().all()
    assert row_ages_days(slices.time_valid) is None


LEAKY_MAPPING = """version: 1
description: a hand-made flat export whose leads each have a company (account)
accounts:
  source: companies.csv
  columns:
    account_id: company
    name: company
contacts:
  source: leads.csv
  columns:
    contact_id: lead_id
    created_at: {constant: "2024-06-30T00:00:00Z"}
    account_id: company
  keep_extra: [visits]
outcomes:
  source: leads.csv
  row_filter: {column: converted, equals: "1"}
  columns:
    contact_id: lead_id
    converted_at: {constant: "2024-06-30T00:00:00Z"}
    outcome: {constant: won}
"""
# a rulebook reading outcomes: a won deal makes the lead's company a customer
LEAKY_RULEBOOK = """name: reads_outcomes
version: "1.0"
changelog: [{version: "1.0", date: 2026-01-01, changes: test}]
scales: [{name: main}]
extra_columns: {visits: float}
rules:
  - {name: visits, category: engagement, points: 10, when: {var: visits, op: gte, value: 5}}
  - {name: customer, category: fit, points: 40, when: {var: is_customer, op: is_true}}
"""


@pytest.mark.slow  # ingests with GX (~5 s on a busy machine)
def test_flat_training_scores_rules_without_the_outcomes_as_compare_does(tmp_path):
    """A rule reading outcomes (``is_customer``: a won deal makes the company a customer)
    must not see the label: training's manual scores are what scoring gives, the outcomes
    removed (hand-computed: 10 points for 5+ visits, never the 40 of a customer)."""
    from features.flat import flat_as_of, flat_rule_tables
    from features.ingest.load import ingest
    from pipelines.training_data import flat_slices

    n = 60
    leads = pd.DataFrame(
        {
            "lead_id": [f"L{i:03d}" for i in range(n)],
            "company": [f"co{i:03d}" for i in range(n)],
            "visits": np.arange(n) % 10,
            "converted": (np.arange(n) % 3 == 0).astype(int),
        }
    )
    leads.to_csv(tmp_path / "leads.csv", index=False)
    leads[["company"]].to_csv(tmp_path / "companies.csv", index=False)
    (tmp_path / "mapping.yaml").write_text(LEAKY_MAPPING)
    (tmp_path / "book.yaml").write_text(LEAKY_RULEBOOK)
    tables = ingest(tmp_path, tmp_path / "mapping.yaml").tables
    rulebook = load_rulebook(tmp_path / "book.yaml")
    config = TrainConfig(valid_share=0.25, test_share=0.25, seed=5)
    slices = flat_slices(tables, rulebook=rulebook, config=config)
    by_id = leads.set_index("lead_id")
    as_of = flat_as_of(tables.contacts)
    scored = score_rulebook(flat_rule_tables(tables), rulebook, as_of).scores
    totals = scored.set_index("contact_id")["total"]
    for part, got in (("valid", slices.manual_score_valid), ("test", slices.manual_score_test)):
        ts = getattr(slices, part)
        ids = ts.contact_id.astype(str).to_numpy()
        expected = np.where(by_id.loc[ids, "visits"].to_numpy() >= 5, 10.0, 0.0)
        np.testing.assert_array_equal(got, expected)  # no label in it
        np.testing.assert_array_equal(got, totals.reindex(ids).to_numpy())  # as scoring
        assert ts.y.sum() > 0  # converted leads are there to leak from
    # the tables still hold the outcomes: scored on them the rule reads the label
    leaky = score_rulebook(tables, rulebook, as_of).scores.set_index("contact_id")["total"]
    converted = leads.loc[leads["converted"] == 1, "lead_id"]
    assert (leaky.reindex(converted) - totals.reindex(converted)).eq(40).all()
