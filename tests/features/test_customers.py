"""The accounts' export-time is_customer flag, read as it stood at as_of, alike by training,
the features and the rules (features.customers); an unflagged account with a won deal is a
churned customer, a customer from that deal on."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from rulebook_dicts import customer_rulebook
from table_rows import canonical_frame

from features.build import build_features
from features.crm import CrmTables
from features.customers import (
    accounts_at,
    compute_customer_since,
    customer_since,
    share_customer_since,
)
from features.first_touch import day_tables
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


def _unkept(tables: CrmTables) -> CrmTables:
    return CrmTables(tables.contacts, tables.accounts, tables.activities, tables.outcomes)


def test_customer_since_is_computed_once_per_tables_and_a_new_tables_starts_afresh() -> None:
    tables = _crm()
    since = customer_since(tables)
    assert customer_since(tables) is since  # kept on the tables: the second read is free
    pd.testing.assert_series_equal(since, compute_customer_since(_unkept(tables)))
    # c1's won deal removed: C is no customer; replace() does not carry the kept series
    lost = replace(tables, outcomes=tables.outcomes.iloc[:1])
    assert "C" in since.index and "C" not in customer_since(lost).index


def _late_winner() -> CrmTables:
    """_crm plus account D: d1 (created 01-05) and d2, created on 03-15, who wins on 03-20."""
    tables = _crm()
    late = pd.Timestamp("2026-03-15", tz=UTC)
    contacts = pd.concat(
        [
            tables.contacts,
            canonical_frame(
                "contacts",
                [
                    {"contact_id": "d1", "created_at": EARLY - pd.Timedelta(days=15),
                     "account_id": "D"},
                    {"contact_id": "d2", "created_at": late, "account_id": "D"},
                ],
            ),
        ],
        ignore_index=True,
    )  # fmt: skip
    accounts = pd.concat(
        [tables.accounts, canonical_frame("accounts", [{"account_id": "D"}])], ignore_index=True
    )
    won = {"contact_id": "d2", "converted_at": late + pd.Timedelta(days=5), "outcome": "won"}
    outcomes = pd.concat([tables.outcomes, canonical_frame("outcomes", [won])], ignore_index=True)
    return CrmTables(contacts, accounts, tables.activities, outcomes)


@pytest.mark.parametrize("as_of", [EARLY, BEFORE, WON, AFTER])
def test_kept_and_computed_again_give_identical_flags(as_of: pd.Timestamp) -> None:
    """The kept series (the whole tables', shared with a first-touch day and the scorer's
    known contacts) and one computed afresh on each part flag every contact alike: in
    training's exclusions, the dated accounts and the rules' customer exclusion."""
    tables = _late_winner()
    book = rulebook_from_dict(RULES)
    ids = pd.Index(tables.contacts["contact_id"].astype("object"))
    customer_since(tables)  # kept before any part reads it
    pd.testing.assert_frame_equal(
        outcome_labels(tables, ids, as_of, 90), outcome_labels(_unkept(tables), ids, as_of, 90)
    )
    pd.testing.assert_frame_equal(accounts_at(tables, as_of), accounts_at(_unkept(tables), as_of))
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    known_contacts = tables.contacts.loc[(created < as_of).to_numpy()]
    known = CrmTables(known_contacts, tables.accounts, tables.activities, tables.outcomes)
    parts = [(share_customer_since(tables, _unkept(known)), known)]
    for day_ids in (["a2"], ["c2"], ["d1"]):
        day = day_tables(tables, pd.Index(day_ids))
        assert day.derived["customer_since"] is customer_since(tables)
        parts.append((day, _unkept(day)))
    for shared, fresh in parts:
        held = fresh.contacts["account_id"].dropna().unique()
        pick = fresh.accounts["account_id"].isin(held).to_numpy()
        flags = [accounts_at(shared, as_of), accounts_at(fresh, as_of)]
        left, right = (f.loc[pick, "is_customer"].fillna(False).astype(bool) for f in flags)
        pd.testing.assert_series_equal(left, right)
        scores = [score_rulebook(p, book, as_of).scores for p in (shared, fresh)]
        pd.testing.assert_frame_equal(scores[0], scores[1])
