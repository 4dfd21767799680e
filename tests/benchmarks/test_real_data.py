"""benchmarks.real_data: the README table is written from the results, between its markers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks.real_data import END, START, _baseline_auc, table, write_readme

RESULT = {
    "data set": "Olist", "mapping": "olist", "framing": "first_touch", "horizon_days": 90,
    "rows": {"train": 4757, "valid": 1596, "test": 1621}, "test_positives": 122,
    "model_auc": 0.69712, "rules_auc": 0.5, "rulebook": "empty", "baseline_auc": 0.68249,
    "final_auc": 0.69712, "final_ece": 0.05071, "tier_a_share": 0.04875,
}  # fmt: skip


def test_the_table_shows_each_measured_value() -> None:
    row = table([RESULT]).splitlines()[2]
    assert row == (
        "| Olist (`--mapping olist`) | first_touch | 90 days | 4,757 / 1,596 / 1,621 | 122 | "
        "0.697 | 0.500 (empty) | 0.682 | 0.697 | 0.051 | 4.9 % |"
    )


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
    assert _baseline_auc(train, y, test, [0, 1, 0, 1]) == 1.0
