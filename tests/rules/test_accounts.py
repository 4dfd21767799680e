"""Account roll-ups: sum, mean, max and weighted mean of the top N contacts."""

from __future__ import annotations

import pytest
from rulebook_helpers import AS_OF, book, tables

from rules import score_rulebook

# budgets become points one to one
RULES = [
    {
        "name": "budget",
        "category": "fit",
        "bands": {
            "of": {"var": "budget"},
            "ranges": [{"min": v, "max": v, "points": v} for v in (10, 20, 30, 40)],
        },
    }
]
CONTACTS = [
    {"contact_id": "a1", "account_id": "A", "budget": 10.0},
    {"contact_id": "a2", "account_id": "A", "budget": 40.0},
    {"contact_id": "a3", "account_id": "A", "budget": 30.0},
    {"contact_id": "a4", "account_id": "A", "budget": 20.0},
    {"contact_id": "b1", "account_id": "B", "budget": 30.0},
    {"contact_id": "lone"},
]


@pytest.mark.parametrize(
    ("cfg", "expected_a", "expected_b", "used_a"),
    [
        ({"method": "sum"}, 100.0, 30.0, 4),
        ({"method": "mean"}, 25.0, 30.0, 4),
        ({"method": "max"}, 40.0, 30.0, 1),
        ({"method": "top_n_weighted", "top_n": 2}, 35.0, 30.0, 2),
        (
            {"method": "top_n_weighted", "top_n": 3, "weights": [3, 2, 1]},
            (3 * 40 + 2 * 30 + 1 * 20) / 6,
            30.0,
            3,
        ),
    ],
)
def test_roll_up_methods(cfg, expected_a, expected_b, used_a):
    rb = book(RULES, accounts={**cfg, "threshold": 32})
    res = score_rulebook(
        tables(CONTACTS, accounts=[{"account_id": "A"}, {"account_id": "B"}]), rb, AS_OF
    )
    acc = res.accounts.set_index("account_id")
    assert list(acc.index) == ["A", "B"]  # the contact without account is skipped
    assert acc.loc["A", "score"] == pytest.approx(expected_a)
    assert acc.loc["B", "score"] == pytest.approx(expected_b)
    assert acc.loc["A", "n_contacts"] == 4 and acc.loc["A", "n_used"] == used_a
    assert acc.loc["A", "top_contact_id"] == "a2"
    assert bool(acc.loc["A", "hot"]) == (expected_a >= 32)


def test_committee_is_hot_although_no_single_contact_is():
    rb = book(
        RULES, stages={"lead": 1, "mql": 35, "sql": 65}, accounts={"method": "sum", "threshold": 90}
    )
    res = score_rulebook(tables(CONTACTS), rb, AS_OF)
    assert (res.scores["stage"].astype(str) != "sql").all()
    assert bool(res.accounts.set_index("account_id").loc["A", "hot"])


def test_account_variables_scored_in_blocks_match_one_block():
    # The scorer looks each contact's account up once and hands every block its slice:
    # blocks of one and two contacts must give what one block gives, including a
    # contact whose account is not in the account table and one without an account.
    rb = book(
        [
            {
                "name": "software",
                "category": "fit",
                "when": {"var": "account.industry", "op": "eq", "value": "software"},
                "points": 7,
            },
            {
                "name": "large",
                "category": "fit",
                "when": {"var": "account.employees", "op": "gte", "value": 500},
                "points": 3,
            },
        ]
    )
    contacts = [
        {"contact_id": "c1", "account_id": "B"},
        {"contact_id": "c2", "account_id": "A"},
        {"contact_id": "c3", "account_id": "unknown"},
        {"contact_id": "c4"},
        {"contact_id": "c5", "account_id": "B"},
    ]
    accounts = [
        {"account_id": "A", "industry": "software", "employees": 50},
        {"account_id": "B", "industry": "retail", "employees": 900},
    ]
    expected = {"c1": 3.0, "c2": 7.0, "c3": 0.0, "c4": 0.0, "c5": 3.0}
    for block_size in (None, 1, 2):
        res = score_rulebook(tables(contacts, accounts=accounts), rb, AS_OF, block_size=block_size)
        got = dict(zip(res.scores["contact_id"], res.scores["total"], strict=True))
        assert got == expected, block_size


@pytest.mark.parametrize("method", ["sum", "mean", "max", "top_n_weighted"])
def test_ties_go_to_the_smallest_contact_id_whatever_the_input_order(method):
    # z9 and a5 tie at 30 in account T: the top contact is a5 (text order), in either
    # input order, and every column comes out the same to the last bit (the Spark
    # engine's buckets hold an account's contacts in no fixed order)
    contacts = [
        {"contact_id": "z9", "account_id": "T", "budget": 30.0},
        {"contact_id": "m1", "account_id": "T", "budget": 10.0},
        {"contact_id": "a5", "account_id": "T", "budget": 30.0},
        {"contact_id": "b1", "account_id": "U", "budget": 20.0},
    ]
    cfg = {"method": method, "threshold": 25}
    if method == "top_n_weighted":
        cfg = {**cfg, "top_n": 2, "weights": [0.7, 0.3]}
    rb = book(RULES, accounts=cfg)
    results = [
        score_rulebook(tables(order), rb, AS_OF).accounts for order in (contacts, contacts[::-1])
    ]
    expected_t = {"sum": 70.0, "mean": 70.0 / 3, "max": 30.0, "top_n_weighted": 30.0}[method]
    for acc in results:
        t = acc.set_index("account_id").loc["T"]
        assert t["top_contact_id"] == "a5"
        assert t["score"] == pytest.approx(expected_t)
    cols = ["account_id", "score", "n_contacts", "n_used", "top_contact_id", "hot"]
    assert results[0][cols].equals(results[1][cols])
