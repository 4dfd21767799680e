"""Feature texts: missing values read "unknown", numbers read like people write them."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from features.reasons import feature_catalog, feature_reason
from features.spec import load_feature_spec
from serving.reasons import reasons_json

SPEC = load_feature_spec().model_copy(update={"include_rule_score": True})
RAW = ("nan", "None", "<NA>", "NaT")


@pytest.mark.parametrize("missing", [math.nan, None, pd.NA, np.float64("nan")])
def test_no_feature_text_shows_a_raw_missing_value(missing: object) -> None:
    catalog = feature_catalog(SPEC)
    assert "rule_score" in catalog and "budget" in catalog
    for name, describe in catalog.items():
        text = describe(missing)
        assert not any(raw in text for raw in RAW), f"{name}: {text!r}"


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        # the passthrough column of the user report: "budget is nan" before the fix
        ("budget", math.nan, "budget unknown"),
        ("budget", None, "budget unknown"),
        ("budget", 178_649_000.0, "budget is 178,649,000"),
        ("budget", 1234.56, "budget is 1,234.6"),
        ("active_days_30d", math.nan, "activity in the last 30 days unknown"),
        ("active_days_30d", 3.0, "active on 3 of the last 30 days"),
        ("days_since_created", math.nan, "time in the CRM unknown"),
        ("days_since_created", 1500.0, "in the CRM for 1,500 days"),
        ("account_engaged_contacts_30d", None, "colleagues engaged in the last 30 days unknown"),
        ("account_engagement_30d", pd.NA, "company engagement in the last 30 days unknown"),
        ("rule_score", math.nan, "rule score unknown"),
        ("rule_score", 42.0, "rule score is 42"),
        ("max_form_stage", math.nan, "form stage unknown"),
        ("pricing_views_7d", None, "visited the pricing page: count in the last 7 days unknown"),
        ("unsubscribed", math.nan, "unsubscribed from e-mail: unknown"),
        ("unsubscribed", 0.0, "never unsubscribed from e-mail"),
        ("revenue_band", math.nan, "company revenue band (USD) unknown"),
        ("is_partner", math.nan, "works for a partner: unknown"),
    ],
)
def test_feature_text_by_hand(name: str, value: object, text: str) -> None:
    assert feature_reason(name, value, SPEC) == text


def test_trend_text_missing_and_present() -> None:
    describe = feature_catalog(SPEC)["page_views_trend_7v30d"]
    missing, present = describe(math.nan), describe(0.5)
    assert missing.endswith(": trend over the last 7 days unknown")
    assert present.endswith(": +0.50 per day in the last 7 days compared with the 30 days before")
    assert missing.split(":")[0] == present.split(":")[0]  # the same group phrase


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.nan, "Total Time Spent unknown"),
        (pd.NA, "Total Time Spent unknown"),
        (12, "Total Time Spent is 12"),
        (np.int64(1532), "Total Time Spent is 1,532"),
        (178_649_000.0, "Total Time Spent is 178,649,000"),
        (2.666, "Total Time Spent is 2.67"),
        (0.5, "Total Time Spent is 0.5"),
        ("Google", "Total Time Spent is Google"),
    ],
)
def test_column_the_spec_does_not_know(value: object, text: str) -> None:
    assert feature_reason("Total_Time_Spent", value) == text


def test_reasons_json_writes_unknown_for_a_missing_budget() -> None:
    # The cell the HubSpot sink turns into "budget is nan (-0.09)" before the fix.
    X = pd.DataFrame({"budget": [math.nan, 250_000.0], "active_days_30d": [2.0, math.nan]})
    idx = np.array([[0, 1], [1, 0]])
    val = np.array([[-0.0912, 0.25], [0.1, -0.05]])
    cells = [json.loads(c) for c in reasons_json(X, idx, val, SPEC)]
    assert [e["text"] for e in cells[0]] == ["budget unknown", "active on 2 of the last 30 days"]
    assert [e["text"] for e in cells[1]] == [
        "activity in the last 30 days unknown",
        "budget is 250,000",
    ]
    assert [e["contribution"] for e in cells[0]] == [-0.0912, 0.25]  # machine values unchanged
