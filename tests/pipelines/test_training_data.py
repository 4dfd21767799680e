"""Snapshot training slices with the manual rule score switched on as a feature."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from pipelines.training_data import snapshot_slices
from rules import load_rulebook

DEFAULT = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"


@pytest.fixture(scope="module")
def crm():
    return generate_crm(800, 17, dirt=DirtConfig.none()).tables


def test_rule_score_feature_equals_the_rulebook_total_of_each_test_lead(crm):
    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    slices = snapshot_slices(
        crm, spec, horizon_days=90, rulebook=load_rulebook(DEFAULT), train_snapshots=2
    )
    test = slices.X("test")
    assert "rule_score" in test.columns
    # manual_score_test is computed separately (serving.scorer_training.manual_scores_at)
    np.testing.assert_array_equal(test["rule_score"].to_numpy(), slices.manual_score_test)
    assert test["rule_score"].gt(0).any()
    assert slices.X("train")["rule_score"].notna().all()


def test_rule_score_feature_without_rulebook_names_the_fix(crm):
    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    with pytest.raises(ValueError, match="snapshot_slices takes them from its rulebook="):
        snapshot_slices(crm, spec, horizon_days=90, rulebook=None, train_snapshots=2)
