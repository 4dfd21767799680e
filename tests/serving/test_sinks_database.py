"""Database sink: idempotent, atomic, history-keeping writes on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from serving.sinks import database, read_current, read_history, write_scores


def _current_scores(url: str, prefix: str) -> dict[str, float]:
    frame = read_current(url, table_prefix=prefix)
    return dict(zip(frame["contact_id"], frame["final_score"], strict=True))


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()
    engine.dispose()
    return int(n)


def test_first_write_stores_current_history_and_run(db_url, table_prefix, fx):
    result = write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )

    assert (result.kind, result.n_written, result.n_current_updated) == ("database", 3, 3)
    assert (result.n_history_inserted, result.n_history_unchanged, result.n_rejects) == (3, 0, 0)
    assert f"{table_prefix}scores_current" in result.outputs
    current = read_current(db_url, table_prefix=table_prefix)
    assert current["contact_id"].tolist() == ["c1", "c2", "c3"]
    assert current["final_score"].tolist() == [80.0, 40.0, 10.0]
    assert current["stage"].tolist() == ["mql", "lead", "subscriber"]
    assert current["grade"].isna().tolist() == [False, True, False]
    assert (current["as_of"] == pd.Timestamp(fx.DAY1)).all()
    assert set(current["model_version"]) == {"3"}
    assert _count(db_url, f"{table_prefix}score_history") == 3
    assert _count(db_url, f"{table_prefix}score_runs") == 1


def test_same_as_of_rerun_changes_nothing(db_url, table_prefix, fx):
    scores, run = fx.scores(fx.DAY1_ROWS, fx.DAY1), fx.run(fx.DAY1)
    write_scores(scores, db_url, run, table_prefix=table_prefix)
    before = fx.snapshot(db_url, table_prefix)

    again = write_scores(scores, db_url, run, table_prefix=table_prefix)

    assert fx.snapshot(db_url, table_prefix) == before
    assert (again.n_current_updated, again.n_history_inserted, again.n_history_unchanged) == (
        0,
        0,
        3,
    )


def test_rerun_with_new_run_id_only_logs_the_run(db_url, table_prefix, fx):
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)
    write_scores(scores, db_url, fx.run(fx.DAY1, run_id="run-1"), table_prefix=table_prefix)
    before = fx.snapshot(db_url, table_prefix)

    write_scores(scores, db_url, fx.run(fx.DAY1, run_id="run-2"), table_prefix=table_prefix)

    after = fx.snapshot(db_url, table_prefix)
    runs = f"{table_prefix}score_runs"
    assert {k: v for k, v in after.items() if k != runs} == {
        k: v for k, v in before.items() if k != runs
    }
    assert [r[0] for r in after[runs]] == ["run-1", "run-2"]


def test_next_day_updates_current_and_grows_history(db_url, table_prefix, fx):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )

    result = write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2),
        db_url,
        fx.run(fx.DAY2, "run-2"),
        table_prefix=table_prefix,
    )

    assert (result.n_current_updated, result.n_history_inserted) == (4, 4)
    assert _current_scores(db_url, table_prefix) == {"c1": 85.5, "c2": 20.0, "c3": 12.0, "c4": 50.0}
    assert _count(db_url, f"{table_prefix}score_history") == 3 + 4


def test_older_as_of_rerun_does_not_overwrite_current(db_url, table_prefix, fx):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2),
        db_url,
        fx.run(fx.DAY2, "run-2"),
        table_prefix=table_prefix,
    )
    older = fx.scores({**fx.DAY1_ROWS, "c1": (1.0, "D", "lead", 0.01, 0.0, None)}, fx.DAY1)

    result = write_scores(
        older, db_url, fx.run(fx.DAY1, "run-3", model_version="4"), table_prefix=table_prefix
    )

    assert result.n_current_updated == 0
    assert _current_scores(db_url, table_prefix) == {"c1": 85.5, "c2": 20.0, "c3": 12.0, "c4": 50.0}
    # The older run is still history (new model version): 7 rows before, 3 more now.
    assert result.n_history_inserted == 3
    assert _count(db_url, f"{table_prefix}score_history") == 10


def test_same_as_of_new_model_version_replaces_current_and_keeps_both_in_history(
    db_url, table_prefix, fx
):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    fixed = fx.scores({**fx.DAY1_ROWS, "c2": (45.0, "C", "lead", 0.25, 10.0, None)}, fx.DAY1)

    result = write_scores(
        fixed, db_url, fx.run(fx.DAY1, "run-2", model_version="4"), table_prefix=table_prefix
    )

    # Only c2's values differ; c1 and c3 differ in model_version, which is content too.
    assert result.n_current_updated == 3
    assert _current_scores(db_url, table_prefix) == {"c1": 80.0, "c2": 45.0, "c3": 10.0}
    history = read_history(db_url, "c2", table_prefix=table_prefix)
    assert history["model_version"].tolist() == ["3", "4"]
    assert history["final_score"].tolist() == [40.0, 45.0]
    assert read_history(db_url, "c2", on="2024-01-03", table_prefix=table_prefix)[
        "final_score"
    ].tolist() == [45.0]


def test_read_history_answers_score_on_a_given_day(db_url, table_prefix, fx):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2),
        db_url,
        fx.run(fx.DAY2, "run-2"),
        table_prefix=table_prefix,
    )

    on_3rd = read_history(db_url, "c1", on="2024-01-03", table_prefix=table_prefix)
    full = read_history(db_url, "c1", table_prefix=table_prefix)
    before_any = read_history(db_url, "c1", on="2024-01-02", table_prefix=table_prefix)

    assert len(on_3rd) == 1
    row = on_3rd.iloc[0]
    assert (row["final_score"], row["stage"], row["run_id"]) == (80.0, "mql", "run-1")
    assert row["as_of"] == pd.Timestamp(fx.DAY1)
    assert "Viewed pricing (c1)" in row["top_reasons"]
    assert full["final_score"].tolist() == [80.0, 85.5]
    assert before_any.empty


def test_rejects_recorded_and_cleared_when_later_scored(db_url, table_prefix, fx):
    rejects = pd.DataFrame({"contact_id": ["c9", "c8"], "reason": ["no created_at", "bad id"]})
    result = write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1),
        db_url,
        fx.run(fx.DAY1),
        rejects=rejects,
        table_prefix=table_prefix,
    )
    table = f"{table_prefix}score_rejects"
    stored = fx.snapshot(db_url, table_prefix)[table]
    assert result.n_rejects == 2
    assert [(r[0], r[2]) for r in stored] == [("c8", "bad id"), ("c9", "no created_at")]

    # Re-run of the same day after a fix: c9 is scored now, c8 still rejected.
    fixed = fx.scores({**fx.DAY1_ROWS, "c9": (5.0, "D", "lead", 0.01, 0.0, None)}, fx.DAY1)
    write_scores(
        fixed, db_url, fx.run(fx.DAY1, "run-2"), rejects=rejects.iloc[1:], table_prefix=table_prefix
    )

    stored = fx.snapshot(db_url, table_prefix)[table]
    assert [(r[0], r[2]) for r in stored] == [("c8", "bad id")]


def test_sql_injection_in_ids_and_reasons_is_stored_verbatim(db_url, table_prefix, fx):
    evil = f"x'); DROP TABLE {table_prefix}scores_current; --"
    rows = {evil: fx.DAY1_ROWS["c1"], 'y"; DELETE FROM x; --': fx.DAY1_ROWS["c2"]}
    rejects = pd.DataFrame({"contact_id": ["z"], "reason": [evil]})

    write_scores(
        fx.scores(rows, fx.DAY1),
        db_url,
        fx.run(fx.DAY1),
        rejects=rejects,
        table_prefix=table_prefix,
    )

    current = read_current(db_url, [evil], table_prefix=table_prefix)
    assert current["contact_id"].tolist() == [evil]
    assert read_history(db_url, evil, table_prefix=table_prefix)["final_score"].tolist() == [80.0]
    assert _count(db_url, f"{table_prefix}scores_current") == 2


def _fail(*_args, **_kwargs):
    raise RuntimeError("injected crash")


@pytest.mark.parametrize("step", ["_write_history", "_write_rejects", "_log_run"])
def test_crash_mid_write_leaves_previous_run_intact(db_url, table_prefix, fx, monkeypatch, step):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    before = fx.snapshot(db_url, table_prefix)
    sqlite_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None
    digest = hashlib.sha256(sqlite_file.read_bytes()).hexdigest() if sqlite_file else None
    monkeypatch.setattr(database, step, _fail)

    with pytest.raises(RuntimeError, match="injected crash"):
        write_scores(
            fx.scores(fx.DAY2_ROWS, fx.DAY2),
            db_url,
            fx.run(fx.DAY2, "run-2"),
            table_prefix=table_prefix,
        )

    assert fx.snapshot(db_url, table_prefix) == before
    if sqlite_file:
        assert hashlib.sha256(sqlite_file.read_bytes()).hexdigest() == digest
    monkeypatch.undo()
    retry = write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2),
        db_url,
        fx.run(fx.DAY2, "run-2"),
        table_prefix=table_prefix,
    )
    assert retry.n_history_inserted == 4


def test_crash_after_some_staged_chunks_leaves_previous_run_intact(
    db_url, table_prefix, fx, monkeypatch
):
    write_scores(
        fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
    )
    before = fx.snapshot(db_url, table_prefix)
    real_stage = database._stage_chunk
    calls = []

    def fail_on_second_chunk(conn, staging, chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise RuntimeError("injected crash in chunk 2")
        real_stage(conn, staging, chunk)

    monkeypatch.setattr(database, "CHUNK_ROWS", 2)
    monkeypatch.setattr(database, "_stage_chunk", fail_on_second_chunk)

    with pytest.raises(RuntimeError, match="chunk 2"):
        write_scores(
            fx.scores(fx.DAY2_ROWS, fx.DAY2),
            db_url,
            fx.run(fx.DAY2, "run-2"),
            table_prefix=table_prefix,
        )

    assert calls == [2, 2]
    assert fx.snapshot(db_url, table_prefix) == before


def test_crash_on_first_write_leaves_no_tables(db_url, table_prefix, fx, monkeypatch):
    monkeypatch.setattr(database, "_log_run", _fail)

    with pytest.raises(RuntimeError, match="injected crash"):
        write_scores(
            fx.scores(fx.DAY1_ROWS, fx.DAY1), db_url, fx.run(fx.DAY1), table_prefix=table_prefix
        )

    assert fx.snapshot(db_url, table_prefix) == {}


def test_chunked_staging_writes_every_row(db_url, table_prefix, fx, monkeypatch):
    monkeypatch.setattr(database, "CHUNK_ROWS", 3)  # 4 rows -> chunks of 3 and 1

    result = write_scores(
        fx.scores(fx.DAY2_ROWS, fx.DAY2), db_url, fx.run(fx.DAY2), table_prefix=table_prefix
    )

    assert result.n_history_inserted == 4
    assert _current_scores(db_url, table_prefix) == {"c1": 85.5, "c2": 20.0, "c3": 12.0, "c4": 50.0}


def test_read_before_any_write_names_missing_tables(db_url, table_prefix):
    with pytest.raises(ValueError, match=f"{table_prefix}scores_current"):
        read_current(db_url, table_prefix=table_prefix)


def test_run_where_every_lead_is_rejected(db_url, table_prefix, fx, tmp_path):
    empty = fx.scores(fx.DAY1_ROWS, fx.DAY1).iloc[0:0]
    rejects = pd.DataFrame({"contact_id": ["c1", "c2"], "reason": ["no activity", "no activity"]})

    result = write_scores(
        empty, db_url, fx.run(fx.DAY1), rejects=rejects, table_prefix=table_prefix
    )

    assert (result.n_written, result.n_history_inserted, result.n_rejects) == (0, 0, 2)
    runs = fx.snapshot(db_url, table_prefix)[f"{table_prefix}score_runs"]
    assert len(runs) == 1 and runs[0][6:8] == (0, 2)  # n_scored, n_rejected


def test_sqlite_folder_is_created(tmp_path, fx):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'scores.db'}"

    write_scores(fx.scores(fx.DAY1_ROWS, fx.DAY1), url, fx.run(fx.DAY1))

    assert read_current(url)["contact_id"].tolist() == ["c1", "c2", "c3"]
