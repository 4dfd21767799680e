"""`leadscore score --engine spark` and the score flow with engine="spark" (local[2])."""

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from scorer_helpers import crm_on_disk, register_scorer
from typer.testing import CliRunner

from features.ingest.load import ingest
from features.synthetic import generate_crm, write_crm
from pipelines.cli import app
from pipelines.flow_requests import ScoreRequest
from pipelines.flows.score import score_flow

pytestmark = [pytest.mark.prefect, pytest.mark.spark, pytest.mark.slow]

AS_OF = "2026-09-01"
NAME = "test-score-flow-spark"


@pytest.fixture(scope="module")
def registered(spark_ready, mlflow_store, tmp_path_factory):
    """A synthetic CRM as Parquet files, a registered scorer and a local[2] Spark config."""
    data_dir = tmp_path_factory.mktemp("crm")
    tables = crm_on_disk(data_dir, 1200, 37, bot_share=0)
    reg = register_scorer(
        tables, mlflow_store.tracking_uri, NAME,
        train_snapshots=2, n_estimators=20, early_stopping_rounds=5,
    )  # fmt: skip
    config = data_dir.parent / "spark.yaml"
    config.write_text(
        "master: local[2]\ndriver_memory: 1g\nshuffle_partitions: 4\nn_buckets: 3\n"
        "conf:\n  spark.sql.adaptive.enabled: 'true'\n"
    )
    return str(data_dir), reg, tables, str(config)


def test_cli_scores_on_spark_into_sqlite(prefect_harness, registered, mlflow_store, tmp_path):
    data_dir, reg, tables, config = registered
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    args = ["score", "--engine", "spark", "--spark-config", config, "--data", data_dir]
    args += ["--sink", url, "--model", reg.model_uri, "--as-of", AS_OF]
    args += ["--tracking-uri", mlflow_store.tracking_uri, "--workdir", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"of {len(tables.contacts):,} eligible leads" in result.output
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n_current = conn.exec_driver_sql("SELECT COUNT(*) FROM leadscore_scores_current").scalar()
        n_rejects = conn.exec_driver_sql("SELECT COUNT(*) FROM leadscore_score_rejects").scalar()
    engine.dispose()
    assert n_current + n_rejects == len(tables.contacts) and n_rejects > 0


def test_cli_spark_with_a_mapping_is_a_data_error(
    prefect_harness, registered, mlflow_store, tmp_path
):
    data_dir, reg, _, config = registered
    args = ["score", "--engine", "spark", "--data", data_dir, "--sink", str(tmp_path / "out")]
    args += ["--mapping", "x_education", "--model", reg.model_uri, "--spark-config", config]
    args += ["--tracking-uri", mlflow_store.tracking_uri]  # the store exists: only the mapping
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "canonical tables" in result.output


def test_flow_engine_spark_writes_the_as_of_partition(
    prefect_harness, registered, mlflow_store, tmp_path
):
    data_dir, reg, tables, config = registered
    sink = tmp_path / "scores"
    request = ScoreRequest(
        data=data_dir,
        sink=str(sink),
        model_uri=reg.model_uri,
        as_of=AS_OF,
        tracking_uri=mlflow_store.tracking_uri,
        workdir=tmp_path,
        engine="spark",
        spark_config=config,
    )
    summary = score_flow(request=request)
    written = pd.read_parquet(sink / "as_of=2026-09-01")
    rejects = pd.read_parquet(sink / "_rejects" / "as_of=2026-09-01")
    assert summary["eligible"] == len(tables.contacts)
    assert summary["scored"] == len(written) and summary["rejected"] == len(rejects)
    assert written["contact_id"].is_unique
    assert set(written["contact_id"]).isdisjoint(rejects["contact_id"])
    # the flagged activities go where `leadscore validate` puts them by default (this CRM
    # has no bots: the header alone, as validate writes it)
    bots_csv = tmp_path / "validation" / Path(data_dir).name / "bots.csv"
    assert summary["bots_file"] == str(bots_csv)
    header = ingest(data_dir).write(tmp_path / "local")["bots"].read_text()
    assert bots_csv.read_text() == header and header.count("\n") == 1


def test_dirty_crm_is_refused_then_scored_after_validate_write_accepted(
    prefect_harness, registered, mlflow_store, tmp_path
):
    _, reg, _, config = registered
    raw, accepted = tmp_path / "raw", tmp_path / "accepted"
    write_crm(generate_crm(900, 41), raw)  # the default dirt: duplicate contacts and more
    common = ["--spark-config", config, "--model", reg.model_uri, "--as-of", AS_OF]
    common += ["--tracking-uri", mlflow_store.tracking_uri, "--workdir", str(tmp_path)]

    refused = CliRunner().invoke(
        app,
        ["score", "--engine", "spark", "--data", str(raw), "--sink", str(tmp_path / "x")] + common,
    )
    assert refused.exit_code != 0
    assert "duplicate id" in refused.output and "leadscore validate" in refused.output

    validated = CliRunner().invoke(
        app, ["validate", "--data", str(raw), "--now", "2026-11-01", "--write-accepted",
              str(accepted), "--out", str(tmp_path / "v")],
    )  # fmt: skip
    assert validated.exit_code == 0, validated.output
    kept = ingest(accepted)  # what validation accepted passes validation again untouched
    assert all(c["quarantined"] == 0 for c in kept.counts.values())

    url = f"sqlite:///{tmp_path / 'scores.db'}"
    scored = CliRunner().invoke(
        app, ["score", "--engine", "spark", "--data", str(accepted), "--sink", url] + common
    )
    assert scored.exit_code == 0, scored.output
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n_current = conn.exec_driver_sql("SELECT COUNT(*) FROM leadscore_scores_current").scalar()
        n_rejects = conn.exec_driver_sql("SELECT COUNT(*) FROM leadscore_score_rejects").scalar()
    engine.dispose()
    assert n_current + n_rejects == len(kept.tables.contacts)
