"""Fault checks of the database sink, re-runnable on SQLite and PostgreSQL.

``python -m benchmarks.faults [--pg-url postgresql+psycopg://...]`` runs, per database:

* **kill at every step**: a writer process is killed with SIGKILL just before each step of
  a run (table creation, staging, current upsert, history, rejects, run log, commit); after
  each kill the tables must be exactly as the previous run left them, and a re-run must
  leave them exactly as an uninterrupted run does;
* **concurrent first writers**: N writers start together (a barrier) on tables that do not
  exist yet; all must succeed, and the rows must be written once.

It prints one line per check and exits 1 if any fails. ``tests/benchmarks/test_faults.py``
runs it on SQLite (and on PostgreSQL with ``LEADSCORE_TEST_PG_URL``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from serving.sinks import RunInfo, build_tables, write_scores
from serving.sinks import database as sink_database
from serving.sinks.tables import connect

STEPS = (
    "ensure_tables",
    "_stage_rows",
    "_upsert_current",
    "_write_history",
    "_write_rejects",
    "_log_run",
    "commit",
)
"""The steps of one database sink run, in order (``commit``: after all writes)."""

DAYS = {1: datetime(2024, 1, 3, tzinfo=UTC), 2: datetime(2024, 1, 4, tzinfo=UTC)}
ROWS = {
    1: {"c1": (80.0, "A", "mql"), "c2": (40.0, "C", "lead"), "c3": (10.0, "D", "subscriber")},
    2: {"c1": (85.5, "A", "sql"), "c2": (20.0, "D", "lead"), "c4": (50.0, "B", "mql")},
}


def scores(day: int) -> tuple[pd.DataFrame, pd.DataFrame, RunInfo]:
    """A day's scores, its rejects and its run (fixed values: runs are comparable)."""
    rows, as_of = ROWS[day], DAYS[day]
    ids = list(rows)
    frame = pd.DataFrame(
        {
            "contact_id": pd.Series(ids, dtype="str"),
            "as_of": pd.Series([as_of] * len(ids), dtype="datetime64[ns, UTC]"),
            "final_score": pd.Series([r[0] for r in rows.values()], dtype="float64"),
            "tier": pd.Series([r[1] for r in rows.values()], dtype="str"),
            "stage": pd.Series([r[2] for r in rows.values()], dtype="str"),
            "probability": pd.Series([r[0] / 100 for r in rows.values()], dtype="float64"),
            "manual_score": pd.Series([r[0] / 2 for r in rows.values()], dtype="float64"),
            "grade": pd.Series(["A1"] * len(ids), dtype="str"),
            "top_reasons": [json.dumps([{"feature": "f", "text": "t", "contribution": 0.1}])]
            * len(ids),
            "top_rules": [json.dumps([{"rule": "r", "points": 5}])] * len(ids),
            "score_trend": pd.Series(["new"] * len(ids), dtype="str"),
        }
    )
    rejects = pd.DataFrame({"contact_id": [f"x{day}"], "reason": ["employee"]}, dtype="str")
    run = RunInfo(
        as_of=as_of,
        model_name="m",
        model_version="1",
        rulebook_version="rb",
        run_id=f"run-{day}",
        scored_at=pd.Timestamp(as_of) + pd.Timedelta(hours=1),
    )
    return frame, rejects, run


def write(url: str, prefix: str, day: int) -> None:
    frame, rejects, run = scores(day)
    write_scores(frame, url, run, rejects=rejects, table_prefix=prefix)


def snapshot(url: str, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the sink tables, sorted, as text, keyed by the table name without
    ``prefix`` (comparable across processes and prefixes)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with connect(url) as conn:
        inspector = sa.inspect(conn)
        for table in build_tables(prefix).metadata.sorted_tables:
            if inspector.has_table(table.name):
                rows = conn.execute(sa.select(table)).all()
                out[table.name.removeprefix(prefix)] = sorted(tuple(map(str, r)) for r in rows)
    return out


def drop(url: str, prefix: str) -> None:
    with connect(url, write=True) as conn:
        build_tables(prefix).metadata.drop_all(conn, checkfirst=True)


def _die_before(step: str) -> None:
    """In this process: SIGKILL itself when the sink reaches ``step``."""

    def die(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    if step == "commit":  # after every write, before the transaction commits
        original_drop = sa.Table.drop

        def drop_then_die(self: sa.Table, *args: Any, **kwargs: Any) -> None:
            original_drop(self, *args, **kwargs)
            if self.name.endswith("scores_staging"):
                os.kill(os.getpid(), signal.SIGKILL)

        sa.Table.drop = drop_then_die  # type: ignore[method-assign]
        return
    setattr(sink_database, step, die)


def _spawn(url: str, prefix: str, day: int, step: str | None) -> int:
    args = [sys.executable, "-m", "benchmarks.faults", "--child", url, prefix, str(day)]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([*args, step or "-"], cwd=root, capture_output=True, text=True)
    if step is None and done.returncode != 0:
        raise RuntimeError(f"writer failed:\n{done.stderr}")
    return done.returncode


def kill_at_every_step(url: str) -> list[str]:
    """Kill a day-2 writer before each step; return the failures (empty: all held)."""
    failures = []
    reference = f"f{uuid.uuid4().hex[:8]}_"
    _spawn(url, reference, 1, None)
    _spawn(url, reference, 2, None)
    expected_after = snapshot(url, reference)
    for step in STEPS:
        prefix = f"f{uuid.uuid4().hex[:8]}_"
        first_run = prefix if step != "ensure_tables" else None
        if first_run:
            _spawn(url, prefix, 1, None)
        before = snapshot(url, prefix)
        code = _spawn(url, prefix, 2, step)
        if code != -signal.SIGKILL:
            failures.append(f"{step}: the writer was not killed (exit {code})")
        if snapshot(url, prefix) != before:
            failures.append(f"{step}: the kill changed the tables")
        if not first_run:
            _spawn(url, prefix, 1, None)
        _spawn(url, prefix, 2, None)
        if snapshot(url, prefix) != expected_after:
            failures.append(f"{step}: the re-run differs from an uninterrupted run")
        drop(url, prefix)
    drop(url, reference)
    return failures


def concurrent_first_writers(url: str, writers: int = 4, rounds: int = 3) -> list[str]:
    """``writers`` threads write day 1 at once on new tables, ``rounds`` times."""
    failures = []
    for round_no in range(rounds):
        prefix = f"w{uuid.uuid4().hex[:8]}_"
        barrier = threading.Barrier(writers)
        errors: list[str] = []

        def writer(
            barrier: threading.Barrier = barrier, prefix: str = prefix, errors: list[str] = errors
        ) -> None:
            barrier.wait()
            try:
                write(url, prefix, 1)
            except Exception as exc:  # noqa: BLE001 - counted as a failure
                errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")

        threads = [threading.Thread(target=writer) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        current = snapshot(url, prefix).get("scores_current", [])
        if errors:
            failures.append(f"round {round_no}: {len(errors)} writer(s) failed: {errors[0]}")
        if len(current) != len(ROWS[1]):
            failures.append(f"round {round_no}: {len(current)} current rows, not {len(ROWS[1])}")
        drop(url, prefix)
    return failures


def run(urls: dict[str, str]) -> int:
    """Run both checks on every database; print one line per check; 0 when all held."""
    status = 0
    for name, url in urls.items():
        for check, fn in (
            ("kill at every step", kill_at_every_step),
            ("concurrent first writers", concurrent_first_writers),
        ):
            failures = fn(url)
            status |= bool(failures)
            verdict = "ok" if not failures else "FAILED: " + "; ".join(failures)
            print(f"{name:<10} {check:<26} {verdict}")  # noqa: T201 - a script's report
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", help="also check this PostgreSQL database")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:  # the writer process: write day's run, killed before step ("-": never)
        url, prefix, day, step = args.child
        if step != "-":
            _die_before(step)
        write(url, prefix, int(day))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": f"sqlite:///{Path(tmp) / 'faults.db'}"}
        if args.pg_url:
            urls["postgresql"] = args.pg_url
        return run(urls)


if __name__ == "__main__":
    sys.exit(main())
