"""DeLong's paired AUC test and the over-seeds tests, against independent computations."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from benchmarks.paired_stats import delong_covariance, delong_test, over_seeds


def _psi(x: float, y: float) -> float:
    return 1.0 if x > y else 0.5 if x == y else 0.0


def _brute_force_covariance(y, a, b) -> np.ndarray:
    """DeLong et al. 1988 written out: O(m n) structural components, then S10/m + S01/n."""
    pos = [i for i in range(len(y)) if y[i] == 1]
    neg = [j for j in range(len(y)) if y[j] == 0]
    m, n = len(pos), len(neg)
    scores = [a, b]
    v10 = [[sum(_psi(s[i], s[j]) for j in neg) / n for i in pos] for s in scores]
    v01 = [[sum(_psi(s[i], s[j]) for i in pos) / m for j in neg] for s in scores]

    def sample_cov(u, v):
        mu, mv = sum(u) / len(u), sum(v) / len(v)
        return sum((p - mu) * (q - mv) for p, q in zip(u, v, strict=True)) / (len(u) - 1)

    return np.array(
        [
            [sample_cov(v10[r], v10[s]) / m + sample_cov(v01[r], v01[s]) / n for s in range(2)]
            for r in range(2)
        ]
    )


# Ten hand-made rows with ties inside each scorer and across the classes.
Y = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1]
A = [0.9, 0.3, 0.7, 0.7, 0.5, 0.1, 0.4, 0.7, 0.2, 0.8]
B = [0.6, 0.6, 0.9, 0.2, 0.1, 0.3, 0.6, 0.5, 0.4, 0.7]


def test_aucs_and_their_difference_are_sklearns():
    got = delong_test(Y, A, B)
    assert got["auc_a"] == pytest.approx(roc_auc_score(Y, A))
    assert got["auc_b"] == pytest.approx(roc_auc_score(Y, B))
    assert got["diff"] == pytest.approx(roc_auc_score(Y, A) - roc_auc_score(Y, B))


def test_the_covariance_is_the_brute_force_structural_components_one():
    _, cov = delong_covariance(Y, A, B)
    assert cov == pytest.approx(_brute_force_covariance(Y, A, B), abs=1e-12)


def test_se_z_and_p_follow_from_the_covariance():
    cov = _brute_force_covariance(Y, A, B)
    se = math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    got = delong_test(Y, A, B)
    diff = roc_auc_score(Y, A) - roc_auc_score(Y, B)
    assert got["se"] == pytest.approx(se)
    assert got["z"] == pytest.approx(diff / se)
    # two-sided normal p-value, from the error function
    assert got["p_two_sided"] == pytest.approx(math.erfc(abs(diff / se) / math.sqrt(2)))


def test_larger_random_data_match_brute_force_too():
    rng = np.random.default_rng(3)
    y = (rng.random(60) < 0.4).astype(int)
    a = np.round(y + rng.normal(0, 1, 60), 1)  # rounded: many ties
    b = np.round(a + rng.normal(0, 0.7, 60), 1)  # correlated with a, as paired scorers are
    _, cov = delong_covariance(y, a, b)
    assert cov == pytest.approx(_brute_force_covariance(y, a, b), abs=1e-12)


def _pairwise_auc(y: np.ndarray, s: np.ndarray) -> float:
    """AUC as the share of (positive, negative) pairs ranked right, ties one half."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


def test_the_se_agrees_with_a_stratified_paired_bootstrap():
    rng = np.random.default_rng(11)
    y = np.r_[np.ones(150, int), np.zeros(250, int)]
    signal = y * 0.8 + rng.normal(0, 1, 400)
    a = signal + rng.normal(0, 0.5, 400)
    b = signal + rng.normal(0, 0.9, 400)
    got = delong_test(y, a, b)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    diffs = []
    for _ in range(1000):  # resample positives and negatives apart, rows paired across a, b
        rows = np.r_[rng.choice(pos, pos.size), rng.choice(neg, neg.size)]
        diffs.append(_pairwise_auc(y[rows], a[rows]) - _pairwise_auc(y[rows], b[rows]))
    assert got["se"] == pytest.approx(np.std(diffs, ddof=1), rel=0.08)
    assert got["diff"] == pytest.approx(np.mean(diffs), abs=0.01)


def test_identical_scorers_give_no_difference_and_p_one():
    got = delong_test(Y, A, A)
    assert got["diff"] == 0 and got["se"] == 0 and got["p_two_sided"] == 1.0


def test_a_missing_class_or_other_lengths_are_refused():
    with pytest.raises(ValueError, match="two rows or more per class"):
        delong_test([1, 1, 1, 0], [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="3, 4 rows, the labels 4"):
        delong_test([1, 0, 1, 0], [0.1, 0.2, 0.3], [0.4, 0.3, 0.2, 0.1])


def test_over_seeds_counts_signs_and_tests_them():
    on = [0.81, 0.83, 0.80, 0.85, 0.84]
    off = [0.80, 0.81, 0.805, 0.84, 0.835]
    gains = [0.01, 0.02, -0.005, 0.01, 0.005]
    got = over_seeds(on, off)
    assert got["seeds"] == 5 and got["positive"] == 4
    assert got["mean"] == pytest.approx(0.008)
    assert got["min"] == pytest.approx(-0.005) and got["max"] == pytest.approx(0.02)
    # sign test: P(X >= 4) for X ~ Binomial(5, 1/2) = (5 + 1) / 32
    assert got["sign_test_p"] == pytest.approx(6 / 32)
    # paired t: mean / (sd / sqrt(n)) with n - 1 degrees of freedom, one-sided
    mean = sum(gains) / 5
    sd = math.sqrt(sum((g - mean) ** 2 for g in gains) / 4)
    t = mean / (sd / math.sqrt(5))
    assert got["t_test_p"] == pytest.approx(stats.t.sf(t, 4))


def test_over_seeds_without_variance_or_with_zero_gains():
    got = over_seeds([0.5, 0.6], [0.5, 0.6])
    assert got["positive"] == 0 and got["sign_test_p"] == 1.0 and got["t_test_p"] is None
    one = over_seeds([0.6], [0.5])
    assert one["positive"] == 1 and one["t_test_p"] is None
