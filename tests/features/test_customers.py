"""The accounts' export-time is_customer flag, read as it stood at as_of, alike by training,
the features and the rules (features.customers); an unflagged account with a won deal is a
churned customer, a customer from that deal on."""

from __future__ import annotations

import pandas as pd
from rulebook_dicts import customer_rulebook
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.customers import accounts_at, customer_since
from features.spec import FeatureSpec, load_feature_spec
from features.training_set import outcome_labels
from rules import Rulebook, rulebook_from_dict, score_rulebook

UTC = "UTC"
WON = pd.Timestamp("2026-03-10T12:00", tz=UTC)  # a1 wins: account A becomes a customer
C_WON = pd.Timestamp("2026-02-01", tz=UTC)  # c1 wins: account C (never flagged) churned later
EARLY = pd.Timestamp("2026-01-20", tz=UTC)  # every contact exists, nobody has won yet
BEFORE, AFTER = pd.Timestamp("2026-03-01", tz=UTC), pd.Timestamp("2026-04-01", tz=UTC)


def _crm() -> CrmTables:
    """A: flagged in the export, won by a1 on 03-10. B: flagged, no won deal in the data (a
    customer before the data begins). C: not flagged; c1 won on 02-01 (a churned customer),
    c2 is c1's colleague."""
    day = pd.Timestamp("2026-01-05", tz=UTC)
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": cid, "created_at": day, "account_id": acc}
            for cid, acc in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("c1", "C"), ("c2", "C"))
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
            {"contact_id": "c1", "converted_at": C_WON, "outcome": "won"},
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, canonical_frame("activities", []), outcomes)


def _flags(accounts: pd.DataFrame) -> dict[str, bool]:
    return dict(zip(accounts["account_id"], accounts["is_customer"].astype(bool), strict=True))


def test_a_flag_reads_true_from_the_first_won_deal_on_flagged_or_not() -> None:
    tables = _crm()
    since = customer_since(tables)
    assert since["A"] == WON and since["C"] == C_WON
    assert since["B"] == pd.Timestamp.min.tz_localize(UTC)
    assert _flags(accounts_at(tables, EARLY)) == {"A": False, "B": True, "C": False}
    assert _flags(accounts_at(tables, BEFORE)) == {"A": False, "B": True, "C": True}
    assert _flags(accounts_at(tables, WON)) == {"A": True, "B": True, "C": True}
    assert _flags(accounts_at(tables, AFTER)) == {"A": True, "B": True, "C": True}
    assert not tables.accounts["is_customer"].iloc[2]  # the input is not changed


def test_the_export_table_itself_when_no_flag_changes() -> None:
    """Every winner flagged and a run after the last won deal (every nightly run on such a
    CRM): the export's table itself, uncopied."""
    tables = _crm()
    accounts = tables.accounts.assign(is_customer=pd.array([True] * 3, dtype="boolean"))
    flagged = CrmTables(tables.contacts, accounts, tables.activities, tables.outcomes)
    assert accounts_at(flagged, AFTER) is accounts
    assert _flags(accounts_at(flagged, BEFORE)) == {"A": False, "B": True, "C": True}


def test_an_export_without_the_flag_gets_it_from_the_won_deals() -> None:
    tables = _crm()
    bare = tables.accounts.drop(columns="is_customer")
    unflagged = CrmTables(tables.contacts, bare, tables.activities, tables.outcomes)
    dated = accounts_at(unflagged, BEFORE)
    assert dated["is_customer"].isna().tolist() == [False, True, False]  # B: unknown
    assert dated["is_customer"].fillna(False).tolist() == [False, False, True]
    assert accounts_at(unflagged, EARLY) is bare  # no won deal yet: nothing to add


RULES = customer_rulebook(
    {
        "name": "at_customer",
        "category": "fit",
        "points": 10,
        "when": {"var": "account.is_customer", "op": "is_true"},
    }
)


def _book_and_spec() -> tuple[Rulebook, FeatureSpec]:
    """The one-rule book above and the default spec with the account_is_customer feature."""
    spec = load_feature_spec()
    flags = (*spec.fit.account_flags, "is_customer")
    spec = spec.model_copy(update={"fit": spec.fit.model_copy(update={"account_flags": flags})})
    return rulebook_from_dict(RULES), spec


def test_training_features_and_rules_agree_on_a_colleague_of_a_later_winner() -> None:
    """a2 works at A, which a1 wins on 03-10: at 03-01 training labels a2 as a lead, and
    the rules and the account_is_customer feature see no customer; on 04-01 all three do."""
    tables = _crm()
    book, spec = _book_and_spec()
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


def test_training_features_and_rules_agree_on_a_colleague_at_a_churned_customer() -> None:
    """c2 works at C, never flagged, where c1 won on 02-01: on 01-20 all three see a lead;
    on 03-01 and 04-01 (after the won deal) all three see a customer."""
    tables = _crm()
    book, spec = _book_and_spec()
    for as_of, customer in ((EARLY, False), (BEFORE, True), (AFTER, True)):
        labels = outcome_labels(tables, pd.Series(["c2"]), as_of, 90)
        assert labels.loc["c2", "eligible"] == (not customer)
        features = build_features(tables, as_of, spec)
        assert features.loc["c2", "account_is_customer"] == float(customer)
        scores = score_rulebook(tables, book, as_of).scores.set_index("contact_id")
        assert scores.loc["c2", "total"] == (10.0 if customer else 0.0)
        assert (scores.loc["c2", "excluded_reason"] == "customer") == customer
