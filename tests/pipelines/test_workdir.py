"""Commands that read a trained model never create an MLflow store: a mistyped --workdir is
an error naming the folder, not a new, empty store and a "no scorer" message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.store import existing_tracking_uri
from pipelines.cli import app

MODEL = "models:/leadscore-conversion-scorer@champion"


def test_a_workdir_without_a_store_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    typo = tmp_path / "wrok"
    with pytest.raises(ValueError, match=r"--workdir .*wrok holds no MLflow store"):
        existing_tracking_uri(typo)
    result = CliRunner().invoke(
        app, ["explain", "c1", "--data", str(tmp_path), "--workdir", str(typo)]
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # rich wraps long lines
    assert f"--workdir {typo} holds no MLflow store" in output and "Traceback" not in output
    assert not typo.exists()


def test_a_workdir_with_a_store_gives_its_uri(tmp_path: Path, mlflow_store) -> None:
    mlflow_store.fresh_db(tmp_path / "mlruns" / "mlflow.db")
    assert existing_tracking_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"


@pytest.mark.prefect
@pytest.mark.slow  # the session's Prefect test harness starts a server (~10 s)
@pytest.mark.parametrize("flow_name", ["score", "compare"])
def test_score_and_compare_flows_refuse_a_workdir_without_a_store(
    prefect_harness: None, tmp_path: Path, flow_name: str
) -> None:
    from pipelines.flow_requests import CompareRequest, ScoreRequest
    from pipelines.flows.compare import compare_flow
    from pipelines.flows.score import score_flow

    typo = tmp_path / "wrok"
    with pytest.raises(ValueError, match="holds no MLflow store"):
        if flow_name == "score":
            request = ScoreRequest(
                data=str(tmp_path), sink=str(tmp_path / "s.csv"), model_uri=MODEL, workdir=typo
            )
            score_flow(request=request)
        else:
            request = CompareRequest(
                data=str(tmp_path), model_uri=MODEL, out=tmp_path / "r.html", workdir=typo
            )
            compare_flow(request=request)
    assert not typo.exists()
