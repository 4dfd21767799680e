"""Metrics on tiny arrays whose expected values are computed by hand in the comments."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve

from models.metrics import (
    calibration_in_the_large,
    decile_table,
    ece,
    evaluate,
    expected_hits_at_k,
    precision_recall_at_k,
    reliability_bins,
    segment_metrics,
)


def test_ece_hand_computed():
    y = np.array([0, 1, 1, 0])
    p = np.array([0.1, 0.15, 0.8, 0.95])
    # bin 1 holds 0.1 and 0.15: |0.5 - 0.125| * 2/4 = 0.1875
    # bin 8 holds 0.8:          |1 - 0.8| * 1/4    = 0.05
    # bin 9 holds 0.95:         |0 - 0.95| * 1/4   = 0.2375
    assert ece(y, p) == pytest.approx(0.1875 + 0.05 + 0.2375)


def test_ece_probability_one_falls_in_last_bin_and_perfect_is_zero():
    assert ece(np.array([1, 0]), np.array([1.0, 0.0])) == pytest.approx(0.0)
    assert ece(np.array([0, 1]), np.array([0.25, 0.25]), n_bins=2) == pytest.approx(0.25)


def test_ece_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ece(np.array([0, 1]), np.array([0.5, 1.5]))


def _twenty_rows():
    # Scores 20..1; positives at scores 20, 19, 18 and 1. Rows shuffled so that rank,
    # not position, must decide the deciles.
    score = np.arange(20, 0, -1).astype(float)
    y = np.isin(score, [20, 19, 18, 1]).astype(int)
    order = np.random.default_rng(0).permutation(20)
    return y[order], score[order]


def test_decile_table_hand_computed():
    y, score = _twenty_rows()
    table = decile_table(y, score)
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["n"].tolist() == [2] * 10
    # base rate 4/20 = 0.2; decile 1 = scores {20, 19}: 2/2; decile 2 = {18, 17}: 1/2;
    # decile 10 = {2, 1}: 1/2; all others 0.
    expected_rate = [1.0, 0.5] + [0.0] * 7 + [0.5]
    assert table["conversion_rate"].tolist() == pytest.approx(expected_rate)
    assert table["lift"].tolist() == pytest.approx([r / 0.2 for r in expected_rate])
    assert table["cumulative_recall"].tolist() == pytest.approx([0.5] + [0.75] * 8 + [1.0])
    assert table.loc[0, "min_score"] == 19 and table.loc[0, "max_score"] == 20


def test_precision_recall_at_k_hand_computed():
    y, score = _twenty_rows()
    # top ceil(0.15 * 20) = 3 rows: scores 20, 19, 18, all positive; 4 positives in total
    assert precision_recall_at_k(y, score, 0.15) == pytest.approx((1.0, 0.75))
    # top 5: scores 20..16 hold 3 positives
    assert precision_recall_at_k(y, score, 0.25) == pytest.approx((0.6, 0.75))
    with pytest.raises(ValueError, match="k_frac"):
        precision_recall_at_k(y, score, 0.0)


def test_precision_recall_at_k_takes_k_leads_given_as_k_over_n():
    # the report passes its capacity in leads as k / n: 7 / 25 * 25 is 7.000000000000001 in
    # floating point, which must still take the top 7 rows, not 8
    y = np.array([1] * 7 + [0] * 18)
    score = np.arange(25, 0, -1, dtype=float)  # the 7 positives score highest
    assert 7 / 25 * 25 > 7  # the float error the rounding guards against
    assert precision_recall_at_k(y, score, 7 / 25) == (1.0, 1.0)
    assert precision_recall_at_k(y, score, 3 / 25) == (1.0, 3 / 7)


def test_tied_scores_share_their_conversions_whatever_the_row_order():
    # The empty rulebook gives every lead 0 points: ROC AUC 0.5, so no rank metric may
    # favour the rows that happen to come first. 10 leads, 3 converted, listed first or last.
    y_first = np.array([1, 1, 1] + [0] * 7)
    for y in (y_first, y_first[::-1]):
        zero = np.zeros(10)
        table = decile_table(y, zero)
        assert table["lift"].tolist() == pytest.approx([1.0] * 10)  # each decile at 3/10
        assert precision_recall_at_k(y, zero, 0.2) == pytest.approx((0.3, 0.2))  # 0.6 of 3
        metrics = evaluate(y, zero, is_probability=False, k_frac=0.2)
        assert metrics["roc_auc"] == 0.5 and metrics["top_decile_lift"] == pytest.approx(1.0)


def test_a_tie_group_straddling_the_cut_off_counts_at_its_rate():
    # Scores 9, 5, 5, 5, 1 with labels 1, 1, 0, 0, 1: the top 2 are lead 0 (converted) and
    # one place among the three 5s, of which 1 converted: 1 + 1/3 conversions.
    y = np.array([1, 1, 0, 0, 1])
    score = np.array([9.0, 5, 5, 5, 1])
    assert expected_hits_at_k(y, score, 2) == pytest.approx(4 / 3)
    assert expected_hits_at_k(y, score, 4) == pytest.approx(2.0)  # the whole group: 1 + 1
    assert precision_recall_at_k(y, score, 0.4) == pytest.approx((2 / 3, 4 / 9))
    # 5 deciles of one row each: 9 -> 1; the three 5s -> 1/3 each; 1 -> 1 (base rate 3/5)
    table = decile_table(y, score, n_bins=5)
    assert table["positives"].tolist() == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3, 1])
    assert table["lift"].tolist() == pytest.approx([5 / 3, 5 / 9, 5 / 9, 5 / 9, 5 / 3])


def test_evaluate_hand_computed():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    out = evaluate(y, p, is_probability=True, k_frac=0.25)
    # pairs (pos, neg): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes -> 3/4
    assert out["roc_auc"] == pytest.approx(0.75)
    assert out["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    expected_ll = -(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4
    assert out["log_loss"] == pytest.approx(expected_ll)
    # top 1 row (0.8) is positive: precision 1, recall 1/2
    assert out["precision_at_k"] == 1.0 and out["recall_at_k"] == 0.5
    assert out["base_rate"] == 0.5


def test_evaluate_manual_score_has_no_probability_metrics_and_single_class_is_nan():
    out = evaluate(
        np.array([0, 1, 1]), np.array([3.0, 10.0, 7.0]), is_probability=False, k_frac=1 / 3
    )
    assert "log_loss" not in out and "ece" not in out
    assert out["roc_auc"] == 1.0
    single = evaluate(np.array([1, 1]), np.array([0.2, 0.9]), is_probability=True, k_frac=0.5)
    assert math.isnan(single["roc_auc"])


def test_segment_metrics_per_level_with_missing_level():
    frame = pd.DataFrame({"region": ["NA", "NA", "EMEA", None, "EMEA", "NA"]})
    y = np.array([1, 0, 1, 0, 0, 1])
    score = np.array([0.9, 0.2, 0.6, 0.1, 0.4, 0.7])
    table = segment_metrics(frame, y, score, ["region"], is_probability=True, k_frac=0.5)
    by_level = table.set_index("level")
    assert set(by_level.index) == {"NA", "EMEA", "(missing)"}
    assert by_level.loc["NA", "n"] == 3 and by_level.loc["NA", "base_rate"] == pytest.approx(2 / 3)
    assert by_level.loc["EMEA", "roc_auc"] == 1.0
    with pytest.raises(ValueError, match="company_size"):
        segment_metrics(frame, y, score, ["company_size"], is_probability=True, k_frac=0.5)


def test_reliability_bins_match_scikit_learns_calibration_curve():
    rng = np.random.default_rng(0)
    p = rng.random(500)
    p = p[np.abs(p * 10 - np.rint(p * 10)) > 1e-9]  # no value on a bin edge (conventions differ)
    y = (rng.random(len(p)) < p).astype(int)
    table = reliability_bins(y, p, n_bins=10)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["observed_rate"], observed)
    np.testing.assert_allclose(table["mean_predicted"], predicted)
    assert table["n"].sum() == len(p)


def test_reliability_bins_by_hand_leave_empty_bins_out():
    table = reliability_bins(np.array([0, 1, 1, 0]), np.array([0.05, 0.15, 0.95, 1.0]), n_bins=10)
    assert table["bin"].tolist() == [1, 2, 10]
    assert table["n"].tolist() == [1, 1, 2]
    assert table["observed_rate"].tolist() == [0.0, 1.0, 0.5]
    assert table["mean_predicted"].tolist() == pytest.approx([0.05, 0.15, 0.975])


def test_calibration_in_the_large_hand_computed():
    # sum(y) = 2 = sum(p): no gap
    even = calibration_in_the_large(np.array([1, 0, 0, 1]), np.array([0.5, 0.5, 0.2, 0.8]))
    assert even == {"mean_predicted": 0.5, "observed_rate": 0.5, "z": 0.0}
    # 3 conversions where 2 were expected; variance 4 * 0.25 = 1, so z = (3 - 2) / 1
    over = calibration_in_the_large(np.array([1, 1, 1, 0]), np.full(4, 0.5))
    assert over == {"mean_predicted": 0.5, "observed_rate": 0.75, "z": 1.0}
    # certain probabilities have no variance: z is undefined
    assert np.isnan(calibration_in_the_large(np.array([1, 0]), np.array([1.0, 0.0]))["z"])


def test_calibration_in_the_large_z_is_standard_normal_when_calibrated():
    rng = np.random.default_rng(0)
    p = rng.beta(1, 12, 2_000)  # a lead-like spread of probabilities, mean about 8 %
    zs = np.array(
        [
            calibration_in_the_large((rng.random(p.size) < p).astype(int), p)["z"]
            for _ in range(2000)
        ]
    )
    assert abs(zs.mean()) < 0.1 and abs(zs.std() - 1.0) < 0.1
    # a conversion rate cut by a third is far out in the tail
    shifted = (rng.random(p.size) < p * 2 / 3).astype(int)
    assert calibration_in_the_large(shifted, p)["z"] < -5


@pytest.mark.parametrize("seed", range(20))
def test_the_gap_in_the_large_bounds_the_ece_from_below(seed):
    rng = np.random.default_rng(seed)
    p = rng.random(300) ** 3
    y = (rng.random(300) < np.clip(p * rng.uniform(0.3, 2.0), 0, 1)).astype(int)
    gap = calibration_in_the_large(y, p)
    assert ece(y, p) >= abs(gap["observed_rate"] - gap["mean_predicted"]) - 1e-12
