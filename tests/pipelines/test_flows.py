"""Flows run under Prefect (one session-scoped test harness) on small synthetic CRMs."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from features.synthetic import DirtConfig, generate_crm, write_crm

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def crm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flows") / "crm"
    write_crm(generate_crm(3000, seed=11, dirt=DirtConfig.none()), out)
    return out


@pytest.mark.slow  # 8-14 s of flow work under Prefect (measured, busy machine)
def test_validate_flow_counts_add_up(prefect_harness: None, tmp_path: Path) -> None:
    from pipelines.flow_requests import ValidateRequest
    from pipelines.flows.ingest import validate_flow

    dirty = tmp_path / "dirty"
    write_crm(generate_crm(1000, seed=3), dirty)
    result = validate_flow(request=ValidateRequest(data=str(dirty), out=tmp_path / "v"))
    counts = result["counts"]
    for table in ("contacts", "accounts", "activities", "outcomes"):
        assert (
            counts[f"{table}.input"] == counts[f"{table}.accepted"] + counts[f"{table}.quarantined"]
        )
    assert counts["activities.quarantined"] > 0  # the generator plants duplicates and orphans
    assert (tmp_path / "v" / "gx_results.json").exists()


@pytest.mark.slow  # 8-14 s of flow work under Prefect (measured, busy machine)
def test_build_features_flow_writes_one_row_per_contact_known_at_as_of(
    prefect_harness: None, crm_dir: Path, tmp_path: Path
) -> None:
    import pandas as pd

    from features.build import build_features
    from features.ingest.load import ingest
    from features.spec import load_feature_spec
    from pipelines.flow_requests import FeaturesRequest
    from pipelines.flows.build_features import build_features_flow

    out = tmp_path / "features.parquet"
    request = FeaturesRequest(data=str(crm_dir), out=out, as_of="2026-06-01")
    result = build_features_flow(request=request)
    written = pd.read_parquet(out)
    tables = ingest(crm_dir).tables
    known = (tables.contacts["created_at"] < pd.Timestamp("2026-06-01", tz="UTC")).sum()
    assert result["rows"] == len(written) == known
    assert written.columns[0] == "contact_id" and written["contact_id"].is_unique
    # the same values as the library function (the flow only wires it)
    direct = build_features(tables, pd.Timestamp("2026-06-01", tz="UTC"), load_feature_spec())
    assert written["pricing_views_30d"].sum() == direct["pricing_views_30d"].sum()


@pytest.fixture(scope="module")
def trained(prefect_harness: None, crm_dir: Path, mlflow_store, tmp_path_factory) -> dict:
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.train import train_flow

    workdir = tmp_path_factory.mktemp("train")
    config = workdir / "train.yaml"
    config.write_text(
        "model_name: flow-test-model\nexperiment_name: flow-test\n"
        "lightgbm: {n_estimators: 200}\ngates: {min_auc: 0.6, max_ece: 0.1}\n"
    )
    request = TrainRequest(
        data=str(crm_dir),
        workdir=workdir,
        config=config,
        tracking_uri=mlflow_store.tracking_uri,
        overrides={"train_snapshots": 3},
    )
    return train_flow(request=request)


@pytest.mark.slow  # trains under Prefect: not part of make test-fast
def test_train_flow_registers_a_champion_with_metrics(trained: dict, mlflow_store) -> None:
    out = trained
    assert out["kind"] == "snapshots"
    assert out["rows"]["test"] > 0 and out["rows"]["train"] > out["rows"]["test"]
    # the model ranks better than chance and the manual rulebook was scored on the same rows
    assert out["metrics"]["test_roc_auc"] > 0.7
    assert "manual_roc_auc" in out["metrics"]
    # the packaged default: equal weights, chosen by nobody
    assert out["calibration_recency"].startswith("calibration recency (none): equal weights")
    assert out["decision"]["promoted"] is True and out["decision"]["alias"] == "champion"
    client = MlflowClient(mlflow_store.tracking_uri)
    version = client.get_model_version_by_alias("flow-test-model", "champion")
    run = client.get_run(out["run_id"])
    assert version.run_id == out["run_id"]
    assert run.data.metrics["test_roc_auc"] == pytest.approx(out["metrics"]["test_roc_auc"])
    assert run.data.tags["leadscore.rulebook_version"]
    artifacts = {a.path for a in client.list_artifacts(out["run_id"])}
    assert "spec" in artifacts and "shap" in artifacts
    shap_files = {a.path for a in client.list_artifacts(out["run_id"], "shap")}
    assert "shap/shap_summary.png" in shap_files
    assert sum(p.startswith("shap/shap_dependence_") for p in shap_files) == 3
    # the whole scorer is registered beside the model, with the blend's metrics
    assert out["scorer_uri"] == "models:/flow-test-model-scorer@champion"
    assert out["blend_metrics"]["final_roc_auc"] > 0.7


@pytest.mark.slow  # trains under Prefect: not part of make test-fast
def test_compare_flow_writes_the_report_and_logs_it(
    trained: dict, crm_dir: Path, mlflow_store, tmp_path: Path
) -> None:
    from pipelines.flow_requests import CompareRequest
    from pipelines.flows.compare import compare_flow

    out = tmp_path / "report.html"
    request = CompareRequest(
        data=str(crm_dir),
        model_uri=trained["scorer_uri"],
        out=out,
        tracking_uri=mlflow_store.tracking_uri,
    )
    result = compare_flow(request=request)
    html = out.read_text()
    for section in (
        "roc",
        "bands",
        "capacity",
        "disagreement",
        "rule-evidence",
        "drift",
        "segments",
    ):
        assert f'id="{section}"' in html
    assert "http://" not in html and "https://" not in html
    client = MlflowClient(mlflow_store.tracking_uri)
    assert "report.html" in {a.path for a in client.list_artifacts(result["run_id"])}
    # the period compared is the newest one whose outcomes are known (as in training)
    assert result["as_of"][:10] <= "2026-07-02"
    with pytest.raises(ValueError, match="no contact was created before as_of 2000-01-01"):
        compare_flow(
            request=request.model_copy(
                update={"out": tmp_path / "early.html", "as_of": "2000-01-01"}
            )
        )
    assert not (tmp_path / "early.html").exists()


DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.mark.slow  # trains under Prefect: not part of make test-fast
def test_train_flow_on_a_flat_export_scores_it_with_the_same_column_types(
    prefect_harness: None, mlflow_store, tmp_path: Path
) -> None:
    from features.ingest.load import ingest
    from pipelines.flow_requests import CompareRequest, TrainRequest
    from pipelines.flows.compare import compare_flow
    from pipelines.flows.train import train_flow
    from serving.scorer_model import load_scorer

    leads = DATA / "x_education" / "leads.csv"
    if not leads.exists():
        pytest.skip(f"real data not found at {leads} (../shared/data beside the checkout)")
    config = tmp_path / "train.yaml"
    config.write_text("model_name: flow-flat-model\nlightgbm: {n_estimators: 150}\n")
    rulebook = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "x_education.yaml"
    request = TrainRequest(
        data=str(leads),
        workdir=tmp_path,
        mapping="x_education",
        config=config,
        rulebook=rulebook,
        tracking_uri=mlflow_store.tracking_uri,
    )
    out = train_flow(request=request)
    assert out["kind"] == "flat"
    assert {"tags", "lead_quality"} <= set(out["leakage_suspects"])
    assert out["metrics"]["test_roc_auc"] > 0.85
    scorer = load_scorer(out["scorer_uri"], mlflow_store.tracking_uri).scorer
    tables = ingest(leads, "x_education").tables
    scored = scorer.score(tables, "2020-01-01")
    # the leads that converted by the export date (its 3,561 won rows) are not leads any
    # more; every other lead is scored, and yes/no columns were typed as in training
    won = set(tables.outcomes["contact_id"].astype(str))
    assert len(won) == 3561 and len(tables.contacts) == 9240
    assert set(scored.rejects["contact_id"]) == won
    assert scored.rejects["reason"].str.startswith("already converted").all()
    assert len(scored.scores) == 9240 - 3561
    assert scored.scores["probability"].between(0, 1).all()
    # a flat export has no dated period: compare evaluates the rows training held out, the
    # test slice, with the same probabilities (the AUC training logged) and the same rules
    compared = compare_flow(
        request=CompareRequest(
            data=str(leads),
            model_uri=out["scorer_uri"],
            out=tmp_path / "report.html",
            mapping="x_education",
            tracking_uri=mlflow_store.tracking_uri,
        )
    )
    metrics = compared["metrics"]
    assert metrics["n_leads"] == out["rows"]["test"] == 1848
    assert metrics["roc_auc_model"] == pytest.approx(out["metrics"]["test_roc_auc"], abs=1e-12)
    assert metrics["roc_auc_manual"] == pytest.approx(
        out["blend_metrics"]["manual_roc_auc"], abs=1e-12
    )
    assert compared["period"].startswith("1,848 of 9,240 leads held out from training")
