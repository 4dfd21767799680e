"""Tasks shared by several flows, when a failed task is worth another attempt, and how a
flow runs with or without Prefect.

A one-shot command need not start a Prefect server: :func:`run_flow` calls the flow's
plain function unless orchestration is asked for (``--prefect``, or a Prefect API
configured: ``PREFECT_API_URL``), and inside a flow body :func:`step` gives each task's
plain function when no flow run is active. Every flow of this package runs its tasks so:
the same wiring and the same library calls run either way; a plain run leaves out only
Prefect's tracking, retries and UI. Tasks pass frames in memory and are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import pandas as pd
from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL

from features.fit import spec_for_data
from features.infer import InferSettings
from features.ingest.load import ingest
from features.ingest.validation import ValidationReport
from features.spec import FeatureSpec, load_feature_spec
from pipelines.errors import is_transient
from serving.scorer_model import LoadedScorer, load_scorer

P = ParamSpec("P")
R = TypeVar("R")


def run_flow(flow: Any, prefect: bool, /, **params: Any) -> Any:
    """Run ``flow`` as a Prefect flow run when asked (``--prefect``) or when a Prefect API
    is configured (``PREFECT_API_URL`` in the environment or the active Prefect profile: a
    server or Prefect Cloud to report to), else as plain Python.

    Args:
        flow: A Prefect flow (its plain function is ``flow.fn``).
        prefect: The command's ``--prefect`` option.

    Returns:
        What the flow returns.
    """
    orchestrated = prefect or bool(PREFECT_API_URL.value())
    return flow(**params) if orchestrated else flow.fn(**params)


def step(task_: Callable[P, R]) -> Callable[P, R]:
    """The task itself inside a Prefect flow run; its plain function otherwise (a task
    called outside a flow run would start a Prefect server to report its run to)."""
    if FlowRunContext.get() is not None:
        return task_
    return cast(Callable[P, R], getattr(task_, "fn", task_))


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task only for a transient error
    (:func:`pipelines.errors.is_transient`)."""
    try:
        state.result()
    except BaseException as error:  # noqa: BLE001 - the failed task's own exception
        return is_transient(error)
    return True


def io_task(
    name: str, *, retries: int = 2, delay_seconds: int = 10
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """The decorator of a task that touches the outside world (files, databases, MLflow):
    retried only for a transient error (:func:`retry_transient`), never cached (hashing
    a large frame costs more than the step it would skip).

    Args:
        retries: Further attempts after a transient failure.
        delay_seconds: Seconds between attempts.
    """
    return task(
        name=name,
        retries=retries,
        retry_delay_seconds=delay_seconds,
        retry_condition_fn=retry_transient,
        cache_policy=NO_CACHE,
    )


@io_task("validate-crm", retries=1)
def validate_crm(
    data: str,
    mapping: str | None,
    bots: str | Path | None = None,
    *,
    now: pd.Timestamp | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    infer: InferSettings | None = None,
    trained_types: dict[str, dict[str, str]] | None = None,
) -> ValidationReport:
    """Read, map and validate the CRM export, then filter bots (I/O: retried once if the
    error is transient); ``bots`` is a bot filter settings YAML (None: the default), the
    rest as :func:`features.ingest.load.ingest` takes them (None: its defaults)."""
    return ingest(
        data, mapping, now=now, sep=sep, encoding=encoding, bots=bots, infer=infer,
        trained_types=trained_types,
    )  # fmt: skip


def feature_spec(
    path: Path | None, contacts: pd.DataFrame, infer: InferSettings
) -> tuple[FeatureSpec, list[str]]:
    """The feature spec of a run that reads ``contacts``: the file's as written, or (None)
    the default spec plus the columns the mapping kept (:func:`features.fit.spec_for_data`),
    so a feature table and the scorer trained on the same data use the same features.

    Args:
        infer: The run's type inference settings (the request's ``infer``): its
            ``max_unique_share`` decides which kept text columns are id-like.

    Returns:
        The spec and one note per extra column added or left out.
    """
    spec = load_feature_spec(path)
    return spec_for_data(spec, contacts, infer) if path is None else (spec, [])


@io_task("load-scorer")
def load(model_uri: str | None, tracking_uri: str) -> LoadedScorer:
    """Load the registered scorer from MLflow (I/O: retried if the error is transient)."""
    return load_scorer(model_uri, tracking_uri)
