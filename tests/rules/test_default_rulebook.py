"""The shipped default rulebook: no-activity leads, determinism, behaviour, explanations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rulebook_helpers import AS_OF, days_before, tables

from features.crm import CrmTables
from rules import explain_contact, explanation_frame, load_rulebook, score_rulebook

DEFAULT = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"
PAGES = ["home", "blog", "pricing", "product", "demo", "case_study", "careers", "docs"]
TYPES = [
    "page_view",
    "email_open",
    "email_click",
    "form_submit",
    "content_download",
    "webinar_attend",
    "call",
    "ad_click",
    "demo_request",
    "email_unsubscribe",
]


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook(DEFAULT)


@pytest.fixture(scope="module")
def crm() -> CrmTables:
    rng = np.random.default_rng(3)
    contacts = [
        {
            "contact_id": f"C{i}",
            "seniority": rng.choice(["vp", "manager", "student"]),
            "email": rng.choice(["a@acme.com", "b@gmail.com"]),
            "region": "EMEA",
            "account_id": f"A{i % 7}",
            "budget": float(rng.integers(0, 30000)),
        }
        for i in range(60)
    ]
    acts = []
    for i in range(50):  # the last 10 contacts have no activity at all
        for _ in range(int(rng.integers(1, 25))):
            t = str(rng.choice(TYPES))
            acts.append(
                {
                    "contact_id": f"C{i}",
                    "occurred_at": days_before(float(rng.uniform(0.01, 200))),
                    "activity_type": t,
                    "page_category": str(rng.choice(PAGES)) if t == "page_view" else None,
                    "form_stage": str(rng.choice(["TOFU", "MOFU", "BOFU"]))
                    if t == "form_submit"
                    else None,
                    "asset_type": "ebook" if t == "content_download" else None,
                }
            )
    accounts = [
        {"account_id": f"A{k}", "industry": "software", "employees": 100 * k} for k in range(7)
    ]
    return tables(contacts, acts, accounts)


def test_no_activity_leads_get_fit_only(rulebook, crm):
    res = score_rulebook(crm, rulebook, AS_OF)
    quiet = res.scores.set_index("contact_id").loc[[f"C{i}" for i in range(50, 60)]]
    eng_rows = res.breakdown[
        res.breakdown["contact_id"].isin(quiet.index) & (res.breakdown["category"] == "engagement")
    ]
    assert eng_rows.empty
    assert (quiet["engagement"] == 0).all()
    assert quiet["total"].notna().all()
    only_contacts = CrmTables(crm.contacts, crm.accounts, crm.activities.iloc[0:0], crm.outcomes)
    alone = score_rulebook(only_contacts, rulebook, AS_OF).scores.set_index("contact_id")
    pd.testing.assert_series_equal(alone.loc[quiet.index, "total"], quiet["total"])


def test_deterministic_and_version_recorded(rulebook, crm):
    a = score_rulebook(crm, rulebook, AS_OF)
    b = score_rulebook(crm, rulebook, AS_OF)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.breakdown, b.breakdown)
    assert (a.scores["rulebook_version"] == rulebook.version).all()
    assert a.rulebook_version == rulebook.version


def test_breakdown_adds_up_to_every_scale_total(rulebook, crm):
    res = score_rulebook(crm, rulebook, AS_OF)
    sums = (
        res.breakdown.groupby(["contact_id", "scale"], observed=False)["points_after_caps"]
        .sum()
        .unstack()
    )
    scores = res.scores.set_index("contact_id")
    for scale in rulebook.scale_names():
        np.testing.assert_allclose(sums.loc[scores.index, scale], scores[scale], atol=1e-9)


def test_adding_a_pricing_visit_never_lowers_engagement(rulebook, crm):
    before = score_rulebook(crm, rulebook, AS_OF).scores.set_index("contact_id")
    extra = tables(
        [{"contact_id": c} for c in crm.contacts["contact_id"]],
        [
            {
                "contact_id": c,
                "occurred_at": days_before(0.5),
                "activity_type": "page_view",
                "page_category": "pricing",
                "page_url": "/pricing",
            }
            for c in crm.contacts["contact_id"]
        ],
    ).activities
    extra["activity_id"] = "x" + extra["activity_id"]
    more = CrmTables(
        crm.contacts,
        crm.accounts,
        pd.concat([crm.activities, extra], ignore_index=True),
        crm.outcomes,
    )
    after = score_rulebook(more, rulebook, AS_OF).scores.set_index("contact_id")
    assert (after["engagement"] >= before["engagement"] - 1e-9).all()
    assert (after["engagement"] > before["engagement"]).any()


def test_renaming_a_contact_never_changes_its_score(rulebook, crm):
    before = score_rulebook(crm, rulebook, AS_OF).scores
    contacts = crm.contacts.copy()
    acts = crm.activities.copy()
    contacts["contact_id"] = "renamed-" + contacts["contact_id"]
    acts["contact_id"] = "renamed-" + acts["contact_id"]
    after = score_rulebook(
        CrmTables(contacts, crm.accounts, acts, crm.outcomes), rulebook, AS_OF
    ).scores
    cols = ["total", "fit", "engagement", "emea"]
    pd.testing.assert_frame_equal(before[cols], after[cols])
    assert before["grade"].astype(str).tolist() == after["grade"].astype(str).tolist()


def test_explain_contact_lists_the_rules_that_fired(rulebook, crm):
    res = score_rulebook(crm, rulebook, AS_OF)
    cid = res.scores.sort_values("total").iloc[-1]["contact_id"]
    frame = explanation_frame(res, cid)
    assert not frame.empty
    assert frame[frame["scale"] == "main"]["points_after_caps"].sum() == pytest.approx(
        res.scores.set_index("contact_id").loc[cid, "total"]
    )
    text = explain_contact(res, cid)
    assert cid in text and "TOTAL" in text and "rulebook default v1.0.0" in text
    for rule in frame["rule"]:
        assert rule in text
    with pytest.raises(KeyError, match="nobody"):
        explain_contact(res, "nobody")


def test_duplicate_contact_ids_are_refused(rulebook):
    with pytest.raises(ValueError, match="duplicate"):
        score_rulebook(tables([{"contact_id": "x"}, {"contact_id": "x"}]), rulebook, AS_OF)


def test_format_explanation_renders_a_table():
    from rules import format_explanation

    frame = pd.DataFrame(
        {
            "scale": ["main", "main"],
            "rule": ["senior", "pricing"],
            "category": ["fit", "engagement"],
            "value": [np.nan, 2.0],
            "points_raw": [10.0, 8.0],
            "points_after_decay": [10.0, 5.5],
            "points_after_caps": [10.0, 5.5],
        }
    )
    lines = format_explanation(frame).splitlines()
    assert lines[0].split() == ["scale", "rule", "category", "value", "raw", "decayed", "final"]
    assert lines[2].split() == ["main", "senior", "fit", "10", "10", "10"]
    assert lines[3].split() == ["main", "pricing", "engagement", "2", "8", "5.50", "5.50"]
    assert lines[4].split() == ["main", "TOTAL", "18", "15.50", "15.50"]
    assert "no rule fired" in format_explanation(frame.iloc[0:0])
