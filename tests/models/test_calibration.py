"""Calibration of a margin: scikit-learn's calibrators against direct fits of the same maths."""

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models.calibration import (
    PROBA_EPS,
    calibrated_probability,
    cross_fitted_log_loss,
    fit_calibrator,
)


def _margins(n: int, seed: int, shape: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    margin = rng.normal(0, 2, n)
    # "logistic": the margin is the true log-odds; "step": a jump no sigmoid can follow
    p = 1 / (1 + np.exp(-margin)) if shape == "logistic" else np.where(margin > 1, 0.9, 0.05)
    return margin, (rng.random(n) < p).astype(int)


def test_isotonic_is_isotonic_regression_of_the_label_on_the_margin():
    margin, y = _margins(2000, 0, "step")
    fitted, method, scores = fit_calibrator(margin, y, "isotonic", seed=0)
    direct = IsotonicRegression(y_min=PROBA_EPS, y_max=1 - PROBA_EPS, out_of_bounds="clip")
    expected = direct.fit(margin, y).predict(margin)
    assert method == "isotonic" and scores == {}
    np.testing.assert_allclose(calibrated_probability(fitted, margin), expected, atol=1e-12)


def test_platt_is_a_logistic_regression_on_the_margin():
    margin, y = _margins(2000, 1, "logistic")
    fitted, _, _ = fit_calibrator(margin, y, "platt", seed=0)
    direct = LogisticRegression(C=1e6).fit(margin.reshape(-1, 1), y)
    expected = direct.predict_proba(margin.reshape(-1, 1))[:, 1]
    # scikit-learn's sigmoid fits Platt's smoothed targets (N+ + 1) / (N+ + 2): close, not equal
    np.testing.assert_allclose(calibrated_probability(fitted, margin), expected, atol=5e-3)


@pytest.mark.parametrize(("shape", "winner"), [("step", "isotonic"), ("logistic", "platt")])
def test_auto_picks_the_lower_held_out_log_loss(shape, winner):
    margin, y = _margins(3000, 2, shape)
    _, method, scores = fit_calibrator(margin, y, "auto", seed=3)
    assert scores == {
        m: pytest.approx(cross_fitted_log_loss(m, margin, y, 3)) for m in ("platt", "isotonic")
    }
    assert method == winner == min(scores, key=scores.__getitem__)


def test_probabilities_stay_off_zero_and_one():
    margin = np.array([-5.0, -4.0, -3.0, 3.0, 4.0, 5.0] * 3)
    y = np.array([0, 0, 0, 1, 1, 1] * 3)
    fitted, _, _ = fit_calibrator(margin, y, "isotonic", seed=0)
    p = calibrated_probability(fitted, np.array([-100.0, 100.0]))
    np.testing.assert_allclose(p, [PROBA_EPS, 1 - PROBA_EPS])
