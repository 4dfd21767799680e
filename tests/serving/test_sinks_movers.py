"""top_movers: score changes since the previous as_of in history."""

from __future__ import annotations

import dataclasses

import pandas as pd

from serving.sinks import MOVER_COLUMNS, top_movers, write_scores


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
