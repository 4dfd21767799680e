"""prefect.yaml for real: a Prefect server, the process work pool, ``prefect deploy --all``,
the validate and score deployments run by a worker, the sink checked, a re-run idempotent.

The commands are the README's deployment recipe (section *Orchestration*), run as
subprocesses with ``LEADSCORE_HOME`` set to a temporary home that holds the flows (a link
to ``pipelines/``) and ``work/``: a small generated CRM and a champion scorer trained into
``work/mlruns``, where the deployments' parameters expect them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from scorer_helpers import crm_on_disk, register_scorer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POOL = "leadscore-process"
DEPLOYMENTS = ("validate/validate-nightly", "score/score-nightly")
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect(env: dict[str, str], *args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [str(BIN / "prefect"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A Prefect server of its own (own database); yields the environment to reach it."""
    prefect_home = tmp_path_factory.mktemp("prefect_home")
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    log = (prefect_home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={k: v for k, v in env.items() if k != "PREFECT_API_URL"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (prefect_home / "server.log").read_text()
            assert time.monotonic() < deadline, "Prefect server did not start in 240 s"
            time.sleep(2)
        yield env
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, mlflow_store) -> Path:
    """LEADSCORE_HOME: the flows, a generated CRM in work/crm and a champion in work/mlruns."""
    home = tmp_path_factory.mktemp("leadscore_home")
    (home / "pipelines").symlink_to(ROOT / "pipelines", target_is_directory=True)
    tables = crm_on_disk(home / "work" / "crm", 600, seed=5)
    db = mlflow_store.fresh_db(home / "work" / "mlruns" / "mlflow.db")
    register_scorer(
        tables,
        f"sqlite:///{db}",
        "leadscore-conversion",  # config_default's model name: the deployments' scorer
        train_snapshots=3,
        n_estimators=30,
        early_stopping_rounds=10,
    )
    return home


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group started for ``process``, SIGKILL it after 30 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _run_states(env: dict[str, str], ids: list[str]) -> dict[str, str]:
    api = env["PREFECT_API_URL"]
    states = {}
    for run_id in ids:
        body = httpx.get(f"{api}/flow_runs/{run_id}", timeout=30).json()
        states[run_id] = (body.get("state") or {}).get("type", "PENDING")
    return states


def _run_deployments(env: dict[str, str], home: Path) -> dict[str, str]:
    """Trigger both deployments, let a worker run them, return name -> final state."""
    ids = {}
    for name in DEPLOYMENTS:
        out = _prefect(env, "deployment", "run", name)
        found = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
        assert found is not None, out
        ids[name] = found.group(1)
    worker_log = (home / f"worker-{time.monotonic_ns()}.log").open("w")
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--limit", "1"],
        cwd=home,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its flow-run subprocesses are stopped with it
    )
    try:
        deadline = time.monotonic() + 420
        while True:
            states = _run_states(env, list(ids.values()))
            if set(states.values()) <= TERMINAL:
                break
            if "CRASHED" in states.values() or "FAILED" in states.values():
                break
            assert worker.poll() is None, Path(worker_log.name).read_text()
            assert time.monotonic() < deadline, f"runs not finished in 420 s: {states}"
            time.sleep(3)
    finally:
        _stop(worker)
        worker_log.close()
    final = {name: states[run_id] for name, run_id in ids.items()}
    if set(final.values()) != {"COMPLETED"}:
        tail = Path(worker_log.name).read_text()[-3000:]
        raise AssertionError(f"deployment runs ended {final}; worker log ends:\n{tail}")
    return final


def _sink_rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        out = {
            table: [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table}").all()]
            for table in ("leadscore_scores_current", "leadscore_score_history")
        }
        out["runs"] = [
            (r[0],) for r in conn.exec_driver_sql("SELECT run_id FROM leadscore_score_runs")
        ]
    engine.dispose()
    return out


def test_the_deployments_run_under_a_worker_and_a_rerun_changes_nothing(
    server: dict[str, str], home: Path
) -> None:
    env = {**server, "LEADSCORE_HOME": str(home)}
    # the README's recipe (section Orchestration)
    _prefect(env, "work-pool", "create", POOL, "--type", "process")
    _prefect(env, "--no-prompt", "deploy", "--all")

    assert _run_deployments(env, home) == {name: "COMPLETED" for name in DEPLOYMENTS}

    summary = home / "work" / "validation" / "validation_summary.json"
    assert summary.is_file()
    sink = home / "work" / "crm_scores.db"
    first = _sink_rows(sink)
    assert len(first["leadscore_scores_current"]) > 0
    assert len(first["leadscore_score_history"]) == len(first["leadscore_scores_current"])

    assert _run_deployments(env, home) == {name: "COMPLETED" for name in DEPLOYMENTS}

    second = _sink_rows(sink)
    assert second["leadscore_scores_current"] == first["leadscore_scores_current"]
    assert second["leadscore_score_history"] == first["leadscore_score_history"]
    assert len(second["runs"]) == 2  # the second run is logged, and changed nothing else
