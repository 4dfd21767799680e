"""Fixtures for the sink tests: tiny score frames with known values and database URLs.

``db_url`` yields a SQLite URL and, when ``LEADSCORE_TEST_PG_URL`` is set (``.ci/run``
starts a private server and sets it), the PostgreSQL URL. Each test gets its own table
prefix so tests never collide on the shared PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from serving.sinks import RunInfo, build_tables
from serving.sinks.versions import version_tables

PG_ENV = "LEADSCORE_TEST_PG_URL"
PG_SKIP = "set LEADSCORE_TEST_PG_URL to run against PostgreSQL (.ci/run starts one)"

DAY1 = datetime(2024, 1, 3, tzinfo=UTC)
DAY2 = datetime(2024, 1, 4, tzinfo=UTC)


def _reasons(text: str, contribution: float) -> str:
    return json.dumps([{"feature": "pricing_views_7d", "text": text, "contribution": contribution}])


def _rules(rule: str, points: float) -> str:
    return json.dumps([{"rule": rule, "points": points}])


# contact_id -> (final_score, tier, stage, probability, manual_score, grade) per day.
DAY1_ROWS: dict[str, tuple[Any, ...]] = {
    "c1": (80.0, "A", "mql", 0.70, 30.0, "A2"),
    "c2": (40.0, "C", "lead", 0.20, 10.0, None),
    "c3": (10.0, "D", "subscriber", 0.05, 0.0, "B3"),
}
DAY2_ROWS: dict[str, tuple[Any, ...]] = {
    "c1": (85.5, "A", "sql", 0.75, 35.0, "A2"),
    "c2": (20.0, "D", "lead", 0.10, 5.0, None),
    "c3": (12.0, "D", "subscriber", 0.06, 0.0, "B3"),
    "c4": (50.0, "B", "mql", 0.40, 20.0, "B1"),
}


def scores_frame(
    rows: dict[str, tuple[Any, ...]], as_of: datetime, trends: dict[str, str] | None = None
) -> pd.DataFrame:
    """A contract-conforming scores frame from ``{contact_id: (score, tier, ...)}``;
    ``score_trend`` is ``new`` unless ``trends`` names it."""
    ids = list(rows)
    cols = list(zip(*rows.values(), strict=True))
    return pd.DataFrame(
        {
            "contact_id": pd.Series(ids, dtype="str"),
            "as_of": pd.Series([as_of] * len(ids), dtype="datetime64[ns, UTC]"),
            "final_score": pd.Series(cols[0], dtype="float64"),
            "tier": pd.Series(cols[1], dtype="str"),
            "stage": pd.Series(cols[2], dtype="str"),
            "probability": pd.Series(cols[3], dtype="float64"),
            "manual_score": pd.Series(cols[4], dtype="float64"),
            "grade": pd.Series(cols[5], dtype="str"),
            "top_reasons": [_reasons(f"Viewed pricing ({i})", 0.12) for i in ids],
            "top_rules": [_rules("demo_request", 20) for _ in ids],
            "score_trend": pd.Series([(trends or {}).get(i, "new") for i in ids], dtype="str"),
        }
    )


def run_info(as_of: datetime, run_id: str = "run-1", model_version: str = "3") -> RunInfo:
    """RunInfo for ``as_of``, scored one hour later."""
    return RunInfo(
        as_of=as_of,
        model_name="lead_conversion",
        model_version=model_version,
        rulebook_version="rb-7",
        run_id=run_id,
        scored_at=pd.Timestamp(as_of) + pd.Timedelta(hours=1),
    )


@pytest.fixture
def fx() -> SimpleNamespace:
    """Known inputs and helpers: DAY1/DAY2, their rows, scores(), run(), snapshot()."""
    return SimpleNamespace(
        DAY1=DAY1,
        DAY2=DAY2,
        DAY1_ROWS=DAY1_ROWS,
        DAY2_ROWS=DAY2_ROWS,
        scores=scores_frame,
        run=run_info,
        snapshot=snapshot,
    )


@pytest.fixture
def table_prefix() -> str:
    """A fresh prefix per test (tests share one PostgreSQL database)."""
    return f"t{uuid.uuid4().hex[:10]}_"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.integration),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path, table_prefix: str) -> Iterator[str]:
    """A database URL: SQLite in tmp_path, or the PostgreSQL server from the environment."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scores.db'}"
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    yield url
    engine = sa.create_engine(url)
    tables = build_tables(table_prefix)
    with engine.begin() as conn:
        version_tables(table_prefix).metadata.drop_all(conn, checkfirst=True)
        tables.metadata.drop_all(conn, checkfirst=True)
    engine.dispose()


def snapshot(url: str, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """All rows of the sink tables, ordered by primary key, as raw driver values."""
    tables = build_tables(prefix)
    engine = sa.create_engine(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in tables.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            order = [c.name for c in table.primary_key.columns]
            cols = ", ".join(c.name for c in table.columns)
            sql = f"SELECT {cols} FROM {table.name} ORDER BY {', '.join(order)}"
            out[table.name] = [tuple(r) for r in conn.exec_driver_sql(sql).all()]
    engine.dispose()
    return out


@pytest.fixture(scope="session")
def spark(spark_ready):
    """One local Spark session (local[2], small memory, UI off) for every Spark test."""
    from serving.spark import SparkSettings, spark_session

    settings = SparkSettings(
        master="local[2]", driver_memory="1g", shuffle_partitions=4, app_name="leadscore-tests"
    )
    session = spark_session(settings)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
