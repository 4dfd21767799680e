"""The one number formatter: the vectorised form writes what the scalar one writes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.number_text import format_number, numbers_text


@pytest.mark.parametrize(
    ("x", "kwargs", "text"),
    [
        (1532.0, {"decimals": 1}, "1,532"),
        (2.5, {"decimals": 1}, "2.5"),
        (2.5, {}, "2.50"),
        (2.5, {"trim": True}, "2.5"),
        (2.999, {"trim": True}, "3"),  # rounds to a whole number: no "3." left
        (2.671, {"trim": True}, "2.67"),
        (-1234.5, {"signed": True, "trim": True}, "-1,234.5"),
    ],
)
def test_format_number_by_hand(x, kwargs, text):
    assert format_number(x, **kwargs) == text


@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=50))
def test_numbers_text_equals_format_number_with_two_trimmed_decimals(cents):
    values = np.array(cents, dtype=float) / 100
    expected = [format_number(v, trim=True) for v in values]
    assert numbers_text(values).tolist() == expected
