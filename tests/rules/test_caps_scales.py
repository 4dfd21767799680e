"""Caps (category, total, gate), several scales in one pass, fit/engagement and grades."""

from __future__ import annotations

import pytest
from rulebook_helpers import AS_OF, book, days_before, tables

from rules import score_rulebook

FIT_A = {
    "name": "exec",
    "category": "fit",
    "points": 30,
    "scales": ["main", "emea"],
    "when": {"var": "seniority", "op": "eq", "value": "vp"},
}
FIT_B = {
    "name": "industry",
    "category": "fit",
    "points": 20,
    "when": {"var": "account.industry", "op": "eq", "value": "software"},
}
DEMO = {
    "name": "demo",
    "category": "engagement",
    "points": 50,
    "scales": ["main", "emea"],
    "each": {"activity_type": "demo_request"},
}
UNSUB = {
    "name": "unsub",
    "category": "negative",
    "points": -40,
    "when": {"var": "is_unsubscribed", "op": "is_true"},
}
BLOG = {
    "name": "blog",
    "category": "engagement",
    "points": 5,
    "each": {"activity_type": "page_view", "page_category": "blog"},
}


def _contacts():
    return [{"contact_id": "c", "seniority": "vp", "account_id": "A"}]


def _acts(*types):
    return [
        {
            "contact_id": "c",
            "occurred_at": days_before(i + 1),
            "activity_type": t,
            "page_category": "blog" if t == "page_view" else None,
        }
        for i, t in enumerate(types)
    ]


def _run(rb, acts):
    return score_rulebook(
        tables(_contacts(), acts, accounts=[{"account_id": "A", "industry": "software"}]), rb, AS_OF
    )


def test_category_cap_scales_that_category_and_breakdown_adds_up():
    rb = book(
        [FIT_A, FIT_B, DEMO],
        scales=[{"name": "main", "caps": {"fit": {"max": 40}}}, {"name": "emea"}],
    )
    res = _run(rb, _acts("demo_request"))
    row = res.scores.iloc[0]
    assert row["fit"] == pytest.approx(40.0)  # 30 + 20 capped at 40
    assert row["total"] == pytest.approx(90.0)
    main = res.breakdown[res.breakdown["scale"] == "main"].set_index("rule")
    assert main.loc["exec", "points_after_caps"] == pytest.approx(30 * 40 / 50)
    assert main.loc["industry", "points_after_caps"] == pytest.approx(20 * 40 / 50)
    assert main.loc["exec", "points_raw"] == 30
    assert main["points_after_caps"].sum() == pytest.approx(row["total"])


def test_total_cap_and_floor_and_negatives_are_not_softened_by_max():
    rb = book(
        [FIT_A, FIT_B, DEMO, UNSUB],
        scales=[{"name": "main", "total": {"max": 60}}, {"name": "emea"}],
    )
    acts = _acts("demo_request", "email_unsubscribe")
    res = _run(rb, acts)
    assert res.scores.iloc[0]["total"] == pytest.approx(60.0)  # 100 - 40 = 60: not capped
    rb = book(
        [FIT_A, FIT_B, DEMO, UNSUB],
        scales=[{"name": "main", "total": {"max": 50}}, {"name": "emea"}],
    )
    res = _run(rb, acts)
    b = res.breakdown[res.breakdown["scale"] == "main"].set_index("rule")
    assert b.loc["unsub", "points_after_caps"] == -40  # positives shrink, negatives stay
    assert res.scores.iloc[0]["total"] == pytest.approx(50.0)
    rb = book([UNSUB], scales=[{"name": "main", "total": {"min": -25}}])
    assert _run(rb, acts).scores.iloc[0]["total"] == pytest.approx(-25.0)


def test_gate_holds_score_below_level_until_criterion_met():
    gate = {
        "name": "bofu",
        "max": 64,
        "unless": {
            "activity": {"activity_type": "form_submit", "form_stage": "BOFU"},
            "op": "gte",
            "value": 1,
        },
    }
    rb = book(
        [
            FIT_A,
            FIT_B,
            BLOG,
            {
                "name": "bofu",
                "category": "engagement",
                "points": 1,
                "each": {"activity_type": "form_submit"},
            },
        ],
        scales=[{"name": "main", "gate": gate}, {"name": "emea"}],
    )
    blogs = ["page_view"] * 6  # 30 + 20 + 30 = 80
    assert _run(rb, _acts(*blogs)).scores.iloc[0]["total"] == pytest.approx(64.0)
    acts = _acts(*blogs) + [
        {
            "contact_id": "c",
            "occurred_at": days_before(1),
            "activity_type": "form_submit",
            "form_stage": "BOFU",
        }
    ]
    assert _run(rb, acts).scores.iloc[0]["total"] == pytest.approx(81.0)


def test_several_scales_in_one_pass_with_their_own_thresholds():
    rb = book(
        [FIT_A, FIT_B, DEMO],
        scales=[
            {"name": "main"},
            {"name": "emea", "thresholds": {"warm": 50, "hot": 75}, "caps": {"fit": {"max": 10}}},
        ],
    )
    s = _run(rb, _acts("demo_request")).scores.iloc[0]
    assert s["main"] == s["total"] == 100.0  # exec + industry + demo
    assert s["emea"] == 60.0  # exec capped at 10 + demo; industry is main-only
    assert s["emea_level"] == "warm"


def test_fit_engagement_and_grade_matrix():
    grade = {
        "fit": [{"label": "A", "min": 40}, {"label": "B", "min": 20}, {"label": "C"}],
        "engagement": [{"label": "1", "min": 50}, {"label": "2", "min": 10}, {"label": "3"}],
    }
    rb = book([FIT_A, FIT_B, DEMO, BLOG], grade=grade, scales=[{"name": "main"}, {"name": "emea"}])
    contacts = [
        {"contact_id": "a1", "seniority": "vp", "account_id": "A"},
        {"contact_id": "b2", "seniority": "vp"},
        {"contact_id": "c3"},
    ]
    acts = [
        {"contact_id": "a1", "occurred_at": days_before(1), "activity_type": "demo_request"},
        {
            "contact_id": "b2",
            "occurred_at": days_before(1),
            "activity_type": "page_view",
            "page_category": "blog",
        },
        {
            "contact_id": "b2",
            "occurred_at": days_before(2),
            "activity_type": "page_view",
            "page_category": "blog",
        },
    ]
    t = tables(contacts, acts, accounts=[{"account_id": "A", "industry": "software"}])
    s = score_rulebook(t, rb, AS_OF).scores.set_index("contact_id")
    assert s[["fit", "engagement"]].to_dict("index") == {
        "a1": {"fit": 50.0, "engagement": 50.0},
        "b2": {"fit": 30.0, "engagement": 10.0},
        "c3": {"fit": 0.0, "engagement": 0.0},
    }
    assert s["grade"].astype(str).to_dict() == {"a1": "A1", "b2": "B2", "c3": "C3"}
