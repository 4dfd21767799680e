"""The score flow under Prefect: files in, registered scorer, SQLite sink, idempotent;
``leadscore score`` without Prefect writes the same rows, and with ``--prefect`` is a
Prefect flow run."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from scorer_helpers import crm_on_disk, register_scorer

from features.ingest.load import ingest
from pipelines.flow_requests import ScoreRequest
from pipelines.flows.score import score_flow
from serving.lead_explanation import explain_lead, scorer_to_explain
from serving.sinks import build_tables

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

AS_OF = "2026-09-01"
NAME = "test-score-flow"


@pytest.fixture(scope="module")
def registered(mlflow_store, tmp_path_factory):
    """A synthetic CRM written as files and a scorer registered from it."""
    data_dir = tmp_path_factory.mktemp("crm")
    tables = crm_on_disk(data_dir, 2000, 31)
    reg = register_scorer(
        tables, mlflow_store.tracking_uri, NAME,
        train_snapshots=3, n_estimators=40, early_stopping_rounds=10,
    )  # fmt: skip
    return str(data_dir), reg, tables


def _sink_rows(url: str) -> dict[str, list[tuple]]:
    tables = build_tables("leadscore_")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = {
            t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key)).all()]
            for t in (tables.current, tables.history, tables.rejects)
        }
    engine.dispose()
    return out


def test_score_flow_scores_every_lead_and_a_rerun_changes_nothing(
    prefect_harness, registered, mlflow_store, tmp_path
):
    data_dir, reg, tables = registered
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    request = ScoreRequest(
        data=data_dir, sink=url, model_uri=reg.model_uri, as_of=AS_OF,
        tracking_uri=mlflow_store.tracking_uri, workdir=tmp_path,
    )  # fmt: skip
    first = score_flow(request=request)
    rows = _sink_rows(url)
    second = score_flow(request=request)
    assert _sink_rows(url) == rows
    assert first["eligible"] == len(tables.contacts) == first["scored"] + first["rejected"]
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    assert first["rejected"] >= int((created >= pd.Timestamp(AS_OF, tz="UTC")).sum()) > 0
    assert len(rows["leadscore_scores_current"]) == first["scored"]
    assert len(rows["leadscore_score_rejects"]) == first["rejected"]
    assert first["model"] == f"{reg.model_name} v{reg.version}"
    assert second["n_current_updated"] == 0 and second["n_history_inserted"] == 0
    assert "Final score distribution" in first["text"]
    # no earlier run in the sink: every lead is new, and the re-run sees the same (none)
    assert first["per_trend"] == second["per_trend"] == {"new": first["scored"]}
    assert f"new: {first['scored']:,}" in first["text"]
    quarantined = sum(c["quarantined"] for c in first["quarantined"].values())
    assert ("Validation quarantined" in first["text"]) == (quarantined > 0)
    # the flagged activities go where `leadscore validate` writes them, in its format
    bots_csv = tmp_path / "validation" / Path(data_dir).name / "bots.csv"
    assert first["bots_file"] == second["bots_file"] == str(bots_csv)
    expected = ingest(data_dir).write(tmp_path / "local")["bots"].read_text()
    assert bots_csv.read_text() == expected and expected.count("\n") > 1  # some were flagged


def test_explain_lead_reads_the_files_and_prints_both_sections(registered, mlflow_store):
    data_dir, reg, tables = registered
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    contact = str(tables.contacts.loc[created < pd.Timestamp("2026-06-01", tz="UTC")].iloc[0, 0])
    scorer = scorer_to_explain(reg.model_uri, mlflow_store.tracking_uri)
    text = explain_lead(data_dir, scorer, contact, AS_OF)
    assert f"Lead {contact}" in text
    assert "Model factors" in text and "Rules that fired" in text


def test_explain_lead_names_the_day_it_used(registered, mlflow_store):
    data_dir, reg, tables = registered
    today = pd.Timestamp.now(tz="UTC").normalize()
    lead = str(reg.scorer.prepare(tables, today).frame["contact_id"].iloc[0])  # not rejected
    text = explain_lead(data_dir, scorer_to_explain(reg.model_uri, mlflow_store.tracking_uri), lead)
    assert text.splitlines()[0] == (
        f"No --as-of given: explained as of today, {today:%Y-%m-%d} 00:00 UTC."
    )


def test_explain_lead_says_when_validation_quarantined_the_contact(
    registered, mlflow_store, tmp_path
):
    import shutil

    data_dir, reg, tables = registered
    dirty = tmp_path / "crm"
    shutil.copytree(data_dir, dirty)
    contacts = pd.read_parquet(dirty / "contacts.parquet")
    bad = contacts.iloc[[0]].assign(contact_id="con_BAD", seniority="wizard")
    pd.concat([contacts, bad], ignore_index=True).to_parquet(dirty / "contacts.parquet")
    scorer = scorer_to_explain(reg.model_uri, mlflow_store.tracking_uri)
    with pytest.raises(KeyError) as info:
        explain_lead(str(dirty), scorer, "con_BAD", AS_OF)
    message = info.value.args[0]
    assert "validation quarantined it" in message and "seniority" in message


def _leadscore(
    args: list[str], prefect_home: Path, *, ephemeral: bool
) -> subprocess.CompletedProcess:
    """``leadscore ARGS`` in a fresh process: no Prefect API configured, its own Prefect
    home (no profile), and Prefect's temporary server allowed only when ``ephemeral``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(prefect_home)
    env["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "true" if ephemeral else "false"
    leadscore = Path(sys.executable).with_name("leadscore")
    return subprocess.run([str(leadscore), *args], env=env, capture_output=True, text=True)


def _without_run(rows: list[tuple], columns: list[str]) -> list[list]:
    """The rows without who ran them and when (run_id, scored_at)."""
    keep = [i for i, c in enumerate(columns) if c not in {"run_id", "scored_at"}]
    return [[r[i] for i in keep] for r in rows]


def test_the_cli_without_prefect_writes_what_the_flow_writes(
    prefect_harness, registered, mlflow_store, tmp_path
):
    """``leadscore score`` runs the flow's steps as plain functions: with Prefect's
    temporary server disabled and no API URL, it still succeeds (``--prefect`` then fails:
    the setting does stop a flow run), and the sink holds the flow's rows."""
    data_dir, reg, tables = registered
    flow_sink = f"sqlite:///{tmp_path / 'flow.db'}"
    score_flow(
        request=ScoreRequest(
            data=data_dir, sink=flow_sink, model_uri=reg.model_uri, as_of=AS_OF,
            tracking_uri=mlflow_store.tracking_uri, workdir=tmp_path,
        )
    )  # fmt: skip
    cli_sink = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["score", "--data", data_dir, "--model", reg.model_uri, "--as-of", AS_OF]
    args += ["--tracking-uri", mlflow_store.tracking_uri]
    done = _leadscore([*args, "--sink", cli_sink], tmp_path / "prefect", ephemeral=False)
    assert done.returncode == 0, done.stderr
    assert f"of {len(tables.contacts):,} eligible leads" in done.stdout
    flow_rows, cli_rows = _sink_rows(flow_sink), _sink_rows(cli_sink)
    sink = build_tables("leadscore_")
    for table in (sink.current, sink.history, sink.rejects):
        columns = [c.name for c in table.columns]
        assert len(flow_rows[table.name]) > 0
        assert _without_run(cli_rows[table.name], columns) == _without_run(
            flow_rows[table.name], columns
        )
    # the flow's rows carry its flow-run id, the CLI's the deterministic one
    assert {r[-1] for r in cli_rows[sink.rejects.name]} == {
        f"score-20260901T000000Z-{reg.model_name}-v{reg.version}"
    }
    orchestrated = _leadscore(
        [*args, "--sink", f"sqlite:///{tmp_path / 'p.db'}", "--prefect"],
        tmp_path / "prefect",
        ephemeral=False,
    )
    assert orchestrated.returncode != 0
    assert not (tmp_path / "p.db").exists()


def test_the_cli_with_prefect_is_a_completed_flow_run(registered, mlflow_store, tmp_path):
    """``--prefect`` starts Prefect's temporary server: the sink's run id is the id of a
    completed ``score`` flow run in that server's database."""
    data_dir, reg, _ = registered
    sink = tmp_path / "scores.db"
    args = ["score", "--data", data_dir, "--model", reg.model_uri, "--as-of", AS_OF]
    args += ["--tracking-uri", mlflow_store.tracking_uri, "--sink", f"sqlite:///{sink}"]
    done = _leadscore([*args, "--prefect"], tmp_path / "prefect", ephemeral=True)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(sink) as conn:
        (run_ids,) = zip(*conn.execute("SELECT DISTINCT run_id FROM leadscore_scores_current"))
    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as conn:
        runs = conn.execute(
            "SELECT flow_run.id, flow_run.state_type, flow.name FROM flow_run "
            "JOIN flow ON flow.id = flow_run.flow_id"
        ).fetchall()
    assert [(str(run_ids[0]), "COMPLETED", "score")] == [(str(i), s, n) for i, s, n in runs]
