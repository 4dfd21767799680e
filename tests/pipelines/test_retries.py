"""Failed tasks are retried only when another attempt may succeed; a missing model is a
one-line error naming where it was looked for."""

from __future__ import annotations

import sqlite3

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE

from features.ingest import InputError
from pipelines.flows.common import is_transient, retry_transient


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (InputError("source not found: /nope"), False),
        (ValueError("--as-of '05/09/2026' is not an ISO date"), False),
        (FileNotFoundError("/nope/train.yaml"), False),
        (KeyError("seniority"), False),
        (MlflowException("Registered Model with name=x not found", RESOURCE_DOES_NOT_EXIST), False),
        (MlflowException("try later", TEMPORARILY_UNAVAILABLE), True),
        (ConnectionError("connection reset"), True),
        (TimeoutError("timed out"), True),
        (sqlite3.OperationalError("database is locked"), True),
    ],
)
def test_which_errors_are_worth_another_attempt(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


@pytest.mark.prefect
@pytest.mark.slow  # the session's Prefect test harness starts a server (~10 s)
def test_a_task_retries_a_transient_error_but_not_a_wrong_input(prefect_harness: None) -> None:
    from prefect import flow, task

    attempts: list[str] = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=retry_transient)
    def flaky(kind: str) -> str:
        attempts.append(kind)
        if kind == "input":
            raise InputError("bad column")
        if len(attempts) < 3:
            raise ConnectionError("reset")
        return "done"

    @flow
    def run(kind: str) -> str:
        return flaky(kind)

    with pytest.raises(InputError):
        run("input")
    assert attempts == ["input"]  # failed at once
    attempts.clear()
    assert run("network") == "done"
    assert attempts == ["network"] * 3  # two retries, then success


def test_loading_a_scorer_that_is_not_there_says_where_it_looked(mlflow_store) -> None:
    from serving.scorer_model import load_scorer

    with pytest.raises(ValueError, match="no scorer models:/nope@champion in the MLflow store"):
        load_scorer("models:/nope@champion", mlflow_store.tracking_uri)
