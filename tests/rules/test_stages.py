"""Lifecycle stages, exclusions, stages that never move backwards, and sales feedback."""

from __future__ import annotations

import pandas as pd
import pytest
from rulebook_helpers import AS_OF, book, days_before, tables

from rules import score_rulebook

STAGES = {"lead": 10, "mql": 35, "sql": 65}
RULES = [
    {
        "name": "fit",
        "category": "fit",
        "points": 20,
        "when": {"var": "seniority", "op": "eq", "value": "vp"},
    },
    {
        "name": "dl",
        "category": "engagement",
        "points": 25,
        "each": {"activity_type": "content_download"},
        "decay": {"kind": "half_life", "days": 30},
    },
]


def _dl(cid, when):
    return {"contact_id": cid, "occurred_at": when, "activity_type": "content_download"}


def _fb(cid, when, kind):
    return {
        "contact_id": cid,
        "occurred_at": when,
        "activity_type": "sales_feedback",
        "feedback": kind,
    }


def test_thresholds_map_scores_to_stages():
    rb = book(
        [
            {
                "name": "b",
                "category": "fit",
                "bands": {
                    "of": {"var": "budget"},
                    "ranges": [
                        {"min": 0, "max": 9, "points": 5},
                        {"min": 10, "max": 34, "points": 10},
                        {"min": 35, "max": 64, "points": 35},
                        {"min": 65, "points": 65},
                    ],
                },
            }
        ],
        stages=STAGES,
    )
    contacts = [
        {"contact_id": s, "budget": b}
        for s, b in [("sub", 1.0), ("lead", 20.0), ("mql", 50.0), ("sql", 70.0)]
    ]
    s = score_rulebook(tables(contacts), rb, AS_OF).scores
    assert s["stage"].astype(str).tolist() == ["subscriber", "lead", "mql", "sql"]


def test_exclusions_never_enter_mql_or_sql_and_first_reason_wins():
    exclusions = [
        {"reason": r, "when": {"var": v, "op": "is_true"}}
        for r, v in [
            ("employee", "is_employee"),
            ("customer", "is_customer"),
            ("open_opportunity", "has_open_opportunity"),
            ("partner", "is_partner"),
            ("competitor", "account.is_competitor"),
            ("unsubscribed", "is_unsubscribed"),
        ]
    ]
    rb = book(
        [
            {
                "name": "big",
                "category": "fit",
                "points": 90,
                "when": {"var": "contact_id", "op": "is_present"},
            }
        ],
        stages={**STAGES, "exclusions": exclusions},
    )
    contacts = [
        {"contact_id": "ok"},
        {"contact_id": "emp", "is_employee": True},
        {"contact_id": "cust", "account_id": "CUST"},
        {"contact_id": "life", "lifecycle_stage": "customer"},
        {"contact_id": "won"},
        {"contact_id": "opp"},
        {"contact_id": "lost"},
        {"contact_id": "partner", "is_partner": True},
        {"contact_id": "rival", "account_id": "RIVAL"},
        {"contact_id": "unsub", "do_not_email": True},
        {"contact_id": "both", "is_employee": True, "do_not_email": True},
    ]
    deal = "deal_stage_change"
    acts = [
        {
            "contact_id": "won",
            "occurred_at": days_before(5),
            "activity_type": deal,
            "deal_stage": "closed_won",
        },
        {
            "contact_id": "opp",
            "occurred_at": days_before(5),
            "activity_type": deal,
            "deal_stage": "proposal",
        },
        {
            "contact_id": "lost",
            "occurred_at": days_before(9),
            "activity_type": deal,
            "deal_stage": "proposal",
        },
        {
            "contact_id": "lost",
            "occurred_at": days_before(5),
            "activity_type": deal,
            "deal_stage": "closed_lost",
        },
        {
            "contact_id": "opp",
            "occurred_at": days_before(-5),
            "activity_type": deal,
            "deal_stage": "closed_lost",
        },
    ]  # after as_of: unknown yet, still open
    accounts = [
        {"account_id": "CUST", "is_customer": True},
        {"account_id": "RIVAL", "is_competitor": True},
    ]
    s = score_rulebook(tables(contacts, acts, accounts), rb, AS_OF).scores.set_index("contact_id")
    reasons = s["excluded_reason"].astype("string").fillna("").to_dict()
    assert reasons == {
        "ok": "",
        "emp": "employee",
        "cust": "customer",
        "life": "customer",
        "won": "customer",
        "opp": "open_opportunity",
        "lost": "",
        "partner": "partner",
        "rival": "competitor",
        "unsub": "unsubscribed",
        "both": "employee",
    }
    stage = s["stage"].astype(str)
    assert stage["ok"] == stage["lost"] == "sql"
    assert (stage.drop(["ok", "lost"]) == "lead").all()
    assert (s["total"] == 90).all()  # exclusion limits the stage, not the score


def test_stage_never_moves_backwards_with_previous_state():
    rb = book(RULES, stages=STAGES)
    contacts = [{"contact_id": "c", "seniority": "vp"}, {"contact_id": "new"}]
    acts = [_dl("c", "2026-01-01"), _dl("c", "2026-01-02")]
    run1 = score_rulebook(tables(contacts, acts), rb, "2026-01-03").scores
    assert run1.set_index("contact_id").loc["c", "stage"] == "sql"
    # 90 days later the downloads have decayed: the score alone would say "mql" or less
    run2 = score_rulebook(tables(contacts, acts), rb, "2026-04-03", previous=run1).scores
    row = run2.set_index("contact_id").loc["c"]
    assert row["total"] < STAGES["sql"]
    assert row["stage"] == "sql"
    alone = score_rulebook(tables(contacts, acts), rb, "2026-04-03").scores
    assert alone.set_index("contact_id").loc["c", "stage"] == "lead"  # without history
    assert run2.set_index("contact_id").loc["new", "stage"] == "subscriber"


def test_true_sql_feedback_keeps_sql_without_previous_state():
    rb = book(RULES, stages=STAGES)
    acts = [_fb("c", days_before(3), "true_sql")]
    s = score_rulebook(tables([{"contact_id": "c"}], acts), rb, AS_OF).scores.iloc[0]
    assert s["total"] == 0 and s["stage"] == "sql"


def test_unqualified_drops_to_subscriber_and_resets_points():
    rb = book(
        RULES,
        stages=STAGES,
        recycle={"unqualified": {"mode": "reset", "to": 0, "stage": "subscriber"}},
    )
    acts = [
        _dl("c", days_before(10)),
        _dl("c", days_before(9)),
        _fb("c", days_before(5), "unqualified"),
    ]
    res = score_rulebook(tables([{"contact_id": "c", "seniority": "vp"}], acts), rb, AS_OF)
    s = res.scores.iloc[0]
    assert s["total"] == pytest.approx(0.0)  # fit 20 reset away, downloads forgotten
    assert s["stage"] == "subscriber"
    rows = res.breakdown.set_index("rule")
    assert rows.loc["recycle:unqualified", "points_raw"] == -20
    acts.append(_dl("c", days_before(0.0001)))  # new activity after the feedback counts
    s = score_rulebook(
        tables([{"contact_id": "c", "seniority": "vp"}], acts), rb, AS_OF
    ).scores.iloc[0]
    assert s["total"] == pytest.approx(25.0, rel=1e-4)
    assert s["stage"] == "lead"


def test_not_ready_subtract_mode():
    rb = book(RULES, stages=STAGES, recycle={"not_ready": {"mode": "subtract", "points": 30}})
    acts = [
        _dl("c", days_before(0.0001)),
        _dl("c", days_before(0.0002)),
        _fb("c", days_before(0.00005), "not_ready"),
    ]
    s = score_rulebook(
        tables([{"contact_id": "c", "seniority": "vp"}], acts), rb, AS_OF
    ).scores.iloc[0]
    assert s["total"] == pytest.approx(20 + 50 - 30, rel=1e-4)
    assert s["stage"] == "lead"  # 40 reaches mql, but not_ready sets lead until it acts again
    acts.append({"contact_id": "c", "occurred_at": days_before(0.00001), "activity_type": "chat"})
    s = score_rulebook(
        tables([{"contact_id": "c", "seniority": "vp"}], acts), rb, AS_OF
    ).scores.iloc[0]
    assert s["total"] == pytest.approx(20 + 50 - 30, rel=1e-4)  # a chat earns no points here
    assert s["stage"] == "mql"  # but it acted again: the score decides


def test_latest_feedback_wins():
    rb = book(RULES, stages=STAGES, recycle={})
    acts = [
        _dl("c", days_before(1)),
        _fb("c", days_before(20), "not_ready"),
        _fb("c", days_before(10), "true_sql"),
    ]
    s = score_rulebook(tables([{"contact_id": "c"}], acts), rb, AS_OF).scores.iloc[0]
    assert s["stage"] == "sql"
    assert s["total"] == pytest.approx(25 * 0.5 ** (1 / 30))


def test_previous_state_must_have_the_columns():
    rb = book(RULES, stages=STAGES)
    with pytest.raises(ValueError, match="as_of"):
        score_rulebook(
            tables([{"contact_id": "c"}]),
            rb,
            AS_OF,
            previous=pd.DataFrame({"contact_id": ["c"], "stage": ["sql"]}),
        )


def test_an_export_time_customer_stage_is_not_read_before_the_contacts_later_records():
    """``lifecycle_stage`` is written at export time: a contact with a record at or after
    as_of may have become a customer since, so at as_of its stage is unknown; a contact
    with nothing after as_of keeps it, and so does everyone in a run after the data."""
    from dataclasses import replace

    from rulebook_helpers import frame

    exclusions = [{"reason": "customer", "when": {"var": "is_customer", "op": "is_true"}}]
    rb = book(
        [{"name": "big", "category": "fit", "points": 90,
          "when": {"var": "contact_id", "op": "is_present"}}],
        stages={**STAGES, "exclusions": exclusions},
    )  # fmt: skip
    contacts = [
        {"contact_id": c, "lifecycle_stage": "customer"}
        for c in ("won_later", "active_later", "quiet", "won_before")
    ]
    acts = [
        {"contact_id": "active_later", "occurred_at": AS_OF, "activity_type": "web_visit"},
        {"contact_id": "quiet", "occurred_at": days_before(3), "activity_type": "web_visit"},
    ]
    outcomes = frame(
        "outcomes",
        [
            {"contact_id": "won_later", "converted_at": days_before(-10), "outcome": "won"},
            {"contact_id": "won_before", "converted_at": days_before(10), "outcome": "won"},
        ],
    )
    crm = replace(tables(contacts, acts), outcomes=outcomes)
    s = score_rulebook(crm, rb, AS_OF).scores.set_index("contact_id")
    assert s["excluded_reason"].astype("string").fillna("").to_dict() == {
        "won_later": "",  # converted 10 days after as_of: a lead then
        "active_later": "",  # exported after an activity at as_of: stage unknown
        "quiet": "customer",  # nothing after as_of: the export's stage is the latest known
        "won_before": "customer",
    }
    assert s.loc["won_later", "stage"] == "sql" and s.loc["quiet", "stage"] == "lead"
    # the nightly run after the export's last record reads every stage
    later = score_rulebook(crm, rb, days_before(-11)).scores
    assert set(later["excluded_reason"].astype("string")) == {"customer"}
