"""top_movers: score changes since the previous as_of in history."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import sqlalchemy as sa

from serving.sinks import (
    MOVER_COLUMNS,
    previous_scores,
    previous_stages,
    previous_tiers,
    top_movers,
    write_scores,
)


def test_top_movers_ranks_by_absolute_change(db_url, table_prefix, fx):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2), db_url, fx.run(fx.DAY2, "r2"), table_prefix=table_prefix
    )

    movers = top_movers(db_url, fx.DAY2, n=2, table_prefix=table_prefix)

    # Hand-computed: c2 40 -> 20 (-20), c1 80 -> 85.5 (+5.5), c3 10 -> 12 (+2); c4 is new.
    assert tuple(movers.columns) == MOVER_COLUMNS
    assert movers["contact_id"].tolist() == ["c2", "c1"]
    assert movers["delta"].tolist() == [-20.0, 5.5]
    assert movers["previous_score"].tolist() == [40.0, 80.0]
    assert movers["previous_tier"].tolist() == ["C", "A"]
    assert (movers["previous_as_of"] == pd.Timestamp(fx.DAY1)).all()
    everyone = top_movers(db_url, fx.DAY2, n=10, table_prefix=table_prefix)
    assert everyone["contact_id"].tolist() == ["c2", "c1", "c3"]


def test_top_movers_without_earlier_run_is_empty(db_url, table_prefix, fx):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )

    movers = top_movers(db_url, fx.DAY1, table_prefix=table_prefix)

    assert movers.empty
    assert tuple(movers.columns) == MOVER_COLUMNS


def test_top_movers_uses_latest_model_version_of_each_day(db_url, table_prefix, fx):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2), db_url, fx.run(fx.DAY2, "r2"), table_prefix=table_prefix
    )
    # Day 2 re-scored later with model 4: c3 now 70 (+60 vs day 1), others unchanged.
    rescored = fx.scores({**fx.DAY2_ROWS, "c3": (70.0, "A", "sql", 0.8, 40.0, "A1")}, fx.DAY2)
    later = fx.run(fx.DAY2, "r3", model_version="4")
    later = dataclasses.replace(later, scored_at=later.scored_at + pd.Timedelta(hours=5))
    write_scores(rescored, db_url, later, table_prefix=table_prefix)

    movers = top_movers(db_url, fx.DAY2, n=1, table_prefix=table_prefix)

    assert movers[["contact_id", "delta"]].values.tolist() == [["c3", 60.0]]


def test_every_reader_finds_the_same_previous_run(db_url, table_prefix, fx):
    for day, rows, run_id in ((fx.DAY1, fx.DAY1_ROWS, "r1"), (fx.DAY2, fx.DAY2_ROWS, "r2")):
        write_scores(fx.scores(rows, day), db_url, fx.run(day, run_id), table_prefix=table_prefix)
    day3 = fx.DAY2 + pd.Timedelta(days=1)

    movers = top_movers(db_url, fx.DAY2, table_prefix=table_prefix)
    tiers_as_of, tiers = previous_tiers(db_url, day3, table_prefix=table_prefix)
    scores = previous_scores(db_url, pd.Timestamp(day3), table_prefix)
    stages = previous_stages(db_url, pd.Timestamp(day3), table_prefix)

    assert set(movers["previous_as_of"]) == {pd.Timestamp(fx.DAY1)}
    # Seen from a third day the previous run is day 2: tiers A, D, D, B by hand.
    assert (tiers_as_of, tiers) == (pd.Timestamp(fx.DAY2), {"A": 1, "B": 1, "D": 2})
    assert scores is not None and stages is not None
    assert set(scores["as_of"]) == set(stages["as_of"]) == {pd.Timestamp(fx.DAY2)}
    assert scores["final_score"].tolist() == [85.5, 20.0, 12.0, 50.0]
    assert stages["stage"].tolist() == ["sql", "lead", "subscriber", "mql"]


def test_an_empty_database_is_a_first_run_before_writing_and_an_error_after(tmp_path, fx):
    # Before the nightly batch writes, a database without score tables is a new sink: no
    # previous run. After writing, the read helpers need the tables: missing ones mean a
    # wrong database or table prefix, and the message says so.
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE unrelated (x INTEGER)"))
    stamp = pd.Timestamp(fx.DAY1)

    assert previous_scores(url, stamp) is None
    assert previous_stages(url, stamp) is None
    missing = r"has no table\(s\) \[.leadscore_scores_current., .*check the table prefix"
    with pytest.raises(ValueError, match=missing):
        top_movers(url, fx.DAY1)
    with pytest.raises(ValueError, match=r"has no table\(s\) .*write scores there first"):
        previous_tiers(url, fx.DAY1)
