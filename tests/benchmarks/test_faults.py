"""benchmarks/faults.py holds: a writer killed before any step of a run leaves the previous
run's tables, a re-run equals an uninterrupted run, concurrent first writers all succeed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.faults import STEPS, concurrent_first_writers, kill_at_every_step

PG_URL = os.environ.get("LEADSCORE_TEST_PG_URL")


def _url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'faults.db'}"
    if not PG_URL:
        pytest.skip("set LEADSCORE_TEST_PG_URL to run against PostgreSQL (.ci/run starts one)")
    return PG_URL


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_a_kill_at_every_step_leaves_the_previous_run(kind: str, tmp_path: Path) -> None:
    assert len(STEPS) == 7
    assert kill_at_every_step(_url(kind, tmp_path)) == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", DATABASES)
def test_concurrent_first_writers_all_succeed(kind: str, tmp_path: Path) -> None:
    assert concurrent_first_writers(_url(kind, tmp_path)) == []
