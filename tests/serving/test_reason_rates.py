"""Reasons for people: each factor as a conversion rate, hand-computed; the CRM line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from serving.explain import top_factors
from serving.reason_rates import fit_reason_rates, rate_text, reason_line
from serving.reasons import reasons_json


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    # 10 leads, 3 converted (base rate 0.3)
    X = pd.DataFrame(
        {
            "pricing_views_30d": [0, 0, 0, 0, 0, 1, 1, 6, 6, np.nan],
            "lead_source": pd.Categorical(
                ["web", "web", "web", "event", "event", "event", "web", "event", None, "web"]
            ),
        }
    )
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 0])
    return X, y


def test_lifts_by_hand_without_shrinkage() -> None:
    X, y = _frame()
    rates = fit_reason_rates(X, y, prior=0.0)
    assert rates.base_rate == pytest.approx(0.3)
    views = rates.features["pricing_views_30d"]
    # three distinct values (0, 1, 6): one band each; missing apart
    assert views.edges == (0.0, 1.0)
    # 0: 0 of 5 -> 0x; 1: 1 of 2 -> 0.5 / 0.3; 6: 2 of 2 -> 1 / 0.3; missing: 0 of 1
    np.testing.assert_allclose(views.lifts, [0.0, 0.5 / 0.3, 1 / 0.3])
    assert views.missing_lift == 0.0
    got = rates.lift("pricing_views_30d", np.array([6, 0, 1, np.nan, 9]))
    np.testing.assert_allclose(got, [1 / 0.3, 0, 0.5 / 0.3, 0, 1 / 0.3])  # 9: top band
    # lead_source: web 1 of 5 -> 0.2 / 0.3; event 1 of 4 -> 0.25 / 0.3; missing 1 of 1
    source = rates.lift("lead_source", np.array(["web", "event", None, "partner"], dtype=object))
    np.testing.assert_allclose(source, [0.2 / 0.3, 0.25 / 0.3, 1 / 0.3, 1.0])  # unseen: 1x


def test_shrinkage_pulls_small_bands_to_the_average() -> None:
    X, y = _frame()
    rates = fit_reason_rates(X, y, prior=10.0)
    # value 6: (2 + 10 * 0.3) / (2 + 10) = 5 / 12 -> lift (5 / 12) / 0.3
    assert rates.lift("pricing_views_30d", np.array([6]))[0] == pytest.approx(5 / 12 / 0.3)


def test_quantile_bands_for_many_values() -> None:
    x = np.arange(100, dtype=float)
    y = (x >= 90).astype(int)  # the top tenth converts
    rates = fit_reason_rates(pd.DataFrame({"score": x}), y, prior=0.0)
    edges = rates.features["score"].edges
    assert edges == (49.0, 74.0, 89.0, 96.0)  # the 50/75/90/97 % quantiles ("lower")
    # (89, 96]: 7 of 7 convert -> 1 / 0.1 = 10x; (96, 99]: 3 of 3 -> 10x; <= 89: 0x
    np.testing.assert_allclose(rates.features["score"].lifts, [0, 0, 0, 10, 10])


def test_rate_text() -> None:
    assert rate_text(3.14) == "converts 3.1x the average"
    assert rate_text(0.456) == "converts 0.46x the average"
    assert rate_text(1.0) == "converts 1.00x the average"
    # near the average two decimals: a rate below it never reads "1.0x"
    assert rate_text(0.97) == "converts 0.97x the average"
    assert rate_text(1.03) == "converts 1.03x the average"
    assert rate_text(1.05) == "converts 1.1x the average"


def test_reason_texts_carry_the_rate_and_the_lift() -> None:
    X, y = _frame()
    rates = fit_reason_rates(X, y, prior=0.0)
    idx = np.array([[0, 1]])  # lead 7: 6 pricing views (up), event source (down)
    val = np.array([[0.8, -0.2]])
    cell = reasons_json(X.iloc[[7]], idx, val, None, rates).iloc[0]
    items = json.loads(cell)
    assert items[0]["text"].endswith(": converts 3.3x the average")
    assert items[0]["lift"] == pytest.approx(round(1 / 0.3, 2))
    assert items[1]["text"].endswith(": converts 0.83x the average")
    assert [i["contribution"] for i in items] == [0.8, -0.2]


def test_reason_line_keeps_whole_factors_within_200_characters() -> None:
    items = [
        {"feature": f"f{i}", "text": f"factor {i} " + "x" * 50, "contribution": c}
        for i, c in enumerate([0.9, 0.5, 0.3, -0.2, -0.4])
    ]
    line = reason_line(json.dumps(items))
    assert len(line) <= 200
    # three of 61 characters fit: the two strongest up, then the strongest down
    assert [part[:10] for part in line.split("; ")] == ["+ factor 0", "+ factor 1", "- factor 3"]
    short = [dict(item, text=f"f{i}") for i, item in enumerate(items)]
    assert reason_line(json.dumps(short)) == "+ f0; + f1; + f2; - f3; - f4"
    long = [dict(items[0], text="y" * 300)]
    assert len(reason_line(json.dumps(long))) == 200 and reason_line(json.dumps(long))[-1] == "…"
    assert reason_line("[]") == ""


def test_reason_line_shows_the_rate_compactly() -> None:
    X, y = _frame()
    rates = fit_reason_rates(X, y, prior=0.0)
    cell = reasons_json(X.iloc[[7]], np.array([[0, 1]]), np.array([[0.8, -0.2]]), None, rates)
    line = reason_line(cell.iloc[0])
    # the full texts end in ": converts 3.3x the average"; the CRM line says (3.3x avg)
    assert line == (
        "+ visited the pricing page 6 times in the last 30 days (3.3x avg); "
        "- lead source is event (0.83x avg)"
    )


def test_fit_errors() -> None:
    X, _ = _frame()
    with pytest.raises(ValueError, match="no lead"):
        fit_reason_rates(X, np.zeros(10))
    with pytest.raises(ValueError, match="rows"):
        fit_reason_rates(X, np.zeros(3))


def test_a_factor_is_shown_only_on_the_side_its_rate_says() -> None:
    # one lead, four features (+ the expected value): SHAP and lift disagree on 1 and 3
    contributions = np.array([[0.5, -0.4, -0.2, 0.1, -2.0]])
    lift = np.array([[2.0, 1.3, 0.5, 0.8]])
    i_pos, v_pos, i_neg, v_neg = top_factors(contributions, 2)
    assert i_pos.tolist() == [[0, 3]] and i_neg.tolist() == [[1, 2]]  # SHAP alone
    i_pos, v_pos, i_neg, v_neg = top_factors(contributions, 2, lift)
    # feature 1 lowers the score but converts 1.3x: never "down"; feature 3 is 0.8x: not "up"
    assert i_pos.tolist() == [[0, -1]] and v_pos.tolist() == [[0.5, 0.0]]
    assert i_neg.tolist() == [[2, -1]] and v_neg.tolist() == [[-0.2, 0.0]]
    with pytest.raises(ValueError, match="lift has shape"):
        top_factors(contributions, 2, lift[:, :3])


def test_lift_matrix_is_the_lift_of_every_value() -> None:
    X, y = _frame()
    rates = fit_reason_rates(X, y, prior=0.0)
    matrix = rates.lift_matrix(X)
    assert matrix.shape == (10, 2)
    for j, name in enumerate(X.columns):
        expected = rates.lift(name, X[name].to_numpy(dtype=object))
        np.testing.assert_allclose(matrix[:, j], expected)
    # by hand: lead 8 has 6 views (1 / 0.3) and no source (missing: 1 of 1 -> 1 / 0.3)
    np.testing.assert_allclose(matrix[8], [1 / 0.3, 1 / 0.3])


def test_a_category_blank_on_every_training_row_gives_its_missing_lift() -> None:
    # Olist's contacts have no seniority, department, ...: the column holds no level
    X, y = _frame()
    X["seniority"] = pd.Categorical([None] * len(X), categories=["vp", "manager"])
    rates = fit_reason_rates(X, y, prior=0.0)
    assert rates.features["seniority"].levels == ()
    # every training lead is missing: the missing band is the average (3 of 10 -> 1x)
    got = rates.lift("seniority", np.array([None, "vp"], dtype=object))
    np.testing.assert_allclose(got, [1.0, 1.0])
    scored = pd.DataFrame({"seniority": pd.Categorical([None, "vp"], categories=["vp"])})
    np.testing.assert_allclose(rates.lift_matrix(scored), [[1.0], [1.0]])
