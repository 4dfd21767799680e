"""Stages from the grade grid, recycling to any earlier stage, holds until a condition."""

from __future__ import annotations

import pandas as pd
import pytest
from rulebook_helpers import AS_OF, book, days_before, tables

from rules import parse_rulebook, score_rulebook

STAGES = {"lead": 10, "mql": 35, "sql": 65}


def _points(name: str, category: str, var: str, value: str, points: float) -> dict:
    return {
        "name": name,
        "category": category,
        "points": points,
        "when": {"var": var, "op": "eq", "value": value},
    }


GRID = {
    "fit": [
        {"label": "A", "min": 60},
        {"label": "B", "min": 40},
        {"label": "C", "min": 20},
        {"label": "D"},
    ],
    "engagement": [
        {"label": "1", "min": 60},
        {"label": "2", "min": 40},
        {"label": "3", "min": 20},
        {"label": "4"},
    ],
}
SALES = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "C1"]  # "A1-A4, B1-B3 and C1 go to sales"


def test_stages_from_the_grade_grid():
    # fit points = budget, engagement points = employees of the account (both by bands)
    rules = [
        {
            "name": "fit",
            "category": "fit",
            "bands": {
                "of": {"var": "budget"},
                "ranges": [{"min": v, "max": v, "points": v} for v in (0, 20, 40, 60)],
            },
        },
        {
            "name": "eng",
            "category": "engagement",
            "bands": {
                "of": {"var": "account.employees"},
                "ranges": [{"min": v, "max": v, "points": v} for v in (0, 20, 40, 60)],
            },
        },
    ]
    rb = book(rules, grade=GRID, stages={"by_grade": {"sql": SALES, "mql": ["B4", "C2"]}})
    cases = {  # contact: (fit, engagement, grade, stage) by hand from the grid
        "a4": (60, 0, "A4", "sql"),
        "b3": (40, 20, "B3", "sql"),
        "b4": (40, 0, "B4", "mql"),
        "c1": (20, 60, "C1", "sql"),
        "c2": (20, 40, "C2", "mql"),
        "d1": (0, 60, "D1", "subscriber"),
    }
    contacts = [
        {"contact_id": c, "budget": float(f), "account_id": f"acc_{c}"}
        for c, (f, *_) in cases.items()
    ]
    accounts = [{"account_id": f"acc_{c}", "employees": e} for c, (_, e, *_) in cases.items()]
    scores = score_rulebook(tables(contacts, accounts=accounts), rb, AS_OF).scores
    got = {r.contact_id: (r.fit, r.engagement, r.grade, r.stage) for r in scores.itertuples()}
    assert got == cases


@pytest.mark.parametrize(
    ("stages", "field"),
    [
        ({"by_grade": {"sql": ["A1"]}}, "by_grade"),  # no grade section
        ({"lead": 1, "mql": 2}, "sql"),  # a cut-off missing
    ],
)
def test_stage_settings_are_checked(stages, field):
    raw = {
        "name": "t",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main"}],
        "rules": [_points("r", "fit", "seniority", "vp", 1)],
        "stages": stages,
    }
    _, problems, _ = parse_rulebook(raw)
    assert any(f"section 'stages', field '{field}'" in str(p) for p in problems), problems


def test_grade_labels_in_by_grade_must_exist():
    raw = {
        "name": "t",
        "version": "1",
        "changelog": [{"version": "1", "date": "2026-01-01", "changes": "x"}],
        "scales": [{"name": "main"}],
        "rules": [_points("r", "fit", "seniority", "vp", 1)],
        "grade": GRID,
        "stages": {"by_grade": {"sql": ["A1", "E9"], "mql": ["A1"]}},
    }
    _, problems, _ = parse_rulebook(raw)
    texts = " | ".join(str(p) for p in problems)
    assert "unknown grade 'E9'" in texts
    assert "grade 'A1' is listed under both sql and mql" in texts


FIT_20 = _points("vp", "fit", "seniority", "vp", 20)
DOWNLOAD_25 = {
    "name": "dl",
    "category": "engagement",
    "points": 25,
    "each": {"activity_type": "content_download"},
}


def _act(cid: str, age: float, kind: str, **kw) -> dict:
    return {"contact_id": cid, "occurred_at": days_before(age), "activity_type": kind, **kw}


def test_not_ready_recycles_to_mql_and_stays_there_until_it_acts():
    rb = book(
        [FIT_20, DOWNLOAD_25],
        stages=STAGES,
        recycle={"not_ready": {"mode": "forget_activity", "stage": "mql"}},
    )
    acts = [_act("c", 10, "content_download"), _act("c", 9, "content_download")]
    acts.append(_act("c", 5, "sales_feedback", feedback="not_ready"))
    contacts = [{"contact_id": "c", "seniority": "vp"}]
    previous = pd.DataFrame(
        {"contact_id": ["c"], "stage": ["sql"], "as_of": [days_before(8)]}
    )  # 20 + 25 + 25 = 70: sql before the feedback
    s = score_rulebook(tables(contacts, acts), rb, AS_OF, previous=previous).scores.iloc[0]
    assert s["total"] == 20.0  # downloads before the feedback forgotten
    assert s["stage"] == "mql"  # set to mql (not lead: 20 is only lead), not kept at sql
    acts.append(_act("c", 1, "content_download"))  # earns its way back: 20 + 25 = 45
    s = score_rulebook(tables(contacts, acts), rb, AS_OF, previous=previous).scores.iloc[0]
    assert (s["total"], s["stage"]) == (45.0, "mql")
    acts.append(_act("c", 0.5, "content_download"))  # 70: sql again
    s = score_rulebook(tables(contacts, acts), rb, AS_OF).scores.iloc[0]
    assert (s["total"], s["stage"]) == (70.0, "sql")


def test_unqualified_stays_subscriber_until_its_condition_holds():
    rb = book(
        [_points("big", "fit", "seniority", "vp", 90), DOWNLOAD_25],
        stages=STAGES,
        recycle={
            "unqualified": {
                "mode": "forget_activity",
                "stage": "subscriber",
                "until": {"var": "budget_stated", "op": "is_true"},
            }
        },
    )
    acts = [_act(c, 5, "sales_feedback", feedback="unqualified") for c in ("no_budget", "budget")]
    acts += [_act(c, 1, "content_download") for c in ("no_budget", "budget")]
    contacts = [
        {"contact_id": "no_budget", "seniority": "vp"},
        {"contact_id": "budget", "seniority": "vp", "budget": 5000.0},
    ]
    scores = score_rulebook(tables(contacts, acts), rb, AS_OF).scores.set_index("contact_id")
    # both 90 + 25 = 115 (sql by the score); only a stated budget releases the hold
    assert scores["total"].tolist() == [115.0, 115.0]
    assert scores["stage"].astype(str).to_dict() == {"no_budget": "subscriber", "budget": "sql"}


def test_a_hold_keeps_free_mail_contacts_in_subscriber():
    rb = book(
        [_points("big", "fit", "seniority", "vp", 90)],
        stages={
            **STAGES,
            "holds": [
                {
                    "reason": "corporate_mail",
                    "stage": "subscriber",
                    "until": {"var": "email_is_corporate", "op": "is_true"},
                }
            ],
        },
    )
    contacts = [
        {"contact_id": "free", "seniority": "vp", "email": "a@gmail.com"},
        {"contact_id": "corp", "seniority": "vp", "email": "a@acme.io"},
    ]
    scores = score_rulebook(tables(contacts), rb, AS_OF).scores
    assert scores["stage"].astype(str).tolist() == ["subscriber", "sql"]
