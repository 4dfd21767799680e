"""rules explain shows every cap and gate cut, with the sums on either side."""

from __future__ import annotations

from rulebook_helpers import AS_OF, book, tables

from rules import explain_contact, score_rulebook


def _rule(name: str, category: str, points: float) -> dict:
    return {
        "name": name,
        "category": category,
        "points": points,
        "when": {"var": "seniority", "op": "eq", "value": "vp"},
    }


def test_explain_lists_category_cap_total_cap_and_gate_cuts():
    rb = book(
        [_rule("title", "fit", 50), _rule("size", "fit", 40), _rule("visits", "engagement", 57.5)],
        scales=[
            {
                "name": "main",
                "caps": {"fit": {"max": 70}},
                "total": {"max": 120},
                "gate": {
                    "name": "needs_demo",
                    "max": 69,
                    "unless": {
                        "activity": {"activity_type": "demo_request"},
                        "op": "gte",
                        "value": 1,
                    },
                },
            }
        ],
    )
    res = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}]), rb, AS_OF)
    # by hand: fit 50 + 40 = 90 -> 70 (cap); 70 + 57.5 = 127.5 -> 120 (total); -> 69 (gate)
    assert res.scores["total"].iloc[0] == 69.0
    cuts = res.cuts.loc[:, ["cut", "before", "after"]].to_records(index=False).tolist()
    assert cuts == [
        ("cap fit", 90.0, 70.0),
        ("total cap", 127.5, 120.0),
        ("gate needs_demo", 120.0, 69.0),
    ]
    text = explain_contact(res, "c")
    assert "main: cap fit cut 90 -> 70" in text
    assert "main: total cap cut 127.5 -> 120" in text
    assert "main: gate needs_demo cut 120 -> 69" in text


def test_no_cut_no_caps_section():
    rb = book([_rule("title", "fit", 50)], scales=[{"name": "main", "total": {"max": 100}}])
    res = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}]), rb, AS_OF)
    assert res.cuts.empty
    assert "caps and gates" not in explain_contact(res, "c")
