"""The explain benchmark: its cached CRM and its two references agreeing with ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import bench_explain


@pytest.mark.slow
def test_bench_rows_and_the_cached_crm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSCORE_BENCH_CACHE", str(tmp_path))
    rows = bench_explain.bench(3_000, repeats=1)  # fails itself if a reference disagrees
    assert [r.name for r in rows] == ["explain_one_lead_vs_read_all", "explain_one_lead"]
    assert all(r.size == 3_000 and r.ref_s is not None and r.ours_s > 0 for r in rows)

    folder = bench_explain.crm_folder(3_000)
    assert folder.parent == tmp_path and (folder / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temporary left behind
    stamp = (folder / "activities.parquet").stat().st_mtime_ns
    assert bench_explain.crm_folder(3_000) == folder  # reused, not generated again
    assert (folder / "activities.parquet").stat().st_mtime_ns == stamp


def test_read_all_then_cut_keeps_only_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADSCORE_BENCH_CACHE", str(tmp_path))
    folder = bench_explain.crm_folder(300, seed=5)
    contact = bench_explain._lead(folder)
    rows = bench_explain.read_all_then_cut(folder, contact)
    account = rows["contacts"].loc[rows["contacts"]["contact_id"] == contact, "account_id"].iloc[0]
    assert set(rows["contacts"]["account_id"]) == {account}
    assert set(rows["accounts"]["account_id"]) == {account}
    assert set(rows["activities"]["contact_id"]) <= set(rows["contacts"]["contact_id"])
    assert len(rows["activities"]) > 0
