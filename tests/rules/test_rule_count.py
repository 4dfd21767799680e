"""Rulebooks larger than an int16 index (32,767 rules) score like small ones."""

from __future__ import annotations

import pytest
from rulebook_helpers import AS_OF, book, tables

from rules import score_rulebook

N_RULES = 33_000  # past 2**15 - 1


@pytest.mark.slow
def test_more_than_32767_rules_score_every_rule() -> None:
    # rule i fires for a director when i is even, for a manager when i % 3 == 0
    rules = [
        {
            "name": f"r{i}",
            "category": "fit",
            "points": 1,
            "when": {
                "var": "seniority",
                "op": "in",
                "value": ["director"] * (i % 2 == 0) + ["manager"] * (i % 3 == 0) or ["vp"],
            },
        }
        for i in range(N_RULES)
    ]
    contacts = [
        {"contact_id": "d", "seniority": "director"},
        {"contact_id": "m", "seniority": "manager"},
        {"contact_id": "s", "seniority": "student"},
    ]
    result = score_rulebook(tables(contacts), book(rules), AS_OF)

    evens, thirds = (N_RULES + 1) // 2, (N_RULES + 2) // 3
    assert result.scores.set_index("contact_id")["total"].to_dict() == {
        "d": evens,
        "m": thirds,
        "s": 0,
    }
    fired = result.breakdown.groupby("contact_id", observed=True)["rule"].apply(list)
    assert fired["d"][-1] == f"r{N_RULES - 2}"  # the last even rule, index past 32,767
    assert fired["m"][-1] == f"r{N_RULES - 3}"  # 32,997: the last multiple of 3
    assert len(fired["d"]) == evens and len(fired["m"]) == thirds
