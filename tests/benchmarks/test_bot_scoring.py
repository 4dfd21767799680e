"""The with/without-filtering summary: paired gains over seeds, DeLong per seed, the claim."""

import numpy as np
import pytest

from benchmarks.bot_scoring import paired_aucs, summarise


def _run(on: tuple[float, float, float], off: tuple[float, float, float]) -> dict:
    names = ("rules_auc", "model_auc", "mql_precision")
    return {
        "with_filter": dict(zip(names, on, strict=True)),
        "without_filter": dict(zip(names, off, strict=True)),
    }


def test_a_small_but_steady_paired_gain_is_claimed_whatever_the_spread():
    # model AUC: +0.002 to +0.0029 on each of 10 seeds, while the level moves by 0.09
    gains = [0.002 + 0.0001 * i for i in range(10)]
    runs = [
        _run((0.80, 0.80 + 0.01 * i + g, 0.07), (0.80, 0.80 + 0.01 * i, 0.07))
        for i, g in enumerate(gains)
    ]
    model = summarise(runs)["model_auc"]
    assert model["spread"] == pytest.approx(0.09 + 0.0029 - 0.002)  # with: 0.802 to 0.8929
    assert model["gain_mean"] == pytest.approx(sum(gains) / 10)
    assert model["positive"] == 10 and model["seeds"] == 10
    assert model["sign_test_p"] == pytest.approx(1 / 1024)  # 10 of 10 heads
    assert model["t_test_p"] < 1e-6 and model["claimed"]
    rules = summarise(runs)["rules_auc"]  # no change at all
    assert rules["positive"] == 0 and rules["t_test_p"] is None and not rules["claimed"]


def test_eight_of_ten_positive_seeds_are_not_enough():
    gains = [0.01] * 8 + [-0.001, -0.001]  # t-test alone would pass
    runs = [_run((0.8, 0.8 + g, 0.07), (0.8, 0.8, 0.07)) for g in gains]
    model = summarise(runs)["model_auc"]
    assert model["positive"] == 8 and model["t_test_p"] < 0.01
    assert not model["claimed"]


def test_nine_of_ten_positive_but_a_noisy_mean_is_not_claimed():
    gains = [0.001] * 9 + [-0.05]
    runs = [_run((0.8, 0.8, 0.07 + g), (0.8, 0.8, 0.07)) for g in gains]
    mql = summarise(runs)["mql_precision"]
    assert mql["positive"] == 9 and mql["gain_mean"] < 0 and not mql["claimed"]


def test_one_seed_never_claims():
    got = summarise([_run((0.9, 0.9, 0.2), (0.5, 0.5, 0.1))])
    assert got["rules_auc"]["spread"] == 0 and not got["rules_auc"]["claimed"]


def test_delong_p_values_are_listed_per_seed():
    run = _run((0.81, 0.82, 0.07), (0.8, 0.8, 0.07))
    run["delong"] = {
        "rules_auc": {"p_two_sided": 0.5},
        "model_auc": {"p_two_sided": 0.01},
    }
    got = summarise([run, run])
    assert got["rules_auc"]["delong_p"] == [0.5, 0.5]
    assert got["model_auc"]["delong_p"] == [0.01, 0.01]
    assert "delong_p" not in got["mql_precision"]


def _rows(y, rules, model, ids=None):
    return {
        "contact_id": np.array(ids or [f"c{i}" for i in range(len(y))]),
        "snapshot": np.array(["2026-01-01"] * len(y)),
        "y": np.array(y),
        "rules": np.array(rules, float),
        "model": np.array(model, float),
    }


def test_paired_aucs_compare_each_scorer_with_and_without():
    y = [1, 0, 1, 0, 1, 0]
    on = _rows(y, [3, 1, 2, 0, 5, 4], [0.9, 0.1, 0.8, 0.2, 0.7, 0.3])
    off = _rows(y, [3, 1, 2, 0, 5, 4], [0.9, 0.1, 0.2, 0.8, 0.7, 0.3])
    got = paired_aucs(on, off)
    assert got["rules_auc"]["diff"] == 0 and got["rules_auc"]["p_two_sided"] == 1.0
    assert got["model_auc"]["auc_a"] == pytest.approx(1.0)
    assert got["model_auc"]["auc_b"] == pytest.approx(6 / 9)


def test_paired_aucs_refuse_other_rows():
    y = [1, 0, 1, 0]
    on = _rows(y, [1, 0, 1, 0], [1, 0, 1, 0])
    off = _rows(y, [1, 0, 1, 0], [1, 0, 1, 0], ids=["c0", "c1", "c2", "c9"])
    with pytest.raises(ValueError, match="differ in contact_id"):
        paired_aucs(on, off)
