"""Operators, the regex guard and all/any/not groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rulebook_helpers import AS_OF, book, tables

from rules import score_rulebook
from rules.operators import apply_operator
from rules.regex_guard import regex_problem

TEXT = pd.Series(["VP Marketing", "student", None, "  ", "Head of Growth"], dtype="str")
NUM = pd.Series([1.0, 5.0, np.nan, 10.0])
CAT = pd.Series(["vp", "manager", None, "vp"], dtype="category")
BOOL = pd.Series([True, False, None], dtype="boolean")


@pytest.mark.parametrize(
    ("series", "op", "value", "expected"),
    [
        (TEXT, "eq", "student", [0, 1, 0, 0, 0]),
        (TEXT, "ne", "student", [1, 0, 1, 1, 1]),
        (TEXT, "in", ["student", "VP Marketing"], [1, 1, 0, 0, 0]),
        (TEXT, "not_in", ["student"], [1, 0, 1, 1, 1]),
        (TEXT, "contains", "MARKET", [1, 0, 0, 0, 0]),
        (TEXT, "not_contains", "market", [0, 1, 1, 1, 1]),
        (TEXT, "starts_with", "head", [0, 0, 0, 0, 1]),
        (TEXT, "ends_with", "GROWTH", [0, 0, 0, 0, 1]),
        (TEXT, "regex", "^(VP|Head)\\b", [1, 0, 0, 0, 1]),
        (TEXT, "not_regex", "^(VP|Head)\\b", [0, 1, 1, 1, 0]),
        (TEXT, "is_missing", None, [0, 0, 1, 1, 0]),
        (TEXT, "is_present", None, [1, 1, 0, 0, 1]),
        (NUM, "gt", 5, [0, 0, 0, 1]),
        (NUM, "gte", 5, [0, 1, 0, 1]),
        (NUM, "lt", 5, [1, 0, 0, 0]),
        (NUM, "lte", 5, [1, 1, 0, 0]),
        (NUM, "between", [2, 10], [0, 1, 0, 1]),
        (NUM, "eq", 10, [0, 0, 0, 1]),
        (NUM, "in", [1, 5], [1, 1, 0, 0]),
        (NUM, "is_missing", None, [0, 0, 1, 0]),
        (CAT, "eq", "vp", [1, 0, 0, 1]),
        (CAT, "in", ["vp", "manager"], [1, 1, 0, 1]),
        (CAT, "ne", "vp", [0, 1, 1, 0]),
        (CAT, "contains", "MAN", [0, 1, 0, 0]),
        (CAT, "is_missing", None, [0, 0, 1, 0]),
        (BOOL, "is_true", None, [1, 0, 0]),
        (BOOL, "is_false", None, [0, 1, 0]),
        (BOOL, "eq", True, [1, 0, 0]),
    ],
)
def test_operator_table(series, op, value, expected):
    assert apply_operator(series, op, value).tolist() == [bool(x) for x in expected]


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+", "(a*)*b", "(\\w+\\s?)+$", "(?:x|y+){2,}", "(a|aa)+\\1", "x" * 201, "([a-z]", 42],
)
def test_regex_guard_rejects(pattern):
    assert regex_problem(pattern) is not None


@pytest.mark.parametrize(
    "pattern", ["^/(plans|pricing)", "(?i)(vp|chief)", "[a+]+", "a+b+c*", "(ab)+", "\\(a+\\)+"]
)
def test_regex_guard_accepts(pattern):
    assert regex_problem(pattern) is None


def test_groups_all_any_not():
    rb = book(
        [
            {
                "name": "r",
                "category": "fit",
                "points": 1,
                "when": {
                    "all": [
                        {
                            "any": [
                                {"var": "seniority", "op": "eq", "value": "vp"},
                                {"var": "job_title", "op": "contains", "value": "head"},
                            ]
                        },
                        {"not": {"var": "region", "op": "eq", "value": "APAC"}},
                    ]
                },
            }
        ]
    )
    contacts = [
        {"contact_id": "vp_na", "seniority": "vp", "region": "NA"},  # yes
        {"contact_id": "head_emea", "job_title": "Head of IT", "region": "EMEA"},  # yes
        {"contact_id": "vp_apac", "seniority": "vp", "region": "APAC"},  # not blocks
        {"contact_id": "ic", "seniority": "individual_contributor"},  # any fails
        {"contact_id": "vp_noregion", "seniority": "vp"},  # not(missing)
    ]
    s = score_rulebook(tables(contacts), rb, AS_OF).scores.set_index("contact_id")["total"]
    assert s.to_dict() == {"vp_na": 1, "head_emea": 1, "vp_apac": 0, "ic": 0, "vp_noregion": 1}


def test_derived_and_account_variables():
    rb = book(
        [
            {
                "name": "corp",
                "category": "fit",
                "points": 1,
                "when": {"var": "email_is_corporate", "op": "is_true"},
            },
            {
                "name": "free",
                "category": "fit",
                "points": 10,
                "when": {"var": "email_is_free", "op": "is_true"},
            },
            {
                "name": "phone",
                "category": "fit",
                "points": 100,
                "when": {"var": "phone_present", "op": "is_true"},
            },
            {
                "name": "big",
                "category": "fit",
                "points": 1000,
                "when": {"var": "account.employees", "op": "gte", "value": 500},
            },
            {
                "name": "domain",
                "category": "fit",
                "points": 10000,
                "when": {"var": "email_domain", "op": "eq", "value": "acme.com"},
            },
        ]
    )
    contacts = [
        {"contact_id": "a", "email": "Jo@ACME.com ", "phone": "+1 555", "account_id": "A"},
        {"contact_id": "b", "email": "jo@gmail.com", "phone": " ", "account_id": "B"},
        {"contact_id": "c", "email": "not-an-email", "account_id": "nope"},
        {"contact_id": "d"},
    ]
    accounts = [{"account_id": "A", "employees": 800}, {"account_id": "B", "employees": 20}]
    s = score_rulebook(tables(contacts, accounts=accounts), rb, AS_OF).scores
    assert s.set_index("contact_id")["total"].to_dict() == {
        "a": 11101.0,
        "b": 10.0,
        "c": 0.0,
        "d": 0.0,
    }


def test_extra_columns_are_typed_and_checked():
    rb = book(
        [
            {
                "name": "visits",
                "category": "engagement",
                "points": 1,
                "when": {"var": "total_visits", "op": "gte", "value": 3},
            }
        ],
        extra_columns={"total_visits": "float"},
    )
    # a text column declared numeric is parsed; non-numbers become missing
    t = tables(
        [{"contact_id": "a", "total_visits": "5"}, {"contact_id": "b", "total_visits": "n/a"}],
        contact_extra={"total_visits": "str"},
    )
    s = score_rulebook(t, rb, AS_OF).scores.set_index("contact_id")["total"]
    assert s.to_dict() == {"a": 1.0, "b": 0.0}
    with pytest.raises(ValueError, match="not in the contacts table"):
        score_rulebook(tables([{"contact_id": "a"}]), rb, AS_OF)
    rb_bool = book(
        [
            {
                "name": "flag",
                "category": "fit",
                "points": 1,
                "when": {"var": "flag", "op": "is_true"},
            }
        ],
        extra_columns={"flag": "bool"},
    )
    # a number column declared bool: 1/0 are true/false, anything else is missing, counted
    t = tables([{"contact_id": "a", "flag": 1.5}], contact_extra={"flag": "float64"})
    res = score_rulebook(t, rb_bool, AS_OF)
    assert res.scores["total"].tolist() == [0.0] and res.unparsed == {"flag": 1}
    t = tables(
        [{"contact_id": "a", "flag": "2026-01-01"}], contact_extra={"flag": "datetime64[ns, UTC]"}
    )
    with pytest.raises(ValueError, match="declares it bool"):
        score_rulebook(t, rb_bool, AS_OF)


def test_list_membership_and_url_filters():
    rb = book(
        [
            {
                "name": "newsletter",
                "category": "engagement",
                "points": 2,
                "when": {
                    "activity": {
                        "activity_type": "list_join",
                        "list_name": {"op": "contains", "value": "newsletter"},
                    },
                    "op": "gte",
                    "value": 1,
                },
            },
            {
                "name": "plans_page",
                "category": "engagement",
                "points": 5,
                "when": {
                    "activity": {
                        "activity_type": "page_view",
                        "page_url": {"op": "regex", "value": "^/(plans|pricing)"},
                    },
                    "op": "gte",
                    "value": 1,
                },
            },
        ]
    )
    acts = [
        {
            "contact_id": "a",
            "occurred_at": AS_OF - pd.Timedelta(days=1),
            "activity_type": "list_join",
            "list_name": "Newsletter EU",
        },
        {
            "contact_id": "b",
            "occurred_at": AS_OF - pd.Timedelta(days=1),
            "activity_type": "page_view",
            "page_url": "/plans/team",
        },
        {
            "contact_id": "c",
            "occurred_at": AS_OF - pd.Timedelta(days=1),
            "activity_type": "page_view",
            "page_url": "/blog/pricing-tips",
        },
    ]
    contacts = [{"contact_id": c} for c in "abc"]
    s = score_rulebook(tables(contacts, acts), rb, AS_OF).scores.set_index("contact_id")
    assert s["total"].to_dict() == {"a": 2.0, "b": 5.0, "c": 0.0}


def test_account_variable_with_no_accounts_table_is_missing_for_everyone():
    # a flat export has no accounts: account criteria simply never match
    from rulebook_helpers import book, tables

    from rules import score_rulebook

    crm = tables([{"contact_id": "a", "account_id": "x"}, {"contact_id": "b"}])
    rb = book(
        [
            {
                "name": "big_company",
                "category": "fit",
                "points": 10,
                "when": {"var": "account.employees", "op": "gte", "value": 100},
            },
            {
                "name": "no_company_size",
                "category": "fit",
                "points": 1,
                "when": {"var": "account.employees", "op": "is_missing"},
            },
        ]
    )
    scores = score_rulebook(crm, rb, "2026-06-01").scores.set_index("contact_id")["total"]
    assert scores.to_dict() == {"a": 1.0, "b": 1.0}


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("eq", "c3"),
        ("in", ["c1", "c2"]),
        ("in", [f"c{i}" for i in range(7)]),  # many hits: the gather path
        ("not_in", [f"c{i}" for i in range(10)]),  # only missing left: the negated path
        ("ne", "c0"),
        ("contains", "C1"),
        ("is_missing", None),
        ("is_present", None),
        ("in", ["nowhere"]),
    ],
)
def test_categorical_operators_agree_with_a_per_row_evaluation(op, value):
    rng = np.random.default_rng(7)
    raw = [None if rng.random() < 0.1 else f"c{rng.integers(0, 10)}" for _ in range(500)]
    series = pd.Series(raw, dtype="category")

    def one(x):  # the documented semantics, one value at a time
        if op == "is_missing":
            return x is None
        if op == "is_present":
            return x is not None
        positive = {"ne": "eq", "not_in": "in"}.get(op, op)
        hit = x is not None and (
            x == value
            if positive == "eq"
            else x in value
            if positive == "in"
            else str(value).lower() in x.lower()
        )
        return not hit if op in {"ne", "not_in"} else hit

    assert apply_operator(series, op, value).tolist() == [one(x) for x in raw]
