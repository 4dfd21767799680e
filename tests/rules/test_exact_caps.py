"""Capped sums equal their cap to the last bit; the stage is read from that exact total.

The point sets below are the ones where scaling by one factor misses in floating point
(checked by hand in Python: 15, 25, 30, 35 scaled by 100/105 add up to
99.99999999999999; 35, 45, 50 scaled by 100/130 to 100.00000000000001).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from rulebook_helpers import AS_OF, book, tables

from rules import score_rulebook
from rules.caps import bound_sums


def _rules(points: list[float], category: str) -> list[dict]:
    return [
        {
            "name": f"r{i}",
            "category": category,
            "points": p,
            "when": {"var": "seniority", "op": "eq", "value": "vp"},
        }
        for i, p in enumerate(points)
    ]


def _naive(points: list[float], cap: float) -> float:
    factor = cap / sum(points)
    total = 0.0
    for p in points:
        total += p * factor
    return total


@pytest.mark.parametrize(
    ("points", "naive"),
    [([15, 25, 30, 35], 99.99999999999999), ([35, 45, 50], 100.00000000000001)],
)
def test_total_cap_is_exact_and_the_stage_follows_it(points, naive):
    assert _naive(points, 100) == naive  # the float trap this guards against
    rb = book(
        _rules(points, "fit"),
        scales=[{"name": "main", "total": {"max": 100}}],
        stages={"lead": 10, "mql": 100, "sql": 200},
    )
    res = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}]), rb, AS_OF)
    row = res.scores.iloc[0]
    assert row["total"] == 100.0  # exactly, not approx
    assert row["stage"] == "mql"
    capped = res.breakdown["points_after_caps"].to_numpy()
    assert (capped >= 0).all()
    assert math.fsum(capped) == pytest.approx(100.0, abs=1e-12)
    # shares keep their proportions: 15 of 105 -> 100 * 15 / 105
    assert capped[0] == pytest.approx(100 * points[0] / sum(points), rel=1e-12)


def test_category_cap_is_exact_for_fit():
    rb = book(
        _rules([15, 25, 30, 35], "fit"),
        scales=[{"name": "main", "caps": {"fit": {"max": 100}}}],
    )
    row = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}]), rb, AS_OF).scores
    assert row["fit"].iloc[0] == 100.0
    assert row["total"].iloc[0] == 100.0


def test_min_cap_is_exact_and_positive_points_stay():
    rb = book(
        _rules([10, -15, -25, -30, -35], "negative"),
        scales=[{"name": "main", "caps": {"negative": {"min": -90}}, "total": {"min": -80}}],
    )
    res = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}]), rb, AS_OF)
    # by hand: negatives -105 + 10 = -95 < -90: negatives scaled to -100 (category -90);
    # then -90 < -80: negatives scaled to -90 (total -80); the +10 is never touched
    assert res.scores["total"].iloc[0] == -80.0
    assert res.breakdown.set_index("rule").loc["r0", "points_after_caps"] == 10.0


def test_bound_sums_reports_the_bound_per_group():
    values = np.array([15.0, 25.0, 30.0, 35.0, 1.0])
    group = np.array([0, 0, 0, 0, 1])
    out = bound_sums(values, group, 2, upper=100.0)
    assert out.sums[0] == 100.0 and math.isnan(out.sums[1])
    assert out.values[4] == 1.0
    assert out.values[:3].tolist() == [v * (100 / 105) for v in (15.0, 25.0, 30.0)]
    assert out.values[3] == pytest.approx(100 * 35 / 105, rel=1e-12)
