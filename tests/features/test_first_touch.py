"""first_touch: one row per contact at creation + delay; nothing after that is read."""

from __future__ import annotations

import pandas as pd
import pytest
from table_rows import canonical_frame

from features.crm import CrmTables
from features.first_touch import (
    OUTCOMES_NOT_LOGGED,
    first_touch_as_of,
    first_touch_features,
    first_touch_labels,
)
from features.spec import load_feature_spec

T = pd.Timestamp("2026-05-04T10:00", tz="UTC")  # c1's creation
MIDNIGHT = pd.Timestamp("2026-05-05", tz="UTC")  # c1's as_of with a 1-day delay
SPEC = load_feature_spec()


def crm(later: bool) -> CrmTables:
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "c1", "created_at": T, "account_id": "A"},
            {"contact_id": "c2", "created_at": T - pd.Timedelta(days=3), "account_id": "A"},
        ],
    )
    acts = [
        # before c1's as_of (midnight 05-05): counted
        {"activity_id": "1", "contact_id": "c1", "occurred_at": T + pd.Timedelta(hours=1),
         "activity_type": "page_view", "page_category": "pricing"},
        # exactly at as_of: not counted
        {"activity_id": "2", "contact_id": "c1", "occurred_at": MIDNIGHT,
         "activity_type": "page_view", "page_category": "pricing"},
        # before creation + 1 day (05-05 10:00) but after as_of: not counted
        {"activity_id": "3", "contact_id": "c1", "occurred_at": T + pd.Timedelta(hours=20),
         "activity_type": "page_view", "page_category": "pricing"},
    ]  # fmt: skip
    outcomes = []
    if later:  # everything after creation + delay: must change nothing
        acts += [
            {"activity_id": str(10 + i), "contact_id": cid, "occurred_at": T + pd.Timedelta(days=d),
             "activity_type": "page_view", "page_category": "pricing"}
            for i, (cid, d) in enumerate([("c1", 1.01), ("c1", 5), ("c2", 2), ("c2", 9)])
        ]  # fmt: skip
        outcomes = [
            {"contact_id": "c1", "converted_at": T + pd.Timedelta(days=2), "outcome": "won"}
        ]
    return CrmTables(
        contacts,
        canonical_frame("accounts", [{"account_id": "A"}]),
        canonical_frame("activities", acts),
        canonical_frame("outcomes", outcomes),
    )


def test_as_of_is_never_after_creation_plus_delay() -> None:
    created = pd.Series(pd.to_datetime(["2026-05-04T10:00Z", "2026-05-04T00:00Z"]))
    as_of = first_touch_as_of(created, 1)
    assert list(as_of) == [pd.Timestamp("2026-05-05", tz="UTC")] * 2
    assert (as_of <= created + pd.Timedelta(days=1)).all() and (as_of > created).all()
    with pytest.raises(ValueError, match="at least 1 day"):
        first_touch_as_of(created, 0)


def test_features_read_nothing_after_creation_plus_delay() -> None:
    def features(tables: CrmTables) -> pd.DataFrame:
        contacts = tables.contacts.set_index("contact_id")
        as_of = first_touch_as_of(contacts["created_at"], 1)
        return first_touch_features(tables, as_of, SPEC)

    before = features(crm(later=False))
    assert before.loc["c1", "pricing_views_7d"] == 1  # only the visit an hour after creation
    assert before.loc["c2", "pricing_views_7d"] == 0  # c2's as_of (05-02) precedes c1's visits
    pd.testing.assert_frame_equal(features(crm(later=True)), before)


def test_labels_count_the_first_conversion_within_the_horizon_after_as_of() -> None:
    tables = crm(later=True)
    end = T + pd.Timedelta(days=30)
    labels = first_touch_labels(tables, 7, 1, end, ("opportunity", "won"))
    assert labels.loc["c1", "eligible"] and labels.loc["c1", "y"] == 1  # won 2 days later
    assert labels.loc["c2", "y"] == 0
    short = first_touch_labels(tables, 1, 1, end, ("opportunity", "won"))
    assert short.loc["c1", "y"] == 0  # won 05-06 10:00, after as_of (05-05) + 1 day
    young = first_touch_labels(tables, 30, 1, end, ("opportunity", "won"))
    assert young.loc["c1", "reason"] == "label window ends after the data"  # 05-05 + 30 days
    assert young.loc["c2", "eligible"]  # c2's as_of is 3 days earlier: 05-02 + 30 <= end


def test_contacts_before_a_late_outcome_log_are_left_out() -> None:
    day = pd.Timestamp("2026-01-10", tz="UTC")
    # the first contact is created on 01-05, the first outcome is on 01-10: 5 days later,
    # so the log counts as started late for a 3-day horizon and on time for a 7-day one
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "early", "created_at": day - pd.Timedelta(days=5)},  # as_of 01-06
            {"contact_id": "edge", "created_at": day - pd.Timedelta(hours=12)},  # as_of 01-10
            {"contact_id": "late", "created_at": day + pd.Timedelta(days=2)},  # as_of 01-13
        ],
    )
    outcomes = canonical_frame(
        "outcomes",
        [  # the log starts with a lost deal on 01-10 (any outcome counts, not only wins)
            {"contact_id": "edge", "converted_at": day, "outcome": "lost"},
            {"contact_id": "late", "converted_at": day + pd.Timedelta(days=4), "outcome": "won"},
        ],
    )
    tables = CrmTables(
        contacts, canonical_frame("accounts", []), canonical_frame("activities", []), outcomes
    )
    end = day + pd.Timedelta(days=60)
    labels = first_touch_labels(tables, 3, 1, end, ("won",))
    assert labels["reason"].to_dict() == {"early": OUTCOMES_NOT_LOGGED, "edge": "", "late": ""}
    # late: as_of 01-13 midnight, won 01-14, within both horizons
    assert labels["y"].to_dict() == {"early": 0, "edge": 0, "late": 1}
    week = first_touch_labels(tables, 7, 1, end, ("won",))
    assert week["eligible"].all()  # within 7 days of the first contact: the log is on time
    assert week["y"].to_dict() == {"early": 0, "edge": 0, "late": 1}
    no_log = CrmTables(contacts, tables.accounts, tables.activities, outcomes.iloc[:0])
    assert first_touch_labels(no_log, 3, 1, end, ("won",))["eligible"].all()
