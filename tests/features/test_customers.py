"""The accounts' export-time is_customer flag, read as it stood at as_of, alike by training,
the features and the rules (features.customers)."""

from __future__ import annotations

import pandas as pd
from rulebook_dicts import customer_rulebook
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.customers import accounts_at, customer_since
from features.spec import load_feature_spec
from features.training_set import outcome_labels
from rules import rulebook_from_dict, score_rulebook

UTC = "UTC"
WON = pd.Timestamp("2026-03-10T12:00", tz=UTC)  # a1 wins: account A becomes a customer
BEFORE, AFTER = pd.Timestamp("2026-03-01", tz=UTC), pd.Timestamp("2026-04-01", tz=UTC)


def _crm() -> CrmTables:
    """A: flagged in the export, won by a1 on 03-10. B: flagged, no won deal in the data (a
    customer before the data begins). C: not flagged; c1 won on 02-01."""
    day = pd.Timestamp("2026-01-05", tz=UTC)
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": cid, "created_at": day, "account_id": acc}
            for cid, acc in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("c1", "C"))
        ],
    )
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "A", "is_customer": True},
            {"account_id": "B", "is_customer": True},
            {"account_id": "C", "is_customer": False},
        ],
    )
    outcomes = canonical_frame(
        "outcomes",
        [
            {"contact_id": "a1", "converted_at": WON, "outcome": "won"},
            {"contact_id": "c1", "converted_at": pd.Timestamp("2026-02-01", tz=UTC),
             "outcome": "won"},
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, canonical_frame("activities", []), outcomes)


def _flags(accounts: pd.DataFrame) -> dict[str, bool]:
    return dict(zip(accounts["account_id"], accounts["is_customer"].astype(bool), strict=True))


def test_a_flag_set_by_a_later_won_deal_reads_false_before_it() -> None:
    tables = _crm()
    since = customer_since(tables)
    assert since["A"] == WON and since["C"] == pd.Timestamp("2026-02-01", tz=UTC)
    assert since["B"] == pd.Timestamp.min.tz_localize(UTC)
    assert _flags(accounts_at(tables, BEFORE)) == {"A": False, "B": True, "C": False}
    assert _flags(accounts_at(tables, WON)) == {"A": True, "B": True, "C": False}
    # after the last won deal (every nightly run): the export's table itself, uncopied
    assert accounts_at(tables, AFTER) is tables.accounts


RULES = customer_rulebook(
    {
        "name": "at_customer",
        "category": "fit",
        "points": 10,
        "when": {"var": "account.is_customer", "op": "is_true"},
    }
)


def test_training_features_and_rules_agree_on_a_colleague_of_a_later_winner() -> None:
    """a2 works at A, which a1 wins on 03-10: at 03-01 training labels a2 as a lead, and
    the rules and the account_is_customer feature see no customer; on 04-01 all three do."""
    tables = _crm()
    spec = load_feature_spec()
    flags = (*spec.fit.account_flags, "is_customer")
    spec = spec.model_copy(update={"fit": spec.fit.model_copy(update={"account_flags": flags})})
    book = rulebook_from_dict(RULES)
    ids = pd.Series(["a2", "b1"])
    for as_of, customer in ((BEFORE, False), (AFTER, True)):
        labels = outcome_labels(tables, ids, as_of, 90)
        assert labels.loc["a2", "eligible"] == (not customer)  # training: at a customer?
        assert not labels.loc["b1", "eligible"]  # B was a customer before the data began
        features = build_features(tables, as_of, spec)
        assert features.loc["a2", "account_is_customer"] == float(customer)
        assert features.loc["b1", "account_is_customer"] == 1.0
        scores = score_rulebook(tables, book, as_of).scores.set_index("contact_id")
        assert scores.loc["a2", "total"] == (10.0 if customer else 0.0)
        assert (scores.loc["a2", "excluded_reason"] == "customer") == customer
        assert scores.loc["b1", "excluded_reason"] == "customer"
