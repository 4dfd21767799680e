"""first_touch features build the fit features once, not per first-touch day: the frame is
identical, value for value and dtype for dtype, to building every day on its own (the
reference, :func:`benchmarks.bench_first_touch.per_day_reference`, is the previous
implementation)."""

from __future__ import annotations

import pandas as pd
import pytest
from table_rows import canonical_frame

from benchmarks.bench_first_touch import per_day_reference
from features.crm import CrmTables
from features.first_touch import first_touch_as_of, first_touch_features, static_fit_features
from features.spec import FeatureSpec, load_feature_spec
from features.synthetic import DirtConfig, generate_crm

UTC = "UTC"


def _with_plan(spec: FeatureSpec) -> FeatureSpec:
    """The spec with the extra column ``plan`` as a category taken from the data."""
    fit = spec.fit.model_copy(update={"passthrough_categorical": ("plan",)})
    return spec.model_copy(update={"fit": fit})


def _crm() -> CrmTables:
    """Account A: a1 and a2 get rows; a3 (no row) is their colleague, created before a2's
    first touch, so a2's day holds it. Account B: b2 gets a row; b1 (no row) is created
    after b2's first touch, so no day holds it and its plan is no category. n1 has no
    account."""
    day = pd.Timestamp("2026-01-01T09:00", tz=UTC)

    def at(days: int) -> pd.Timestamp:
        return day + pd.Timedelta(days=days)

    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "a1", "created_at": at(0), "account_id": "A", "plan": "gold",
             "seniority": "vp", "email": "ana@acme.com"},
            {"contact_id": "a2", "created_at": at(9), "account_id": "A", "plan": "silver",
             "email": "bo@gmail.com"},
            {"contact_id": "a3", "created_at": at(4), "account_id": "A", "plan": "bronze"},
            {"contact_id": "b1", "created_at": at(2), "account_id": "B", "plan": "platinum"},
            {"contact_id": "b2", "created_at": at(0), "account_id": "B", "plan": "gold"},
            {"contact_id": "n1", "created_at": at(9), "plan": None},
        ],
    )  # fmt: skip
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "A", "industry": "software", "employees": 120},
            {"account_id": "B", "industry": "retail", "employees": 5000},
        ],
    )
    activities = canonical_frame(
        "activities",
        [
            {"activity_id": str(i), "contact_id": cid, "occurred_at": at(d),
             "activity_type": "page_view", "page_category": "pricing"}
            for i, (cid, d) in enumerate([("a1", 0.5), ("a3", 5), ("a2", 9.2), ("b1", 3)])
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, activities, canonical_frame("outcomes", []))


def _first_touches(tables: CrmTables, ids: list[str] | None = None) -> pd.Series:
    contacts = tables.contacts
    as_of = pd.Series(
        first_touch_as_of(contacts["created_at"], 1).to_numpy(),
        index=pd.Index(contacts["contact_id"].astype("object").to_numpy(), name="contact_id"),
    )
    return as_of if ids is None else as_of.loc[ids]


def test_built_once_equals_built_per_day_on_a_hand_made_crm() -> None:
    tables = _crm()
    spec = _with_plan(load_feature_spec())
    as_of = _first_touches(tables, ["a1", "a2", "b2", "n1"])
    fit = static_fit_features(tables, as_of, spec)
    assert fit is not None
    # the contacts some day's table holds: a3 (a colleague known at a2's day), not b1
    assert set(fit.index) == {"a1", "a2", "a3", "b2", "n1"}
    got = first_touch_features(tables, as_of, spec)
    expected = per_day_reference(tables, as_of, spec)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # "bronze" (a3's) is a category of the stacked days; "platinum" (b1's) is not
    assert list(got["plan"].cat.categories) == ["bronze", "gold", "silver"]


def test_a_dated_fit_feature_is_built_per_day_reference() -> None:
    """``account_is_customer`` is read as it stood at each day: no frame built once."""
    spec = load_feature_spec()
    fit = spec.fit.model_copy(update={"account_flags": ("is_customer",)})
    dated = spec.model_copy(update={"fit": fit})
    tables = _crm()
    as_of = _first_touches(tables, ["a1", "a2"])
    assert static_fit_features(tables, as_of, dated) is None
    pd.testing.assert_frame_equal(
        first_touch_features(tables, as_of, dated), per_day_reference(tables, as_of, dated)
    )


@pytest.mark.slow  # about 150 first-touch days, built twice
def test_built_once_equals_built_per_day_on_the_demo_generator() -> None:
    tables = generate_crm(1500, 11, dirt=DirtConfig.none()).tables  # validated: ids unique
    spec = load_feature_spec()
    ids = list(tables.contacts["contact_id"].astype("object"))[::10]
    as_of = _first_touches(tables, ids)
    pd.testing.assert_frame_equal(
        first_touch_features(tables, as_of, spec),
        per_day_reference(tables, as_of, spec),
        check_exact=True,
    )
