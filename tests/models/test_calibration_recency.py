"""Recency-weighted calibration: weights by hand, and forward validation on planted data."""

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from models.calibration import (
    RECENCY_HALF_LIVES,
    calibrated_probability,
    choose_recency,
    fit_calibrator,
    fit_recency_calibrator,
    per_row_log_loss,
    recency_weights,
    recency_weights_of,
    row_ages_days,
)

DAY0 = pd.Timestamp("2018-01-01", tz="UTC")


def _rows(days: int, per_day: int, rate: Callable[[int], float], seed: int):
    """Margins, labels and times: day d's rows convert at ``sigmoid(margin + rate(d))``."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(days), per_day)
    margin = rng.normal(-2.0, 1.0, day.size)
    shift = np.array([rate(d) for d in day])
    y = (rng.random(day.size) < 1 / (1 + np.exp(-(margin + shift)))).astype(int)
    return margin, y, pd.Series(DAY0 + pd.to_timedelta(day, unit="D"))


def test_weights_are_one_half_per_half_life():
    ages = np.array([0.0, 14.0, 28.0, 56.0, 7.0])
    # 0.5 ** (age / 14), written out
    expected = [1.0, 0.5, 0.25, 0.0625, 0.7071067811865476]
    np.testing.assert_allclose(recency_weights(ages, 14), expected, rtol=1e-12)
    np.testing.assert_array_equal(recency_weights(ages, None), np.ones(5))
    with pytest.raises(ValueError, match="half_life_days must be > 0"):
        recency_weights(ages, 0)


def test_ages_are_days_before_the_latest_row():
    times = pd.Series(
        pd.to_datetime(["2018-01-01T00:00", "2018-01-29T00:00", "2018-01-15T12:00"], utc=True)
    )
    np.testing.assert_allclose(row_ages_days(times), [28.0, 0.0, 13.5])
    weights = recency_weights_of(times, choose_recency([0, 1, 2], [0, 1, 0], times, "platt", 28))
    np.testing.assert_allclose(weights, [0.5, 1.0, 0.5 ** (13.5 / 28)])


@pytest.mark.parametrize(
    "times",
    [
        None,
        pd.Series([DAY0] * 6),  # one snapshot
        pd.Series([DAY0, pd.NaT, DAY0, DAY0, DAY0, DAY0]),  # a missing time
    ],
)
def test_rows_without_distinct_times_keep_equal_weights(times):
    choice = choose_recency(np.arange(6.0), np.array([0, 1] * 3), times, "platt", "auto")
    assert choice.half_life_days is None and choice.forward_log_loss == {}
    assert row_ages_days(times) is None


def test_none_and_a_fixed_half_life_are_taken_as_set():
    margin, y, times = _rows(60, 20, lambda d: 0.0, seed=0)
    assert choose_recency(margin, y, times, "platt", "none").half_life_days is None
    fixed = choose_recency(margin, y, times, "platt", 21)
    assert fixed.half_life_days == 21 and fixed.forward_log_loss == {}


def _late_calibrated_mean(margin, y, times, recency):
    fitted, _, _, choice = fit_recency_calibrator(
        margin, y, "platt", 0, time=times, recency=recency
    )
    latest = row_ages_days(times) < 14
    return float(calibrated_probability(fitted, margin[latest]).mean()), choice


def test_a_planted_prior_shift_chooses_a_half_life_and_follows_the_recent_rate():
    # the conversion odds fall by exp(-1.5) from day 60 of 120: the latter half converts less
    margin, y, times = _rows(120, 40, lambda d: 0.0 if d < 60 else -1.5, seed=1)
    mean_auto, choice = _late_calibrated_mean(margin, y, times, "auto")
    mean_none, _ = _late_calibrated_mean(margin, y, times, "none")
    assert choice.half_life_days in RECENCY_HALF_LIVES
    assert set(choice.forward_log_loss) == {"none"} | {f"hl{h}" for h in RECENCY_HALF_LIVES}
    key = f"hl{choice.half_life_days}"
    gain = choice.forward_log_loss["none"] - choice.forward_log_loss[key]
    assert gain > choice.gain_se[key] > 0
    recent_rate = y[row_ages_days(times) < 14].mean()
    assert abs(mean_auto - recent_rate) < abs(mean_none - recent_rate)
    assert mean_auto < mean_none  # toward the lower recent rate


def test_a_stationary_rate_keeps_equal_weights():
    margin, y, times = _rows(120, 40, lambda d: 0.0, seed=2)
    fitted, _, _, choice = fit_recency_calibrator(margin, y, "platt", 0, time=times, recency="auto")
    assert choice.half_life_days is None
    assert set(choice.forward_log_loss) == {"none"} | {f"hl{h}" for h in RECENCY_HALF_LIVES}
    assert "no half-life beat equal weights" in choice.reason
    plain, _, _ = fit_calibrator(margin, y, "platt", 0)
    np.testing.assert_array_equal(
        calibrated_probability(fitted, margin), calibrated_probability(plain, margin)
    )


def test_forward_log_loss_is_the_candidates_fit_on_the_earlier_two_thirds():
    """An independent re-computation of one candidate's forward log loss."""
    margin, y, times = _rows(90, 30, lambda d: 0.0 if d < 45 else -1.0, seed=3)
    choice = choose_recency(margin, y, times, "platt", "auto")
    day = ((times - DAY0).dt.days).to_numpy()
    early, late = day < 60, day >= 60  # the latest third: days 60-89
    weight = 0.5 ** ((59 - day[early]) / 28)
    fitted, _, _ = fit_calibrator(margin[early], y[early], "platt", 0, sample_weight=weight)
    loss = per_row_log_loss(y[late], calibrated_probability(fitted, margin[late]))
    assert choice.forward_log_loss["hl28"] == pytest.approx(float(loss.mean()), rel=1e-12)


def test_weighted_fit_matches_a_fit_on_repeated_rows():
    """Weight 2 is the row counted twice (isotonic: exactly)."""
    margin = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    weight = np.array([1.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    weighted, _, _ = fit_calibrator(margin, y, "isotonic", 0, sample_weight=weight)
    repeat = np.repeat(np.arange(8), weight.astype(int))
    counted, _, _ = fit_calibrator(margin[repeat], y[repeat], "isotonic", 0)
    np.testing.assert_allclose(
        calibrated_probability(weighted, margin), calibrated_probability(counted, margin)
    )
