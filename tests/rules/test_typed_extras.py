"""Extra columns read from text as the type the rulebook declares (the CSV case)."""

from __future__ import annotations

import logging

import pytest
from rulebook_helpers import AS_OF, book, tables

from rules import score_rulebook
from rules.conditions import ColumnTypeError

SPEC_TEXT = ["Yes", "no", " TRUE ", "false", "1", "0", "", None, "maybe", "y"]
#             10     0     10       0        10   0    missing      bad    10


def _book(dtype: str, rule: dict) -> object:
    return book(
        [{"name": "r", "category": "fit", "points": 10, **rule}], extra_columns={"x": dtype}
    )


def _run(values: list, dtype: str, rule: dict, column_dtype: str = "string"):
    contacts = [{"contact_id": f"c{i}", "x": v} for i, v in enumerate(values)]
    crm = tables(contacts, contact_extra={"x": column_dtype})
    return score_rulebook(crm, _book(dtype, rule), AS_OF)


def test_bool_from_text_yes_no_true_false_1_0_and_blanks(caplog):
    with caplog.at_level(logging.WARNING, logger="rules.conditions"):
        res = _run(SPEC_TEXT, "bool", {"when": {"var": "x", "op": "is_true"}})
    assert res.scores["total"].tolist() == [10, 0, 10, 0, 10, 0, 0, 0, 0, 10]
    assert res.unparsed == {"x": 1}  # "maybe"; blanks are missing, not unparsed
    assert "contacts column 'x': 1 value(s) are not true/false" in caplog.text


def test_bool_is_false_and_is_missing_see_the_parsed_values():
    res = _run(SPEC_TEXT, "bool", {"when": {"var": "x", "op": "is_false"}})
    assert res.scores["total"].tolist() == [0, 10, 0, 10, 0, 10, 0, 0, 0, 0]
    res = _run(SPEC_TEXT, "bool", {"when": {"var": "x", "op": "is_missing"}})
    assert res.scores["total"].tolist() == [0, 0, 0, 0, 0, 0, 10, 10, 10, 0]


def test_bool_from_a_0_1_number_column():
    res = _run([1.0, 0.0, None, 2.0], "bool", {"when": {"var": "x", "op": "is_true"}}, "Float64")
    assert res.scores["total"].tolist() == [10, 0, 0, 0]
    assert res.unparsed == {"x": 1}  # 2.0 is neither


def test_numbers_from_text_with_the_numeric_column_rules():
    values = ["1,250", " 900 ", "1.5e3", "$12", "", None]
    res = _run(values, "float", {"when": {"var": "x", "op": "gte", "value": 1000}})
    assert res.scores["total"].tolist() == [10, 0, 10, 0, 0, 0]
    assert res.unparsed == {"x": 1}  # "$12"


def test_a_datetime_column_declared_bool_is_a_clear_error():
    contacts = [{"contact_id": "c", "x": "2026-01-01"}]
    crm = tables(contacts, contact_extra={"x": "datetime64[ns, UTC]"})
    with pytest.raises(ColumnTypeError, match="declares it bool; fix extra_columns"):
        score_rulebook(crm, _book("bool", {"when": {"var": "x", "op": "is_true"}}), AS_OF)
