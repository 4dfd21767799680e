"""A scorer whose pickle is missing or truncated is a permanent one-line error naming the
model and the store, not a retried traceback."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import mlflow
import pytest

from pipelines.errors import describe_error, is_transient
from serving.scorer_model import ARTIFACT_KEY, LeadScorerPyfunc, load_scorer


def _log_scorer_files(tmp_path: Path, tracking_uri: str, payload: bytes) -> tuple[str, Path]:
    """Log a scorer pyfunc whose pickle holds ``payload``; return its URI and stored pickle."""
    mlflow.set_tracking_uri(tracking_uri)
    artifacts = tmp_path / "artifacts"
    experiment_id = mlflow.create_experiment(
        f"scorer-files-{uuid.uuid4().hex[:8]}", artifact_location=artifacts.as_uri()
    )
    source = tmp_path / "lead_scorer.pkl"
    source.write_bytes(payload)
    # start_run(experiment_id=...), not set_experiment: a global active experiment would
    # outlive this test and break later tests that resume a run of another experiment
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.pyfunc.log_model(
            name="scorer",
            python_model=LeadScorerPyfunc(),
            artifacts={ARTIFACT_KEY: str(source)},
            pip_requirements=["pandas"],
        )
    return f"runs:/{run.info.run_id}/scorer", next(artifacts.rglob("lead_scorer.pkl"))


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_damaged_scorer_pickle_is_a_permanent_error_naming_the_model(
    tmp_path: Path, mlflow_store, damage: str
) -> None:
    whole = pickle.dumps({"weights": list(range(1_000))})
    uri, stored = _log_scorer_files(tmp_path, mlflow_store.tracking_uri, whole)
    if damage == "truncated":
        stored.write_bytes(whole[: len(whole) // 2])  # a copy cut short
    else:
        stored.unlink()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is what is checked below
        load_scorer(uri, mlflow_store.tracking_uri)
    assert not is_transient(caught.value)
    message = describe_error(caught.value)
    assert message is not None and "\n" not in message
    assert uri in message and mlflow_store.tracking_uri in message
    assert ("corrupt or truncated" if damage == "truncated" else "no such file") in message
