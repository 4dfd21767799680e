"""The text of ``leadscore explain``: readable points, never "nan", log-odds unchanged."""

from __future__ import annotations

import math

import pandas as pd

from serving.lead_explanation import LeadExplanation, format_lead_explanation


def _explanation(manual_score: float) -> LeadExplanation:
    factors = pd.DataFrame(
        {
            "feature": ["pricing_views_7d", "budget"],
            "text": ["visited the pricing page 4 times in the last 7 days", "budget unknown"],
            "contribution": [0.41234, -0.0723],
        }
    )
    rules = pd.DataFrame(
        {
            "rule": ["demo_request", "pricing_page", "email_open"],
            "category": ["engagement", "engagement", "engagement"],
            "points": [20.0, 12.5, 5.13438e-06],
        }
    )
    scores = {
        "final_score": 63.04,
        "tier": "B",
        "stage": "mql",
        "probability": 0.2345,
        "manual_score": manual_score,
        "grade": math.nan,
        "margin": -0.5,
    }
    return LeadExplanation(
        "con_00000001", pd.Timestamp("2026-09-01", tz="UTC"), scores, -1.2, factors, rules
    )


def test_rules_points_have_at_most_two_decimals() -> None:
    lines = format_lead_explanation(_explanation(1234.0)).splitlines()
    assert "       +20  demo_request (engagement)" in lines
    assert "    +12.50  pricing_page (engagement)" in lines
    assert "     +0.00  email_open (engagement)" in lines  # was +5.13438e-06
    assert "Model probability 23.4%; manual score 1,234 points" in lines
    assert "e-06" not in "\n".join(lines)


def test_model_factors_keep_four_decimals_and_read_unknown() -> None:
    text = format_lead_explanation(_explanation(32.5))
    assert "   +0.4123  visited the pricing page 4 times in the last 7 days" in text
    assert "   -0.0723  budget unknown" in text
    assert "manual score 32.50 points" in text
    assert "nan" not in text and "grade -" in text
