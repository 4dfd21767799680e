"""Report sections on rules and population: rule evidence, suggested points, PSI, segments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from serving.report import psi, psi_level, psi_value, rule_evidence, segment_table, suggest_points
from serving.report.settings import ReportSettings

REPORT = ReportSettings()
LEVELS = {"watch": REPORT.psi_watch, "warning": REPORT.psi_warning, "age_column": None}
FIT = {"c": REPORT.l1_c, "folds": REPORT.cv_folds, "seed": REPORT.seed}  # the report's

Y8 = np.array([1, 1, 1, 0, 0, 0, 0, 0])
HITS8 = pd.DataFrame(
    {
        "contact_id": [f"c{i}" for i in range(8)],
        "r_half": [0, 0, 1, 1, 1, 1, 0, 0],
        "r_all": [1] * 8,
        "r_conv": [1, 1, 0, 0, 0, 0, 0, 0],
        "r_none": [0] * 8,
    }
).astype({c: bool for c in ("r_half", "r_all", "r_conv", "r_none")})


def test_rule_evidence_by_hand() -> None:
    table = rule_evidence(HITS8, Y8)
    # Highest lift first; the rule matching only converters leads, the unused rule is last.
    assert table["rule"].tolist() == ["r_conv", "r_all", "r_half", "r_none"]
    rows = table.set_index("rule")
    assert rows.loc["r_conv", "n_matched"] == 2 and rows.loc["r_conv", "rate_matched"] == 1.0
    assert rows.loc["r_conv", "rate_not_matched"] == pytest.approx(1 / 6)
    assert rows.loc["r_conv", "lift"] == pytest.approx(1 / (3 / 8))
    assert rows.loc["r_all", "lift"] == pytest.approx(1.0)
    assert np.isnan(rows.loc["r_all", "rate_not_matched"])
    assert (
        rows.loc["r_half", "rate_matched"] == 0.25 and rows.loc["r_half", "rate_not_matched"] == 0.5
    )
    assert rows.loc["r_half", "lift"] == pytest.approx(0.25 / 0.375)
    assert rows.loc["r_none", "n_matched"] == 0 and np.isnan(rows.loc["r_none", "lift"])


def _planted(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 3 == 0).astype(int)
    hits = pd.DataFrame(
        {
            "converter_only": (y == 1) & (rng.random(n) < 0.6),
            "noise": rng.random(n) < 0.5,
            "non_converter": (y == 0) & (rng.random(n) < 0.5),
        }
    )
    return hits, y


def test_converter_only_rule_gets_the_largest_suggested_points() -> None:
    hits, y = _planted()
    current = {"converter_only": 5, "noise": 40, "non_converter": 10}
    result = suggest_points(hits, y, current, (-20, 50), **FIT)
    table = result.table.set_index("rule")
    assert table["suggested_points"].idxmax() == "converter_only"
    assert table.loc["converter_only", "suggested_points"] == 50  # the range's maximum
    assert table.loc["non_converter", "suggested_points"] < 0
    assert table["suggested_points"].between(-20, 50).all()
    assert (table["suggested_points"] == table["suggested_points"].round()).all()
    assert table.loc["noise", "change"] == table.loc["noise", "suggested_points"] - 40
    # The current points reward noise most; points fitted on other folds rank better.
    assert result.auc_suggested > result.auc_current
    assert result.n_folds == 5


def test_suggested_points_with_positive_only_range_clip_negatives_to_zero() -> None:
    hits, y = _planted(seed=1)
    result = suggest_points(hits, y, dict.fromkeys(hits.columns, 10), (0, 30), **FIT)
    table = result.table.set_index("rule")
    assert table.loc["converter_only", "suggested_points"] == 30
    assert table.loc["non_converter", "suggested_points"] == 0


def test_suggest_points_errors() -> None:
    hits, y = _planted()
    with pytest.raises(ValueError, match=r"no current points for rule\(s\) \['noise'\]"):
        suggest_points(hits, y, {"converter_only": 1, "non_converter": 1}, (0, 10), **FIT)
    y_one = np.zeros(len(y), dtype=int)
    y_one[0] = 1
    with pytest.raises(ValueError, match="at least two converted"):
        suggest_points(hits, y_one, dict.fromkeys(hits.columns, 1), (0, 10), **FIT)


def test_psi_by_hand_numeric_and_categorical() -> None:
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    reference = pd.DataFrame({"x": [1.0, 2, 3, 4], "c": ["a", "a", "b", "b"], "same": [1, 2, 3, 4]})
    # x: the reference median 2.5 splits 2 | 2; current has 1 below and 3 above it.
    current = pd.DataFrame({"x": [1.0, 3, 4, 5], "c": ["a", "b", "b", "b"], "same": [4, 3, 2, 1]})
    table = psi(reference, current, 2, **LEVELS).set_index("column")
    assert table.loc["x", "psi"] == pytest.approx(expected)
    assert table.loc["c", "psi"] == pytest.approx(expected)
    assert table.loc["x", "kind"] == "numeric" and table.loc["c", "kind"] == "categorical"
    assert table.loc["x", "level"] == "warning"
    assert table.loc["same", "psi"] == 0.0 and table.loc["same", "level"] == "ok"


def test_psi_missing_values_get_their_own_bin_and_empty_bins_are_floored() -> None:
    reference = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan]})
    current = pd.DataFrame({"x": [1.0, 1.0, 3.0, 3.0]})
    # Median of 1, 2, 3 is 2: bins [<2], [>=2], missing -> reference 1/4, 2/4, 1/4.
    r, c = np.array([0.25, 0.5, 0.25]), np.array([0.5, 0.5, 1e-4])
    expected = float(((c - r) * np.log(c / r)).sum())
    table = psi(reference, current, 2, **LEVELS)
    assert table.loc[0, "psi"] == pytest.approx(expected)
    assert table.loc[0, "missing_reference"] == 0.25 and table.loc[0, "missing_current"] == 0.0


def test_planted_drift_is_flagged_and_unchanged_feature_is_not() -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"shifted": rng.normal(0, 1, 2000), "stable": rng.normal(0, 1, 2000)})
    current = pd.DataFrame({"shifted": rng.normal(1, 1, 2000), "stable": rng.normal(0, 1, 2000)})
    table = psi(reference, current, REPORT.psi_bins, **LEVELS).set_index("column")
    assert table.loc["shifted", "level"] == "warning"
    assert table.loc["stable", "level"] == "ok"
    assert table.index[0] == "shifted"  # largest drift first


@pytest.mark.parametrize(
    ("value", "level"),
    [(0.0, "ok"), (0.0999, "ok"), (0.1, "watch"), (0.2499, "watch"), (0.25, "warning")],
)
def test_psi_levels(value: float, level: str) -> None:
    assert psi_level(value, REPORT.psi_watch, REPORT.psi_warning) == level


def test_psi_value_floor_keeps_it_finite() -> None:
    assert math.isfinite(psi_value(np.array([1.0, 0.0]), np.array([0.0, 1.0])))


def test_psi_errors() -> None:
    with pytest.raises(ValueError, match=r"column\(s\) \['b'\]"):
        psi(pd.DataFrame({"b": [1]}), pd.DataFrame({"a": [1]}), 10, **LEVELS)
    with pytest.raises(ValueError, match="both need rows"):
        psi(pd.DataFrame({"a": []}), pd.DataFrame({"a": [1]}), 10, **LEVELS)


def test_segment_table_by_hand() -> None:
    segments = pd.DataFrame(
        {"lead_source": ["web"] * 4 + ["event"] * 3, "region": ["EU"] * 6 + [None]}
    )
    y = np.array([1, 0, 1, 0, 1, 0, 0])
    manual = np.array([4, 3, 2, 1, 1, 2, 3], dtype=float)
    model = np.array([4, 3, 2, 1, 3, 2, 1], dtype=float)
    table = segment_table(
        segments, y, {"manual": manual, "model": model}, ["lead_source", "region", "size"]
    )
    rows = table.set_index(["segment", "level"])
    # web: positives score 4, 2 and negatives 3, 1 -> 3 of 4 pairs ordered right.
    assert rows.loc[("lead_source", "web"), "roc_auc_manual"] == pytest.approx(0.75)
    assert rows.loc[("lead_source", "event"), "roc_auc_manual"] == 0.0
    assert rows.loc[("lead_source", "event"), "roc_auc_model"] == 1.0
    assert (
        rows.loc[("lead_source", "web"), "n"] == 4
        and rows.loc[("lead_source", "web"), "converted"] == 2
    )
    assert rows.loc[("region", "(missing)"), "n"] == 1
    assert np.isnan(rows.loc[("region", "(missing)"), "roc_auc_model"])  # a single class
    assert set(table["segment"]) == {"lead_source", "region"}  # absent "size" skipped
    assert table["segment"].tolist()[:2] == ["lead_source", "lead_source"]


def test_segment_table_without_segment_columns_is_empty() -> None:
    table = segment_table(
        pd.DataFrame({"x": [1, 2]}), [0, 1], {"m": np.array([1.0, 2.0])}, ["region"]
    )
    assert table.empty
