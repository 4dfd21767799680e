"""Features and rules read one definition of windows, e-mail domains and contact age."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rulebook_helpers import AS_OF, book, days_before, tables

from features.build import build_features
from features.measures import (
    DAY_NS,
    FREE_EMAIL_DOMAINS,
    email_domain,
    email_domain_class,
    in_window,
)
from features.spec import load_feature_spec
from rules import score_rulebook


def test_in_window_keeps_the_start_edge_and_drops_one_nanosecond_older():
    ages = np.array([1, 7 * DAY_NS - 1, 7 * DAY_NS, 7 * DAY_NS + 1], dtype=np.int64)
    assert in_window(ages, 7).tolist() == [True, True, True, False]
    assert in_window(ages, None).tolist() == [True] * 4


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        (" A@Gmail.com ", "gmail.com"),
        ("a@b@c.com", "c.com"),  # after the last '@'
        ("trailing@", None),  # nothing after '@': no domain (was "" for the rules)
        ("u@ex ample.com", None),  # a blank inside the domain: no domain
        ("no-at-sign", None),
        ("   ", None),
        (None, None),
    ],
)
def test_email_domain_by_hand(address, domain):
    got = email_domain(pd.Series([address], dtype="object")).iloc[0]
    assert (None if pd.isna(got) else got) == domain


def test_msn_and_me_are_free_mail_for_features_and_rules():
    assert {"msn.com", "me.com", "mail.ru", "yahoo.co.uk"} <= set(FREE_EMAIL_DOMAINS)
    assert load_feature_spec().fit.free_email_domains == FREE_EMAIL_DOMAINS
    kinds = email_domain_class(pd.Series(["msn.com", "acme.io", None], dtype="string"))
    assert [None if pd.isna(k) else k for k in kinds] == ["free", "corporate", None]


def _crm():
    contacts = [
        {"contact_id": "msn", "email": "x@MSN.com"},
        {"contact_id": "me", "email": "y@me.com"},
        {"contact_id": "corp", "email": "z@acme.io"},
        {"contact_id": "odd", "email": "trailing@"},
    ]
    ages = {"msn": [7.0], "me": [7.0 + 1e-9], "corp": [6.5, 7.0], "odd": []}
    acts = [
        {
            "contact_id": cid,
            "occurred_at": days_before(age),
            "activity_type": "page_view",
            "page_category": "pricing",
        }
        for cid, per in ages.items()
        for age in per
    ]
    return tables(contacts, acts)


def test_features_and_rules_agree_on_the_7_day_edge_and_on_free_mail():
    crm = _crm()
    features = build_features(crm, AS_OF, load_feature_spec())
    rb = book(
        [
            {
                "name": "pricing_7d",
                "category": "engagement",
                "bands": {
                    "of": {
                        "activity": {"activity_type": "page_view", "page_category": "pricing"},
                        "within_days": 7,
                    },
                    "ranges": [{"min": 1, "max": 1, "points": 1}, {"min": 2, "points": 2}],
                },
            },
            {
                "name": "free",
                "category": "fit",
                "points": 100,
                "when": {"var": "email_is_free", "op": "is_true"},
            },
            {
                "name": "corporate",
                "category": "fit",
                "points": 1000,
                "when": {"var": "email_is_corporate", "op": "is_true"},
            },
        ]
    )
    scores = score_rulebook(crm, rb, AS_OF).scores.set_index("contact_id")["total"]
    # by hand: msn 1 view exactly 7 days old (inside) + free; me 1 view 7 days + 1 ns
    # (86.4 us older: outside) + free; corp 2 views + corporate; odd: no domain, no views
    assert scores.to_dict() == {"msn": 101.0, "me": 100.0, "corp": 1002.0, "odd": 0.0}
    assert features["pricing_views_7d"].to_dict() == {
        "msn": 1.0,
        "me": 0.0,
        "corp": 2.0,
        "odd": 0.0,
    }
    kinds = {k: (None if pd.isna(v) else v) for k, v in features["email_domain_type"].items()}
    assert kinds == {"msn": "free", "me": "free", "corp": "corporate", "odd": None}


def test_the_synthetic_crm_free_mail_is_free_for_features_and_rules():
    from features.synthetic import vocab

    assert {d for d, _ in vocab.FREE_EMAIL_DOMAINS} <= set(FREE_EMAIL_DOMAINS)


def test_the_rules_age_variable_is_the_features_age_feature():
    from features.measures import AGE_FEATURE
    from rules.vocabulary import base_variables

    assert base_variables()[AGE_FEATURE].source == "derived"
    # by hand: AS_OF is 2026-06-01; 2026-05-22 is 10 days before, 2026-05-31T12:00 0.5
    crm = tables(
        [
            {"contact_id": "old", "created_at": "2026-05-22 00:00:00"},
            {"contact_id": "new", "created_at": "2026-05-31 12:00:00"},
        ]
    )
    features = build_features(crm, AS_OF, load_feature_spec())
    assert features[AGE_FEATURE].to_dict() == {"old": 10.0, "new": 0.5}
    rb = book(
        [
            {
                "name": "aged",
                "category": "fit",
                "points": 5,
                "when": {"var": AGE_FEATURE, "op": "gte", "value": 10},
            }
        ]
    )
    scores = score_rulebook(crm, rb, AS_OF).scores.set_index("contact_id")["total"]
    assert scores.to_dict() == {"old": 5.0, "new": 0.0}
