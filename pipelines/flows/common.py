"""Tasks shared by several flows, and when a failed task is worth another attempt."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from features.ingest.load import ingest
from features.ingest.validation import ValidationReport
from pipelines.errors import is_transient


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task only for a transient error
    (:func:`pipelines.errors.is_transient`)."""
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
def validate_crm(data: str, mapping: str | None, bots: str | None = None) -> ValidationReport:
    """Read, map and validate the CRM export, then filter bots (I/O: retried once if the
    error is transient); ``bots`` is a bot filter settings YAML (None: the default)."""
    return ingest(data, mapping, bots=bots)
