"""The with/without-filtering summary: means, spread, paired gains, when to claim."""

import pytest

from benchmarks.bot_scoring import summarise


def _run(on: tuple[float, float, float], off: tuple[float, float, float]) -> dict:
    names = ("rules_auc", "model_auc", "mql_precision")
    return {
        "with_filter": dict(zip(names, on, strict=True)),
        "without_filter": dict(zip(names, off, strict=True)),
    }


def test_a_gain_is_claimed_only_above_the_seed_to_seed_spread():
    runs = [
        _run((0.80, 0.870, 0.070), (0.79, 0.868, 0.060)),
        _run((0.81, 0.874, 0.071), (0.80, 0.871, 0.061)),
    ]
    got = summarise(runs)
    rules = got["rules_auc"]
    assert rules["with_filter_mean"] == pytest.approx(0.805)
    assert rules["without_filter_mean"] == pytest.approx(0.795)
    # spread: the larger of max - min with (0.01) and without (0.01)
    assert rules["spread"] == pytest.approx(0.01)
    assert rules["gain_mean"] == pytest.approx(0.01)
    assert not rules["claimed"]  # 0.01 does not exceed 0.01
    model = got["model_auc"]
    assert model["gain_min"] == pytest.approx(0.002) and model["gain_max"] == pytest.approx(0.003)
    assert model["gain_positive_on_every_seed"] and not model["claimed"]  # spread 0.004
    mql = got["mql_precision"]
    assert mql["spread"] == pytest.approx(0.001) and mql["claimed"]  # gain 0.01 > 0.001


def test_one_seed_never_claims():
    got = summarise([_run((0.9, 0.9, 0.2), (0.5, 0.5, 0.1))])
    assert got["rules_auc"]["spread"] == 0 and not got["rules_auc"]["claimed"]
