"""Point-in-time safety: nothing that happens at or after as_of changes a feature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from table_rows import canonical_frame
from test_build import AS_OF, DAY, tables

from features.build import build_features
from features.crm import CrmTables
from features.spec import load_feature_spec

SPEC = load_feature_spec()


def _future_rows(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    kinds = ["page_view", "email_click", "form_submit", "demo_request", "email_unsubscribe"]
    acts = canonical_frame(
        "activities",
        [
            {"activity_id": f"f{i}", "contact_id": f"c{1 + i % 3}",
             "occurred_at": AS_OF + pd.Timedelta(seconds=int(rng.integers(0, 10**7))),
             "activity_type": kinds[i % len(kinds)], "page_category": "pricing"
             if i % len(kinds) == 0 else None, "form_stage": "BOFU" if i % 5 == 2 else None}
            for i in range(n)
        ],
    )  # fmt: skip
    outcomes = canonical_frame(
        "outcomes",
        [
            {"contact_id": "c1", "converted_at": AS_OF + DAY, "outcome": "won"},
            {"contact_id": "c2", "converted_at": AS_OF, "outcome": "opportunity"},
        ],
    )
    return acts, outcomes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_activities_and_outcomes_after_as_of_change_nothing(seed):
    base = tables()
    expected = build_features(base, AS_OF, SPEC)
    future_acts, outcomes = _future_rows(40, np.random.default_rng(seed))
    late_contact = canonical_frame("contacts", [{"contact_id": "c9", "created_at": AS_OF + DAY}])
    grown = CrmTables(
        contacts=pd.concat([base.contacts, late_contact], ignore_index=True),
        accounts=base.accounts,
        activities=pd.concat([base.activities, future_acts], ignore_index=True),
        outcomes=outcomes,
    )
    pd.testing.assert_frame_equal(build_features(grown, AS_OF, SPEC), expected)


def test_row_order_of_activities_does_not_matter():
    base = tables()
    shuffled = base.activities.sample(frac=1.0, random_state=3).reset_index(drop=True)
    moved = CrmTables(base.contacts, base.accounts, shuffled, base.outcomes)
    pd.testing.assert_frame_equal(
        build_features(moved, AS_OF, SPEC), build_features(base, AS_OF, SPEC)
    )


def test_lifecycle_stage_is_never_read():
    base = tables()
    customer = base.contacts.assign(
        lifecycle_stage=pd.Categorical(["customer"] * 5, categories=["lead", "customer"])
    )
    moved = CrmTables(customer, base.accounts, base.activities, base.outcomes)
    pd.testing.assert_frame_equal(
        build_features(moved, AS_OF, SPEC), build_features(base, AS_OF, SPEC)
    )
