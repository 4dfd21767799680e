"""build_features on a hand-computed fixture: every family, window edges, time zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.spec import load_feature_spec

AS_OF = pd.Timestamp("2024-03-01", tz="UTC")
DAY = pd.Timedelta(days=1)


def tables() -> CrmTables:
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "A1", "industry": "Software", "employees": 120,
             "annual_revenue": 5e6, "region": "EMEA", "is_customer": False},
            {"account_id": "A2", "industry": "Mining", "employees": 5000,
             "annual_revenue": 2e9, "region": "NA", "is_customer": True},
        ],
    )  # fmt: skip
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "c1", "created_at": "2024-01-01T00:00Z", "email": "jane@acme.com",
             "job_title": "VP Marketing", "department": "marketing",
             "lead_source": "organic_search", "account_id": "A1"},
            {"contact_id": "c2", "created_at": "2024-02-20T00:00Z", "email": "Bob@GMail.com ",
             "seniority": "manager", "account_id": "A1", "region": "NA"},
            {"contact_id": "c3", "created_at": "2023-06-01T00:00Z", "account_id": None},
            {"contact_id": "c4", "created_at": "2024-03-05T00:00Z", "account_id": "A2"},
            {"contact_id": "c5", "created_at": "2024-03-01T00:00Z", "account_id": "A2"},
        ],
    )  # fmt: skip
    acts = [
        ("c1", AS_OF - DAY, "page_view", "pricing", None),
        ("c1", AS_OF - 7 * DAY, "page_view", "pricing", None),  # exactly 7 days: inside 7d
        ("c1", AS_OF - 7 * DAY - pd.Timedelta(seconds=1), "page_view", "pricing", None),
        ("c1", AS_OF - 40 * DAY, "page_view", "blog", None),
        ("c1", AS_OF - 2.5 * DAY, "email_click", None, None),
        ("c1", AS_OF - 10 * DAY, "form_submit", None, "MOFU"),
        ("c1", AS_OF, "page_view", "pricing", None),  # exactly at as_of: not known yet
        ("c2", AS_OF - 3 * DAY, "email_unsubscribe", None, None),
        ("c2", AS_OF - 5 * DAY, "page_view", "careers", None),
        ("c2", AS_OF - pd.Timedelta(hours=1), "email_bounce", None, None),
        ("c4", AS_OF - 2 * DAY, "page_view", "pricing", None),  # contact not yet created
    ]
    activities = canonical_frame(
        "activities",
        [
            {"activity_id": f"a{i}", "contact_id": c, "occurred_at": t, "activity_type": k,
             "page_category": p, "form_stage": s}
            for i, (c, t, k, p, s) in enumerate(acts)
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, activities, pd.DataFrame(columns=["contact_id"]))


@pytest.fixture(scope="module")
def spec():
    return load_feature_spec()


@pytest.fixture(scope="module")
def features(spec):
    return build_features(tables(), AS_OF, spec)


def test_one_row_per_contact_created_strictly_before_as_of(features):
    assert list(features.index) == ["c1", "c2", "c3"]
    assert features.index.name == "contact_id"


def test_only_numeric_and_category_columns(features):
    for name, dtype in features.dtypes.items():
        ok = isinstance(dtype, pd.CategoricalDtype) or dtype in (np.float32, np.float64)
        assert ok, f"{name} has dtype {dtype}"


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("pricing_views_7d", [2, 0, 0]),  # 1 day and exactly 7 days; not the one at as_of
        ("pricing_views_30d", [3, 0, 0]),  # + the one 7 days and 1 second before
        ("page_views_90d", [4, 1, 0]),
        ("blog_views_30d", [0, 0, 0]),
        ("blog_views_90d", [1, 0, 0]),
        ("careers_views_7d", [0, 1, 0]),
        ("email_click_7d", [1, 0, 0]),
        ("form_submit_30d", [1, 0, 0]),
        ("any_engagement_7d", [3, 1, 0]),
        ("any_engagement_30d", [5, 1, 0]),
        ("any_engagement_90d", [6, 1, 0]),
        ("active_days_30d", [5, 1, 0]),  # c1: days 0, 2, 6, 7, 9 back from as_of
    ],
)
def test_engagement_counts(features, column, expected):
    assert features[column].tolist() == expected


def test_trend_is_recent_rate_minus_baseline_rate(features):
    # c1 any engagement: 3 in the last 7 days, 2 in the 30 days before
    assert features.loc["c1", "any_engagement_trend_7v30d"] == pytest.approx(3 / 7 - 2 / 30)
    assert features.loc["c1", "page_views_trend_7v30d"] == pytest.approx(2 / 7 - 1 / 30)
    assert features.loc["c3", "page_views_trend_7v30d"] == 0


def test_recency_in_days_and_nan_without_activity(features):
    assert features.loc["c1", "days_since_last_email_click"] == pytest.approx(2.5)
    assert features.loc["c1", "days_since_last_pricing_views"] == pytest.approx(1.0)
    assert features.loc["c1", "days_since_last_form_submit"] == pytest.approx(10.0)
    assert features.loc["c2", "days_since_last_any_engagement"] == pytest.approx(5.0)
    assert np.isnan(features.loc["c2", "days_since_last_email_click"])
    assert features.loc[:, "days_since_last_any_engagement"].isna().tolist() == [
        False, False, True,
    ]  # fmt: skip
    # 2024 is a leap year: Jan 1 -> Mar 1 is 60 days
    assert features["days_since_created"].tolist() == [60.0, 10.0, 274.0]


def test_funnel_and_negative_signals(features):
    assert features["max_form_stage"].tolist() == [2.0, 0.0, 0.0]  # MOFU
    assert features["unsubscribed"].tolist() == [0.0, 1.0, 0.0]
    assert features["bounced"].tolist() == [0.0, 1.0, 0.0]
    assert features["demo_requested"].tolist() == [0.0, 0.0, 0.0]


def test_fit_features(features):
    row = features.loc["c1"]
    assert row["seniority"] == "vp"  # from the job title
    assert row["department"] == "marketing"
    assert row["region"] == "EMEA"  # from the account
    assert row["industry"] == "software"
    assert row["company_size_band"] == "51-200"
    assert row["revenue_band"] == "1M-10M"
    assert row["email_domain_type"] == "corporate"
    assert features.loc["c2", "email_domain_type"] == "free"
    assert features.loc["c2", "region"] == "NA"  # the contact's own region wins
    assert pd.isna(features.loc["c3", "email_domain_type"])
    assert pd.isna(features.loc["c3", "company_size_band"])


def test_categories_are_fixed_by_vocabularies(features, spec):
    assert list(features["seniority"].cat.categories)[:2] == ["c_level", "vp"]
    labels = [b.label for b in spec.fit.size_bands]
    assert list(features["company_size_band"].cat.categories) == labels
    assert list(features["email_domain_type"].cat.categories) == ["free", "corporate"]


def test_no_email_address_in_output(features):
    text = features.astype("string").to_csv()
    assert "acme.com" not in text and "gmail" not in text.lower()


def test_account_aggregates(features):
    # A1 holds c1 (5 engagements in 30 days) and c2 (1); c3 has no account
    assert features.loc["c1", "account_engaged_contacts_30d"] == 1
    assert features.loc["c2", "account_engaged_contacts_30d"] == 1
    assert features["account_engagement_30d"].tolist()[:2] == [6.0, 6.0]
    assert np.isnan(features.loc["c3", "account_engagement_30d"])


def test_time_zones_of_as_of_and_activities(spec, features):
    same_instant = pd.Timestamp("2024-03-01 01:00", tz="Europe/Berlin")
    pd.testing.assert_frame_equal(build_features(tables(), same_instant, spec), features)
    naive = pd.Timestamp("2024-03-01 00:00")  # naive means UTC
    pd.testing.assert_frame_equal(build_features(tables(), naive, spec), features)
    t = tables()
    berlin = t.activities.assign(
        occurred_at=t.activities["occurred_at"].dt.tz_convert("Asia/Tokyo")
    )
    moved = CrmTables(t.contacts, t.accounts, berlin, t.outcomes)
    pd.testing.assert_frame_equal(build_features(moved, AS_OF, spec), features)


def test_stable_columns_and_dtypes_across_as_of(spec, features):
    later = build_features(tables(), AS_OF + 30 * DAY, spec)
    assert list(later.columns) == list(features.columns)
    assert later.dtypes.equals(features.dtypes)


def test_no_activities_at_all(spec):
    t = tables()
    empty = t.activities.iloc[0:0]
    out = build_features(CrmTables(t.contacts, t.accounts, empty, t.outcomes), AS_OF, spec)
    assert (out["page_views_90d"] == 0).all()
    assert out["days_since_last_email_click"].isna().all()


def test_rule_score_switch(spec):
    with_rule = spec.model_copy(update={"include_rule_score": True})
    scores = pd.Series({"c1": 40.0, "c3": 5.0})
    out = build_features(tables(), AS_OF, with_rule, rule_scores=scores)
    assert out["rule_score"].tolist()[0] == 40.0 and np.isnan(out.loc["c2", "rule_score"])
    assert "rule_score" not in build_features(tables(), AS_OF, spec, rule_scores=scores)
    with pytest.raises(ValueError, match="include_rule_score"):
        build_features(tables(), AS_OF, with_rule)
