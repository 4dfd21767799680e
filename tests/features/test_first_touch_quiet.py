"""Quiet contacts (no activity for them or their account) are built in one go, not one
first-touch day at a time: the frame is identical, value for value and dtype for dtype,
to the previous per-day build (the reference,
:func:`benchmarks.bench_first_touch.per_day_reference` with ``fit_once``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from table_rows import canonical_frame

from benchmarks.bench_first_touch import per_day_reference
from benchmarks.bench_first_touch_quiet import quiet_crm
from features.crm import CrmTables
from features.first_touch import first_touch_as_of, first_touch_features
from features.first_touch_quiet import quiet_contacts
from features.spec import FeatureSpec, load_feature_spec

UTC = "UTC"
DAY = pd.Timestamp("2026-01-01T09:00", tz=UTC)


def _at(days: float) -> pd.Timestamp:
    return DAY + pd.Timedelta(days=days)


def _with_plan(spec: FeatureSpec) -> FeatureSpec:
    """The spec with the extra column ``plan`` as a category taken from the data."""
    fit = spec.fit.model_copy(update={"passthrough_categorical": ("plan",)})
    return spec.model_copy(update={"fit": fit})


def _crm() -> CrmTables:
    """Five first-touch days. Loud: a1 (its page views), a2 (quiet itself, but colleague
    a1 is active), n2 (no account, active). Quiet: q1, q2 and their colleague q3 (account
    Q, none active), b1 (account B), n1 (no account)."""
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "a1", "created_at": _at(0), "account_id": "A", "plan": "gold",
             "seniority": "vp", "email": "ana@acme.com"},
            {"contact_id": "q1", "created_at": _at(0.2), "account_id": "Q", "plan": "silver",
             "email": "qi@gmail.com"},
            {"contact_id": "n1", "created_at": _at(1), "plan": "bronze"},
            {"contact_id": "q2", "created_at": _at(2), "account_id": "Q", "plan": "gold",
             "seniority": "director"},
            {"contact_id": "n2", "created_at": _at(2.5), "plan": "silver"},
            {"contact_id": "a2", "created_at": _at(3), "account_id": "A", "plan": None},
            {"contact_id": "b1", "created_at": _at(3.1), "account_id": "B", "plan": "gold"},
            {"contact_id": "q3", "created_at": _at(4), "account_id": "Q", "plan": "platinum"},
        ],
    )  # fmt: skip
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "A", "industry": "software", "employees": 120},
            {"account_id": "B", "industry": "retail", "employees": 5000},
            {"account_id": "Q", "industry": "software", "employees": 40},
        ],
    )
    activities = canonical_frame(
        "activities",
        [
            {"activity_id": str(i), "contact_id": cid, "occurred_at": _at(d),
             "activity_type": "page_view", "page_category": "pricing"}
            for i, (cid, d) in enumerate([("a1", 0.5), ("a1", 3.5), ("n2", 2.6)])
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, activities, canonical_frame("outcomes", []))


def _first_touches(tables: CrmTables, ids: list[str]) -> pd.Series:
    contacts = tables.contacts
    as_of = pd.Series(
        first_touch_as_of(contacts["created_at"], 1).to_numpy(),
        index=pd.Index(contacts["contact_id"].astype("object").to_numpy(), name="contact_id"),
    )
    return as_of.loc[ids]


def test_quiet_contacts_are_those_without_activity_in_their_account() -> None:
    tables = _crm()
    ids = pd.Index(["a1", "q1", "n1", "q2", "n2", "a2", "b1"])
    quiet = quiet_contacts(tables, ids)
    assert list(ids[quiet]) == ["q1", "n1", "q2", "b1"]


def test_a_repeated_id_leaves_every_contact_to_its_day() -> None:
    tables = _crm()
    doubled = pd.concat([tables.contacts, tables.contacts.iloc[[1]]], ignore_index=True)
    twice = CrmTables(doubled, tables.accounts, tables.activities, tables.outcomes)
    assert not quiet_contacts(twice, pd.Index(["q1", "n1"])).any()


def test_built_together_equals_built_per_day_on_a_hand_made_crm() -> None:
    tables = _crm()
    spec = _with_plan(load_feature_spec())
    as_of = _first_touches(tables, ["a2", "q1", "n1", "q2", "n2", "a1", "b1"])
    got = first_touch_features(tables, as_of, spec)
    pd.testing.assert_frame_equal(
        got, per_day_reference(tables, as_of, spec, fit_once=True), check_exact=True
    )
    # by hand: no event, so no page view in any window; q1 and q2's account engagement
    # counts 0 (whichever colleagues are known), n1 has no account (NaN)
    assert (got.loc[["q1", "n1", "q2", "b1"], "pricing_views_7d"] == 0).all()
    assert got.loc[["q1", "q2", "b1"], "account_engagement_30d"].tolist() == [0, 0, 0]
    assert np.isnan(got.loc["n1", "account_engagement_30d"])
    # a1 viewed pricing at day 0.5, before its first touch (day 1): counted; a2's account
    # engagement at its first touch (day 4) holds a1's two views (days 0.5 and 3.5)
    assert got.loc["a1", "pricing_views_7d"] == 1
    assert got.loc["a2", "account_engagement_30d"] == 2
    # categories: the plans of the contacts first touched ("platinum", q3's, is not one)
    assert list(got["plan"].cat.categories) == ["bronze", "gold", "silver"]


@pytest.mark.slow  # about 100 first-touch days, built per day by the reference
def test_built_together_equals_built_per_day_on_a_generated_crm_without_activity() -> None:
    tables = quiet_crm(300)
    spec = load_feature_spec()
    contacts = tables.contacts
    as_of = pd.Series(
        first_touch_as_of(contacts["created_at"], 1).to_numpy(),
        index=pd.Index(contacts["contact_id"].astype("object").to_numpy(), name="contact_id"),
    ).iloc[::3]
    assert quiet_contacts(tables, as_of.index).all()
    pd.testing.assert_frame_equal(
        first_touch_features(tables, as_of, spec),
        per_day_reference(tables, as_of, spec, fit_once=True),
        check_exact=True,
    )
