"""Final score: weighted and stacked blends, tiers."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.metrics import log_loss, roc_auc_score

from serving.blend import BlendConfig, StackedBlend, assign_tier, final_score, manual_0_100


def test_weighted_blend_by_hand() -> None:
    config = BlendConfig(method="weighted", model_weight=0.6, manual_min=0, manual_max=80)
    # p=0.5 -> 50; manual 40 of 0..80 -> 50  => 0.6*50 + 0.4*50 = 50
    # p=0.1 -> 10; manual 100 clipped -> 100 => 6 + 40 = 46
    # p=0.0 -> 0;  manual -20 clipped -> 0  => 0
    got = final_score(np.array([0.5, 0.1, 0.0]), np.array([40, 100, -20]), config)
    np.testing.assert_allclose(got, [50.0, 46.0, 0.0])


def test_manual_normalisation_treats_missing_as_zero() -> None:
    config = BlendConfig(manual_min=-50, manual_max=150)
    np.testing.assert_allclose(
        manual_0_100(np.array([-50, 50, np.nan, 150]), config), [0, 50, 25, 100]
    )


def test_tiers_use_cut_offs_best_first() -> None:
    config = BlendConfig(tiers={"A": 70, "B": 40, "C": 10}, bottom_tier="D")
    tiers = assign_tier(np.array([70.0, 69.9, 40.0, 10.0, 9.99, 100.0]), config)
    assert list(tiers) == ["A", "B", "B", "C", "D", "A"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"manual_min": 10, "manual_max": 10}, "manual_max"),
        ({"tiers": {"A": 10, "B": 40}}, "strictly decreasing"),
        ({"model_weight": 1.5}, "model_weight"),
        ({"method": "average"}, "method"),
    ],
)
def test_bad_config_is_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BlendConfig(**kwargs)


def _two_signal_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.5 + a + b)))).astype(int)
    p_model = 1 / (1 + np.exp(-(-1.5 + a)))  # the model sees only a
    manual = 50 + 20 * b  # the rules see only b
    return p_model, manual, y


def test_stacked_blend_beats_each_input_and_is_calibrated() -> None:
    p, manual, y = _two_signal_data(20_000, seed=1)
    p_test, manual_test, y_test = _two_signal_data(20_000, seed=2)
    config = BlendConfig(method="stacked")
    blend = StackedBlend(config).fit(p, manual, y)
    final = final_score(p_test, manual_test, config, blend) / 100
    auc_final = roc_auc_score(y_test, final)
    assert auc_final > roc_auc_score(y_test, p_test) + 0.03
    assert auc_final > roc_auc_score(y_test, manual_test) + 0.03
    # a calibrated probability: its mean matches the base rate and it beats the model's log loss
    assert abs(final.mean() - y_test.mean()) < 0.01
    assert log_loss(y_test, final) < log_loss(y_test, p_test)


def test_stacked_blend_needs_fit_and_both_classes() -> None:
    config = BlendConfig(method="stacked")
    with pytest.raises(ValueError, match="no fitted StackedBlend"):
        final_score(np.array([0.2]), np.array([10.0]), config)
    with pytest.raises(ValueError, match="not fitted"):
        StackedBlend(config).predict_proba(np.array([0.2]), np.array([10.0]))
    with pytest.raises(ValueError, match="both classes"):
        StackedBlend(config).fit(np.array([0.2, 0.3]), np.array([1.0, 2.0]), np.array([1, 1]))
    with pytest.raises(ValueError, match="probability"):
        StackedBlend(config).fit(np.array([0.2, 1.3]), np.array([1.0, 2.0]), np.array([0, 1]))
