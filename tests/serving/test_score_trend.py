"""Score trend per lead (improving / steady / declining / new) in every sink.

Two runs with hand-picked final scores (threshold ``ScorerSettings().trend_steady_points``
= 1 point): c1 80 -> 85.5 improving, c2 40 -> 20 declining, c3 10 -> 10.5 steady, c4 new.
"""

from __future__ import annotations

import pickle

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.schema import CreateTable

from serving.scorer_types import ScorerSettings
from serving.sinks import (
    build_tables,
    previous_scores,
    read_current,
    read_history,
    write_scores,
)
from serving.trend import score_trends

STEADY = ScorerSettings().trend_steady_points
DAY2_ROWS = {
    "c1": (85.5, "A", "sql", 0.75, 35.0, "A2"),
    "c2": (20.0, "D", "lead", 0.10, 5.0, None),
    "c3": (10.5, "D", "subscriber", 0.06, 0.0, "B3"),
    "c4": (50.0, "B", "mql", 0.40, 20.0, "B1"),
}
EXPECTED = {"c1": "improving", "c2": "declining", "c3": "steady", "c4": "new"}


def _frame(ids, scores, as_of):
    return pd.DataFrame(
        {
            "contact_id": pd.Series(ids, dtype="str"),
            "final_score": pd.Series(scores, dtype="float64"),
            "as_of": pd.Series([as_of] * len(ids), dtype="datetime64[ns, UTC]"),
        }
    )


@pytest.mark.parametrize(
    ("before", "now", "trend"),
    [
        (50.0, 50.0, "steady"),
        (50.0, 50.99, "steady"),
        (50.0, 49.01, "steady"),
        (50.0, 51.0, "improving"),  # a move of exactly the threshold is a move
        (50.0, 49.0, "declining"),
        (0.0, 100.0, "improving"),
        (None, 30.0, "new"),
    ],
)
def test_trend_by_hand_around_the_threshold(fx, before, now, trend):
    assert STEADY == 1.0  # the documented default the cases above are computed for
    scores = _frame(["a"], [now], fx.DAY2)
    previous = None if before is None else _frame(["a"], [before], fx.DAY1)
    assert score_trends(scores, previous, STEADY).tolist() == [trend]


def test_trend_is_aligned_by_contact_not_by_row(fx):
    scores = _frame(["b", "a", "z"], [10.0, 90.0, 5.0], fx.DAY2)
    previous = _frame(["a", "b"], [50.0, 10.2], fx.DAY1)
    got = score_trends(scores, previous, STEADY)
    assert got.tolist() == ["steady", "improving", "new"]


def test_previous_with_a_contact_twice_is_refused(fx):
    previous = _frame(["a", "a"], [1.0, 2.0], fx.DAY1)
    with pytest.raises(ValueError, match=r"contact_id.*twice"):
        score_trends(_frame(["a"], [1.0], fx.DAY2), previous, STEADY)


def test_unknown_trend_is_refused_by_the_contract(fx, tmp_path):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1, {"c1": "better"})
    with pytest.raises(ValueError, match=r"score_trend.*improving.*c1"):
        write_scores(scores, str(tmp_path / "s.parquet"), fx.run(fx.DAY1))


def _run(fx, sink, rows, day, prefix):
    """One batch write: trends against the sink's previous run, then the write."""
    scores = fx.scores(rows, day)
    previous = previous_scores(sink, pd.Timestamp(day), prefix)
    scores["score_trend"] = score_trends(scores, previous, STEADY)
    return scores, write_scores(scores, sink, fx.run(day), table_prefix=prefix)


def test_database_two_runs_and_an_idempotent_rerun(db_url, table_prefix, fx):
    first, _ = _run(fx, db_url, fx.DAY1_ROWS, fx.DAY1, table_prefix)
    assert set(first["score_trend"]) == {"new"}

    _run(fx, db_url, DAY2_ROWS, fx.DAY2, table_prefix)
    current = read_current(db_url, table_prefix=table_prefix)
    assert dict(zip(current["contact_id"], current["score_trend"], strict=True)) == EXPECTED
    assert read_history(db_url, "c2", table_prefix=table_prefix)["score_trend"].tolist() == [
        "new",
        "declining",
    ]
    before = fx.snapshot(db_url, table_prefix)

    again, written = _run(fx, db_url, DAY2_ROWS, fx.DAY2, table_prefix)

    assert dict(zip(again["contact_id"], again["score_trend"], strict=True)) == EXPECTED
    assert (written.n_current_updated, written.n_history_inserted) == (0, 0)
    assert fx.snapshot(db_url, table_prefix) == before


@pytest.mark.parametrize("name", ["scores.parquet", "scores.csv", "folder", "hubspot"])
def test_file_sinks_two_runs_and_an_idempotent_rerun(fx, tmp_path, name):
    if name == "hubspot":
        sink, path = f"hubspot:{tmp_path / 'import.csv'}", tmp_path / "import.csv"
        column, key = "leadscore_score_trend", "Record ID"
    elif name == "folder":
        sink, path = str(tmp_path / "out"), tmp_path / "out" / "scores_2024-01-04T000000Z.parquet"
        column, key = "score_trend", "contact_id"
    else:
        sink, path = str(tmp_path / name), tmp_path / name
        column, key = "score_trend", "contact_id"
    first, _ = _run(fx, sink, fx.DAY1_ROWS, fx.DAY1, "leadscore_")
    assert set(first["score_trend"]) == {"new"}
    _run(fx, sink, DAY2_ROWS, fx.DAY2, "leadscore_")
    read = pd.read_parquet if path.suffix == ".parquet" else lambda p: pd.read_csv(p, dtype=str)
    back = read(path)
    assert dict(zip(back[key], back[column], strict=True)) == EXPECTED
    stamp = path.stat().st_mtime_ns

    again, written = _run(fx, sink, DAY2_ROWS, fx.DAY2, "leadscore_")

    assert dict(zip(again["contact_id"], again["score_trend"], strict=True)) == EXPECTED
    assert written.n_current_updated == 0
    assert path.stat().st_mtime_ns == stamp


def test_folder_rerun_of_an_older_day_still_sees_its_own_previous_run(fx, tmp_path):
    sink = str(tmp_path / "out")
    _run(fx, sink, fx.DAY1_ROWS, fx.DAY1, "leadscore_")
    _run(fx, sink, DAY2_ROWS, fx.DAY2, "leadscore_")
    again, _ = _run(fx, sink, fx.DAY1_ROWS, fx.DAY1, "leadscore_")
    assert set(again["score_trend"]) == {"new"}  # nothing before DAY1 in the folder


def _old_schema(url: str, prefix: str) -> None:
    """Create the sink tables as before ``score_trend`` existed."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in build_tables(prefix).metadata.sorted_tables:
            old = sa.Table(
                table.name,
                sa.MetaData(),
                *(c._copy() for c in table.columns if c.name != "score_trend"),
            )
            conn.execute(CreateTable(old))
    engine.dispose()


def test_old_schema_database_gets_the_column_and_keeps_working(db_url, table_prefix, fx):
    _old_schema(db_url, table_prefix)
    history = build_tables(table_prefix).history
    old_row = {
        "contact_id": "c2",
        "as_of": fx.DAY1,
        "model_version": "3",
        "rulebook_version": "rb-7",
        "final_score": 40.0,
        "tier": "C",
        "stage": "lead",
        "probability": 0.2,
        "manual_score": 10.0,
        "grade": None,
        "top_reasons": "[]",
        "top_rules": "[]",
        "model_name": "lead_conversion",
        "run_id": "old-run",
        "scored_at": fx.DAY1,
    }
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        old = sa.Table(
            history.name,
            sa.MetaData(),
            *(c._copy() for c in history.columns if c.name != "score_trend"),
        )
        conn.execute(old.insert().values(old_row))
    engine.dispose()

    scores, _ = _run(fx, db_url, DAY2_ROWS, fx.DAY2, table_prefix)

    expected = {"c1": "new", "c2": "declining", "c3": "new", "c4": "new"}
    assert dict(zip(scores["contact_id"], scores["score_trend"], strict=True)) == expected
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        for table in (f"{table_prefix}scores_current", f"{table_prefix}score_history"):
            names = [c["name"] for c in sa.inspect(conn).get_columns(table)]
            assert "score_trend" in names, table
    engine.dispose()
    rows = read_history(db_url, "c2", table_prefix=table_prefix)
    assert rows["score_trend"].isna().tolist() == [True, False]  # the old row keeps NULL
    assert rows["score_trend"].iloc[1] == "declining"
    before = fx.snapshot(db_url, table_prefix)
    _, written = _run(fx, db_url, DAY2_ROWS, fx.DAY2, table_prefix)  # column already there
    assert (written.n_current_updated, written.n_history_inserted) == (0, 0)
    assert fx.snapshot(db_url, table_prefix) == before


def test_a_scorer_pickled_before_the_setting_existed_gets_its_default():
    old = ScorerSettings(top_k=2, trend_steady_points=3.0)
    del old.__dict__["trend_steady_points"]  # what an older scorer's pickle holds
    with pytest.raises(AttributeError):
        _ = old.trend_steady_points

    upgraded = pickle.loads(pickle.dumps(old))

    assert upgraded.trend_steady_points == 1.0 and upgraded.top_k == 2
