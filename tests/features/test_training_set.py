"""Training sets: eligibility, label windows, censored snapshots, time split.

Flat exports: tests/pipelines/test_training_data.py.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from table_rows import canonical_frame

from features.crm import CrmTables
from features.spec import load_feature_spec
from features.training_set import build_training_set, concat_keeping_categories, time_split

S1, S2, S3 = (pd.Timestamp(d, tz="UTC") for d in ("2024-01-01", "2024-02-01", "2024-03-15"))
SPEC = load_feature_spec()


def tables() -> CrmTables:
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "p1", "created_at": "2023-12-01T00:00Z", "account_id": "A1"},
            {"contact_id": "p2", "created_at": "2023-12-01T00:00Z", "account_id": "A1"},
            {"contact_id": "p3", "created_at": "2023-11-01T00:00Z"},
            {"contact_id": "p4", "created_at": "2023-11-01T00:00Z", "account_id": "A2"},
            {"contact_id": "p5", "created_at": "2023-11-01T00:00Z", "is_employee": True},
            {"contact_id": "p6", "created_at": "2024-01-15T00:00Z"},
            {"contact_id": "p7", "created_at": "2023-11-01T00:00Z", "is_employee": False},
            {"contact_id": "p8", "created_at": "2023-11-01T00:00Z", "account_id": "A3"},
            {"contact_id": "p9", "created_at": "2023-11-01T00:00Z", "account_id": "A3"},
        ],
    )
    accounts = canonical_frame(
        "accounts",
        [
            {"account_id": "A1", "is_customer": False},
            {"account_id": "A2", "is_customer": True},  # customer before the data starts
            {"account_id": "A3", "is_customer": True},  # became one when p9 won
        ],
    )
    outcomes = canonical_frame(
        "outcomes",
        [
            {"contact_id": "p1", "converted_at": S1 + pd.Timedelta(days=30), "outcome": "won"},
            {"contact_id": "p2", "converted_at": S1 + pd.Timedelta(days=31),
             "outcome": "opportunity"},
            {"contact_id": "p3", "converted_at": "2023-12-15T00:00Z", "outcome": "won"},
            {"contact_id": "p7", "converted_at": S1 + pd.Timedelta(days=5), "outcome": "lost"},
            {"contact_id": "p9", "converted_at": "2024-01-20T00:00Z", "outcome": "won"},
            {"contact_id": "p7", "converted_at": "2024-03-20T00:00Z", "outcome": "lost"},
        ],
    )  # fmt: skip
    return CrmTables(contacts, accounts, canonical_frame("activities", []), outcomes)


@pytest.fixture(scope="module")
def training_set():
    return build_training_set(tables(), [S3, S1, S2], horizon_days=30, spec=SPEC)


def _rows(ts) -> list[tuple[str, str, int]]:
    dates = ts.snapshot.dt.strftime("%Y-%m-%d")
    return list(zip(dates, ts.contact_id, ts.y, strict=True))


def test_eligibility_and_labels(training_set):
    assert _rows(training_set) == [
        ("2024-01-01", "p1", 1),  # converted on day H: inside
        ("2024-01-01", "p2", 0),  # converted on day H + 1: outside
        ("2024-01-01", "p7", 0),  # "lost" is not a positive outcome
        ("2024-01-01", "p8", 0),  # A3 was not a customer yet
        ("2024-01-01", "p9", 1),
        ("2024-02-01", "p6", 0),  # created after S1
        ("2024-02-01", "p7", 0),
    ]  # p2 converted exactly at S2, p3 before S1, p4 customer, p5 employee, p8 at S2 customer


def test_censored_snapshot_is_excluded_and_reported(training_set, caplog):
    assert set(training_set.snapshot) == {S1, S2}  # S3 + 30 days > data end 2024-03-20
    with caplog.at_level(logging.WARNING, logger="features.training_set"):
        ts = build_training_set(tables(), [S1, S2], 30, SPEC, data_end=pd.Timestamp("2024-02-15"))
    assert set(ts.snapshot) == {S1}
    assert "2024-02-01" in caplog.text and "excluded" in caplog.text


def test_shapes_and_dtypes(training_set):
    assert len(training_set.X) == len(training_set.y) == len(training_set.snapshot) == 7
    assert isinstance(training_set.X.index, pd.RangeIndex)
    assert training_set.y.dtype == np.int64
    assert training_set.X.dtypes.equals(build_training_set(tables(), [S1], 30, SPEC).X.dtypes)


def test_no_usable_snapshot_and_bad_horizon():
    with pytest.raises(ValueError, match="no usable snapshot"):
        build_training_set(tables(), [S3], 30, SPEC)
    with pytest.raises(ValueError, match="horizon_days"):
        build_training_set(tables(), [S1], 0, SPEC)


def test_time_split_by_snapshot_order(training_set, caplog):
    with caplog.at_level(logging.WARNING, logger="features.training_set"):
        train, valid, test = time_split(training_set, valid_snapshots=0, test_snapshots=1)
    assert set(train.snapshot) == {S1} and set(test.snapshot) == {S2} and len(valid) == 0
    assert list(test.contact_id) == ["p6", "p7"] and isinstance(test.X.index, pd.RangeIndex)
    assert "overlap" not in caplog.text  # S2 - S1 = 31 days >= 30-day horizon
    with pytest.raises(ValueError, match="at least 3 distinct snapshots"):
        time_split(training_set, valid_snapshots=1, test_snapshots=1)


def test_snapshot_dates_keep_label_windows_apart() -> None:
    from features.training_set import snapshot_dates

    train, [valid], [test] = snapshot_dates(
        pd.Timestamp("2026-09-30 18:00", tz="UTC"), 90, train_snapshots=3, every_days=30
    )
    assert test == pd.Timestamp("2026-07-02", tz="UTC")  # 2026-09-30 - 90 days, at midnight
    assert valid == pd.Timestamp("2026-04-03", tz="UTC")
    assert train == [
        pd.Timestamp("2025-11-04", tz="UTC"),
        pd.Timestamp("2025-12-04", tz="UTC"),
        pd.Timestamp("2026-01-03", tz="UTC"),
    ]
    # every training label window closes before validation, which closes before test
    assert train[-1] + pd.Timedelta(days=90) <= valid
    assert valid + pd.Timedelta(days=90) <= test


def test_snapshot_schedule_is_six_training_one_valid_one_test_snapshot() -> None:
    from features.training_set import snapshot_schedule

    train, valid, test = snapshot_schedule(pd.Timestamp("2026-09-30 18:00", tz="UTC"), 30)
    assert test == pd.Timestamp("2026-08-31", tz="UTC")  # 30 days before the data end
    assert valid == pd.Timestamp("2026-08-01", tz="UTC")
    assert train == [pd.Timestamp("2026-07-02", tz="UTC") - pd.Timedelta(days=30 * i)
                     for i in range(5, -1, -1)]  # fmt: skip


def test_snapshot_dates_with_several_valid_and_test_snapshots() -> None:
    from features.training_set import snapshot_dates

    day = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731
    train, valid, test = snapshot_dates(
        pd.Timestamp("2026-09-30 18:00", tz="UTC"), 30, train_snapshots=2, valid_snapshots=2,
        test_snapshots=2, every_days=7,
    )  # fmt: skip
    # test: 2026-09-30 - 30 days = 2026-08-31 and a week before; valid: 30 days before the
    # oldest test snapshot and a week before; train: 30 days before the oldest valid one
    assert test == [day("2026-08-24"), day("2026-08-31")]
    assert valid == [day("2026-07-18"), day("2026-07-25")]
    assert train == [day("2026-06-11"), day("2026-06-18")]
    with pytest.raises(ValueError, match="must be positive"):
        snapshot_dates(day("2026-09-30"), 30, valid_snapshots=0)


def test_rule_score_feature_comes_from_each_snapshot():
    # a stand-in manual score that differs per snapshot and per contact, so a value read at
    # the wrong snapshot or for the wrong contact shows
    calls: list[pd.Timestamp] = []

    def rule_scores(as_of: pd.Timestamp) -> pd.Series:
        calls.append(as_of)
        ids = [f"p{i}" for i in range(1, 10)]
        return pd.Series([i * 10 + as_of.month for i in range(1, 10)], index=ids, dtype=float)

    spec = SPEC.model_copy(update={"include_rule_score": True})
    ts = build_training_set(tables(), [S2, S1], 30, spec, rule_scores=rule_scores)
    assert calls == [S1, S2]  # once per usable snapshot, in order
    got = list(zip(ts.snapshot.dt.month, ts.contact_id, ts.X["rule_score"], strict=True))
    assert got == [
        (1, "p1", 11.0), (1, "p2", 21.0), (1, "p7", 71.0), (1, "p8", 81.0), (1, "p9", 91.0),
        (2, "p6", 62.0), (2, "p7", 72.0),
    ]  # fmt: skip


def test_rule_score_feature_without_a_rulebook_is_a_clear_error():
    spec = SPEC.model_copy(update={"include_rule_score": True})
    with pytest.raises(ValueError, match="include_rule_score: true.*pass rule_scores="):
        build_training_set(tables(), [S1], 30, spec)


def test_a_crm_without_accounts_or_won_deals_still_gets_labels():
    # No account table and no won outcome (an MQL export like Olist): the customer lookup
    # is empty, which pandas 3.1's Series.map cannot handle for datetimes.
    full = tables()
    contacts = full.contacts.assign(
        account_id=pd.Series(pd.NA, dtype=full.contacts["account_id"].dtype)
    )
    outcomes = full.outcomes[full.outcomes["outcome"] != "won"].reset_index(drop=True)
    crm = CrmTables(contacts, full.accounts.iloc[:0], full.activities, outcomes)
    ts = build_training_set(crm, [S1], horizon_days=30, spec=SPEC)
    # p1 and p9 no longer convert (their "won" rows are gone), p2's opportunity is on day
    # H + 1, p4 and p8/p9 are no longer at customers, p5 is an employee, p6 not created yet
    assert _rows(ts) == [
        ("2024-01-01", "p1", 0),
        ("2024-01-01", "p2", 0),
        ("2024-01-01", "p3", 0),
        ("2024-01-01", "p4", 0),
        ("2024-01-01", "p7", 0),
        ("2024-01-01", "p8", 0),
        ("2024-01-01", "p9", 0),
    ]


def test_stacked_frames_keep_a_category_over_the_union_of_their_categories() -> None:
    first = pd.DataFrame(
        {"plan": pd.Categorical(["gold", "silver"]), "n": [1.0, 2.0], "tier": ["a", "b"]}
    )
    second = pd.DataFrame(
        {"plan": pd.Categorical(["bronze"]), "n": [3.0], "tier": pd.Categorical(["c"])}
    )
    stacked = concat_keeping_categories([first, second])
    assert list(stacked["plan"].cat.categories) == ["bronze", "gold", "silver"]
    assert stacked["plan"].tolist() == ["gold", "silver", "bronze"]
    assert stacked["n"].tolist() == [1.0, 2.0, 3.0]
    # a column that is a category in one frame only is left to pd.concat (not a category)
    assert not isinstance(stacked["tier"].dtype, pd.CategoricalDtype)
    assert stacked["tier"].tolist() == ["a", "b", "c"]
