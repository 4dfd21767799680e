"""The training plan on tiny CRMs whose slices are counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from table_rows import canonical_frame

from features.crm import CrmTables
from features.fit import spec_for_data
from features.infer import InferSettings, infer_table_types
from features.plan import PlanError, PlanRequest, make_plan
from features.spec import load_feature_spec

DAY0 = pd.Timestamp("2026-03-01", tz="UTC")


def day(d: float) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=d)


def month_crm() -> CrmTables:
    """31 days: each day d (0..30) at noon, lead a{d} (converts on day d+3 when that is
    inside the data) and lead b{d} (never converts); each has one page view at creation."""
    contacts, activities, outcomes = [], [], []
    for d in range(31):
        for kind in "ab":
            cid = f"{kind}{d}"
            contacts.append({"contact_id": cid, "created_at": day(d + 0.5)})
            activities.append(
                {"activity_id": f"v{cid}", "contact_id": cid, "occurred_at": day(d + 0.5),
                 "activity_type": "page_view"}
            )  # fmt: skip
        if d + 3 <= 30:
            outcomes.append({"contact_id": f"a{d}", "converted_at": day(d + 3.5), "outcome": "won"})
    return CrmTables(
        canonical_frame("contacts", contacts),
        canonical_frame("accounts", []),
        canonical_frame("activities", activities),
        canonical_frame("outcomes", outcomes),
    )


def request(**changes) -> PlanRequest:
    base = dict(
        framing="auto", horizon_days=None, train_snapshots=6, every_days=None,
        valid_snapshots=1, test_snapshots=1, delay_days=1, valid_share=0.2, test_share=0.2,
        min_valid_per_class=1,
    )  # fmt: skip
    return PlanRequest(**{**base, **changes})


def test_31_days_of_data_get_the_longest_horizon_that_fits() -> None:
    plan = make_plan(month_crm(), request())
    # every lead has activity: snapshots. The data ends on day 30 at noon, so H=14 puts the
    # test snapshot on day 16, valid on day 2 and training on day -12, before any lead
    assert plan.framing == "snapshots" and plan.horizon_days == 7 and plan.every_days == 7
    # H=7: test day 23, valid day 16, training days 9 and 2 (days -5 ... -26 hold nobody)
    assert plan.snapshot_dates("test") == [day(23)]
    assert plan.snapshot_dates("valid") == [day(16)]
    assert plan.snapshot_dates("train") == [day(2), day(9)]
    # at snapshot s (midnight): b0..b(s-1) never convert; a(s-3)..a(s-1) convert at noon of
    # days s+0.5..s+2.5, within 7 days; older a's converted before s and are not leads
    test, valid, train = (plan.slices[p] for p in ("test", "valid", "train"))
    assert (test.rows, test.positives) == (23 + 3, 3)
    assert (valid.rows, valid.positives) == (16 + 3, 3)
    assert (train.rows, train.positives) == ((9 + 3) + (2 + 2), 3 + 2)  # day 2: a0, a1
    assert any("4 of 6 training snapshots dropped" in n for n in plan.notes)
    assert plan.profile.span_days == pytest.approx(30.0)
    assert plan.profile.conversion_days["p50"] == pytest.approx(3.0)


def test_a_plan_with_an_empty_slice_is_refused_with_the_span_and_what_fits() -> None:
    with pytest.raises(PlanError) as err:
        make_plan(month_crm(), request(framing="snapshots", horizon_days=14))
    message = str(err.value)
    assert "the data spans 30 days" in message
    assert "2026-03-01 to 2026-03-31" in message
    assert "snapshots with horizon 14 days: train 0 rows / 0 positive" in message
    assert "--framing snapshots --horizon-days 7" in message
    assert "--framing first_touch --horizon-days 14" in message  # 14 days fit one row each
    # auto tries first_touch when no horizon gives usable snapshots, and says so
    plan = make_plan(month_crm(), request(horizon_days=14))
    assert plan.framing == "first_touch"
    assert any("first_touch is used" in n for n in plan.notes)


def test_auto_picks_first_touch_without_activity_history() -> None:
    tables = month_crm()
    quiet = CrmTables(tables.contacts, tables.accounts, tables.activities.iloc[:0], tables.outcomes)
    plan = make_plan(quiet, request(horizon_days=7))
    assert plan.framing == "first_touch"
    labels = plan.first_touch
    assert labels is not None
    # as_of = midnight of day d + 1; old enough when d + 1 + 7 <= 30.5: d <= 22, 46 leads
    assert int(labels["eligible"].sum()) == 46
    assert labels.loc["a3", "as_of"] == day(4) and labels.loc["a3", "y"] == 1
    assert labels.loc["a23", "reason"] == "label window ends after the data"
    # time order: the earliest rows train, the latest test; no day straddles two slices
    sliced = labels.loc[labels["eligible"]]
    last_train = sliced.loc[sliced["slice"] == "train", "as_of"].max()
    first_test = sliced.loc[sliced["slice"] == "test", "as_of"].min()
    assert last_train < first_test
    assert sum(plan.slices[p].rows for p in ("train", "valid", "test")) == 46


def test_extra_columns_of_a_mapping_become_features_unless_they_are_ids() -> None:
    contacts = month_crm().contacts.assign(
        landing_page=["p1", "p2"] * 31, visits=range(62), ref=[f"r{i}" for i in range(62)]
    )
    spec, notes = spec_for_data(load_feature_spec(), contacts, InferSettings())
    assert "landing_page" in spec.fit.passthrough_categorical
    assert "visits" in spec.fit.passthrough_numeric
    assert "ref" not in spec.fit.passthrough_categorical
    assert "extra column ref left out: 62 distinct values" in notes


def test_the_valid_slice_needs_enough_of_each_class_for_early_stopping() -> None:
    # H=7 leaves the valid snapshot (day 16) 3 converters: too few when 4 are needed
    with pytest.raises(PlanError, match="valid 19 rows / 3 positive"):
        make_plan(month_crm(), request(framing="snapshots", min_valid_per_class=4))
    # two valid snapshots (days 9 and 16) hold 6
    plan = make_plan(
        month_crm(), request(framing="snapshots", min_valid_per_class=4, valid_snapshots=2)
    )
    assert plan.slices["valid"].positives == 6


def test_the_runs_max_unique_share_decides_which_kept_columns_are_id_like() -> None:
    # 10 contacts, 'page' 6 distinct values of 10 (60 %): above the default 0.5, under 0.7
    # (judged from 10 rows on: the default min_rows_id_like, 50, would keep it anyway)
    contacts = month_crm().contacts.head(10).assign(page=["a", "b", "c", "d", "e", "f"] + ["a"] * 4)
    judged = InferSettings(min_rows_id_like=10)
    spec, notes = spec_for_data(load_feature_spec(), contacts, judged)
    assert "page" not in spec.fit.passthrough_categorical
    assert notes == ["extra column page left out: 6 distinct values"]
    wider = judged.model_copy(update={"max_unique_share": 0.7})
    spec, notes = spec_for_data(load_feature_spec(), contacts, wider)
    assert "page" in spec.fit.passthrough_categorical
    assert notes == ["extra column page used as a category"]


@pytest.mark.parametrize(
    ("min_rows", "kept"),
    [(50, True), (5, False)],  # 5 rows: too few to judge under 50, enough under 5
)
def test_a_kept_column_is_id_like_by_the_same_rule_as_type_inference(
    min_rows: int, kept: bool
) -> None:
    # 5 contacts, 'code' 5 distinct values in 5 rows (100 % > 0.5): id-like only when
    # 5 rows are enough to judge (min_rows_id_like <= 5)
    contacts = month_crm().contacts.head(5).assign(code=["k1", "k2", "k3", "k4", "k5"])
    infer = InferSettings(min_rows_id_like=min_rows)
    spec, notes = spec_for_data(load_feature_spec(), contacts, infer)
    typed = infer_table_types(contacts[["code"]], settings=infer).columns["code"]
    assert ("code" in spec.fit.passthrough_categorical) is kept
    assert (typed.kind == "category") is kept
    expected = "used as a category" if kept else "left out: 5 distinct values"
    assert notes == [f"extra column code {expected}"]


def test_a_kept_column_counts_distinct_values_as_type_inference_does() -> None:
    # 10 contacts, 'channel' spelled 8 ways but 2 values once case and spaces are ignored:
    # counted case-sensitively 8 of 10 (80 % > 0.5, id-like), as inference counts 2 of 10
    spellings = ["Web", "web", "WEB", " wEb ", "weB", "Ads", "ads", "ADS", "Ads", "Web"]
    contacts = month_crm().contacts.head(10).assign(channel=spellings)
    infer = InferSettings(min_rows_id_like=10)
    spec, notes = spec_for_data(load_feature_spec(), contacts, infer)
    typed = infer_table_types(contacts[["channel"]], settings=infer).columns["channel"]
    assert typed.kind == "category"
    assert typed.levels == ("Ads", "Web")
    assert "channel" in spec.fit.passthrough_categorical
    assert notes == ["extra column channel used as a category"]
