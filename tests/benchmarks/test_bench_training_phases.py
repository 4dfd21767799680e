"""phase_timers in benchmarks/bench_training.py: wraps, accumulates and restores."""

from __future__ import annotations

import types

import pytest

from benchmarks.bench_training import phase_timers


def _module() -> types.ModuleType:
    module = types.ModuleType("fake_library")
    module.add = lambda a, b: a + b
    module.fail = lambda: 1 / 0
    return module


def test_phase_timers_record_each_phase_and_pass_results_through() -> None:
    module = _module()
    original = module.add
    seconds: dict[str, float] = {}
    with phase_timers(seconds, {(module, "add"): "fit", (module, "fail"): "other"}):
        assert module.add(2, 3) == 5
        assert module.add(1, 1) == 2
    assert set(seconds) == {"fit"}  # a phase that never ran is not reported
    assert seconds["fit"] >= 0.0
    assert module.add is original


def test_phase_timers_record_and_restore_when_the_function_raises() -> None:
    module = _module()
    original = module.fail
    seconds: dict[str, float] = {}
    with pytest.raises(ZeroDivisionError), phase_timers(seconds, {(module, "fail"): "fit"}):
        module.fail()
    assert "fit" in seconds
    assert module.fail is original
