"""Property-based tests on random small CRMs whose timestamps sit on the window edges.

Each example is a CRM of a few contacts and activities whose ages are exactly 1, 7, 14,
30, 60 or 90 days (or one nanosecond either side), or fall at or after ``as_of``. Checked
against independent implementations: the per-lead rule interpreter of
``benchmarks/bench_rules.py`` and the DuckDB SQL of ``benchmarks/bench_features.py``;
and the invariants: features and rules agree on every shared window, decay never adds
points, caps hold exactly, the breakdown adds up to the total. Derandomized (the same
examples every run) and small, so the suite stays quick.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rulebook_helpers import book, frame

from benchmarks import bench_features, bench_rules
from features.build import build_features
from features.crm import CrmTables, empty_table
from features.measures import DAY_NS
from features.spec import load_feature_spec
from rules import load_rulebook, score_rulebook
from rules.activities import build_activity_index
from rules.model import Measure
from serving.run_config import DEFAULT_RULEBOOK

PROFILE = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EDGES = [w * DAY_NS + d for w in (1, 7, 14, 30, 60, 90) for d in (-1, 0, 1)]
AGES = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=1, max_value=120 * DAY_NS),
    st.sampled_from([0, -DAY_NS]),  # at and after as_of: never counted
)
ACTIVITIES: list[dict[str, Any]] = [
    {"activity_type": "page_view", "page_category": "pricing"},
    {"activity_type": "page_view", "page_category": "blog"},
    {"activity_type": "page_view", "page_category": "demo"},
    {"activity_type": "email_open"},
    {"activity_type": "email_click"},
    {"activity_type": "form_submit", "form_stage": "BOFU"},
    {"activity_type": "form_submit", "form_stage": "TOFU"},
    {"activity_type": "content_download", "asset_type": "whitepaper"},
    {"activity_type": "content_download", "asset_type": "case_study"},
    {"activity_type": "webinar_attend"},
    {"activity_type": "demo_request"},
    {"activity_type": "video_view"},
    {"activity_type": "email_unsubscribe"},
    {"activity_type": "sales_feedback", "feedback": "not_ready"},
    {"activity_type": "sales_feedback", "feedback": "unqualified"},
    {"activity_type": "deal_stage_change", "deal_stage": "proposal"},
]
EMAILS = ["a@gmail.com", "b@msn.com", "c@acme.io", "trailing@", "x y@acme.io", None]
SENIORITY = ["vp", "c_level", "manager", "student", None]


@st.composite
def crms(draw: st.DrawFn, as_of: pd.Timestamp) -> CrmTables:
    """A small CRM: 1-4 contacts, 0-10 activities each, ages on the window edges."""
    n = draw(st.integers(min_value=1, max_value=4))
    contacts, acts = [], []
    for i in range(n):
        contacts.append(
            {
                "contact_id": f"c{i}",
                "created_at": as_of - pd.Timedelta(days=draw(st.integers(1, 400))),
                "email": draw(st.sampled_from(EMAILS)),
                "seniority": draw(st.sampled_from(SENIORITY)),
                "account_id": draw(st.sampled_from(["A", "B", None])),
                "budget": draw(st.sampled_from([None, 0.0, 5000.0, 50000.0])),
            }
        )
        for _ in range(draw(st.integers(0, 10))):
            kind = draw(st.sampled_from(ACTIVITIES))
            age = draw(AGES)
            acts.append({"contact_id": f"c{i}", "occurred_at": as_of - pd.Timedelta(age), **kind})
    accounts = [
        {"account_id": "A", "industry": "software", "employees": 500, "is_customer": False},
        {"account_id": "B", "industry": "retail", "employees": 20, "is_competitor": True},
    ]
    acts = [{"activity_id": f"a{i}", **a} for i, a in enumerate(acts)]
    return CrmTables(
        contacts=frame("contacts", contacts),
        accounts=frame("accounts", accounts),
        activities=frame("activities", acts),
        outcomes=empty_table("outcomes"),
    )


DEFAULT_BOOK = load_rulebook(DEFAULT_RULEBOOK)
EXTRA_RULES = [
    {
        "name": "inactive",
        "category": "engagement",
        "points": -3,
        "steps": {"of": {"activity": {}, "agg": "days_since_last"}, "every": 7, "max_steps": 5},
    },
    {
        "name": "pricing_7",
        "category": "engagement",
        "points": 9,
        "when": {
            "activity": {"activity_type": "page_view", "page_category": "pricing"},
            "within_days": 7,
            "op": "gte",
            "value": 1,
        },
    },
    {
        "name": "decayed_views",
        "category": "engagement",
        "points": 4,
        "each": {"activity_type": "page_view"},
        "within_days": 30,
        "decay": {"kind": "half_life", "days": 7},
    },
    {
        "name": "whitepaper",
        "category": "asset",
        "points": 10,
        "when": {"activity": {"activity_type": "content_download"}, "op": "gte", "value": 1},
    },
    {
        "name": "webinar",
        "category": "asset",
        "points": 15,
        "when": {"activity": {"activity_type": "webinar_attend"}, "op": "gte", "value": 1},
    },
    {
        "name": "video",
        "category": "asset",
        "points": 7.5,
        "each": {"activity_type": "video_view"},
        "limit": {"per": "day", "max_times": 1},
    },
    {
        "name": "vp",
        "category": "fit",
        "points": 35,
        "when": {"var": "seniority", "op": "in", "value": ["vp", "c_level"]},
    },
    {
        "name": "corporate",
        "category": "fit",
        "points": 15.5,
        "when": {"var": "email_is_corporate", "op": "is_true"},
    },
    {
        "name": "free",
        "category": "fit",
        "points": -5,
        "when": {"var": "email_is_free", "op": "is_true"},
    },
]
EXTRA_BOOK = book(
    EXTRA_RULES,
    scales=[
        {
            "name": "main",
            "caps": {
                "fit": {"max": 40},
                "engagement": {"max": 30, "min": -10},
                "asset": {"combine": "max", "weights": [1, 0.5]},
            },
            "total": {"max": 50},
            "gate": {
                "max": 33.3,
                "unless": {"activity": {"activity_type": "demo_request"}, "op": "gte", "value": 1},
            },
        }
    ],
    recycle={"not_ready": {"mode": "subtract", "points": 6}},
)


@pytest.mark.slow
@PROFILE
@given(crm=crms(bench_rules.AS_OF), which=st.sampled_from(["default", "extra"]))
def test_engine_matches_the_per_lead_reference(crm, which):
    rulebook = DEFAULT_BOOK if which == "default" else EXTRA_BOOK
    ours = score_rulebook(crm, rulebook, bench_rules.AS_OF).scores.set_index("contact_id")
    ref = bench_rules.reference_totals(crm, rulebook)
    np.testing.assert_allclose(ours["total"].loc[ref.index], ref.to_numpy(), atol=1e-9)


@pytest.mark.slow
@PROFILE
@given(crm=crms(bench_features.AS_OF))
def test_features_match_the_duckdb_reference(crm):
    spec = load_feature_spec()
    ours = build_features(crm, bench_features.AS_OF, spec)
    ref = bench_features.reference_features(crm, bench_features.reference_sql(spec))
    assert bench_features.check_same(ours, ref) > 10


SPEC = load_feature_spec()


@pytest.mark.slow
@PROFILE
@given(crm=crms(bench_rules.AS_OF))
def test_features_and_rules_agree_on_every_shared_window(crm):
    as_of = bench_rules.AS_OF
    features = build_features(crm, as_of, SPEC)
    ids = pd.Index(features.index.astype(str))
    contacts = crm.contacts.set_index("contact_id").loc[ids].reset_index()
    index = build_activity_index(crm.activities, pd.Index(contacts["contact_id"]), as_of)
    compared = 0
    for group, spec in SPEC.groups.items():
        flt = {col: list(allowed) for col, allowed in spec.match.conditions().items()}
        for w in SPEC.group_windows(group):
            counts = index.measure(Measure(activity=flt, within_days=w))
            np.testing.assert_array_equal(counts, features[f"{group}_{w}d"].to_numpy(), group)
            compared += 1
    assert compared >= 20


@PROFILE
@given(crm=crms(bench_rules.AS_OF))
def test_decay_caps_and_breakdown_invariants(crm):
    res = score_rulebook(crm, EXTRA_BOOK, bench_rules.AS_OF)
    scores = res.scores.set_index("contact_id")
    bd = res.breakdown
    # decay never adds points: |after decay| <= |raw|, same sign
    raw, decayed = bd["points_raw"].to_numpy(), bd["points_after_decay"].to_numpy()
    assert (np.abs(decayed) <= np.abs(raw) + 1e-12).all()
    assert (np.sign(decayed) * np.sign(raw) >= 0).all()
    # the breakdown adds up to the total, per contact
    sums = bd.groupby("contact_id", observed=False)["points_after_caps"].sum()
    np.testing.assert_allclose(sums.reindex(scores.index).fillna(0.0), scores["total"], atol=1e-9)
    # caps hold exactly: the total never passes 50, nor 33.3 without a demo request
    assert (scores["total"] <= 50.0).all()
    before = crm.activities["occurred_at"] < bench_rules.AS_OF
    demo = set(
        crm.activities.loc[
            (crm.activities["activity_type"] == "demo_request") & before, "contact_id"
        ]
    )
    closed = ~scores.index.isin(sorted(demo))
    assert (scores.loc[closed, "total"] <= 33.3).all()
    assert (scores["fit"] <= 40.0).all()  # fit is the fit category: its cap, exactly
    for cut in res.cuts.itertuples():  # a cut lands exactly on its bound
        assert cut.after in {40.0, 30.0, -10.0, 50.0, 33.3}
        bound_total = scores.loc[cut.contact_id, "total"]
        if cut.cut == "gate":
            assert bound_total == 33.3
