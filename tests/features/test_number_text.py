"""The one number formatter, on hand-computed cases."""

import pytest

from features.reasons import format_number


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
