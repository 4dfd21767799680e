"""The pure parts of validation: normalise, coerce, the suites derived from the schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.ingest.coerce import number_values, parse_table, to_canonical
from features.ingest.normalise import bool_values, category_values, normalise_table
from features.ingest.quarantine import Failure, quarantine_frame
from features.ingest.suites import table_rules, with_reference_columns
from features.schema import ACTIVITIES, CONTACTS, OUTCOMES_TABLE, TABLES


@pytest.mark.parametrize(
    ("raw", "upper", "expected"),
    [
        ("  Pricing", False, "pricing"),
        ("Email_Open", False, "email_open"),
        ("Email Open", False, "email_open"),
        ("case-study", False, "case_study"),
        ("BOFU ", True, "BOFU"),
        ("bofu", True, "BOFU"),
        (" emea", True, "EMEA"),
    ],
)
def test_category_spelling_is_normalised(raw, upper, expected):
    assert category_values(pd.Series([raw]), upper=upper).tolist() == [expected]


def test_blank_category_becomes_missing():
    assert category_values(pd.Series(["", "   ", None])).isna().tolist() == [True, True, True]


def test_bool_words_become_booleans_and_others_stay():
    got = bool_values(pd.Series(["Yes", "no", "TRUE", "f", "1", "0", "y", "N", "", None]))
    assert str(got.dtype) == "boolean"
    expected = [True, False, True, False, True, False, True, False, None, None]
    assert [None if v is pd.NA else v for v in got.tolist()] == expected
    mixed = bool_values(pd.Series(["yes", "maybe"]))
    assert mixed.tolist() == [True, "maybe"]


def test_normalise_is_pure_adds_missing_columns_and_keeps_extras():
    frame = pd.DataFrame(
        {
            "activity_id": [" a1 "],
            "contact_id": ["c1"],
            "occurred_at": ["2026-01-01"],
            "activity_type": ["Page View"],
            "Extra Col": ["  raw  "],
        }
    )
    before = frame.copy()
    got = normalise_table(frame, ACTIVITIES)
    pd.testing.assert_frame_equal(frame, before)
    assert list(got.columns) == [*ACTIVITIES.names, "Extra Col"]
    assert got.loc[0, "activity_id"] == "a1"
    assert got.loc[0, "activity_type"] == "page_view"
    assert got.loc[0, "Extra Col"] == "  raw  "
    assert got["page_category"].isna().all()


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("1,250,000", True, 1_250_000),
        ("12", True, 12),
        ("12.0", True, 12),
        ("2.5", True, None),
        ("1,5", False, None),
        ("many", True, None),
        (" 3.25 ", False, 3.25),
        ("inf", False, None),
    ],
)
def test_number_values(text, integer, expected):
    got = number_values(pd.Series([text]), integer=integer).tolist()[0]
    assert (got is pd.NA or got != got) if expected is None else got == expected


def test_parse_table_reports_unconvertible_values_only():
    frame = normalise_table(
        pd.DataFrame(
            {
                "contact_id": ["c1", "c2", "c3"],
                "created_at": ["2026-01-01T12:00:00+02:00", "31/02/2026", None],
                "budget": ["10", "lots", None],
                "do_not_email": ["yes", "maybe", None],
            }
        ),
        CONTACTS,
    )
    parsed, failed = parse_table(frame, CONTACTS)
    assert sorted(failed) == ["budget", "created_at", "do_not_email"]
    assert failed["created_at"].tolist() == [False, True, False]
    assert failed["budget"].tolist() == [False, True, False]
    assert failed["do_not_email"].tolist() == [False, True, False]
    assert parsed.loc[0, "created_at"] == pd.Timestamp("2026-01-01 10:00", tz="UTC")


def test_to_canonical_uses_the_schema_dtypes_and_vocabulary():
    frame = normalise_table(
        pd.DataFrame({"contact_id": ["c1"], "converted_at": ["2026-01-01"], "outcome": ["won"]}),
        OUTCOMES_TABLE,
    )
    parsed, _ = parse_table(frame, OUTCOMES_TABLE)
    got = to_canonical(parsed, OUTCOMES_TABLE)
    assert {c: str(t) for c, t in got.dtypes.items()} == OUTCOMES_TABLE.dtypes()
    assert list(got["outcome"].cat.categories) == ["opportunity", "won", "lost"]


@pytest.mark.parametrize("name", list(TABLES))
def test_suites_follow_the_schema(name):
    table = TABLES[name]
    rules = table_rules(table)
    by_kind: dict[str, set[tuple[str, ...]]] = {}
    for rule in rules:
        by_kind.setdefault(rule.kind, set()).add(rule.columns)
    assert by_kind["not_null"] == {(c.name,) for c in table.columns if not c.nullable}
    assert by_kind.get("in_set", set()) == {
        (c.name,) for c in table.columns if c.dtype == "category" and c.allowed
    }
    assert by_kind.get("not_future", set()) == {
        (c.name,) for c in table.columns if c.dtype == "datetime"
    }
    assert by_kind["unique"] == {table.primary_key}
    assert by_kind.get("reference", set()) == {(fk.column,) for fk in table.foreign_keys}
    for rule in rules:
        if rule.kind == "in_set":
            col = table.column(rule.columns[0])
            assert rule.expectation.value_set == list(col.allowed or ())
        if rule.kind == "range":
            col = table.column(rule.columns[0])
            assert (rule.expectation.min_value, rule.expectation.max_value) == (col.min, col.max)
    assert len({r.key for r in rules}) == len(rules)


def test_reference_columns_flag_unknown_keys_and_carry_the_parent_time():
    frame = pd.DataFrame(
        {
            "contact_id": pd.array(["c1", "c9", None], dtype="string"),
            "converted_at": pd.to_datetime(["2026-02-01"] * 3, utc=True).astype(
                "datetime64[ns, UTC]"
            ),
        }
    )
    parents = {
        "contacts": pd.DataFrame(
            {
                "contact_id": ["c1"],
                "created_at": pd.to_datetime(["2026-01-01"], utc=True).astype(
                    "datetime64[ns, UTC]"
                ),
            }
        )
    }
    got = with_reference_columns(frame, OUTCOMES_TABLE, parents)
    assert got["_known_contact_id"].tolist() == [True, False, True]
    assert got["_contacts_created_at"].tolist()[0] == pd.Timestamp("2026-01-01", tz="UTC")
    assert got["_contacts_created_at"].isna().tolist() == [False, True, True]


def test_quarantine_frame_takes_the_first_failing_rule_and_counts_the_rest():
    raw = pd.DataFrame({"contact_id": ["c1", "c2", "c3"], "note": ["a", "b", "c"]})
    failures = [
        Failure("r1", "x", np.array([1]), np.array(["first"], dtype=object), "error", ""),
        Failure("r2", "y", np.array([1, 2]), np.array(["second", "only"]), "error", ""),
        Failure("w", "z", np.array([0]), np.array(["kept"], dtype=object), "warning", ""),
    ]
    got = quarantine_frame(raw, failures)
    assert got.columns.tolist() == [
        "_row", "_file", "_line", "_reason", "_rule", "_column", "contact_id", "note"
    ]  # fmt: skip
    assert got["_row"].tolist() == [1, 2]
    assert got[["_file", "_line"]].isna().all().all()  # no origin columns: unknown
    assert got["_reason"].tolist() == ["first (+1 more)", "only"]
    assert got["_rule"].tolist() == ["r1", "r2"]
    assert got["contact_id"].tolist() == ["c2", "c3"]


def test_quarantine_frame_puts_each_rows_file_and_line_in_front():
    raw = pd.DataFrame(
        {
            "contact_id": ["c1", "c2", "c3"],
            "_file": ["a.csv", "a.csv", "a.csv"],
            "_line": pd.array([2, 5, 9], dtype="Int64"),  # line breaks inside values
        }
    )
    failures = [Failure("r", "x", np.array([0, 2]), np.array(["bad", "bad"]), "error", "")]
    got = quarantine_frame(raw, failures)
    assert got.columns.tolist() == [
        "_row",
        "_file",
        "_line",
        "_reason",
        "_rule",
        "_column",
        "contact_id",
    ]
    assert got[["_row", "_file", "_line"]].values.tolist() == [[0, "a.csv", 2], [2, "a.csv", 9]]
