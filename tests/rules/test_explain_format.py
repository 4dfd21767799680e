"""Numbers and dates in ``leadscore rules explain``: at most 2 decimals, thousands separated,
no exponent; ``as_of`` to the minute in UTC, as the other commands print it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from rulebook_helpers import book, tables

from features.reasons import day_text, format_number, time_text
from rules import explain_contact, format_explanation, score_rulebook


@pytest.mark.parametrize(
    ("x", "signed", "decimals", "text"),
    [
        (178_649_000.0, False, 2, "178,649,000"),  # was 1.78649e+08
        (5.13438e-06, True, 2, "+0.00"),  # was +5.13438e-06
        (-5.13438e-06, True, 2, "-0.00"),
        (12.5, True, 2, "+12.50"),
        (12.0, True, 2, "+12"),
        (-3.0, True, 2, "-3"),
        (-0.0, True, 2, "+0"),
        (1e-10, False, 2, "0"),  # whole within rounding noise; was 1e-10
        (1234.5678, False, 2, "1,234.57"),
        (49.1656, False, 1, "49.2"),
        (1e20, False, 2, "100,000,000,000,000,000,000"),
        (math.inf, True, 2, "+inf"),
    ],
)
def test_format_number_by_hand(x: float, signed: bool, decimals: int, text: str) -> None:
    assert format_number(x, signed=signed, decimals=decimals) == text


def test_explanation_table_shows_large_values_and_decayed_points_readably() -> None:
    frame = pd.DataFrame(
        {
            "scale": ["main", "main"],
            "rule": ["revenue_band", "email_open"],
            "category": pd.array(["fit", None], dtype="string"),
            "value": [178_649_000.0, np.nan],
            "points_raw": [6.0, 2.0],
            "points_after_decay": [6.0, 5.13438e-06],
            "points_after_caps": [6.0, 5.13438e-06],
        }
    )
    lines = format_explanation(frame).splitlines()
    assert lines[2].split() == ["main", "revenue_band", "fit", "178,649,000", "6", "6", "6"]
    # missing category and value print as blanks, not "<NA>"/"nan"
    assert lines[3].split() == ["main", "email_open", "2", "0.00", "0.00"]
    assert lines[4].split() == ["main", "TOTAL", "8", "6.00", "6.00"]
    assert "e+" not in "\n".join(lines) and "e-0" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (pd.Timestamp("2026-06-01 09:30:15.123456", tz="UTC"), "2026-06-01 09:30 UTC"),
        (pd.Timestamp("2026-06-01"), "2026-06-01 00:00 UTC"),  # naive: UTC
        (pd.Timestamp("2026-06-01 02:00", tz="Europe/Berlin"), "2026-06-01 00:00 UTC"),  # +02:00
        ("2026-06-01T23:59:59.999999+00:00", "2026-06-01 23:59 UTC"),
    ],
)
def test_time_text_by_hand(when: pd.Timestamp | str, text: str) -> None:
    assert time_text(when) == text


@pytest.mark.parametrize(
    ("when", "text"),
    [
        ("2026-06-01", "2026-06-01"),
        ("2026-06-01 09:30", "2026-06-01"),  # naive: read as UTC
        (pd.Timestamp("2026-06-01 23:30", tz="UTC"), "2026-06-01"),
        ("2026-06-01T01:30+02:00", "2026-05-31"),  # 23:30 UTC the day before
        ("2026-06-01T23:30-02:00", "2026-06-02"),  # 01:30 UTC the day after
    ],
)
def test_day_text_by_hand_is_the_utc_day_of_time_text(when: pd.Timestamp | str, text: str) -> None:
    assert day_text(when) == text
    assert time_text(when).startswith(text + " ")


def test_rules_explain_prints_as_of_to_the_minute_as_score_does() -> None:
    rule = {
        "name": "title",
        "category": "fit",
        "points": 5,
        "when": {"var": "seniority", "op": "eq", "value": "vp"},
    }
    now = pd.Timestamp("2026-06-01 09:30:15.123456", tz="UTC")  # "now", as without --as-of
    result = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}]), book([rule]), now)
    meta = explain_contact(result, "c").splitlines()[1]
    assert meta.endswith("as of 2026-06-01 09:30 UTC")  # was 2026-06-01T09:30:15.123456+00:00
