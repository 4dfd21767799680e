"""The scorer on a flat export (no activity history): the lead's own columns are features."""

import json

import numpy as np
import pandas as pd
import pytest
from scorer_helpers import model_only_blend

from features.crm import CrmTables, empty_table
from features.infer import infer_table_types
from features.typed import typed_features
from models.config import LightGBMParams, TrainConfig
from models.train import model_from_config
from rules import load_rulebook
from serving.blend import BlendConfig
from serving.scorer import LeadScorer
from serving.scorer_types import ScorerSettings

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")


@pytest.fixture(scope="module")
def flat():
    rng = np.random.default_rng(5)
    n = 1200
    visits = rng.poisson(3, n).astype(float)
    origin = rng.choice(["api", "landing_page", "import"], n)
    logit = -2.0 + 0.5 * visits - 1.0 * (origin == "import")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    contacts = empty_table("contacts").reindex(range(n))
    contacts["contact_id"] = pd.Series([f"L{i:05d}" for i in range(n)], dtype="string")
    contacts["created_at"] = pd.Timestamp("2026-01-15", tz="UTC")
    contacts["is_employee"] = pd.array([False] * n, dtype="boolean")
    contacts["total_visits"] = visits
    contacts["lead_origin"] = pd.Series(origin, dtype="string")
    # one unrelated account: rules/variables.py fails on an empty accounts table (reported)
    accounts = empty_table("accounts").reindex(range(1))
    accounts["account_id"] = pd.Series(["A1"], dtype="string")
    tables = CrmTables(contacts, accounts, empty_table("activities"), empty_table("outcomes"))
    types = infer_table_types(contacts[["total_visits", "lead_origin"]])
    X = typed_features(contacts, types)
    half = n // 2
    model = model_from_config(
        TrainConfig(lightgbm=LightGBMParams(n_estimators=30, early_stopping_rounds=10))
    ).fit(X.iloc[:half], y[:half], X_valid=X.iloc[half:], y_valid=y[half:])
    return tables, model, types


def test_flat_export_is_scored_from_its_own_columns(flat):
    tables, model, types = flat
    rulebook = load_rulebook("rules/rulebooks/default.yaml")
    settings = ScorerSettings(tier_from="grade", top_k=2)
    blend = model_only_blend(BlendConfig(), {"A": 60.0, "B": 35.0, "C": 15.0})
    scorer = LeadScorer(model, rulebook, blend, settings=settings, flat_types=types)
    scored = scorer.score(tables, AS_OF)
    assert len(scored.scores) + len(scored.rejects) == len(tables.contacts)
    np.testing.assert_allclose(
        scored.scores["final_score"], 100 * scored.scores["probability"], atol=1e-9
    )
    reasons = [json.loads(cell) for cell in scored.scores["top_reasons"]]
    assert max(len(r) for r in reasons) <= 4
    texts = {c["feature"]: c["text"] for r in reasons for c in r}
    assert texts["total_visits"].startswith("total visits is ")
    assert texts["lead_origin"].startswith("lead origin is ")
    # tier_from="grade": the rulebook's grade matrix is the tier
    assert scored.scores["grade"].notna().all()
    assert (scored.scores["tier"] == scored.scores["grade"]).all()


def test_grade_tier_falls_back_to_the_score_tier_without_a_grade(flat):
    tables, model, types = flat
    rulebook = load_rulebook("rules/rulebooks/default.yaml")
    config = BlendConfig(capacity={"A": 1, "B": 1}, bottom_tier="C")
    blend = model_only_blend(config, {"A": 50.0, "B": 1e-9})
    settings = ScorerSettings(tier_from="grade")
    scorer = LeadScorer(model, rulebook, blend, settings=settings, flat_types=types)
    frame = scorer.prepare(tables, AS_OF).frame.head(2)
    frame["grade"] = [None, "A1"]
    out = scorer.score_frame(frame, explain=False)
    assert out["tier"].iloc[1] == "A1"
    expected = "A" if out["final_score"].iloc[0] >= 50 else "B"
    assert out["tier"].iloc[0] == expected
    assert out["top_reasons"].tolist() == ["[]", "[]"]


def test_a_flat_scorer_needs_its_column_types_and_the_columns_behind_them(flat):
    tables, model, types = flat
    rulebook = load_rulebook("rules/rulebooks/empty.yaml")
    blend = model_only_blend(BlendConfig(), {"A": 60.0, "B": 35.0, "C": 15.0})
    with pytest.raises(ValueError, match="column types of their training data: retrain"):
        LeadScorer(model, rulebook, blend).score(tables, AS_OF)
    scorer = LeadScorer(model, rulebook, blend, flat_types=types)
    lacking = tables.contacts.drop(columns=["lead_origin"])
    other = CrmTables(lacking, tables.accounts, tables.activities, tables.outcomes)
    with pytest.raises(ValueError, match=r"columns the data lacks \(1 of 2: lead_origin\)"):
        scorer.score(other, AS_OF)
