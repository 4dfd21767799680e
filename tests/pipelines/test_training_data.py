"""Snapshot training slices with the manual rule score switched on as a feature."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from pipelines import training_data
from pipelines.training_data import snapshot_slices
from rules import load_rulebook, score_rulebook

DEFAULT = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"


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
    slices = snapshot_slices(crm, spec, horizon_days=90, rulebook=rulebook, train_snapshots=2)
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


def test_rule_score_feature_without_rulebook_names_the_fix(crm):
    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    with pytest.raises(ValueError, match="snapshot_slices takes them from its rulebook="):
        snapshot_slices(crm, spec, horizon_days=90, rulebook=None, train_snapshots=2)


def test_flat_export_manual_scores_of_valid_and_test_come_from_one_scoring(monkeypatch):
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
    totals = score_rulebook(tables, rulebook, calls[0]).scores.set_index("contact_id")["total"]
    for part, got in (("valid", slices.manual_score_valid), ("test", slices.manual_score_test)):
        ids = getattr(slices, part).contact_id.astype(str)
        np.testing.assert_array_equal(got, totals.reindex(ids).to_numpy())
    assert len(slices.manual_score_valid) == len(slices.valid.y) > 1000


def test_a_slice_without_conversions_is_a_clear_error_with_the_counts(crm):
    from features.crm import CrmTables

    no_outcomes = CrmTables(crm.contacts, crm.accounts, crm.activities, crm.outcomes.iloc[:0])
    with pytest.raises(ValueError) as info:
        snapshot_slices(
            no_outcomes, load_feature_spec(), horizon_days=90, rulebook=None, train_snapshots=2
        )
    message = str(info.value)
    assert "train and valid and test slice(s) hold only one class" in message
    assert message.count("0 converting") == 4  # each of the four snapshots is listed
    assert "--horizon-days" in message
