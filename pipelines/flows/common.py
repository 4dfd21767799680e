"""Tasks shared by several flows, and when a failed task is worth another attempt."""

from __future__ import annotations

from typing import Any

from mlflow.exceptions import MlflowException
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from features.ingest.errors import InputError
from features.ingest.load import ingest
from features.ingest.validation import ValidationReport
from models.tracking import MLFLOW_NOT_FOUND_CODES

PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    InputError,  # bad data, mapping or source: the same input fails the same way
    ValueError,
    KeyError,
    TypeError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
    ArgumentError,  # a malformed database URL
    NoSuchModuleError,  # an unknown database dialect
)
"""Errors another attempt would repeat: they fail the task at once, without retries."""


def is_transient(error: BaseException) -> bool:
    """Whether another attempt may succeed: a lost connection, a locked database, a
    timeout; not a wrong input, a missing file or model, or a bug."""
    if isinstance(error, MlflowException):
        return error.error_code not in MLFLOW_NOT_FOUND_CODES
    return not isinstance(error, PERMANENT_ERRORS)


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task only for a transient error."""
    try:
        state.result()
    except BaseException as error:  # noqa: BLE001 - the failed task's own exception
        return is_transient(error)
    return True


@task(
    name="validate-crm",
    retries=1,
    retry_delay_seconds=10,
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def validate_crm(data: str, mapping: str | None) -> ValidationReport:
    """Read, map and validate the CRM export (I/O: retried once if the error is transient)."""
    return ingest(data, mapping)
