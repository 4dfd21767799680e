"""A first_touch scorer scores each lead with its features at first touch, as in training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scorer_helpers import model_only_blend

from features.build import build_features
from features.crm import CrmTables
from features.first_touch import first_touch_as_of, first_touch_features
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from models.config import LightGBMParams, TrainConfig
from models.train import model_from_config
from rules import load_rulebook
from serving.blend import BlendConfig
from serving.run_config import EMPTY_RULEBOOK, RulebookRef, RunConfig
from serving.scorer import LeadScorer

pytestmark = pytest.mark.slow  # one feature pass per creation day (~20 s)

AS_OF = pd.Timestamp("2026-06-01", tz="UTC")


def test_prepare_reads_features_at_first_touch_not_at_the_batch_date() -> None:
    tables = generate_crm(300, seed=4, dirt=DirtConfig.none()).tables
    spec = load_feature_spec()
    contacts = tables.contacts.loc[pd.to_datetime(tables.contacts["created_at"], utc=True) < AS_OF]
    ids = contacts["contact_id"].astype("object")
    touch = pd.Series(first_touch_as_of(contacts["created_at"], 2).to_numpy(), index=ids)
    X = first_touch_features(tables, touch, spec)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, len(X))  # the test is about features, not about quality
    config = TrainConfig(
        framing="first_touch",
        horizon_days=30,
        first_touch_delay_days=2,
        lightgbm=LightGBMParams(n_estimators=10, early_stopping_rounds=5),
    )
    model = model_from_config(config).fit(X, y, X_valid=X, y_valid=y)
    run = RunConfig(
        framing="first_touch",
        train=config,
        feature_spec=spec.model_dump(mode="json"),
        rulebook=RulebookRef(name="empty", version="1", source=str(EMPTY_RULEBOOK), empty=True),
        tracking_uri="sqlite:///unused.db",
    )
    scorer = LeadScorer(
        model,
        load_rulebook(EMPTY_RULEBOOK),
        model_only_blend(BlendConfig(), {}),
        spec=spec,
        run_config=run,
    )
    frame = scorer.prepare(tables, AS_OF).frame.set_index("contact_id")
    # at first touch (creation day's midnight + 2 days; the batch date when sooner)
    expected = first_touch_features(tables, touch.clip(upper=AS_OF), spec)
    expected.index = expected.index.astype(str)
    for column in ("page_views_30d", "pricing_views_7d", "days_since_last_any_engagement"):
        pd.testing.assert_series_equal(
            frame[column].astype("float64"),
            expected.loc[frame.index, column].astype("float64"),
            check_names=False,
            check_index_type=False,
        )
    # a snapshot scorer would read them at the batch date: other counts
    at_batch = build_features(tables, AS_OF, spec)
    at_batch.index = at_batch.index.astype(str)
    assert not np.allclose(
        frame["page_views_30d"].to_numpy(dtype=float),
        at_batch.loc[frame.index, "page_views_30d"].to_numpy(dtype=float),
    )


def test_a_scorer_trained_without_activities_scores_data_without_them() -> None:
    tables = generate_crm(200, seed=5, dirt=DirtConfig.none()).tables
    # no activities and no outcomes: every contact created before AS_OF is a lead to score
    # (converted contacts are rejected before scoring, which is not what this test is about)
    quiet = CrmTables(
        tables.contacts, tables.accounts, tables.activities.iloc[:0], tables.outcomes.iloc[:0]
    )
    spec = load_feature_spec()
    X = build_features(quiet, AS_OF, spec)
    y = np.random.default_rng(1).integers(0, 2, len(X))
    config = TrainConfig(lightgbm=LightGBMParams(n_estimators=5, early_stopping_rounds=5))
    model = model_from_config(config).fit(X, y, X_valid=X, y_valid=y)

    def scorer(active_share: float) -> LeadScorer:
        run = RunConfig(
            framing="snapshots",
            train=config.model_copy(update={"horizon_days": 30}),
            feature_spec=spec.model_dump(mode="json"),
            rulebook=RulebookRef(name="empty", version="1", source="empty.yaml", empty=True),
            tracking_uri="sqlite:///unused.db",
            active_share=active_share,
        )
        return LeadScorer(
            model,
            load_rulebook(EMPTY_RULEBOOK),
            model_only_blend(BlendConfig(), {}),
            spec=spec,
            run_config=run,
        )

    # rejected whatever the rulebook says, as snapshot training leaves them out: employees,
    # and contacts of accounts flagged is_customer (no outcomes here, so no won deal dates
    # another); everyone else is scored
    contacts = quiet.contacts
    customers = quiet.accounts.loc[quiet.accounts["is_customer"].fillna(False).astype(bool)]
    staff = contacts["is_employee"].fillna(False).astype(bool)
    at_customers = contacts["account_id"].isin(customers["account_id"]).fillna(False)
    left_out = set(contacts.loc[staff | at_customers, "contact_id"])
    assert staff.any() and at_customers.any()
    scored = scorer(0.0).prepare(quiet, AS_OF).frame["contact_id"]
    assert set(scored) == set(X.index) - left_out
    with pytest.raises(ValueError, match="trained on a CRM with activity history"):
        scorer(0.9).prepare(quiet, AS_OF)
