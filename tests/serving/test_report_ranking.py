"""Report sections on ranking quality: ROC/PR, AUC interval, gains, calibration, headline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.curves import calibration_table, gains_lift, roc_pr_curves
from serving.report import auc_difference
from serving.report.headline import auc_sentence, drift_sentence
from serving.report.ranking import _bootstrap_aucs


def test_roc_pr_by_hand() -> None:
    y = [1, 0, 1, 0]
    # Positive-negative pairs ranked right: (0.9>0.8), (0.9>0.1), (0.4>0.1); wrong: (0.4<0.8).
    summary, points = roc_pr_curves(y, {"a": np.array([0.9, 0.8, 0.4, 0.1])})
    assert summary.loc[0, "roc_auc"] == pytest.approx(3 / 4)
    # Average precision: recall 0.5 at precision 1, recall 1 at precision 2/3.
    assert summary.loc[0, "pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    roc = points[(points["method"] == "a") & (points["curve"] == "roc")]
    assert roc["x"].iloc[-1] == 1.0 and roc["y"].iloc[-1] == 1.0


def test_roc_pr_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both converted and unconverted"):
        roc_pr_curves([1, 1, 1], {"a": np.array([0.1, 0.2, 0.3])})


def test_bootstrap_auc_matches_sklearn_with_ties() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 30)
    score = rng.integers(0, 4, 30).astype(float)  # many ties
    idx = rng.integers(0, 30, size=(5, 30))
    ours = _bootstrap_aucs(labels, score, idx)
    expected = [roc_auc_score(labels[row], score[row]) for row in idx]
    np.testing.assert_allclose(ours, expected)


def test_auc_difference_perfect_vs_reversed() -> None:
    y = np.array([0, 1] * 10)
    perfect = y + np.linspace(0, 0.5, 20)
    out = auc_difference(y, perfect, -perfect, n_boot=50, seed=1)
    assert out["auc_a"] == 1.0 and out["auc_b"] == 0.0
    assert out["diff"] == 1.0 and out["low"] == 1.0 and out["high"] == 1.0
    assert out["n_boot"] == 50


def test_auc_difference_of_identical_scores_is_zero() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    s = rng.random(50)
    out = auc_difference(y, s, s, n_boot=30, seed=0)
    assert out["diff"] == 0.0 and out["low"] == 0.0 and out["high"] == 0.0


def test_gains_lift_by_hand() -> None:
    y = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    table = gains_lift(y, {"m": np.arange(10, 0, -1)}, n_bins=5)
    first, second = table.iloc[0], table.iloc[1]
    assert (first["n"], first["positives"]) == (2, 2)
    assert first["lift"] == pytest.approx(1.0 / 0.2)
    assert first["cumulative_recall"] == 1.0
    assert first["cumulative_share"] == pytest.approx(0.2)
    # Top two bins: 2 conversions in 4 leads = 50 % against a 20 % base rate.
    assert second["cumulative_lift"] == pytest.approx(0.5 / 0.2)
    assert table["cumulative_recall"].iloc[-1] == 1.0


def test_calibration_table_by_hand() -> None:
    y = [0, 0, 1, 1]
    p = np.array([0.05, 0.15, 0.15, 0.95])
    bins, summary = calibration_table(y, {"m": p}, n_bins=10)
    assert bins["bin"].tolist() == [1, 2, 10]
    assert bins["n"].tolist() == [1, 2, 1]
    assert bins["observed_rate"].tolist() == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(bins["mean_predicted"], [0.05, 0.15, 0.95])
    assert summary.loc[0, "brier"] == pytest.approx((0.05**2 + 0.15**2 + 0.85**2 + 0.05**2) / 4)
    assert summary.loc[0, "ece"] == pytest.approx((0.05 + 2 * 0.35 + 0.05) / 4)


def test_calibration_rejects_values_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="'blend' has values outside"):
        calibration_table([0, 1], {"blend": np.array([0.2, 1.4])})


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.02, 0.1, "The model ranked leads better than the point rules"),
        (-0.1, -0.02, "The point rules ranked leads better than the model"),
        (-0.02, 0.05, "cannot be told apart"),
    ],
)
def test_auc_sentence_direction(low: float, high: float, expected: str) -> None:
    row = pd.Series(
        {"method": "model", "versus": "manual", "auc_a": 0.8, "auc_b": 0.75, "diff": 0.05,
         "low": low, "high": high, "n_boot": 200.0}
    )  # fmt: skip
    sentence = auc_sentence(row)
    assert expected in sentence
    assert f"{low:+.3f} to {high:+.3f}" in sentence and "200 bootstrap" in sentence


def test_drift_sentence_only_when_a_column_is_at_warning() -> None:
    calm = pd.DataFrame({"column": ["a"], "psi": [0.15], "level": ["watch"]})
    assert drift_sentence(calm) is None and drift_sentence(None) is None
    hot = pd.DataFrame({"column": ["a", "b"], "psi": [0.4, 0.01], "level": ["warning", "ok"]})
    sentence = drift_sentence(hot)
    assert sentence is not None and "1 column(s)" in sentence and "a." in sentence
