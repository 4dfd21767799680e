"""features.json_text: one JSON writer for validation reports and MLflow artifacts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.ingest.report import _json
from features.json_text import json_text, jsonable
from models.tracking import artifact_location_for, ensure_experiment, log_json, use_tracking_uri

# A value of each kind json cannot write itself, with its expected JSON value by hand.
VALUES = {
    "as_of": pd.Timestamp("2024-01-01", tz="UTC"),
    "count": np.int64(3),
    "share": np.float64(0.25),
    "seen": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    "tags": {"a"},
    "path": pd.Period("2024-01", freq="M"),
}
EXPECTED = {
    "as_of": "2024-01-01T00:00:00+00:00",
    "count": 3,
    "share": 0.25,
    "seen": "2024-01-02T03:04:05+00:00",
    "tags": ["a"],
    "path": "2024-01",
}


@pytest.mark.parametrize("key", VALUES)
def test_jsonable_by_kind(key: str) -> None:
    assert jsonable(VALUES[key]) == EXPECTED[key]


def test_json_text_is_indented_and_sorted() -> None:
    assert json_text({"b": np.int64(1), "a": pd.Timestamp("2024-01-01", tz="UTC")}) == (
        '{\n  "a": "2024-01-01T00:00:00+00:00",\n  "b": 1\n}'
    )


def test_validation_report_json_writes_timestamps_as_iso() -> None:
    assert json.loads(_json(VALUES)) == EXPECTED


@pytest.mark.slow
def test_mlflow_json_artifacts_write_timestamps_as_the_report_does(mlflow_store) -> None:
    uri = mlflow_store.tracking_uri
    use_tracking_uri(uri)
    experiment = ensure_experiment("json-text-artifact", uri, artifact_location_for(uri))
    with mlflow.start_run(experiment_id=experiment) as run:
        log_json(VALUES, "values.json")
    logged = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/values.json")
    assert json.loads(logged) == EXPECTED
    assert logged + "\n" == _json(VALUES)
