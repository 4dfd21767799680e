"""Numbers in ``leadscore rules explain``: at most 2 decimals, thousands separated, no exponent."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.reasons import format_number
from rules import format_explanation


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
