"""Linear decay (steps), a combine: max category and video activities: golden numbers.

Linear decay uses Drip's published example: a visit scores 4 (8 for "visits twice a
week"), and "inactive for a week" takes 4 points off, until the score falls to where it
started. Expected values are computed by hand in the comments.
"""

from __future__ import annotations

import pytest
from rulebook_helpers import AS_OF, book, days_before, tables

from rules import parse_rulebook, score_rulebook

# AS_OF is Monday 2026-06-01: ages 8/9 days (Sun/Sat) and 22/23 days fall in one ISO week
VISIT = {
    "name": "visit",
    "category": "engagement",
    "points": 4,
    "each": {"activity_type": "page_view"},
    "limit": {"per": "week", "max_times": 2},
}
INACTIVE = {
    "name": "inactive_week",
    "category": "engagement",
    "points": -4,
    "steps": {"of": {"activity": {}, "agg": "days_since_last"}, "every": 7},
}


def _pv(cid: str, age: float) -> dict:
    return {"contact_id": cid, "occurred_at": days_before(age), "activity_type": "page_view"}


def test_linear_decay_minus_4_for_every_week_without_activity():
    rb = book([VISIT, INACTIVE], scales=[{"name": "main", "caps": {"engagement": {"min": 0}}}])
    acts = [_pv("recent", 1), _pv("recent", 2), _pv("week", 8), _pv("week", 9)]
    acts += [_pv("stale", 22), _pv("stale", 23)]
    contacts = [{"contact_id": c} for c in ("recent", "week", "stale", "none")]
    res = score_rulebook(tables(contacts, acts), rb, AS_OF)
    # recent: 8, last visit 1 day ago, 0 steps -> 8; week: 8 - 4 (8 days: 1 step) = 4;
    # stale: 8 - 12 (22 days: 3 steps) = -4, floored at the starting 0; none: no activity
    assert res.scores.set_index("contact_id")["total"].to_dict() == {
        "recent": 8.0,
        "week": 4.0,
        "stale": 0.0,
        "none": 0.0,
    }
    steps = res.breakdown[res.breakdown["rule"] == "inactive_week"].set_index("contact_id")
    assert steps["value"].to_dict() == {"week": 1.0, "stale": 3.0}
    assert steps["points_raw"].to_dict() == {"week": -4.0, "stale": -12.0}


def test_steps_max_steps_and_checks():
    rule = {**INACTIVE, "steps": {**INACTIVE["steps"], "max_steps": 2}}
    res = score_rulebook(tables([{"contact_id": "c"}], [_pv("c", 30)]), book([rule]), AS_OF)
    assert res.scores["total"].tolist() == [-8.0]  # 4 steps, at most 2
    raw = {
        "name": "t",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main"}],
        "rules": [{**INACTIVE, "steps": {"of": {"var": "seniority"}, "every": 7}}],
    }
    _, problems, _ = parse_rulebook(raw)
    assert any("steps need a numeric measure" in str(p) for p in problems)


def _asset(name: str, points: float, flt: dict) -> dict:
    return {
        "name": name,
        "category": "asset",
        "points": points,
        "when": {"activity": flt, "op": "gte", "value": 1},
    }


ASSETS = [
    _asset("whitepaper", 10, {"activity_type": "content_download", "asset_type": "whitepaper"}),
    _asset("webinar", 15, {"activity_type": "webinar_attend"}),
    _asset("demo", 30, {"activity_type": "demo_request"}),
]


@pytest.mark.parametrize(
    ("cap", "expected"),
    [
        ({"combine": "max"}, {"two": 15.0, "three": 30.0, "one": 10.0}),
        # weighted max: best x 1 + second x 0.5: 15 + 5; 30 + 7.5; 10
        ({"combine": "max", "weights": [1, 0.5]}, {"two": 20.0, "three": 37.5, "one": 10.0}),
        ({"combine": "max", "max": 25}, {"two": 15.0, "three": 25.0, "one": 10.0}),
        ({}, {"two": 25.0, "three": 55.0, "one": 10.0}),  # additive, for contrast
    ],
)
def test_combine_max_scores_the_best_matched_asset(cap, expected):
    rb = book(ASSETS, scales=[{"name": "main", "caps": {"asset": cap}}])
    wp = {"activity_type": "content_download", "asset_type": "whitepaper"}
    acts = [{"contact_id": c, "occurred_at": days_before(3), **wp} for c in ("two", "three", "one")]
    acts += [
        {"contact_id": c, "occurred_at": days_before(2), "activity_type": "webinar_attend"}
        for c in ("two", "three")
    ]
    acts.append(
        {"contact_id": "three", "occurred_at": days_before(1), "activity_type": "demo_request"}
    )
    contacts = [{"contact_id": c} for c in ("two", "three", "one")]
    res = score_rulebook(tables(contacts, acts), rb, AS_OF)
    assert res.scores.set_index("contact_id")["total"].to_dict() == expected
    for cid, total in expected.items():  # the breakdown still adds up
        rows = res.breakdown[res.breakdown["contact_id"] == cid]
        assert rows["points_after_caps"].sum() == pytest.approx(total)


def test_weights_without_combine_max_are_refused():
    raw = {
        "name": "t",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main", "caps": {"asset": {"weights": [1, 0.5]}}}],
        "rules": ASSETS,
    }
    _, problems, _ = parse_rulebook(raw)
    assert any("weights need combine: max" in str(p) for p in problems)


def test_video_views_score_once_a_day():
    rule = {
        "name": "video",
        "category": "engagement",
        "points": 5,
        "each": {"activity_type": "video_view"},
        "limit": {"per": "day", "max_times": 1},
    }
    ages = [1.1, 1.2, 2.5]  # two on one day, one on the day before
    acts = [
        {"contact_id": "c", "occurred_at": days_before(a), "activity_type": "video_view"}
        for a in ages
    ]
    res = score_rulebook(tables([{"contact_id": "c"}], acts), book([rule]), AS_OF)
    assert res.scores["total"].tolist() == [10.0]
