"""The activity index's per-contact measures against pandas group-bys on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rules.activities import build_activity_index

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(3)
    n_rows, ids = 2_000, pd.Index([f"c{i}" for i in range(60)])
    frame = pd.DataFrame(
        {  # random order, some rows after as_of, an unknown contact, 5 contacts without rows
            "contact_id": rng.choice([*ids[:55], "stranger"], n_rows),
            "occurred_at": AS_OF + pd.to_timedelta(rng.integers(-400, 30, n_rows), unit="D"),
        }
    )
    return frame, ids, build_activity_index(frame, ids, AS_OF)


@pytest.mark.parametrize("last", [True, False])
@pytest.mark.parametrize("block", [None, (10, 45), (50, 60)])
def test_days_since_matches_a_group_by(history, last, block):
    frame, ids, index = history
    lo, hi = block or (0, len(ids))
    view = index if block is None else index.block(lo, hi)
    rows = np.flatnonzero(view.valid)
    got = view.days_since(rows, last=last)

    before = frame[frame["occurred_at"] < AS_OF]
    edge = before.groupby("contact_id")["occurred_at"].agg("max" if last else "min")
    expected = ((AS_OF - edge.reindex(ids[lo:hi])).dt.total_seconds() / 86_400).to_numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert np.isnan(got).sum() == edge.reindex(ids[lo:hi]).isna().sum()


TYPES = [f"t{i}" for i in range(8)]


@pytest.fixture(scope="module")
def typed_history():
    rng = np.random.default_rng(5)
    n_rows, ids = 3_000, pd.Index([f"c{i}" for i in range(40)])
    kinds = [None if rng.random() < 0.05 else TYPES[rng.integers(0, 8)] for _ in range(n_rows)]
    frame = pd.DataFrame(
        {
            "contact_id": rng.choice(ids, n_rows),
            "occurred_at": AS_OF + pd.to_timedelta(rng.integers(-100, 10, n_rows), unit="D"),
            "activity_type": pd.Series(kinds, dtype=pd.CategoricalDtype(TYPES)),
            "page_category": pd.Series(rng.choice(["a", "b", "c"], n_rows), dtype="category"),
            "page_url": pd.Series(
                rng.choice(["/pricing", "/plans/x", "/blog"], n_rows), dtype="str"
            ),
        }
    )
    return frame, ids, build_activity_index(frame, ids, AS_OF)


@pytest.mark.parametrize(
    ("flt", "keep"),
    [
        ({"activity_type": "t3"}, lambda r: r.activity_type == "t3"),
        ({"activity_type": ["t1", "t6"]}, lambda r: r.activity_type in {"t1", "t6"}),
        ({"activity_type": TYPES[:6]}, lambda r: r.activity_type in TYPES[:6]),  # wide
        ({"activity_type": {"op": "ne", "value": "t0"}}, lambda r: r.activity_type != "t0"),
        ({"activity_type": {"op": "is_missing"}}, lambda r: r.activity_type is None),
        (
            {"activity_type": {"op": "not_in", "value": TYPES[:7]}},  # t7 and missing
            lambda r: r.activity_type not in TYPES[:7],
        ),
        (
            {"activity_type": "t2", "page_category": ["a", "c"]},
            lambda r: r.activity_type == "t2" and r.page_category in {"a", "c"},
        ),
        (
            {"page_category": "b", "page_url": {"op": "regex", "value": "^/(plans|pricing)"}},
            lambda r: r.page_category == "b" and r.page_url != "/blog",
        ),
        ({"activity_type": "nothing_like_it"}, lambda r: False),
        ({}, lambda r: True),  # no test at all: every counting row
    ],
)
@pytest.mark.parametrize("block", [None, (5, 30)])
def test_filter_rows_match_a_per_row_evaluation(typed_history, flt, keep, block):
    frame, ids, index = typed_history
    lo, hi = block or (0, len(ids))
    view = index if block is None else index.block(lo, hi)
    rows = view.filter_rows(flt)
    assert np.all(np.diff(rows) > 0)  # ascending, as the rules downstream expect
    got = view.frame.index[view.positions_in_frame(rows)]  # the original row labels

    counted = frame[(frame["occurred_at"] < AS_OF) & frame["contact_id"].isin(ids[lo:hi])]
    records = counted.astype(object).where(counted.notna(), None).itertuples()
    expected = [r.Index for r in records if keep(r)]
    assert sorted(got) == expected
