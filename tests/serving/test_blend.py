"""Final score: the manual score calibrated, mixed with the model in log-odds; tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from models.calibration import PROBA_EPS, RecencyChoice, calibrated_probability, fit_calibrator
from models.metrics import ece
from serving.blend import (
    DEFAULT_CAPACITY_SHARE,
    BlendConfig,
    assign_tier,
    fit_blend,
    mix,
    tier_cutoffs,
)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _two_signals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model sees signal a, the rules see signal b; the outcome needs both."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < _sigmoid(-2.0 + a + b)).astype(int)
    # the model is calibrated given a alone: P(y | a) = E_b sigmoid(-2 + a + b)
    grid, draws = np.linspace(-5, 5, 401), np.random.default_rng(99).normal(size=4_000)
    p_model = np.interp(a, grid, [_sigmoid(-2.0 + g + draws).mean() for g in grid])
    manual = np.round(50 + 20 * b)  # integer points, like a rulebook
    return p_model, manual, y


def test_mix_by_hand() -> None:
    # logit(0.2) = ln(1/4), logit(0.5) = 0: half of each -> ln(1/2) -> p = 1/3
    np.testing.assert_allclose(mix(np.array([0.2]), np.array([0.5]), 0.5), [1 / 3])
    # all the evidence from the manual side gives the manual probability
    np.testing.assert_allclose(mix(np.array([0.2]), np.array([0.7]), 1.0), [0.7])
    # scale (a, b) = (ln 2, 2): z = 2 * ln(1/2) + ln 2 = ln(1/2) -> p = 1/3
    np.testing.assert_allclose(
        mix(np.array([0.2]), np.array([0.5]), 0.5, (np.log(2), 2.0)), [1 / 3]
    )


def test_manual_weight_zero_gives_the_model_probability_exactly() -> None:
    p, manual, y = _two_signals(2_000, seed=3)
    blend = fit_blend(p, manual, y, BlendConfig(manual_weight=0.0))
    assert blend.weight == 0.0
    out = blend.probability(p, manual)
    assert np.array_equal(out, p)  # bit for bit, not merely close
    assert np.array_equal(blend.final_score(p, manual), 100 * p)


def test_a_useless_manual_score_gets_a_weight_near_zero() -> None:
    p, _, _ = _two_signals(20_000, seed=4)
    y = (np.random.default_rng(4).random(len(p)) < p).astype(int)  # p is all there is
    noise = np.random.default_rng(5).integers(0, 100, size=len(y)).astype(float)
    blend = fit_blend(p, noise, y, BlendConfig())
    assert blend.fitted_weight <= 0.03
    assert roc_auc_score(y, blend.probability(p, noise)) == pytest.approx(
        roc_auc_score(y, p), abs=0.002
    )


def test_a_manual_score_with_one_value_gets_weight_zero_even_beside_a_weak_model() -> None:
    # Maven: the empty rulebook gives every lead 0 points and the model is at chance and
    # over-confident on the validation slice, so the plain mix at weight 1 (the base rate
    # for everyone) has the lowest log loss and the fit chose 100 %: a weight that makes
    # every final score the same. One value ranks nobody: it carries no evidence.
    rng = np.random.default_rng(6)
    y = (rng.random(2_000) < 0.3).astype(int)
    p = np.clip(rng.beta(0.5, 0.5, size=2_000), 0.01, 0.99)  # noise, far from 0.3
    constant = np.zeros(len(y))
    plain = {w: log_loss(y, mix(p, np.full(len(y), y.mean()), w)) for w in (0.0, 1.0)}
    assert plain[1.0] < plain[0.0]  # the trap: by log loss alone, weight 1 would win
    blend = fit_blend(p, constant, y, BlendConfig())
    assert blend.fitted_weight == 0.0 and blend.weight == 0.0
    final = blend.final_score(p, constant)
    assert np.unique(final).size > 100  # the model still ranks the leads
    assert roc_auc_score(y, final) == pytest.approx(roc_auc_score(y, p))


def test_fitted_blend_beats_each_input_and_stays_calibrated() -> None:
    p, manual, y = _two_signals(20_000, seed=1)
    p_test, manual_test, y_test = _two_signals(20_000, seed=2)
    blend = fit_blend(p, manual, y, BlendConfig())
    assert 0.2 < blend.fitted_weight < 0.8
    final = blend.probability(p_test, manual_test)
    auc = roc_auc_score(y_test, final)
    assert auc > roc_auc_score(y_test, p_test) + 0.03
    assert auc > roc_auc_score(y_test, manual_test) + 0.03
    assert ece(y_test, final) < 0.02
    assert abs(final.mean() - y_test.mean()) < 0.01


def test_final_score_is_monotone_in_each_input() -> None:
    p, manual, y = _two_signals(5_000, seed=6)
    blend = fit_blend(p, manual, y, BlendConfig(manual_weight=0.4))
    probs = np.linspace(0.001, 0.999, 41)
    points = np.linspace(manual.min() - 10, manual.max() + 10, 41)
    grid_p, grid_m = np.meshgrid(probs, points, indexing="ij")
    final = blend.final_score(grid_p.ravel(), grid_m.ravel()).reshape(grid_p.shape)
    assert (np.diff(final, axis=0) >= 0).all()  # more model probability never lowers it
    assert (np.diff(final, axis=1) >= 0).all()  # more manual points never lower it
    assert (np.diff(final, axis=0) > 0).all()  # and the model side is strictly monotone


def test_valid_curve_is_sklearns_log_loss_of_the_plain_mix_at_each_weight() -> None:
    p, manual, y = _two_signals(2_000, seed=12)
    blend = fit_blend(p, manual, y, BlendConfig())
    p_manual = blend.manual_probability(manual)
    curve = blend.valid_curve
    assert curve["weight"].tolist() == BlendConfig().weight_grid().tolist()
    expected = [log_loss(y, mix(p, p_manual, w), labels=[0, 1]) for w in curve["weight"]]
    np.testing.assert_allclose(curve["log_loss"], expected, rtol=1e-12)
    assert blend.fitted_weight == curve["weight"][int(np.argmin(expected))]


def test_valid_curve_caps_a_confidently_wrong_row_at_the_calibrators_epsilon() -> None:
    """A raw probability of 0 for a converter and 1 for a non-converter: at weight 0 the
    curve is the model's log loss with each of those rows costing -log(1e-4) = 9.2103,
    the one clip of models.calibration.per_row_log_loss (the curve once clipped at 1e-6:
    13.8155 a row)."""
    assert PROBA_EPS == 1e-4
    p = np.array([0.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    manual = np.array([10.0, 0.0, 10.0, 0.0, 10.0, 0.0, 10.0, 0.0])
    blend = fit_blend(p, manual, y, BlendConfig(manual_weight=0.0))
    at_zero = blend.valid_curve.set_index("weight")["log_loss"][0.0]
    assert at_zero == pytest.approx((2 * 9.210340 + 6 * 0.693147) / 8, abs=1e-6)


def test_pinned_weight_is_used_and_the_fitted_one_kept() -> None:
    p, manual, y = _two_signals(5_000, seed=7)
    free = fit_blend(p, manual, y, BlendConfig())
    pinned = fit_blend(p, manual, y, BlendConfig(manual_weight=0.9))
    assert pinned.weight == 0.9 and pinned.fitted_weight == free.fitted_weight
    bounded = fit_blend(p, manual, y, BlendConfig(weight_bounds=(0.0, 0.1)))
    assert bounded.fitted_weight == pytest.approx(0.1)  # the free optimum lies above 0.1
    assert free.fitted_weight > 0.1


def test_manual_calibration_picks_the_lower_log_loss() -> None:
    p, manual, y = _two_signals(5_000, seed=8)
    blend = fit_blend(p, manual, y, BlendConfig())
    losses = blend.calibration_log_loss
    assert set(losses) == {"platt", "isotonic"}
    assert blend.manual_method == min(losses, key=losses.__getitem__)
    platt = fit_blend(p, manual, y, BlendConfig(manual_calibration="platt"))
    assert platt.manual_method == "platt"


def test_capacity_cut_offs_give_the_capacity_asked_for() -> None:
    final = np.arange(1000, dtype=float)[::-1] / 10  # 1000 distinct scores, 99.9 .. 0.0
    config = BlendConfig(capacity={"A": 50, "B": 150, "C": 300})
    cuts = tier_cutoffs(final, config, leads_per_period=1000)
    tiers = assign_tier(final, cuts, "D")
    assert [(tiers == t).sum() for t in "ABCD"] == [50, 150, 300, 500]
    assert cuts == {"A": 95.0, "B": 80.0, "C": 50.0}
    # the validation slice holds half the pool: half the capacity falls in it
    half = assign_tier(final, tier_cutoffs(final, config, leads_per_period=2000), "D")
    assert [(half == t).sum() for t in "ABCD"] == [25, 75, 150, 750]


def test_capacity_beyond_the_pool_leaves_lower_tiers_empty() -> None:
    final = np.array([90.0, 80.0, 70.0, 60.0])
    cuts = tier_cutoffs(final, BlendConfig(capacity={"A": 2, "B": 5}), leads_per_period=4)
    tiers = assign_tier(final, cuts, "C")
    assert list(tiers) == ["A", "A", "B", "B"]


def test_tied_scores_stay_together_on_the_side_nearer_the_capacity() -> None:
    final = np.array([5.0, 4, 4, 4, 4, 4, 4, 3])
    # A wants 2: the block of six 4s in gives 7 leads, out gives 1: out is nearer
    cuts = tier_cutoffs(final, BlendConfig(capacity={"A": 2, "B": 5}), leads_per_period=8)
    tiers = assign_tier(final, cuts, "C")
    assert list(tiers) == ["A", "B", "B", "B", "B", "B", "B", "C"]  # B wants 7: block in
    # the block holds the best scores: it goes in, never an empty tier
    top = np.array([9.0, 9, 9, 9, 1, 0])
    tiers = assign_tier(top, tier_cutoffs(top, BlendConfig(capacity={"A": 1}), 6), "D")
    assert list(tiers) == ["A", "A", "A", "A", "D", "D"]


def test_capacity_shares_give_the_counts_asked_for() -> None:
    final = np.arange(1000, dtype=float)[::-1] / 10  # 1000 distinct scores, 99.9 .. 0.0
    config = BlendConfig(capacity_share={"A": 0.05, "B": 0.15, "C": 0.3})
    cuts = tier_cutoffs(final, config, leads_per_period=123.0)  # a share: the flow is moot
    tiers = assign_tier(final, cuts, "D")
    assert [(tiers == t).sum() for t in "ABCD"] == [50, 150, 300, 500]
    # 5 % of 287 leads per week is 14.35 -> 14; 15 % 43.05 -> 43; 30 % 86.1 -> 86
    assert config.capacity_in_leads(287.0) == {"A": 14, "B": 43, "C": 86}
    assert config.capacity_in_leads(3.0) == {"A": 1, "B": 1, "C": 1}  # at least one lead
    # leads per period as given win: 100 of a flow of 400 leads is a quarter
    assert BlendConfig(capacity={"A": 100}).shares_of_flow(400.0) == {"A": 0.25}


def test_the_leads_sales_can_work_are_the_best_sales_tiers_tiers() -> None:
    # A 5 % + B 15 %: sales works the best two tiers by default
    assert BlendConfig().sales_share(287.0) == pytest.approx(0.05 + 0.15)
    assert BlendConfig(sales_tiers=1).sales_share(287.0) == pytest.approx(0.05)
    assert BlendConfig(sales_tiers=3).sales_share(287.0) == pytest.approx(0.5)
    # more tiers asked than given: every tier above the bottom one
    assert BlendConfig(capacity_share={"A": 0.1}).sales_share(1.0) == pytest.approx(0.1)
    # leads per period: A 100 + B 300 of a flow of 1,000 leads
    assert BlendConfig(capacity={"A": 100, "B": 300, "C": 50}).sales_share(1000.0) == 0.4
    # more than the whole flow: all of it
    assert BlendConfig(capacity={"A": 100, "B": 300}).sales_share(200.0) == 1.0
    # tiers from probabilities hold no capacity: the default tiers' A + B stand in
    assert BlendConfig(min_probability={"A": 0.3, "B": 0.1}).sales_share(1.0) == 0.2
    with pytest.raises(ValidationError, match="sales_tiers"):
        BlendConfig(sales_tiers=0)


def test_a_blend_pickled_before_sales_tiers_existed_gets_its_default() -> None:
    import pickle

    old = BlendConfig(capacity_share={"A": 0.1, "B": 0.2})
    del old.__dict__["sales_tiers"]  # as a scorer registered before the setting unpickles
    restored = pickle.loads(pickle.dumps(old))
    assert restored.sales_tiers == 2
    assert restored.sales_share(10.0) == pytest.approx(0.3)


def test_no_tiers_given_means_the_default_shares_of_the_flow() -> None:
    assert BlendConfig().capacity_share == DEFAULT_CAPACITY_SHARE
    assert BlendConfig().capacity is None
    assert BlendConfig(capacity={"A": 500}).capacity_share is None  # a capacity wins
    assert BlendConfig(min_probability={"A": 0.2}).capacity_share is None
    assert BlendConfig().tier_names == [*DEFAULT_CAPACITY_SHARE, "D"]


@pytest.mark.parametrize("n", [200, 20_000])
def test_default_tier_a_holds_its_share_on_small_and_large_populations(n: int) -> None:
    p, manual, y = _two_signals(n, seed=n)
    blend = fit_blend(p, manual, y, BlendConfig(), leads_per_period=n / 10)
    # the validation slice: A holds its 5 % (ties in the final score may add a few)
    fitted = (blend.tier(blend.final_score(p, manual)) == "A").mean()
    assert fitted == pytest.approx(DEFAULT_CAPACITY_SHARE["A"], abs=0.006)
    assert blend.capacity["A"] == round(DEFAULT_CAPACITY_SHARE["A"] * n / 10)
    # a later period of the same population: within the 2-20 % of the leads
    p2, manual2, _ = _two_signals(n, seed=n + 1)
    share = (blend.tier(blend.final_score(p2, manual2)) == "A").mean()
    assert 0.02 <= share <= 0.20


def test_tiers_from_min_probability() -> None:
    config = BlendConfig(capacity=None, min_probability={"A": 0.3, "B": 0.1}, bottom_tier="C")
    cuts = tier_cutoffs(np.array([1.0]), config, leads_per_period=1)
    assert cuts == {"A": 30.0, "B": 10.0}
    assert list(assign_tier(np.array([30.0, 29.9, 10.0, 9.0]), cuts, "C")) == list("ABBC")
    assert config.tier_names == ["A", "B", "C"]


def test_fitted_tiers_hold_the_capacity_on_the_validation_slice() -> None:
    p, manual, y = _two_signals(4_000, seed=9)
    config = BlendConfig(capacity={"A": 100, "B": 300})
    blend = fit_blend(p, manual, y, config, leads_per_period=4_000)
    tiers = blend.tier(blend.final_score(p, manual))
    counts = {t: int((tiers == t).sum()) for t in "ABD"}
    # ties in the final score can only add leads at the cut-off, never remove them
    assert 100 <= counts["A"] <= 110 and 400 <= counts["A"] + counts["B"] <= 410
    assert blend.capacity_note() is None  # every tier near its capacity


def test_a_score_of_few_values_cannot_hold_the_capacity_and_says_so() -> None:
    # the model tells three groups apart (37, 16 and 47 leads); weight 0: final = 100 * p
    p = np.repeat([0.4, 0.3, 0.2], [37, 16, 47])
    y = (np.arange(100) % 3 == 0).astype(int)
    manual = np.arange(100) % 7
    blend = fit_blend(p, manual, y, BlendConfig(manual_weight=0.0), leads_per_period=100.0)
    tiers = blend.tier(blend.final_score(p, manual))
    # A asks 5: the tied block of 37 best goes in whole; B (20 in all) gets nobody; C (50
    # in all) takes the block of 16 (53 is nearer 50 than 37 is); D the rest
    assert [(tiers == t).sum() for t in "ABCD"] == [37, 0, 16, 47]
    assert blend.valid_shares == {"A": 0.37, "B": 0.0, "C": 0.16, "D": 0.47}
    assert blend.capacity_note() == (
        "tier A holds 37.0% of the validation leads, not the 5.0% its capacity asks; "
        "tier B holds 0.0% of the validation leads, not the 15.0% its capacity asks; "
        "tier C holds 16.0% of the validation leads, not the 30.0% its capacity asks "
        "(3 distinct final scores: tied leads share a tier)"
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"manual_weight": 1.5}, "manual_weight"),
        ({"weight_bounds": (0.6, 0.2)}, "weight_bounds"),
        ({"manual_weight": 0.5, "weight_bounds": (0.0, 0.3)}, "outside weight_bounds"),
        ({"capacity": {"A": 5}, "min_probability": {"A": 0.3}}, "not capacity and min_prob"),
        ({"capacity": {"A": 5}, "capacity_share": {"A": 0.1}}, "one way"),
        ({"capacity_share": {"A": 0.0}}, r"in \(0, 1\]"),
        ({"capacity_share": {"A": 0.6, "B": 0.5}}, "at most 1"),
        ({"capacity": None, "min_probability": {"A": 0.1, "B": 0.3}}, "strictly decreasing"),
        ({"capacity": {"A": 0}}, ">= 1"),
        ({"capacity": {"A": 5, "D": 9}}, "repeats a tier"),
        ({"manual_calibration": "spline"}, "manual_calibration"),
        ({"method": "weighted"}, "method"),
    ],
)
def test_bad_config_is_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BlendConfig(**kwargs)


def test_fit_needs_both_classes_and_valid_probabilities() -> None:
    config = BlendConfig()
    with pytest.raises(ValueError, match="both classes"):
        fit_blend(np.array([0.2, 0.3]), np.array([1.0, 2.0]), np.array([1, 1]), config)
    with pytest.raises(ValueError, match="probability"):
        fit_blend(np.array([0.2, 1.3]), np.array([1.0, 2.0]), np.array([0, 1]), config)
    with pytest.raises(ValueError, match="same leads"):
        fit_blend(np.array([0.2, 0.3]), np.array([1.0]), np.array([0, 1]), config)


def _shifted(n_days: int, per_day: int, seed: int):
    """Two signals over ``n_days``; from the middle day on, the odds of converting fall by
    e (a prior shift), which neither the model nor the rules see."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(n_days), per_day)
    a, b = rng.normal(size=day.size), rng.normal(size=day.size)
    y = (rng.random(day.size) < _sigmoid(-1.5 + a + b - (day >= n_days // 2))).astype(int)
    p_model = _sigmoid(-1.5 + a)  # calibrated for the earlier days, without b
    manual = np.round(50 + 20 * b)
    time = pd.Series(pd.Timestamp("2018-01-01", tz="UTC") + pd.to_timedelta(day, unit="D"))
    return p_model, manual, y, time


def test_blend_follows_the_models_recency_with_its_half_life() -> None:
    """The manual calibration and the rescaling are the weighted fits, by hand."""
    p, manual, y, time = _shifted(60, 50, seed=11)
    choice = RecencyChoice("auto", 14)
    blend = fit_blend(p, manual, y, BlendConfig(manual_calibration="platt"), time=time,
                      recency=choice)  # fmt: skip
    age = (time.max() - time).dt.days.to_numpy()
    weight = 0.5 ** (age / 14)
    manual_fit, _, _ = fit_calibrator(manual, y, "platt", 0, sample_weight=weight)
    p_manual = calibrated_probability(manual_fit, manual)
    np.testing.assert_allclose(blend.manual_probability(manual), p_manual, rtol=1e-9)
    z = (1 - blend.weight) * np.log(p / (1 - p)) + blend.weight * np.log(p_manual / (1 - p_manual))
    direct = LogisticRegression(C=1e6, max_iter=1000).fit(z[:, None], y, sample_weight=weight)
    assert blend.scale == pytest.approx((direct.intercept_[0], direct.coef_[0, 0]), rel=1e-4)
    assert blend.recency == choice and blend.describe()["blend_calibration_recency"] == (
        "half-life 14 days"
    )
    # the final score of the latest days moves toward their (lower) rate
    equal = fit_blend(p, manual, y, BlendConfig(manual_calibration="platt"), time=time)
    late = age < 14
    rate = y[late].mean()
    weighted_mean = blend.probability(p[late], manual[late]).mean()
    equal_mean = equal.probability(p[late], manual[late]).mean()
    assert abs(weighted_mean - rate) < abs(equal_mean - rate)
    assert equal.recency is None and equal.describe()["blend_calibration_recency"] == (
        "equal weights"
    )
    # the manual weight minimises the equally weighted log loss of the plain mix
    grid = BlendConfig().weight_grid()
    losses = [log_loss(y, np.clip(mix(p, p_manual, w), PROBA_EPS, 1 - PROBA_EPS)) for w in grid]
    assert blend.fitted_weight == grid[int(np.argmin(losses))]
