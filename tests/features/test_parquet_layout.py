"""The lead layout of canonical Parquet tables: sorted by contact, stable, in row groups."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

import features.files as layout
from features.files import lead_ordered, write_table


def test_activities_are_sorted_by_contact_stably_with_missing_ids_last():
    frame = pd.DataFrame(
        {
            "activity_id": ["a1", "a2", "a3", "a4", "a5", "a6"],
            "contact_id": pd.array(["c2", "c10", None, "c1", "c2", "c1"], dtype="string"),
        },
        index=[5, 4, 3, 2, 1, 0],
    )
    got = lead_ordered(frame, "activities")
    # by hand: "c1" < "c10" < "c2" as text; equal ids keep their order; the null last
    assert list(got["activity_id"]) == ["a4", "a6", "a2", "a1", "a5", "a3"]
    assert list(got.index) == list(range(6))
    assert list(frame["activity_id"]) == ["a1", "a2", "a3", "a4", "a5", "a6"]  # not mutated


def test_contacts_and_accounts_keep_their_order():
    frame = pd.DataFrame({"contact_id": ["c3", "c1", "c2"], "account_id": ["b", "a", "c"]})
    assert lead_ordered(frame, "contacts") is frame
    accounts = pd.DataFrame({"account_id": ["b", "a"]})
    assert lead_ordered(accounts, "accounts") is accounts


def test_row_groups_cover_disjoint_id_ranges(tmp_path, monkeypatch):
    monkeypatch.setattr(layout, "ROW_GROUP_ROWS", 10)
    ids = [f"c{i % 17:02d}" for i in range(95)]  # 17 contacts, interleaved as in time order
    frame = pd.DataFrame({"activity_id": [f"a{i}" for i in range(95)], "contact_id": ids})
    path = tmp_path / "activities.parquet"
    write_table(frame, "activities", path)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == 10  # 95 rows in groups of 10
    column = meta.schema.names.index("contact_id")
    ranges = [
        (
            meta.row_group(i).column(column).statistics.min,
            meta.row_group(i).column(column).statistics.max,
        )
        for i in range(meta.num_row_groups)
    ]
    assert all(lo <= hi for lo, hi in ranges)
    assert all(prev[1] <= nxt[0] for prev, nxt in zip(ranges, ranges[1:], strict=False))
    back = pd.read_parquet(path)
    assert sorted(back["activity_id"]) == sorted(frame["activity_id"])
