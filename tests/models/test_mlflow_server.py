"""Integration: log, register and load by alias through a real ``mlflow server`` process."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pytest

from models.config import LightGBMParams, QualityGates, TrainConfig
from models.pyfunc import to_serving_frame
from models.train import train_and_register

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path, mlflow_store):
    """A local ``mlflow server`` on a free port, its database copied from the migrated one."""
    exe = shutil.which("mlflow", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the mlflow command is not installed next to this Python")
    db = mlflow_store.fresh_db(tmp_path / "server.db")
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            exe,
            "server",
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--default-artifact-root",
            str(tmp_path / "art"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        # own process group: the server starts uvicorn as a child, stopped with it below
        start_new_session=True,
        # the background job runner (huey workers) is not needed and slows start-up
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"mlflow server did not come up: {(tmp_path / 'server.log').read_text()}"
                )
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_train_register_and_load_by_alias_through_server(mlflow_server, leads):
    config = TrainConfig(
        model_name="server-model",
        experiment_name="server-exp",
        lightgbm=LightGBMParams(n_estimators=100, learning_rate=0.2),
        gates=QualityGates(min_auc=0.6, max_ece=0.1),
    )
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    Xt, yt = leads.slice("test")
    result = train_and_register(
        X, y, Xv, yv, Xt, yt, config=config, k_frac=0.1, tracking_uri=mlflow_server
    )
    assert result.decision.alias == "champion"
    mlflow.set_tracking_uri(mlflow_server)
    mlflow.set_registry_uri(mlflow_server)
    loaded = mlflow.pyfunc.load_model("models:/server-model@champion")
    served = loaded.predict(to_serving_frame(Xt, result.model))["p_convert"].to_numpy()
    np.testing.assert_allclose(served, result.model.predict_proba(Xt)[:, 1], rtol=1e-12)
    run = mlflow.get_run(result.run_id)
    assert run.data.metrics["test_roc_auc"] == pytest.approx(result.metrics["test_roc_auc"])
