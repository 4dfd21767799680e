"""train_and_register end to end on the session's SQLite MLflow store."""

import json
import subprocess
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from sklearn.metrics import roc_auc_score

from models.config import LightGBMParams, QualityGates, TrainConfig
from models.pyfunc import to_serving_frame
from models.store import default_tracking_uri
from models.tracking import (
    RunContext,
    artifact_location_for,
    check_no_pii,
)
from models.train import train_and_register

CONFIG = TrainConfig(
    model_name="test-train-e2e",
    experiment_name="test-train-e2e",
    horizon_days=90,
    lightgbm=LightGBMParams(n_estimators=300, learning_rate=0.1),
    gates=QualityGates(min_auc=0.6, max_ece=0.1),
)
CONTEXT = RunContext(
    feature_spec={"features": ["visits_30d", "pricing_views_7d"]},
    rulebook={"rules": [{"name": "pricing", "points": 10}]},
    rulebook_version="2024.1",
    validation_summary={"success": True, "evaluated": 12},
    leakage_report={"dropped": [], "checked": 5},
    data_fingerprint={"snapshot_range": ["2024-01-01", "2024-06-30"]},
)


def _train(leads, uri):
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    Xt, yt = leads.slice("test")
    return train_and_register(
        X,
        y,
        Xv,
        yv,
        Xt,
        yt,
        config=CONFIG,
        k_frac=0.1,
        manual_score_test=leads.manual[leads.split.test],
        segments_test=leads.segments.iloc[leads.split.test],
        tracking_uri=uri,
        context=CONTEXT,
    )


@pytest.fixture(scope="module")
def two_runs(mlflow_store, leads):
    """The same data and seed trained twice."""
    return _train(leads, mlflow_store.tracking_uri), _train(leads, mlflow_store.tracking_uri)


def test_first_run_becomes_champion_and_second_reproduces_metrics(two_runs):
    first, second = two_runs
    assert first.decision.alias == "champion"
    assert second.metrics == first.metrics
    # identical model on the same slice: not better, so it stays challenger with a reason
    assert second.decision.alias == "challenger"
    assert "AUC tied" in second.decision.reason


def test_logged_metrics_match_an_independent_computation(two_runs, leads, mlflow_store):
    first, _ = two_runs
    Xt, yt = leads.slice("test")
    run = MlflowClient(mlflow_store.tracking_uri).get_run(first.run_id)
    p = first.model.predict_proba(Xt)[:, 1]
    assert run.data.metrics["test_roc_auc"] == pytest.approx(roc_auc_score(yt, p))
    manual_auc = roc_auc_score(yt, leads.manual[leads.split.test])
    assert run.data.metrics["manual_roc_auc"] == pytest.approx(manual_auc)
    assert run.data.metrics["auc_over_manual"] == pytest.approx(roc_auc_score(yt, p) - manual_auc)
    for key in (
        "test_ece",
        "test_brier",
        "test_log_loss",
        "test_pr_auc",
        "test_precision_at_k",
        "manual_top_decile_lift",
        "calibration_platt_log_loss",
    ):
        assert key in run.data.metrics


def test_run_logs_params_tags_and_artifacts(two_runs, mlflow_store):
    first, _ = two_runs
    client = MlflowClient(mlflow_store.tracking_uri)
    run = client.get_run(first.run_id)
    # what ran is logged: these slices are small, so the small-data values replaced the
    # packaged ones (models/config_default.yaml, small_data)
    assert run.data.params["lgb_num_leaves"] == str(first.model.settings()["num_leaves"])
    assert run.data.params["calibration_method"] == first.model.calibration_method_
    assert run.data.params["horizon_days"] == "90"
    assert run.data.tags["leadscore.rulebook_version"] == "2024.1"
    # MLflow's git tag holds the checkout's commit, also when run from .venv/bin
    assert (
        run.data.tags["mlflow.source.git.commit"]
        == subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True
        ).stdout.strip()
    )
    local = Path(mlflow.artifacts.download_artifacts(run_id=first.run_id, dst_path=None))
    files = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    expected = {
        "config.json",
        "data/fingerprint.json",
        "data/validation_summary.json",
        "data/leakage_report.json",
        "spec/feature_spec.json",
        "spec/rulebook.json",
        "evaluation/deciles_model.csv",
        "evaluation/deciles_manual.csv",
        "evaluation/segments.csv",
        "evaluation/feature_importance.csv",
        "plots/reliability.png",
        "plots/roc_pr.png",
        "plots/lift.png",
        "plots/feature_importance.png",
        "promotion.json",
    }
    assert expected <= files
    fingerprint = json.loads((local / "data/fingerprint.json").read_text())
    assert fingerprint["test"]["rows"] == 1000
    assert fingerprint["snapshot_range"] == ["2024-01-01", "2024-06-30"]
    segments = pd.read_csv(local / "evaluation/segments.csv")
    assert set(segments["segment"]) == {"lead_source", "region", "company_size"}
    assert set(segments["scorer"]) == {"model", "manual"}


def test_champion_loads_by_alias_and_matches_in_memory_model(two_runs, leads):
    first, _ = two_runs
    Xt, _ = leads.slice("test")
    loaded = mlflow.pyfunc.load_model(f"models:/{CONFIG.model_name}@champion")
    served = loaded.predict(to_serving_frame(Xt, first.model))["p_convert"].to_numpy()
    np.testing.assert_allclose(served, first.model.predict_proba(Xt)[:, 1], rtol=1e-12)


def test_pii_is_refused_in_logged_frames_by_content_whatever_the_name():
    with pytest.raises(ValueError, match="'owner'.*e-mail addresses in 1 distinct"):
        check_no_pii(pd.DataFrame({"owner": ["ann@example.com"] * 3}), "input example")
    with pytest.raises(ValueError, match="'note'.*e-mail"):
        check_no_pii(pd.DataFrame({"note": ["write to ann@example.com"]}), "input example")
    with pytest.raises(ValueError, match="'rep'.*phone numbers"):
        check_no_pii(pd.DataFrame({"rep": ["+44 20 7946 0958"]}), "input example")
    with pytest.raises(ValueError) as caught:
        check_no_pii(pd.DataFrame({"x": ["bob@example.com"]}), "input example")
    assert "bob@" not in str(caught.value)  # the message never quotes the value
    # a name alone is not personal data; numbers, dates and e-mail-derived features neither
    check_no_pii(
        pd.DataFrame(
            {
                "contact_email": ["x"],
                "visits": [1.0],
                "source": ["referral"],
                "created": ["2024-01-31"],
                "amount": ["1234567.50"],
                "email_domain_type": ["corporate"],
                "email_click_30d": [2.0],
                "do_not_email": [1.0],
            }
        ),
        "example",
    )


def test_default_store_lives_in_the_working_directory(tmp_path):
    uri = default_tracking_uri(tmp_path)
    assert uri == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"
    assert (tmp_path / "mlruns").is_dir()
    assert artifact_location_for(uri) == (tmp_path.resolve() / "mlruns" / "artifacts").as_uri()
    assert artifact_location_for("http://127.0.0.1:5000") is None


@pytest.mark.slow
def test_recency_is_chosen_on_validation_only_and_logged(leads, mlflow_store):
    """A prior shift planted in the validation slice's latter half chooses a half-life;
    flipping every test label changes neither the choice nor the calibrated probabilities."""
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    Xt, yt = leads.slice("test")
    day = np.arange(len(yv)) * 100 // len(yv)
    yv = np.where((day >= 50) & (np.random.default_rng(0).random(len(yv)) < 2 / 3), 0, yv)
    time = pd.Series(pd.Timestamp("2018-01-01", tz="UTC") + pd.to_timedelta(day, unit="D"))
    config = CONFIG.model_copy(update={"calibration": "platt", "calibration_recency": "auto"})
    runs = [
        train_and_register(
            X,
            y,
            Xv,
            yv,
            Xt,
            labels,
            config=config,
            k_frac=0.1,
            tracking_uri=mlflow_store.tracking_uri,
            time_valid=time,
        )
        for labels in (yt, 1 - yt)
    ]
    chosen = runs[0].model.calibration_recency_
    assert chosen.half_life_days is not None
    assert runs[1].model.calibration_recency_ == chosen
    np.testing.assert_array_equal(
        runs[0].model.predict_conversion(Xt), runs[1].model.predict_conversion(Xt)
    )
    run = MlflowClient(mlflow_store.tracking_uri).get_run(runs[0].run_id)
    assert run.data.params["calibration_recency"] == "auto"
    assert run.data.params["calibration_recency_chosen"] == str(chosen.half_life_days)
    for key, value in chosen.forward_log_loss.items():
        assert run.data.metrics[f"calibration_recency_{key}_log_loss"] == pytest.approx(value)
