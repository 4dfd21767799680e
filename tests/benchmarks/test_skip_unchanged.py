"""The day-over-day helpers of benchmarks/skip_unchanged.py on tiny hand-made data."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from benchmarks.skip_unchanged import (
    cached_shap,
    previous_positions,
    same_cells,
    seen_patterns,
    unchanged_since,
)
from serving.explain import FastTreeShap
from serving.explain.dedup import decision_codes


def test_same_cells_counts_nan_as_equal_and_any_difference_as_change() -> None:
    before = np.array([[1.0, np.nan], [2.0, 3.0], [np.nan, 0.0]])
    after = np.array([[1.0, np.nan], [2.0, 4.0], [0.0, 0.0]])
    assert same_cells(before, after).tolist() == [[True, True], [True, False], [False, True]]


def test_previous_positions_marks_new_leads() -> None:
    got = previous_positions(np.array(["a", "b", "c"]), np.array(["c", "d", "a"]))
    assert got.tolist() == [2, -1, 0]


def test_unchanged_since_compares_each_lead_with_its_own_previous_row() -> None:
    previous = np.array([[1, 1], [2, 2], [3, 3]], dtype=np.uint64)
    current = np.array([[3, 3], [9, 9], [1, 2]], dtype=np.uint64)
    positions = np.array([2, -1, 0])  # lead c unchanged, d new, a changed
    assert unchanged_since(previous, current, positions).tolist() == [True, False, False]


def test_seen_patterns_finds_a_pattern_of_any_previous_lead() -> None:
    previous = np.array([[1, 2], [3, 4]], dtype=np.uint64)
    current = np.array([[3, 4], [1, 3], [1, 2]], dtype=np.uint64)
    assert seen_patterns(previous, current).tolist() == [True, False, True]


@pytest.fixture(scope="module")
def booster() -> lgb.Booster:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    params = {"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 20, "verbose": -1}
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=5)


def test_cached_shap_reuses_unchanged_patterns_and_equals_pred_contrib(
    booster: lgb.Booster,
) -> None:
    explainer = FastTreeShap(booster)
    rng = np.random.default_rng(1)
    yesterday = rng.normal(size=(50, 3))
    today = yesterday.copy()
    today[0] += 5.0  # crosses thresholds: must be recomputed
    today[1] += 1e-12  # moves inside its threshold interval: same pattern, reusable
    positions = np.arange(50)
    positions[2] = -1  # a new lead never reuses anything
    codes = decision_codes(yesterday, explainer.arrays_)
    shap_yesterday = booster.predict(yesterday, pred_contrib=True)
    values, hit = cached_shap(explainer, today, positions, codes, shap_yesterday)
    assert not hit[0] and hit[1] and not hit[2]
    assert hit[3:].all()
    expected = booster.predict(today, pred_contrib=True)
    assert np.abs(values - expected).max() <= 1e-6
