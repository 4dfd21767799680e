"""Champion/challenger gating: pure rules, then the real registry on a SQLite store."""

import json
from dataclasses import asdict
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from features.json_text import json_text
from models.config import QualityGates
from models.estimator import ConversionModel
from models.pyfunc import log_conversion_model, to_serving_frame
from models.registry import check_gates, compare_with_champion, register_and_promote
from models.tracking import artifact_location_for, ensure_experiment, use_tracking_uri

GATES = QualityGates(min_auc=0.7, max_ece=0.05)
GOOD = {"roc_auc": 0.80, "log_loss": 0.40, "ece": 0.01, "top_decile_lift": 3.0}


@pytest.mark.parametrize(
    ("metrics", "gates", "expected"),
    [
        (GOOD, GATES, []),
        ({**GOOD, "roc_auc": 0.65}, GATES, ["roc_auc=0.6500 fails gate >= 0.7"]),
        ({**GOOD, "ece": 0.08}, GATES, ["ece=0.0800 fails gate <= 0.05"]),
        (
            GOOD,
            QualityGates(min_auc_over_manual=0.05),
            ["auc_over_manual is missing (gate >= 0.05)"],
        ),
        (
            {**GOOD, "top_decile_lift": 2.0},
            QualityGates(min_top_decile_lift=3.0),
            ["top_decile_lift=2.0000 fails gate >= 3.0"],
        ),
    ],
)
def test_check_gates(metrics, gates, expected):
    assert check_gates(metrics, gates) == expected


@pytest.mark.parametrize(
    ("new", "old", "better"),
    [
        ({"roc_auc": 0.81, "log_loss": 0.5}, {"roc_auc": 0.80, "log_loss": 0.3}, True),
        ({"roc_auc": 0.79, "log_loss": 0.1}, {"roc_auc": 0.80, "log_loss": 0.3}, False),
        ({"roc_auc": 0.80, "log_loss": 0.29}, {"roc_auc": 0.80, "log_loss": 0.3}, True),
        ({"roc_auc": 0.80, "log_loss": 0.30}, {"roc_auc": 0.80, "log_loss": 0.3}, False),
    ],
)
def test_compare_with_champion_auc_then_log_loss(new, old, better):
    assert compare_with_champion(new, old)[0] is better


@pytest.fixture(scope="module")
def logged_run(mlflow_store, leads):
    """One run holding a logged model, registered repeatedly under different verdicts."""
    X, y = leads.slice("train")
    Xv, yv = leads.slice("valid")
    model = ConversionModel(n_estimators=50, learning_rate=0.2).fit(X, y, X_valid=Xv, y_valid=yv)
    uri = mlflow_store.tracking_uri
    use_tracking_uri(uri)
    exp = ensure_experiment("test-registry", uri, artifact_location_for(uri))
    with mlflow.start_run(experiment_id=exp) as run:
        info = log_conversion_model(model, to_serving_frame(X.head(3), model))
    return run.info.run_id, info.model_uri, uri


class Scorer:
    """Stands in for re-scoring the champion; records which URIs it was asked about."""

    def __init__(self, metrics=None, error=None):
        self.metrics, self.error, self.calls = metrics, error, []

    def __call__(self, model_uri):
        self.calls.append(model_uri)
        if self.error:
            raise self.error
        return self.metrics


def test_champion_challenger_gating_both_ways(logged_run):
    run_id, model_uri, uri = logged_run
    name = "test-gating"
    client = MlflowClient(uri)

    def promote(metrics, scorer):
        return register_and_promote(
            run_id,
            name,
            metrics,
            GATES,
            test_slice_scorer=scorer,
            model_uri=model_uri,
            tracking_uri=uri,
        )

    first = promote(GOOD, Scorer())
    assert (first.version, first.alias, first.promoted) == ("1", "champion", True)
    assert "no champion yet" in first.reason

    worse_scorer = Scorer({"roc_auc": 0.85, "log_loss": 0.35})
    worse = promote(GOOD, worse_scorer)
    assert (worse.alias, worse.promoted, worse.previous_champion) == ("challenger", False, "1")
    assert worse_scorer.calls == [f"models:/{name}/1"]
    assert "AUC 0.8000 < champion's 0.8500" in worse.reason

    failing_scorer = Scorer({"roc_auc": 0.5, "log_loss": 0.9})
    failing = promote({**GOOD, "roc_auc": 0.95, "ece": 0.2}, failing_scorer)
    assert failing.alias == "challenger" and failing_scorer.calls == []  # gates first
    assert failing.gate_failures == ("ece=0.2000 fails gate <= 0.05",)

    better = promote(GOOD, Scorer({"roc_auc": 0.75, "log_loss": 0.45}))
    assert (better.version, better.alias, better.promoted) == ("4", "champion", True)

    assert str(client.get_model_version_by_alias(name, "champion").version) == "4"
    assert str(client.get_model_version_by_alias(name, "challenger").version) == "3"
    version3 = client.get_model_version(name, "3")
    assert version3.tags["promotion_reason"].startswith("quality gates failed: ece=0.2000")
    # the run carries the latest decision as tags and as promotion.json
    run = client.get_run(run_id)
    assert run.data.tags["leadscore.promotion"] == "champion"
    assert run.data.tags["leadscore.model_version"] == "4"
    text = Path(
        mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="promotion.json")
    ).read_text()
    decision = json.loads(text)
    assert decision["version"] == "4" and decision["promoted"] is True
    assert decision["champion_metrics"] == {"roc_auc": 0.75, "log_loss": 0.45}
    # written by the one JSON writer: keys sorted, indented by 2
    assert text == json_text(asdict(better))
    assert list(decision) == sorted(decision)


def test_champion_that_cannot_be_rescored_blocks_promotion(logged_run):
    run_id, model_uri, uri = logged_run
    name = "test-gating-broken-champion"
    register_and_promote(
        run_id, name, GOOD, GATES, test_slice_scorer=Scorer(), model_uri=model_uri, tracking_uri=uri
    )
    blocked = register_and_promote(
        run_id,
        name,
        {**GOOD, "roc_auc": 0.99},
        GATES,
        test_slice_scorer=Scorer(error=KeyError("visits_30d")),
        model_uri=model_uri,
        tracking_uri=uri,
    )
    assert blocked.alias == "challenger" and not blocked.promoted
    assert "could not re-score champion v1" in blocked.reason
    assert "missing column 'visits_30d'" in blocked.reason and "own model_name" in blocked.reason
    assert str(MlflowClient(uri).get_model_version_by_alias(name, "champion").version) == "1"
