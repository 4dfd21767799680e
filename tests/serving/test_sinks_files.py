"""File sinks (Parquet, CSV, folder) and the HubSpot import file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from features.schema import LIFECYCLE_STAGES
from serving.sinks import (
    HUBSPOT_COLUMNS,
    HUBSPOT_LIFECYCLE,
    SCORE_COLUMNS,
    hubspot_frame,
    write_scores,
)

REJECTS = pd.DataFrame({"contact_id": ["c9"], "reason": ["missing created_at"]})


def test_parquet_round_trip_with_run_columns_and_rejects(fx, tmp_path):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    path = tmp_path / "out" / "scores.parquet"

    result = write_scores(scores, str(path), fx.run(fx.DAY1), rejects=REJECTS)

    back = pd.read_parquet(path)
    assert list(back.columns) == [*SCORE_COLUMNS, "model_name", "model_version", "rulebook_version"]
    assert back["contact_id"].tolist() == ["c1", "c2", "c3"]
    assert back["final_score"].tolist() == [80.0, 40.0, 10.0]
    assert back["top_rules"].tolist() == scores["top_rules"].tolist()
    assert (back["as_of"] == pd.Timestamp(fx.DAY1)).all()
    assert set(back["model_version"]) == {"3"}
    rejects = pd.read_parquet(tmp_path / "out" / "scores_rejects.parquet")
    assert rejects[["contact_id", "reason"]].values.tolist() == [["c9", "missing created_at"]]
    assert (result.kind, result.n_written, result.n_rejects) == ("parquet", 3, 1)


def test_csv_keeps_reasons_as_json_and_as_of_as_iso(fx, tmp_path):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    path = tmp_path / "scores.csv"

    write_scores(scores, str(path), fx.run(fx.DAY1))

    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["as_of"].unique().tolist() == ["2024-01-03T00:00:00+00:00"]
    assert json.loads(back.loc[0, "top_reasons"])[0]["text"] == "Viewed pricing (c1)"
    assert back["grade"].tolist() == ["A2", "", "B3"]
    empty_rejects = pd.read_csv(tmp_path / "scores_rejects.csv")
    assert list(empty_rejects.columns) == ["contact_id", "as_of", "reason"]
    assert empty_rejects.empty


@pytest.mark.parametrize("name", ["scores.parquet", "scores.csv", "daily", "hubspot:imp.csv"])
def test_rewrite_of_same_run_leaves_files_untouched(fx, tmp_path, name):
    sink = f"hubspot:{tmp_path / 'imp.csv'}" if name.startswith("hubspot") else str(tmp_path / name)
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    first = write_scores(scores, sink, fx.run(fx.DAY1), rejects=REJECTS)
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}

    # A new run id and scoring time must not change the file content.
    second = write_scores(scores, sink, fx.run(fx.DAY1, run_id="run-2"), rejects=REJECTS)

    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == stamps
    assert len(stamps) == 2  # scores + rejects, no temp files left behind
    assert (first.n_current_updated, second.n_current_updated) == (3, 0)


def test_folder_sink_writes_one_file_per_as_of(fx, tmp_path):
    write_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1), str(tmp_path), fx.run(fx.DAY1))
    write_scores(fx.scores(fx.DAY2_ROWS, fx.DAY2), str(tmp_path), fx.run(fx.DAY2))

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "rejects_2024-01-03T000000Z.parquet",
        "rejects_2024-01-04T000000Z.parquet",
        "scores_2024-01-03T000000Z.parquet",
        "scores_2024-01-04T000000Z.parquet",
    ]
    assert len(pd.read_parquet(tmp_path / "scores_2024-01-04T000000Z.parquet")) == 4


def test_crash_while_writing_keeps_the_old_file(fx, tmp_path, monkeypatch):
    path = tmp_path / "scores.csv"
    write_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1), str(path), fx.run(fx.DAY1))
    old = path.read_bytes()

    def half_write(self, target, **_kwargs):
        with open(target, "w") as handle:
            handle.write("contact_id,final_score\nc1,")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_scores(fx.scores(fx.DAY2_ROWS, fx.DAY1), str(path), fx.run(fx.DAY1))

    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv", "scores_rejects.csv"]


def test_hubspot_columns_and_lifecycle_mapping(fx, tmp_path):
    path = tmp_path / "import.csv"

    result = write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2), f"hubspot:{path}", fx.run(fx.DAY2), rejects=REJECTS
    )

    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert tuple(back.columns) == HUBSPOT_COLUMNS
    assert back["Record ID"].tolist() == ["c1", "c2", "c3", "c4"]
    assert back["Lifecycle Stage"].tolist() == [
        "salesqualifiedlead",
        "lead",
        "subscriber",
        "marketingqualifiedlead",
    ]
    assert back["leadscore_stage"].tolist() == ["sql", "lead", "subscriber", "mql"]
    assert back["leadscore_final_score"].astype(float).tolist() == [85.5, 20.0, 12.0, 50.0]
    assert back.loc[0, "leadscore_reasons"] == "+ Viewed pricing (c1)"  # the CRM line
    assert back.loc[0, "leadscore_rules"] == "demo_request (+20)"
    assert back["leadscore_grade"].tolist() == ["A2", "", "B3", "B1"]
    assert set(back["leadscore_as_of"]) == {"2024-01-04"}
    assert set(back["leadscore_model_version"]) == {"3"}
    rejects = pd.read_csv(tmp_path / "import_rejects.csv")
    assert rejects["contact_id"].tolist() == ["c9"]
    assert result.outputs == (str(path), str(tmp_path / "import_rejects.csv"))


def test_hubspot_mapping_covers_every_lifecycle_stage():
    assert set(HUBSPOT_LIFECYCLE) == set(LIFECYCLE_STAGES)


def test_hubspot_reasons_join_up_to_three_items(fx):
    scores = fx.scores({"c1": fx.DAY1_ROWS["c1"]}, fx.DAY1)
    scores["top_reasons"] = json.dumps(
        [
            {"feature": "a", "text": "Asked for a demo", "contribution": 0.4},
            {"feature": "b", "text": "", "contribution": -0.051},
            {"feature": "c", "text": "Opened 5 e-mails", "contribution": 0.1},
        ]
    )
    scores["top_rules"] = json.dumps(
        [{"rule": "vp", "points": 15}, {"rule": "gmail", "points": -5}]
    )

    frame = hubspot_frame(scores, fx.run(fx.DAY1))

    # the CRM line: signed texts in their order, no log-odds (sales cannot read them)
    assert frame.loc[0, "leadscore_reasons"] == "+ Asked for a demo; - b; + Opened 5 e-mails"
    assert frame.loc[0, "leadscore_rules"] == "vp (+15); gmail (-5)"


def test_hubspot_malformed_reasons_name_the_contact(fx, tmp_path):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    scores.loc[2, "top_reasons"] = '[{"feature": "x"}]'
    with pytest.raises(ValueError, match=r"'top_reasons' of contact_id 'c3'"):
        write_scores(scores, f"hubspot:{tmp_path / 'i.csv'}", fx.run(fx.DAY1))
    assert not (tmp_path / "i.csv").exists()


@pytest.mark.parametrize("name", ["scores.parquet", "hubspot:imp.csv"])
def test_row_order_of_the_input_does_not_change_the_file(fx, tmp_path, name):
    scores = fx.scores(fx.DAY2_ROWS, fx.DAY2)
    shuffled = scores.iloc[[2, 0, 3, 1]]
    a, b = (tmp_path / "a", tmp_path / "b")
    for folder, frame in ((a, scores), (b, shuffled)):
        target = folder / name.removeprefix("hubspot:")
        sink = f"hubspot:{target}" if name.startswith("hubspot") else str(target)
        write_scores(frame, sink, fx.run(fx.DAY2))

    stem = name.removeprefix("hubspot:")
    assert (a / stem).read_bytes() == (b / stem).read_bytes()


def test_hubspot_rule_points_read_like_points() -> None:
    from serving.sinks.hubspot import _rules_text

    assert _rules_text('[{"rule": "email_open", "points": 5.13438e-06}]') == "email_open (+0.00)"
    assert _rules_text('[{"rule": "demo", "points": 12.5}]') == "demo (+12.50)"
    cell = '[{"rule": "careers", "points": -20.0}, {"rule": "demo", "points": 10}]'
    assert _rules_text(cell) == "careers (-20); demo (+10)"


def _documented_hubspot_columns() -> list[str]:
    """The column names in ``serving/sinks/hubspot.py``'s docstring table, read independently."""
    import serving.sinks.hubspot as module

    lines = module.__doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("=====")]
    body = lines[rules[1] + 1 : rules[2]]  # between the header's rule and the closing rule
    return [line.split("  ")[0] for line in body]


def test_hubspot_frame_columns_are_exactly_the_declared_and_documented_ones(fx):
    frame = hubspot_frame(fx.scores(fx.DAY2_ROWS, fx.DAY2), fx.run(fx.DAY2))

    assert tuple(frame.columns) == HUBSPOT_COLUMNS
    assert list(HUBSPOT_COLUMNS) == _documented_hubspot_columns()


def test_a_rule_reads_the_same_in_the_crm_file_and_the_reports_lead_lists() -> None:
    from serving.report.disagreement import _text
    from serving.sinks.hubspot import _rules_text

    # by hand: 12.5 points, not whole -> 2 decimals, signed; 5.13e-06 -> +0.00
    cell = '[{"rule": "demo", "points": 12.5}, {"rule": "open", "points": 5.13e-06}]'
    assert _rules_text(cell) == _text(cell, "rules") == "demo (+12.50); open (+0.00)"
