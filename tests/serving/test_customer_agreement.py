"""A contact at a customer account is no lead for first-touch training, snapshot training
and scoring alike (one rule: features.customers.customer_at over customer_since)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rulebook_dicts import customer_rulebook
from scorer_helpers import model_only_blend
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.first_touch import AT_CUSTOMER, first_touch_labels
from features.spec import load_feature_spec
from features.training_set import outcome_labels
from models.config import LightGBMParams, TrainConfig
from models.train import model_from_config
from rules import rulebook_from_dict
from serving.blend import BlendConfig
from serving.eligibility import CONVERTED
from serving.scorer import LeadScorer

UTC = "UTC"
A1_WON = pd.Timestamp("2026-02-01", tz=UTC)  # A (never flagged) becomes a customer
NEW = pd.Timestamp("2026-03-01T10:00", tz=UTC)  # a2 (at A) and b1 (at B) arrive
FIRST_TOUCH = pd.Timestamp("2026-03-02", tz=UTC)  # their as_of: midnight + 1 day
SNAPSHOT = pd.Timestamp("2026-03-10", tz=UTC)  # a snapshot, and a nightly score
END = pd.Timestamp("2026-06-01", tz=UTC)  # the data's end: every 30-day window is in it


def _crm() -> CrmTables:
    """a1 wins at A on 02-01; a2 (A) and b1 (B, no won deal) arrive on 03-01; each new
    contact views a page the next morning; b1 converts on 03-20."""
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "a1", "created_at": pd.Timestamp("2026-01-05", tz=UTC),
             "account_id": "A"},
            {"contact_id": "a2", "created_at": NEW, "account_id": "A"},
            {"contact_id": "b1", "created_at": NEW, "account_id": "B"},
        ],
    )  # fmt: skip
    accounts = canonical_frame(
        "accounts",
        [{"account_id": "A", "is_customer": False}, {"account_id": "B", "is_customer": False}],
    )
    activities = canonical_frame(
        "activities",
        [
            {"activity_id": f"v{cid}", "contact_id": cid, "activity_type": "page_view",
             "occurred_at": NEW + pd.Timedelta(hours=23), "page_category": "pricing"}
            for cid in ("a2", "b1")
        ],
    )  # fmt: skip
    outcomes = canonical_frame(
        "outcomes",
        [
            {"contact_id": "a1", "converted_at": A1_WON, "outcome": "won"},
            {"contact_id": "b1", "converted_at": pd.Timestamp("2026-03-20", tz=UTC),
             "outcome": "opportunity"},
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, activities, outcomes)


def _scorer(tables: CrmTables) -> LeadScorer:
    """A real (tiny) model on the default spec's features and a rulebook whose stages
    exclude customers; the rejects do not depend on what the model learned."""
    spec = load_feature_spec()
    X = pd.concat([build_features(tables, SNAPSHOT, spec)] * 20, ignore_index=True)
    y = np.tile([0, 1, 0], 20)
    config = TrainConfig(lightgbm=LightGBMParams(n_estimators=5, early_stopping_rounds=2))
    model = model_from_config(config).fit(X, y, X_valid=X, y_valid=y)
    pricing = {"name": "pricing", "category": "engagement", "points": 5,
               "each": {"activity_type": "page_view"}}  # fmt: skip
    book = rulebook_from_dict(customer_rulebook(pricing))
    return LeadScorer(model, book, model_only_blend(BlendConfig(), {}), spec=spec)


def test_training_in_both_framings_and_scoring_leave_out_a_customers_new_contact() -> None:
    tables = _crm()
    first_touch = first_touch_labels(tables, 30, 1, END, ("opportunity", "won"))
    assert first_touch.loc["a2", "as_of"] == FIRST_TOUCH
    # a1 (as_of 01-06) is a lead at its first touch: A became a customer by its won deal
    assert first_touch["reason"].to_dict() == {"a1": "", "a2": AT_CUSTOMER, "b1": ""}
    assert first_touch.loc["b1", "eligible"] and first_touch.loc["b1", "y"] == 1
    snapshot = outcome_labels(tables, pd.Index(["a2", "b1"]), SNAPSHOT, 30)
    assert snapshot["eligible"].to_dict() == {"a2": False, "b1": True}
    scored = _scorer(tables).prepare(tables, SNAPSHOT)
    assert scored.frame["contact_id"].tolist() == ["b1"]
    rejects = scored.rejects.set_index("contact_id")["reason"].to_dict()
    assert rejects == {
        "a1": CONVERTED,
        "a2": "excluded by the rulebook: customer",
    }
