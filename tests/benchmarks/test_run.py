"""benchmarks/run.py: a module that does not import or fails is reported, the rest runs."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.harness import BenchResult


def _fake_module(name: str, fail_at: int | None = None) -> types.ModuleType:
    module = types.ModuleType(f"benchmarks.{name}")
    module.SIZES = {"quick": [10, 100], "full": [10]}

    def bench(size: int, repeats: int) -> list[BenchResult]:
        if size == fail_at:
            raise RuntimeError("boom")
        return [BenchResult("fake", size, size / 10, size / 5, 1.0)]

    module.bench = bench
    return module


def test_run_reports_broken_modules_keeps_the_rest_and_adds_growth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "benchmarks.bench_fake_ok", _fake_module("bench_fake_ok"))
    monkeypatch.setitem(
        sys.modules, "benchmarks.bench_fake_fails", _fake_module("bench_fake_fails", fail_at=10)
    )
    names = ["bench_fake_fails", "bench_fake_missing", "bench_fake_ok"]
    monkeypatch.setattr(run, "discover", lambda: names)
    out = tmp_path / "results.json"
    code = run.main(["--scale", "quick", "--out", str(out), "--repeats", "1"])
    payload = json.loads(out.read_text())
    assert code == 1
    assert set(payload["skipped"]) == {"bench_fake_missing", "bench_fake_fails@10"}
    ok = [r for r in payload["results"] if r["module"] == "bench_fake_ok"]
    assert [r["size"] for r in ok] == [10, 100]
    assert ok[0]["ratio"] == pytest.approx(2.0)  # ref 2 s / ours 1 s
    # growth: 10x the size, ours 1.0 s -> 10.0 s
    assert ok[1]["growth"] == {"size_x": 10.0, "time_x": pytest.approx(10.0)}


def test_size_option_runs_only_the_sizes_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "benchmarks.bench_fake_ok", _fake_module("bench_fake_ok"))
    monkeypatch.setattr(run, "discover", lambda: ["bench_fake_ok"])
    out = tmp_path / "results.json"
    code = run.main(["--scale", "quick", "--size", "100", "--out", str(out), "--repeats", "1"])
    payload = json.loads(out.read_text())
    assert code == 0
    assert [r["size"] for r in payload["results"]] == [100]


def test_growth_is_against_the_next_smaller_size() -> None:
    rows = [
        {"name": "b", "size": 1_000, "ours_s": 1.0},
        {"name": "b", "size": 100, "ours_s": 0.1},
        {"name": "b", "size": 10_000, "ours_s": 20.0},
    ]
    run._add_growth(rows)
    by_size = {r["size"]: r["growth"] for r in rows}
    assert by_size[100] is None
    assert by_size[1_000] == {"size_x": 10.0, "time_x": pytest.approx(10.0)}
    assert by_size[10_000] == {"size_x": 10.0, "time_x": pytest.approx(20.0)}
