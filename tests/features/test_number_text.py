"""The one number formatter, on hand-computed cases."""

import pytest

from features.reasons import format_number, points_text, rule_points_text


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


@pytest.mark.parametrize(
    ("points", "text"),
    [(20.0, "+20"), (12.5, "+12.50"), (-3.0, "-3"), (5.13438e-06, "+0.00"), (1234.5, "+1,234.50")],
)
def test_a_rules_points_read_the_same_in_explain_and_in_the_sink_text(points, text):
    # the one form of a fired rule's points: the sink / report text and explain's column
    assert points_text(points) == text
    assert rule_points_text("demo_request", points) == f"demo_request ({text})"
