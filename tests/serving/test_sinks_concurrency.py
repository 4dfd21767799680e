"""Concurrent first writers on an empty database all succeed (tables created once, no race).

Four writers start together (a barrier) on a prefix no table exists for yet, three rounds
each; before the shared DDL step, PostgreSQL failed most rounds with an IntegrityError on
``CREATE TABLE`` (two sessions creating the same type at once).
"""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa

from serving.sinks import build_tables, write_scores

WRITERS = 4
ROUNDS = 3


def _race(url: str, prefix: str, fx) -> list[BaseException | None]:
    barrier = threading.Barrier(WRITERS)
    outcome: list[BaseException | None] = [None] * WRITERS
    scores = fx.scores(fx.DAY1_ROWS, fx.DAY1)

    def writer(i: int) -> None:
        barrier.wait()
        try:
            write_scores(scores, url, fx.run(fx.DAY1, run_id=f"run-{i}"), table_prefix=prefix)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            outcome[i] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


@pytest.mark.slow
def test_concurrent_first_writers_all_succeed_and_write_once(db_url, fx) -> None:
    for _ in range(ROUNDS):
        prefix = f"r{uuid.uuid4().hex[:10]}_"
        errors = [e for e in _race(db_url, prefix, fx) if e is not None]
        assert errors == []
        tables = fx.snapshot(db_url, prefix)
        assert [row[0] for row in tables[f"{prefix}scores_current"]] == ["c1", "c2", "c3"]
        assert len(tables[f"{prefix}score_history"]) == 3  # same rows: written once
        assert sorted(row[0] for row in tables[f"{prefix}score_runs"]) == [
            f"run-{i}" for i in range(WRITERS)
        ]
        _drop(db_url, prefix)


def _drop(url: str, prefix: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        build_tables(prefix).metadata.drop_all(conn, checkfirst=True)
    engine.dispose()
