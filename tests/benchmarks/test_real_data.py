"""benchmarks.real_data: the README table is written from the results, between its markers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from table_rows import canonical_frame

from benchmarks.real_data import (
    END,
    SETS,
    START,
    baseline_probabilities,
    baseline_scores,
    build_parser,
    refused,
    table,
    uncertainty,
    write_readme,
)
from features.crm import CrmTables
from features.plan import PlanError
from pipelines.training_data import flat_slices

RESULT = {
    "data set": "Olist", "mapping": "olist", "framing": "first_touch", "horizon_days": 90,
    "rows": {"train": 4757, "valid": 1596, "test": 1621}, "test_positives": 122,
    "model_auc": 0.69712, "rules_auc": 0.5, "rulebook": "empty", "baseline_auc": 0.68249,
    "final_auc": 0.69712, "final_ece": 0.05071, "tier_a_share": 0.04875,
    "model_auc_ci95": [0.64321, 0.75103], "gain_over_baseline": 0.01463,
    "gain_p_two_sided": 0.4178,
}  # fmt: skip


def test_the_table_shows_each_measured_value() -> None:
    row = table([RESULT]).splitlines()[2]
    assert row == (
        "| Olist (`--mapping olist`) | first_touch | 90 days | 4,757 / 1,596 / 1,621 | 122 | "
        "0.697 (0.643-0.751) | 0.500 (empty) | 0.682 | +0.015 (0.42) | 0.697 | 0.051 | 4.9 % |"
    )


def test_a_refused_data_set_gets_a_row_that_says_so() -> None:
    result = refused("Maven", "maven", PlanError("no usable training plan: ..."))
    assert result["refused"] == "no usable training plan: ..."
    row = table([RESULT, result]).splitlines()[3]
    assert row == (
        "| Maven (`--mapping maven`) | no plan fits: `train` refuses |"
        " - | - | - | - | - | - | - | - | - | - |"
    )
    assert row.count("|") == table([RESULT]).splitlines()[2].count("|")


def test_the_readme_changes_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{START}\nold table\n{END}\n\nafter\n")
    write_readme("new table", readme)
    assert readme.read_text() == f"# title\n\n{START}\nnew table\n{END}\n\nafter\n"
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="markers"):
        write_readme("new table", readme)


def test_the_baseline_ranks_a_column_that_decides_the_label_perfectly() -> None:
    train = pd.DataFrame({"origin": ["a", "b"] * 20, "visits": range(40)})
    y = (train["origin"] == "a").astype(int).to_numpy()
    test = pd.DataFrame({"origin": ["b", "a", "b", "a"], "visits": [1, 2, 3, 4]})
    assert roc_auc_score([0, 1, 0, 1], baseline_probabilities(train, y, test)) == 1.0


def test_uncertainty_is_delongs_interval_and_paired_test() -> None:
    # 3 positives, 3 negatives; the model ranks one pair of 9 wrong, the baseline three
    y = np.array([1, 1, 1, 0, 0, 0])
    model = np.array([0.9, 0.8, 0.3, 0.4, 0.2, 0.1])
    base = np.array([0.9, 0.3, 0.2, 0.8, 0.25, 0.1])
    out = uncertainty(y, model, base)
    # AUC 8/9; DeLong by hand: V10 = (1, 1, 2/3), V01 = (2/3, 1, 1) (shares of the other
    # class outranked), var = s2(V10)/3 + s2(V01)/3 with s2 = sample variance = 1/27 each
    auc, se = 8 / 9, np.sqrt(2 * (1 / 27) / 3)
    assert out["model_auc_ci95"] == pytest.approx([auc - 1.959964 * se, 1.0])
    assert out["gain_over_baseline"] == pytest.approx(8 / 9 - 6 / 9)
    assert 0 < out["gain_p_two_sided"] < 1 and out["gain_se"] > 0


def test_the_baseline_uses_only_the_columns_the_leakage_guard_allows_the_model() -> None:
    rng = np.random.default_rng(0)
    n = 400
    y = rng.integers(0, 2, n)
    signal = y + rng.normal(0, 1.5, n)  # an honest, noisy column
    day = pd.Timestamp("2020-01-01", tz="UTC")
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": f"c{i}", "created_at": day, "visits": float(signal[i]),
             "sales_note": "closed" if y[i] else "lost"}  # written after the outcome: a leak
            for i in range(n)
        ],
    )  # fmt: skip
    outcomes = canonical_frame(
        "outcomes",
        [{"contact_id": f"c{i}", "converted_at": day, "outcome": "won"} for i in np.flatnonzero(y)],
    )
    tables = CrmTables(
        contacts, canonical_frame("accounts", []), canonical_frame("activities", []), outcomes
    )
    slices = flat_slices(tables, rulebook=None)
    assert "sales_note" in slices.leakage.excluded
    # the same rows, fitted on train + valid, with the leak and without it
    rows = {p: getattr(slices, p).contact_id.astype(str).str[1:].astype(int) for p in
            ("train", "valid", "test")}  # fmt: skip
    fit = np.r_[rows["train"], rows["valid"]]
    test = rows["test"].to_numpy()
    frame = pd.DataFrame({"visits": signal, "sales_note": np.where(y == 1, "closed", "lost")})
    leaky = baseline_probabilities(frame.iloc[fit], y[fit], frame.iloc[test])
    assert roc_auc_score(y[test], leaky) == 1.0
    honest = roc_auc_score(
        y[test],
        baseline_probabilities(frame.iloc[fit][["visits"]], y[fit], frame.iloc[test][["visits"]]),
    )
    assert roc_auc_score(slices.test.y, baseline_scores(slices)) == pytest.approx(honest)
    assert honest < 0.9


def test_only_help_lists_the_mappings_of_sets():
    """The ``--only`` help is derived from ``SETS``: each mapping once, in order."""
    only = next(a for a in build_parser()._actions if "--only" in a.option_strings)
    assert only.help == "One mapping (" + ", ".join(m for _, _, m in SETS) + ")."
    assert all(m in only.help for _, _, m in SETS)
