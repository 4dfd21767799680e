"""Scores contract, run metadata, lead accounting, sink strings and table prefixes."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from serving.sinks import (
    LeadCounts,
    RunInfo,
    parse_sink,
    reconcile_leads,
    validate_prefix,
    validate_rejects,
    validate_scores,
    write_scores,
)


def _break(frame: pd.DataFrame, column: str, row: int, value) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.loc[row, column] = value
    return out


def test_valid_frame_passes(fx):
    validate_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1))


@pytest.mark.parametrize("column", ["tier", "top_rules", "as_of"])
def test_missing_column_is_named(fx, column):
    frame = fx.scores(fx.DAY1_ROWS, fx.DAY1).drop(columns=[column])
    with pytest.raises(ValueError, match=rf"missing column\(s\) \['{column}'\]"):
        validate_scores(frame)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("final_score", 100.5),
        ("final_score", -1.0),
        ("final_score", float("nan")),
        ("probability", 1.2),
        ("manual_score", float("inf")),
        ("manual_score", "lots"),
    ],
)
def test_out_of_range_values_name_column_and_contact(fx, column, value):
    frame = _break(fx.scores(fx.DAY1_ROWS, fx.DAY1), column, 1, value)
    with pytest.raises(ValueError, match=rf"'{column}'.*'c2'"):
        validate_scores(frame)


def test_duplicate_contact_ids_are_listed(fx):
    frame = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    frame = pd.concat([frame, frame.iloc[[0, 2]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"'contact_id' has 2 duplicated id\(s\): c1, c3"):
        validate_scores(frame)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("stage", "hot", r"'stage' must be one of \[.*'mql'.*\]; bad rows: .*'c2'"),
        ("score_trend", "up", r"'score_trend' must be one of \['improving'.*'new'\]; .*'up'"),
        ("tier", None, r"'tier' is empty for contact_id\(s\): c2"),
        ("contact_id", " ", r"'contact_id' is empty"),
        ("top_reasons", "not json", r"'top_reasons' must hold a JSON list.*c2"),
    ],
)
def test_bad_text_values(fx, column, value, message):
    frame = _break(fx.scores(fx.DAY1_ROWS, fx.DAY1), column, 1, value)
    with pytest.raises(ValueError, match=message):
        validate_scores(frame)


def test_integer_contact_ids_are_refused(fx):
    frame = fx.scores(fx.DAY1_ROWS, fx.DAY1).assign(contact_id=[1, 2, 3])
    with pytest.raises(ValueError, match="'contact_id' must hold strings"):
        validate_scores(frame)


def test_as_of_must_be_utc_and_single_valued(fx):
    frame = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    naive = frame.assign(as_of=frame["as_of"].dt.tz_localize(None))
    mixed = frame.assign(as_of=pd.Series([fx.DAY1, fx.DAY1, fx.DAY2], dtype="datetime64[ns, UTC]"))
    with pytest.raises(ValueError, match="'as_of' must be datetime64"):
        validate_scores(naive)
    with pytest.raises(ValueError, match="'as_of' must hold one non-null time"):
        validate_scores(mixed)


def test_as_of_must_match_the_run(fx, tmp_path):
    with pytest.raises(ValueError, match="RunInfo.as_of"):
        write_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1), str(tmp_path / "s.csv"), fx.run(fx.DAY2))
    assert not (tmp_path / "s.csv").exists()


def test_rejects_must_not_overlap_scores(fx):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    rejects = pd.DataFrame({"contact_id": ["c9", "c2"], "reason": ["x", "y"]})
    with pytest.raises(ValueError, match=r"also scored: c2"):
        validate_rejects(rejects, scores)
    with pytest.raises(ValueError, match=r"'reason' is empty in 1 row"):
        validate_rejects(pd.DataFrame({"contact_id": ["c9"], "reason": [None]}), scores)


def test_run_info_normalises_to_utc_and_checks_fields():
    run = RunInfo(
        as_of=pd.Timestamp("2024-01-03 01:00", tz="Europe/Berlin"),
        model_name="m",
        model_version="1",
        rulebook_version="r",
        run_id="x",
        scored_at=datetime(2024, 1, 3, 2, tzinfo=UTC),
    )
    assert run.as_of == pd.Timestamp("2024-01-03 00:00", tz="UTC")
    assert str(run.as_of.tz) == "UTC"
    with pytest.raises(ValueError, match="RunInfo.as_of.*no time zone"):
        RunInfo(datetime(2024, 1, 3), "m", "1", "r", "x", datetime(2024, 1, 3, tzinfo=UTC))
    with pytest.raises(ValueError, match="RunInfo.model_version must be a non-empty string"):
        RunInfo(run.as_of, "m", " ", "r", "x", run.scored_at)


def test_reconcile_leads_counts_a_partition(fx):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    rejects = pd.DataFrame({"contact_id": ["c9"], "reason": ["no created_at"]})

    counts = reconcile_leads(pd.Series(["c1", "c2", "c3", "c9"]), scores, rejects)

    assert counts == LeadCounts(eligible=4, scored=3, rejected=1)
    assert counts.scored + counts.rejected == counts.eligible


@pytest.mark.parametrize(
    ("eligible", "rejected", "message"),
    [
        (["c1", "c2", "c3", "c9", "c7"], ["c9"], r"1 eligible lead\(s\) neither.*: c7"),
        (["c1", "c2"], [], r"not eligible: c3"),
        (["c1", "c2", "c3"], ["c2"], r"both scored and rejected: c2"),
        (["c1", "c2", "c3", "c9"], ["c9", "c9"], r"rejects lists 1 contact id\(s\) twice: c9"),
    ],
)
def test_reconcile_leads_names_the_gap(fx, eligible, rejected, message):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    rejects = pd.DataFrame({"contact_id": rejected, "reason": ["r"] * len(rejected)})
    with pytest.raises(ValueError, match=message):
        reconcile_leads(pd.Index(eligible), scores, rejects)


@pytest.mark.parametrize(
    ("sink", "kind", "location"),
    [
        ("sqlite:///scores.db", "database", "sqlite:///scores.db"),
        ("postgresql+psycopg://u@h:5432/db", "database", "postgresql+psycopg://u@h:5432/db"),
        ("out/scores.parquet", "parquet", "out/scores.parquet"),
        ("out/scores.CSV", "csv", "out/scores.CSV"),
        ("out/daily", "folder", "out/daily"),
        ("hubspot:exports/import.csv", "hubspot", "exports/import.csv"),
    ],
)
def test_parse_sink(sink, kind, location):
    target = parse_sink(sink)
    assert (target.kind, target.location) == (kind, location)


@pytest.mark.parametrize(
    ("sink", "message"),
    [
        ("mysql://u@h/db", "backend 'mysql' is not supported"),
        ("out/scores.xlsx", "unknown file type '.xlsx'"),
        ("hubspot:import.parquet", "must name a .csv file"),
        ("", "non-empty string"),
    ],
)
def test_parse_sink_rejects_unknown(sink, message):
    with pytest.raises(ValueError, match=message):
        parse_sink(sink)


@pytest.mark.parametrize(
    "prefix",
    ["Leadscore_", "1abc_", "a-b", "x; DROP TABLE y; --", "a" * 32, "", "lead score"],
)
def test_bad_table_prefix_is_rejected_before_writing(fx, tmp_path, prefix):
    db = tmp_path / "scores.db"
    with pytest.raises(ValueError, match="table_prefix .* is not allowed"):
        write_scores(
            fx.scores(fx.DAY1_ROWS, fx.DAY1),
            f"sqlite:///{db}",
            fx.run(fx.DAY1),
            table_prefix=prefix,
        )
    assert not db.exists()


@pytest.mark.parametrize("prefix", ["leadscore_", "_", "a" * 31, "crm2_"])
def test_good_table_prefix_is_accepted(prefix):
    assert validate_prefix(prefix) == prefix
