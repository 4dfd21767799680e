"""Report sections counted by hand: bands, stages, capacity, disagreement, backtest."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from serving.report import (
    OffDiagonal,
    band_table,
    capacity_analysis,
    disagreement_matrix,
    off_diagonal_leads,
    stage_table,
    summarise_backtest,
    threshold_volumes,
)
from serving.report.settings import ReportSettings


def test_band_table_by_hand() -> None:
    score = [0, 5, 12, 19, 20, 35, 100]
    y = [0, 0, 1, 0, 1, 1, 1]
    table = band_table(score, y, width=10).set_index("band")
    assert list(table.index) == [f"{lo} to {lo + 10}" for lo in range(0, 100, 10)]
    assert table.loc["0 to 10", "n"] == 2 and table.loc["0 to 10", "converted"] == 0
    assert table.loc["10 to 20", "n"] == 2 and table.loc["10 to 20", "conversion_rate"] == 0.5
    assert table.loc["20 to 30", "n"] == 1 and table.loc["30 to 40", "conversion_rate"] == 1.0
    # 100 is the maximum: it joins the last band instead of opening a 100-110 band.
    assert table.loc["90 to 100", "n"] == 1
    assert table.loc["50 to 60", "n"] == 0
    assert np.isnan(table.loc["50 to 60", "conversion_rate"])
    assert table.loc["0 to 10", "share"] == pytest.approx(2 / 7)
    assert table["n"].sum() == 7


def test_band_table_negative_scores_and_errors() -> None:
    table = band_table([-5, 3], [1, 0], width=10)
    assert table["band"].tolist() == ["-10 to 0", "0 to 10"] and table["n"].tolist() == [1, 1]
    # the user report's "-60--50": a hyphen between two negative edges
    table = band_table([-55.0, -41.0, -40.0], [0, 0, 1], width=10)
    assert table["band"].tolist() == ["-60 to -50", "-50 to -40"]
    assert table["n"].tolist() == [1, 2] and table["converted"].tolist() == [0, 1]
    assert band_table([0.0, 2.5e6], [0, 1], width=1e6)["band"].tolist() == [
        "0 to 1,000,000",
        "1,000,000 to 2,000,000",
        "2,000,000 to 3,000,000",
    ]
    with pytest.raises(ValueError, match="missing values"):
        band_table([1.0, np.nan], [0, 1], width=10)
    with pytest.raises(ValueError, match="width must be positive"):
        band_table([1.0], [0], width=0)


def test_stage_table_keeps_order_and_empty_stages() -> None:
    table = stage_table(["sql", "lead", "lead", "customer"], [1, 0, 1, 1])
    assert table["level"].tolist() == ["subscriber", "lead", "mql", "sql", "customer"]
    assert table["n"].tolist() == [0, 2, 0, 1, 1]
    assert table["converted"].tolist() == [0, 1, 0, 1, 1]
    assert table.loc[1, "conversion_rate"] == 0.5 and np.isnan(table.loc[0, "conversion_rate"])


MANUAL = np.array([90, 80, 70, 60, 50, 40, 30, 20, 10, 0], dtype=float)
MODEL = np.array([0.1, 0.2, 0.9, 0.8, 0.3, 0.7, 0.4, 0.5, 0.6, 0.05])
Y = np.array([1, 0, 0, 1, 0, 1, 0, 0, 1, 0])


def test_capacity_top3_by_hand() -> None:
    result = capacity_analysis({"manual": MANUAL, "model": MODEL}, Y, 3)
    summary = result.summary.set_index("method")
    # Manual top 3 = leads 0, 1, 2 (1 converted); model top 3 = leads 2, 3, 5 (2 converted).
    assert summary.loc["manual", "converted"] == 1
    assert summary.loc["model", "converted"] == 2
    assert summary.loc["manual", "threshold"] == 70 and summary.loc["model", "threshold"] == 0.7
    assert summary.loc["model", "share_of_conversions"] == pytest.approx(2 / 4)
    assert summary.loc["manual", "conversion_rate"] == pytest.approx(1 / 3)
    pair = result.overlap.iloc[0]
    assert (pair["both"], pair["both_converted"]) == (1, 0)  # lead 2
    assert (pair["only_a"], pair["only_a_converted"]) == (2, 1)  # leads 0, 1
    assert (pair["only_b"], pair["only_b_converted"]) == (2, 2)  # leads 3, 5


def test_capacity_ties_and_k_larger_than_period() -> None:
    result = capacity_analysis({"manual": np.array([5.0, 5, 5, 1])}, [0, 1, 1, 0], 2)
    row = result.summary.iloc[0]
    # Three leads tie at 5 (2 of them converted) for the 2 places: each place counts the
    # group's rate 2/3, so 4/3 conversions whatever the row order; three reach the cut-off.
    assert row["converted"] == pytest.approx(4 / 3)
    assert row["threshold"] == 5 and row["volume_at_threshold"] == 3
    swapped = capacity_analysis({"manual": np.array([5.0, 5, 5, 1])}, [1, 1, 0, 0], 2)
    assert swapped.summary.loc[0, "converted"] == pytest.approx(4 / 3)  # row order ignored
    assert capacity_analysis({"m": MANUAL}, Y, 50).summary.loc[0, "k"] == 10
    with pytest.raises(ValueError, match="k must be at least 1"):
        capacity_analysis({"m": MANUAL}, Y, 0)


def test_threshold_volumes_by_hand() -> None:
    table = threshold_volumes(MANUAL, Y, {"MQL": 50, "SQL": 85}).set_index("name")
    assert table.loc["MQL", "n"] == 5 and table.loc["MQL", "converted"] == 2  # leads 0 and 3
    assert table.loc["SQL", "n"] == 1 and table.loc["SQL", "conversion_rate"] == 1.0


def test_disagreement_matrix_by_hand() -> None:
    manual = ["mql", "mql", "lead", "sql", "lead", "subscriber"]
    tier = ["D", "A", "A", "A", "C", "D"]
    y = [0, 1, 1, 1, 0, 0]
    table = disagreement_matrix(manual, tier, y)
    assert len(table) == 4 * 3  # every stage x tier present, empty cells kept
    assert table["manual"].unique().tolist() == ["subscriber", "lead", "mql", "sql"]
    cells = table.set_index(["manual", "tier"])
    assert cells.loc[("mql", "D"), "n"] == 1 and cells.loc[("mql", "D"), "converted"] == 0
    assert cells.loc[("lead", "A"), "conversion_rate"] == 1.0
    assert cells.loc[("sql", "D"), "n"] == 0 and np.isnan(
        cells.loc[("sql", "D"), "conversion_rate"]
    )
    assert cells["n"].sum() == 6


def _scored(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": [f"c{i}" for i in range(n)],
            "y": [i % 2 for i in range(n)],
            "manual_score": np.full(n, 60.0),
            "manual_stage": ["mql"] * n,
            "probability": np.linspace(0.3, 0.01, n),
            "final_score": np.full(n, 10.0),
            "tier": ["D"] * n,
            "top_reasons": [
                json.dumps(
                    [{"feature": "f", "text": "Mail from ann@example.com", "contribution": 1}]
                )
            ]
            * n,
            "top_rules": ["not json"] * n,
        }
    )


def _off_diagonal(scored: pd.DataFrame, cap: int = ReportSettings().max_listed) -> OffDiagonal:
    """The off-diagonal leads with the report's hot stages and tiers."""
    hot = ReportSettings()
    return off_diagonal_leads(scored, hot.hot_stages, hot.hot_tiers, cap)


def test_off_diagonal_lists_are_capped_sorted_and_hide_emails() -> None:
    scored = _scored(5)
    off = _off_diagonal(scored, cap=2)
    counts = off.counts.set_index("group")
    assert counts.loc["hot_rules_cold_model", "n"] == 5
    assert counts.loc["hot_rules_cold_model", "converted"] == 2
    assert counts.loc["cold_rules_hot_model", "n"] == 0
    listed = off.hot_rules_cold_model
    assert listed["contact_id"].tolist() == ["c4", "c3"]  # coldest model probability first
    assert "ann@example.com" not in listed["top_reasons"].iloc[0]
    assert "(e-mail hidden)" in listed["top_reasons"].iloc[0]
    assert listed["top_rules"].tolist() == ["(unreadable)", "(unreadable)"]
    assert off.cold_rules_hot_model.empty


def test_off_diagonal_reverse_group_and_rule_text() -> None:
    scored = _scored(3).assign(
        manual_stage=["lead", "subscriber", "mql"],
        tier=["A", "B", "A"],
        top_rules=[json.dumps([{"rule": "demo_request", "points": 20}])] * 3,
    )
    off = _off_diagonal(scored)
    assert off.cold_rules_hot_model["contact_id"].tolist() == ["c0", "c1"]  # hottest first
    assert off.cold_rules_hot_model["top_rules"].iloc[0] == "demo_request (+20)"
    assert off.hot_rules_cold_model.empty


def test_off_diagonal_rule_points_are_rounded_not_exponents() -> None:
    rules = [{"rule": "email_open", "points": 5.13438e-06}, {"rule": "pricing", "points": -12.25}]
    scored = _scored(2).assign(top_rules=json.dumps(rules))
    listed = _off_diagonal(scored).hot_rules_cold_model
    # as the CRM sink writes them (features.reasons.rule_points_text): 2 decimals
    assert listed["top_rules"].tolist() == ["email_open (+0.00); pricing (-12.25)"] * 2


def test_backtest_summary_by_hand() -> None:
    current = pd.Series(["mql", "lead", "sql", "subscriber", "mql"])
    edited = pd.Series(["mql", "mql", "lead", "subscriber", "sql"])
    y = pd.Series([1, 1, 0, 0, 1])
    table = summarise_backtest({"current": current, "edited": edited}, y).set_index("rulebook")
    now, new = table.loc["current"], table.loc["edited"]
    assert (now["reached_mql"], now["reached_mql_converted"]) == (3, 2)  # leads 0, 2, 4
    assert now["reached_mql_rate"] == pytest.approx(2 / 3)
    assert now["reached_mql_recall"] == pytest.approx(2 / 3)
    assert (now["reached_sql"], now["reached_sql_converted"]) == (1, 0)
    assert (now["gained_mql"], now["lost_mql"]) == (0, 0)
    assert (new["reached_mql"], new["reached_mql_converted"]) == (3, 3)  # leads 0, 1, 4
    assert (new["reached_sql"], new["reached_sql_converted"]) == (1, 1)
    assert (new["gained_mql"], new["gained_mql_converted"]) == (1, 1)  # lead 1
    assert (new["lost_mql"], new["lost_mql_converted"]) == (1, 0)  # lead 2


def test_backtest_aligns_by_contact_id() -> None:
    y = pd.Series([1, 0], index=["a", "b"])
    stages = pd.Series(["lead", "sql"], index=["b", "a"])
    table = summarise_backtest({"current": stages}, y)
    assert table.loc[0, "reached_sql_converted"] == 1  # "a" is SQL and converted


@pytest.mark.parametrize(
    ("stages", "y", "match"),
    [
        ({"x": pd.Series(["mql", "customer"])}, pd.Series([0, 1]), "'x': unknown stage"),
        ({"x": pd.Series(["mql"])}, pd.Series([0, 1]), "'x': 1 stages but 2 outcomes"),
        ({"x": pd.Series(["mql", "lead"])}, pd.Series([0, 2]), "must be 0/1"),
        ({}, pd.Series([0, 1]), "at least one rulebook"),
    ],
)
def test_backtest_errors(stages: dict, y: pd.Series, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        summarise_backtest(stages, y)
