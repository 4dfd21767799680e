"""Train once under Prefect with a 7-day horizon and no rulebook; everything after reads 7."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from features.synthetic import DirtConfig, generate_crm, write_crm

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

NAME = "runcfg-model"
# the synthetic CRM's own CSV files through a mapping: a mapped export, so train without
# --rulebook must fall back to the empty rulebook
MAPPING = """description: the synthetic CRM's own files
version: 1
contacts:
  source: contacts.csv
  columns: {contact_id: contact_id, created_at: created_at, lead_source: lead_source,
            account_id: account_id}
accounts:
  source: accounts.csv
  columns: {account_id: account_id}
activities:
  source: activities.csv
  columns: {activity_id: activity_id, contact_id: contact_id, occurred_at: occurred_at,
            activity_type: activity_type}
outcomes:
  source: outcomes.csv
  columns: {contact_id: contact_id, converted_at: converted_at, outcome: outcome}
"""


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("runcfg")
    write_crm(generate_crm(2000, seed=5, dirt=DirtConfig.none()), root / "crm", fmt="csv")
    mapping = root / "mapping.yaml"
    mapping.write_text(MAPPING)
    return root / "crm" / "contacts.csv", mapping


@pytest.fixture(scope="module")
def trained(prefect_harness: None, crm, mlflow_store, tmp_path_factory) -> dict:
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.train import train_flow

    workdir = tmp_path_factory.mktemp("runcfg-train")
    config = workdir / "train.yaml"
    config.write_text(
        f"model_name: {NAME}\nexperiment_name: {NAME}\n"
        "lightgbm: {n_estimators: 80, learning_rate: 0.1}\ngates: {min_auc: 0.5, max_ece: 0.5}\n"
    )
    scorer_settings = workdir / "scorer.yaml"
    scorer_settings.write_text("trend_steady_points: 2.5\n")
    report_settings = workdir / "report.yaml"
    report_settings.write_text("n_bootstrap: 60\n")
    data, mapping = crm
    leakage = workdir / "leakage.yaml"
    leakage.write_text("auc_threshold: 0.95\n")
    request = TrainRequest.from_files(
        {"scorer": scorer_settings, "report": report_settings, "leakage": leakage},
        data=str(data),
        workdir=workdir,
        mapping=str(mapping),
        config=config,
        tracking_uri=mlflow_store.tracking_uri,
        overrides={
            "horizon_days": 7,
            "train_snapshots": 3,
            "valid_snapshots": 3,  # 7-day windows: three give the valid slice 8+ converters
            "every_days": 7,
        },
    )
    return train_flow(request=request)


def test_train_without_a_rulebook_registers_a_scorer_with_the_empty_one(
    trained: dict, crm, mlflow_store
) -> None:
    from features.ingest.load import ingest
    from serving.scorer_model import load_scorer

    assert trained["scorer_uri"] == f"models:/{NAME}-scorer@champion"
    assert trained["run_config"]["rulebook"]["empty"] is True
    scorer = load_scorer(trained["scorer_uri"], mlflow_store.tracking_uri).scorer
    assert scorer.rulebook_.name == "empty"
    assert scorer.blend.weight == 0.0  # the manual part carries nothing
    data, mapping = crm
    scored = scorer.score(ingest(str(data), str(mapping)).tables, "2026-09-01").scores
    assert len(scored) > 0 and (scored["manual_score"] == 0).all()
    # with all the weight on the model, the final score is 100 x the probability
    assert scored["final_score"].to_numpy() == pytest.approx(100 * scored["probability"])


def test_the_horizon_of_the_run_is_what_mlflow_and_the_scorer_say(
    trained: dict, mlflow_store
) -> None:
    from serving.scorer_model import load_scorer

    client = MlflowClient(mlflow_store.tracking_uri)
    run = client.get_run(trained["run_id"])
    assert run.data.params["horizon_days"] == "7"
    assert run.data.params["framing"] == "snapshots"
    assert run.data.params["rulebook_empty"] == "True"
    # training's "leads sales can work" is the tiers' A 5 % + B 15 % of the lead flow
    assert float(run.data.params["capacity_k"]) == pytest.approx(0.05 + 0.15)
    logged = json.loads(
        Path(client.download_artifacts(trained["run_id"], "run_config.json")).read_text()
    )
    assert logged["train"]["horizon_days"] == 7 and logged["train"]["every_days"] == 7
    assert logged["feature_spec"]["windows"]  # the resolved spec, not a path
    config = json.loads(
        Path(client.download_artifacts(trained["run_id"], "config.json")).read_text()
    )
    assert config["horizon_days"] == 7
    plan = json.loads(Path(client.download_artifacts(trained["run_id"], "plan.json")).read_text())
    assert plan["framing"] == "snapshots" and plan["horizon_days"] == 7
    assert plan["slices"]["test"]["rows"] == logged["slices"]["test"]["rows"] > 0
    loaded = load_scorer(trained["scorer_uri"], mlflow_store.tracking_uri)
    assert loaded.scorer.horizon_days() == 7
    version = client.get_model_version(loaded.model_name, loaded.model_version)
    assert version.tags["horizon_days"] == "7"
    # train dates are 7 days apart, as asked
    dates = [pd.Timestamp(d) for d in logged["slices"]["train"]["dates"]]
    assert [(b - a).days for a, b in zip(dates, dates[1:], strict=False)] == [7, 7]


def test_compare_reads_the_horizon_from_the_scorer(
    trained: dict, crm, mlflow_store, tmp_path: Path
) -> None:
    from pipelines.flow_requests import CompareRequest
    from pipelines.flows.compare import compare_flow

    data, mapping = crm
    request = CompareRequest(
        data=str(data),
        model_uri=trained["scorer_uri"],
        out=tmp_path / "report.html",
        mapping=str(mapping),
        tracking_uri=mlflow_store.tracking_uri,
    )
    result = compare_flow(request=request)
    # the newest period with complete 7-day outcomes starts 7 days before the data ends
    ends = [
        pd.read_csv(data.parent / f"{t}.csv", usecols=[c])[c].pipe(pd.to_datetime, utc=True).max()
        for t, c in (("contacts", "created_at"), ("activities", "occurred_at"),
                     ("outcomes", "converted_at"))
    ]  # fmt: skip
    assert pd.Timestamp(result["as_of"]) == (max(ends) - pd.Timedelta(days=7)).normalize()
    html = (tmp_path / "report.html").read_text()
    assert "empty rulebook" in html
    assert "60 bootstrap resamples" in html  # the scorer's report settings
    # the report's capacity is the leads sales can work, as in training: A + B, 20 %
    summary = json.loads((tmp_path / "report.json").read_text())
    assert summary["capacity_k"] == round((0.05 + 0.15) * summary["n_leads"])


def test_scorer_report_and_leakage_settings_files_reach_the_run(
    trained: dict, mlflow_store
) -> None:
    """--scorer-settings and --report-settings (here the flow's paths) are stored in the
    run configuration; the scorer applies its settings, compare reads the report's."""
    from serving.scorer_model import load_scorer

    assert trained["run_config"]["scorer"]["trend_steady_points"] == 2.5
    assert trained["run_config"]["report"]["n_bootstrap"] == 60
    scorer = load_scorer(trained["scorer_uri"], mlflow_store.tracking_uri).scorer
    assert scorer.settings.trend_steady_points == 2.5
    assert scorer.run_config_.report.n_bootstrap == 60
    # the leakage guard ran with the file's threshold, recorded with the run
    assert trained["leakage"]["settings"]["auc_threshold"] == 0.95
    assert trained["run_config"]["leakage"]["auc_threshold"] == 0.95


def test_a_missing_alias_names_the_aliases_that_exist(trained: dict, mlflow_store) -> None:
    from serving.scorer_model import load_scorer

    with pytest.raises(ValueError, match=r"has the aliases @champion \(v\d+\)"):
        load_scorer(f"models:/{NAME}-scorer@production", mlflow_store.tracking_uri)
