"""Windows, bands, per-activity limits and the three kinds of decay."""

from __future__ import annotations

import pandas as pd
import pytest
from rulebook_helpers import AS_OF, book, days_before, tables

from rules import score_rulebook


def _pv(cid, age, cat="pricing", **kw):
    return {
        "contact_id": cid,
        "occurred_at": days_before(age),
        "activity_type": "page_view",
        "page_category": cat,
        **kw,
    }


def _totals(rb, contacts, acts, as_of=AS_OF):
    res = score_rulebook(tables(contacts, acts), rb, as_of)
    return res.scores.set_index("contact_id")["total"].to_dict()


def test_count_window_pricing_3_in_7_days():
    rb = book(
        [
            {
                "name": "pricing_3_7",
                "category": "engagement",
                "points": 10,
                "when": {
                    "activity": {"activity_type": "page_view", "page_category": "pricing"},
                    "within_days": 7,
                    "op": "gte",
                    "value": 3,
                },
            }
        ]
    )
    acts = [_pv("yes", a) for a in (1, 2, 6.9)] + [_pv("old", a) for a in (1, 2, 7.01)]
    # as_of - 7 days <= occurred_at < as_of: exactly 7 days old is inside (as in features)
    acts += [_pv("edge", a) for a in (1, 2, 7.0)]
    acts += [_pv("other_page", a, "blog") for a in (1, 2, 3)]
    contacts = [{"contact_id": c} for c in ("yes", "old", "edge", "other_page", "none")]
    assert _totals(rb, contacts, acts) == {
        "yes": 10,
        "old": 0,
        "edge": 10,
        "other_page": 0,
        "none": 0,
    }


def test_activities_at_or_after_as_of_never_count():
    rb = book(
        [
            {
                "name": "each",
                "category": "engagement",
                "points": 1,
                "each": {"activity_type": "page_view"},
            }
        ]
    )
    acts = [_pv("c", 1), _pv("c", 0), _pv("c", -3)]  # yesterday, exactly as_of, future
    assert _totals(rb, [{"contact_id": "c"}], acts) == {"c": 1}


def test_days_since_last_and_first():
    rb = book(
        [
            {
                "name": "recent_click",
                "category": "engagement",
                "points": 1,
                "when": {
                    "activity": {"activity_type": "email_click"},
                    "agg": "days_since_last",
                    "op": "lte",
                    "value": 14,
                },
            },
            {
                "name": "long_known",
                "category": "engagement",
                "points": 10,
                "when": {
                    "activity": {"activity_type": "email_click"},
                    "agg": "days_since_first",
                    "op": "gt",
                    "value": 100,
                },
            },
            {
                "name": "never_clicked",
                "category": "engagement",
                "points": 100,
                "when": {
                    "activity": {"activity_type": "email_click"},
                    "agg": "days_since_last",
                    "op": "is_missing",
                },
            },
        ]
    )
    acts = [
        {"contact_id": "a", "occurred_at": days_before(d), "activity_type": "email_click"}
        for d in (3, 200)
    ]
    acts += [{"contact_id": "b", "occurred_at": days_before(20), "activity_type": "email_click"}]
    contacts = [{"contact_id": c} for c in "abc"]
    assert _totals(rb, contacts, acts) == {"a": 11, "b": 0, "c": 100}


def test_band_rule_on_a_variable_and_breakdown_value():
    rb = book(
        [
            {
                "name": "size",
                "category": "fit",
                "bands": {
                    "of": {"var": "budget"},
                    "ranges": [
                        {"max": 999, "points": -1},
                        {"min": 1000, "max": 9999, "points": 2},
                        {"min": 10000, "points": 5},
                    ],
                },
            }
        ]
    )
    contacts = [
        {"contact_id": "a", "budget": 50.0},
        {"contact_id": "b", "budget": 1000.0},
        {"contact_id": "c", "budget": 10000.0},
        {"contact_id": "d"},
    ]
    res = score_rulebook(tables(contacts), rb, AS_OF)
    assert res.scores.set_index("contact_id")["total"].to_dict() == {
        "a": -1,
        "b": 2,
        "c": 5,
        "d": 0,
    }
    assert res.breakdown["value"].tolist() == [50.0, 1000.0, 10000.0]


@pytest.mark.parametrize(("per", "expected"), [("day", 2 + 2 + 1), ("week", 2 + 1), ("ever", 2)])
def test_repeat_limit_per_period(per, expected):
    rb = book(
        [
            {
                "name": "visit",
                "category": "engagement",
                "points": 1,
                "each": {"activity_type": "page_view"},
                "limit": {"per": per, "max_times": 2},
            }
        ]
    )
    # 2026-05-25 is a Monday: three visits that day, three on Tuesday, one on next Monday
    stamps = [
        "2026-05-25T08:00",
        "2026-05-25T09:00",
        "2026-05-25T10:00",
        "2026-05-26T08:00",
        "2026-05-26T09:00",
        "2026-05-26T10:00",
        "2026-06-01T08:00",
    ]
    acts = [
        {"contact_id": "c", "occurred_at": pd.Timestamp(t, tz="UTC"), "activity_type": "page_view"}
        for t in stamps
    ]
    assert _totals(rb, [{"contact_id": "c"}], acts, as_of="2026-06-02") == {"c": expected}


def test_repeat_limit_keeps_the_earliest_activities():
    rb = book(
        [
            {
                "name": "visit",
                "category": "engagement",
                "points": 10,
                "each": {"activity_type": "page_view"},
                "limit": {"per": "day", "max_times": 1},
                "decay": {"kind": "half_life", "days": 1},
            }
        ]
    )
    # rows out of time order: the earlier one (00:00, age 1 day) must be the one kept
    acts = [
        {
            "contact_id": "c",
            "occurred_at": pd.Timestamp("2026-05-31T12:00", tz="UTC"),
            "activity_type": "page_view",
        },
        {
            "contact_id": "c",
            "occurred_at": pd.Timestamp("2026-05-31T00:00", tz="UTC"),
            "activity_type": "page_view",
        },
    ]
    assert _totals(rb, [{"contact_id": "c"}], acts)["c"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("decay", "age", "expected"),
    [
        ({"kind": "half_life", "days": 10}, 20, 2.5),
        ({"kind": "half_life", "days": 10, "floor": 0.5}, 20, 5.0),
        ({"kind": "percent", "days": 7, "percent": 50}, 6.9, 10.0),
        ({"kind": "percent", "days": 7, "percent": 50}, 14.5, 2.5),
        ({"kind": "expiry", "days": 30}, 29, 10.0),
        ({"kind": "expiry", "days": 30}, 31, 0.0),
        ({"kind": "expiry", "days": 30}, 30, 10.0),  # the window's edge: still inside
        ({"kind": "expiry", "days": 90}, 90 + 1e-14, 0.0),  # 90 days + 2 ns: outside
        ({"kind": "expiry", "days": 30, "floor": 0.2}, 31, 2.0),
    ],
)
def test_decay_kinds_and_floor(decay, age, expected):
    rb = book(
        [
            {
                "name": "dl",
                "category": "engagement",
                "points": 10,
                "each": {"activity_type": "content_download"},
                "decay": decay,
            }
        ]
    )
    acts = [
        {"contact_id": "c", "occurred_at": days_before(age), "activity_type": "content_download"}
    ]
    assert _totals(rb, [{"contact_id": "c"}], acts)["c"] == pytest.approx(expected)


def test_decay_is_reproducible_as_of_a_past_date():
    rb = book(
        [
            {
                "name": "dl",
                "category": "engagement",
                "points": 8,
                "each": {"activity_type": "content_download"},
                "decay": {"kind": "half_life", "days": 7},
            }
        ]
    )
    acts = [
        {
            "contact_id": "c",
            "occurred_at": pd.Timestamp("2026-05-01", tz="UTC"),
            "activity_type": "content_download",
        },
        {
            "contact_id": "c",
            "occurred_at": pd.Timestamp("2026-05-20", tz="UTC"),
            "activity_type": "content_download",
        },
    ]
    yesterday = _totals(rb, [{"contact_id": "c"}], acts, as_of="2026-05-15")
    assert yesterday["c"] == pytest.approx(2.0)  # only the first, two half-lives old
    today = _totals(rb, [{"contact_id": "c"}], acts, as_of="2026-05-22")
    assert today["c"] == pytest.approx(8 * 0.5**3 + 8 * 0.5 ** (2 / 7))
    assert _totals(rb, [{"contact_id": "c"}], acts, as_of="2026-05-15") == yesterday


def test_rule_when_gates_per_activity_points():
    rb = book(
        [
            {
                "name": "exec_visits",
                "category": "engagement",
                "points": 1,
                "each": {"activity_type": "page_view"},
                "when": {"var": "seniority", "op": "eq", "value": "vp"},
            }
        ]
    )
    acts = [_pv("vp", 1), _pv("vp", 2), _pv("ic", 1)]
    contacts = [{"contact_id": "vp", "seniority": "vp"}, {"contact_id": "ic"}]
    assert _totals(rb, contacts, acts) == {"vp": 2, "ic": 0}
