"""report.json against the HTML report's numbers; the blend-weight curve and the tier table."""

from __future__ import annotations

import html
import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_example import example_inputs
from report_pages import assert_summary_matches_page, html_cells
from sklearn.metrics import average_precision_score, roc_auc_score

from serving.blend import BlendConfig, fit_blend, mix
from serving.report import build_report, write_report, write_report_json
from serving.report.summary import json_path_beside, report_summary
from serving.report.tables import count_text
from serving.report.weights import capacity_of, tier_sizing, tier_table, weight_curve


@pytest.fixture(scope="module")
def built():
    inputs = example_inputs(n_leads=400, seed=1)
    return inputs, build_report(inputs)


@pytest.fixture(scope="module")
def written(built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """report.html and the report.json beside it, written once for the module's tests."""
    _, report = built
    page_path = write_report(report, tmp_path_factory.mktemp("report") / "report.html")
    return page_path, write_report_json(report, json_path_beside(page_path))


def test_report_json_matches_the_html(built, written: tuple[Path, Path]) -> None:
    _, report = built
    page_path, json_path = written
    assert json_path == page_path.parent / "report.json"
    data = json.loads(json_path.read_text())
    page = page_path.read_text()
    assert_summary_matches_page(data, page, report.n_leads)
    rows = html_cells(page)
    # drift warnings: the planted pricing_views_7d shift is listed, as in the drift table
    assert data["drift_warnings"] == ["pricing_views_7d"]
    assert any(r[:1] == ["pricing_views_7d"] and "warning" in r for r in rows)
    assert data["weights"] == {
        "fitted": report.blend.fitted_weight,
        "used": report.blend.used_weight,
    }


def _top_k_conversions(y: np.ndarray, score: np.ndarray, k: int) -> float:
    """Conversions among the top k, independently: every lead above the k-th score, plus
    the free places times the conversion rate of the leads tied at it."""
    cut = np.sort(score)[::-1][k - 1]
    above, tied = score > cut, score == cut
    return float(y[above].sum() + (k - above.sum()) * y[tied].mean())


def test_report_json_figures_from_independent_computations(built) -> None:
    inputs, report = built
    data = report_summary(report)
    usable = inputs.scored.dropna(subset=["probability"])
    usable = usable[(usable["probability"] >= 0) & (usable["probability"] <= 1)]
    y = usable["y"].to_numpy()
    assert data["methods"]["model"]["roc_auc"] == pytest.approx(
        roc_auc_score(y, usable["probability"])
    )
    assert data["methods"]["final"]["pr_auc"] == pytest.approx(
        average_precision_score(y, usable["final_score"])
    )
    k = data["capacity_k"]
    expected = _top_k_conversions(y, usable["manual_score"].to_numpy(), k)
    assert data["methods"]["rules"]["captured_at_capacity"] == pytest.approx(expected, abs=0.005)


def test_weight_curve_ends_are_the_model_and_the_rules_alone() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p_model = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.3, 300), 0.01, 0.99)
    p_manual = np.clip(0.5 + rng.normal(0, 0.2, 300), 0.01, 0.99)
    curve = weight_curve(y, p_model, p_manual, np.array([0.0, 0.5, 1.0]), k=30)
    assert curve.loc[0, "roc_auc"] == pytest.approx(roc_auc_score(y, p_model))
    assert curve.loc[2, "roc_auc"] == pytest.approx(roc_auc_score(y, p_manual))
    half = mix(p_model, p_manual, 0.5)
    assert curve.loc[1, "roc_auc"] == pytest.approx(roc_auc_score(y, half))
    # p_model ties at its clip 0.99: the tied leads share the places left at the cut-off
    assert (p_model == 0.99).sum() > 1
    assert curve.loc[0, "captured"] == pytest.approx(_top_k_conversions(y, p_model, 30))


def test_tier_table_counts_by_hand(built) -> None:
    _, report = built
    view = report.blend
    tiers = np.array(["A", "B", "B", "D", "D", "D"])
    table = tier_table(pd.Series(tiers), np.array([1, 1, 0, 0, 1, 0]), view).set_index("tier")
    assert table.loc["A", ["leads", "converted"]].tolist() == [1, 1]
    assert table.loc["B", ["leads", "converted"]].tolist() == [2, 1]
    assert table.loc["C", "leads"] == 0
    assert table.loc["D", "conversion_rate"] == pytest.approx(1 / 3)
    assert table.loc["D", "sizing"] == "the rest"
    assert table.loc["A", "sizing"] == "20 leads per 7 days"


def test_share_tiers_show_the_share_and_the_leads_it_made() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    p = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.2, 400), 0.01, 0.99)
    blend = fit_blend(p, rng.integers(0, 50, 400), y, BlendConfig(), leads_per_period=287.0)
    # 5 % of 287 = 14.35 -> 14 leads; 15 % -> 43; 30 % -> 86
    assert tier_sizing(blend) == {
        "A": "5% of the leads per 7 days (14 of 287)",
        "B": "15% of the leads per 7 days (43 of 287)",
        "C": "30% of the leads per 7 days (86 of 287)",
    }
    # the same shares of a period: first the leads sales can work (A + B, as training
    # counts them), then the other cumulative tiers (A; A + B + C)
    assert capacity_of(blend, 1_000) == [200, 50, 500]
    assert blend.describe()["blend_tier_capacity"] == "A 14, B 43, C 86 leads per 7 days (of 287)"


def test_capacity_in_leads_and_tiers_from_probabilities_come_from_the_same_definition() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    p = np.clip(0.3 + 0.3 * y + rng.normal(0, 0.2, 400), 0.01, 0.99)
    manual = rng.integers(0, 50, 400)
    tiers = BlendConfig(capacity={"A": 20, "B": 40, "C": 60})
    leads = fit_blend(p, manual, y, tiers, leads_per_period=200.0)
    assert capacity_of(leads, 1_000) == [60, 20, 120]  # A + B first, in leads as given
    by_probability = fit_blend(
        p, manual, y, BlendConfig(min_probability={"A": 0.5}), leads_per_period=200.0
    )
    # no capacity in the tiers: the default tiers' A + B (20 %), no fixed 5/10/20 % cut-offs
    assert capacity_of(by_probability, 1_000) == [200]


def test_blend_section_states_the_price_of_the_weight(built, written) -> None:
    _, report = built
    page = html.unescape(written[0].read_text())  # render_html's page, as written
    assert "Blend weight and tiers" in page
    used, model, rules = (report.blend.at(w) for w in (report.blend.used_weight, 0.0, 1.0))
    diff = used["roc_auc"] - model["roc_auc"]
    assert f"{diff:+.3f} AUC" in page
    gain = used["captured"] - rules["captured"]
    sign = "+" if gain >= 0 else "-"
    assert f"{sign}{count_text(abs(gain))} conversions against the rules" in page


def test_a_conversion_rate_that_moved_is_named_and_an_unchanged_one_is_not(built, caplog) -> None:
    inputs, report = built
    data = report_summary(report)
    usable = inputs.scored.dropna(subset=["probability"])
    usable = usable[(usable["probability"] >= 0) & (usable["probability"] <= 1)]
    # the final blend was fitted on these leads: its average probability is their rate
    final = usable["final_score"].to_numpy() / 100
    assert data["methods"]["final"]["mean_predicted"] == pytest.approx(final.mean())
    assert data["methods"]["rules"]["mean_predicted"] is None
    assert "final" not in data["calibration_warnings"]
    assert not any("conversion rate moved" in s for s in report.headline)

    # the same leads in a quieter period: every other conversion did not happen
    y = inputs.scored["y"].to_numpy().copy()
    y[np.flatnonzero(y == 1)[::2]] = 0
    with caplog.at_level(logging.WARNING, logger="serving.report.build"):
        quieter = build_report(replace(inputs, scored=inputs.scored.assign(y=y)))
    moved = report_summary(quieter)
    assert "final" in moved["calibration_warnings"]
    (sentence,) = [s for s in quieter.headline if "conversion rate moved" in s]
    usable_y = y[usable.index]
    observed = usable_y.mean()
    assert f"predicts {final.mean():.1%}" in sentence and f"but {observed:.1%}" in sentence
    # z by hand: (conversions - expected) / sqrt(sum p (1 - p))
    z = (usable_y.sum() - final.sum()) / np.sqrt((final * (1 - final)).sum())
    assert f"(z = {z:+.1f})" in sentence and z < -3
    # the headline's warnings go to the log too (stderr in the CLI): the planted drift's
    # and this one, nothing else
    logged = [m for r in caplog.records if (m := r.getMessage()).startswith("report: Warning")]
    assert logged == [f"report: {s}" for s in quieter.headline if s.startswith("Warning")]
    assert len(logged) == 2 and "pricing_views_7d" in logged[0] and logged[1].endswith(sentence)
