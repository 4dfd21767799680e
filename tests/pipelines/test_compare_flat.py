"""``compare`` on a flat-export scorer: the rows it never learned from, the training label.

A hand-made flat export (one row per lead, the outcome a column) and its mapping, trained
with the train flow and compared with the compare flow as ``leadscore train`` and
``leadscore compare`` run them (plain function calls, no Prefect server).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_pages import assert_summary_matches_page
from sklearn.metrics import roc_auc_score

pytestmark = pytest.mark.slow  # trains a model and writes three reports (~40 s, busy machine)

N = 400
MAPPING = """version: 1
description: a hand-made flat export, the outcome in 'converted'
contacts:
  source: leads.csv
  columns:
    contact_id: lead_id
    created_at: {constant: "2024-06-30T00:00:00Z"}
  keep_extra: [visits, channel]
outcomes:
  source: leads.csv
  row_filter: {column: converted, equals: "1"}
  columns:
    contact_id: lead_id
    converted_at: {constant: "2024-06-30T00:00:00Z"}
    outcome: {constant: won}
"""


def leads(prefix: str = "L", seed: int = 7) -> pd.DataFrame:
    """N leads: more visits and the 'partner' channel convert more."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, N)
    channel = rng.choice(["partner", "ads", "direct"], N)
    logit = -2.0 + 0.6 * visits - 1.0 * (channel == "ads")
    converted = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "lead_id": [f"{prefix}{i:04d}" for i in range(N)],
            "visits": visits,
            "channel": channel,
            "converted": converted,
        }
    )


def write_export(folder: Path, frame: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "leads.csv", index=False)
    return folder / "leads.csv"


@pytest.fixture(scope="module")
def trained(mlflow_store, tmp_path_factory):
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.train import train_flow

    root = tmp_path_factory.mktemp("flatcompare")
    csv = write_export(root / "export", leads())
    mapping = root / "mapping.yaml"
    mapping.write_text(MAPPING)
    config = root / "train.yaml"
    config.write_text(
        "model_name: flatcompare-model\nexperiment_name: flatcompare\n"
        "lightgbm: {n_estimators: 60}\ngates: {min_auc: 0.5, max_ece: 0.5}\n"
    )
    request = TrainRequest(
        data=str(csv), workdir=root, mapping=str(mapping), config=config,
        tracking_uri=mlflow_store.tracking_uri,
    )  # fmt: skip
    out = run_flow(train_flow, False, request=request)
    assert out["kind"] == "flat"
    return out, csv, mapping, root


def compare(trained, mlflow_store, data: Path, out: Path) -> dict:
    from pipelines.flow_requests import CompareRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.compare import compare_flow

    training, _, mapping, root = trained
    request = CompareRequest(
        data=str(data), model_uri=training["scorer_uri"], out=out, workdir=root,
        mapping=str(mapping), tracking_uri=mlflow_store.tracking_uri,
    )  # fmt: skip
    return run_flow(compare_flow, False, request=request)


def test_compare_on_the_training_export_evaluates_its_test_rows_as_training_did(
    trained, mlflow_store, tmp_path
):
    from features.ingest.load import ingest
    from serving.held_out import flat_held_out
    from serving.scorer_model import load_scorer

    training, csv, mapping, _ = trained
    # the held-out rows are exactly the ids training tested on (not fitted, not calibrated)
    scorer = load_scorer(training["scorer_uri"], mlflow_store.tracking_uri).scorer
    held = flat_held_out(ingest(str(csv), str(mapping)).tables, scorer.training_ids())
    held_ids = set(held.labels.index[held.labels["eligible"].to_numpy()])
    assert held_ids == set(training["test_contact_ids"])
    assert held.n_trained == training["rows"]["train"] + training["rows"]["valid"]

    result = compare(trained, mlflow_store, csv, tmp_path / "report.html")
    data = json.loads((tmp_path / "report.json").read_text())
    page = (tmp_path / "report.html").read_text()
    frame = leads()
    test = frame.loc[frame["lead_id"].isin(held_ids)]
    assert data["n_leads"] == len(test) == training["rows"]["test"]
    assert data["n_converted"] == int(test["converted"].sum())
    # the same rows and the same probabilities: the model's AUC is the one training logged
    assert data["methods"]["model"]["roc_auc"] == pytest.approx(
        training["metrics"]["test_roc_auc"], abs=1e-12
    )
    assert_summary_matches_page(data, page, data["n_leads"])
    n_fit = training["rows"]["train"] + training["rows"]["valid"]
    said = (
        f"{len(test):,} of {N:,} leads held out from training ({n_fit:,} used in training left out"
    )
    assert result["period"].startswith(said) and said in page
    # drift: the training rows of the export against the held-out rows
    assert data["drift_reference_as_of"] is None and "Drift: the reference is the" in page


def test_an_export_of_new_leads_is_evaluated_whole(trained, mlflow_store, tmp_path):
    from serving.scorer_model import load_scorer

    training, *_ = trained
    frame = leads(prefix="NEW", seed=8)
    csv = write_export(tmp_path / "newer", frame)
    compare(trained, mlflow_store, csv, tmp_path / "report.html")
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["n_leads"] == N and data["n_converted"] == int(frame["converted"].sum())
    # an independent AUC of the registered model's probabilities on every new lead
    scorer = load_scorer(training["scorer_uri"], mlflow_store.tracking_uri).scorer
    features = frame.rename(columns={"lead_id": "contact_id"}).set_index("contact_id")
    from features.typed import typed_features

    assert scorer.flat_types is not None  # a flat-export scorer stores its column types
    X = typed_features(features, scorer.flat_types)[scorer.model.feature_names_]
    p = scorer.model.predict_conversion(X)
    expected = roc_auc_score(frame["converted"], p)
    assert data["methods"]["model"]["roc_auc"] == pytest.approx(expected, abs=1e-12)
    assert data["drift_warnings"] == []
    assert "Drift not computed: this export holds none of the leads" in (
        (tmp_path / "report.html").read_text()
    )


def test_an_old_scorer_without_the_fingerprint_and_a_training_only_export_are_refused(
    trained, mlflow_store, tmp_path
):
    from features.ingest.load import ingest
    from serving.compare import compare_period
    from serving.held_out import flat_held_out
    from serving.scorer_model import load_scorer

    training, csv, mapping, _ = trained
    scorer = load_scorer(training["scorer_uri"], mlflow_store.tracking_uri).scorer
    tables = ingest(str(csv), str(mapping)).tables
    old = copy.copy(scorer)  # as unpickled from before scorers kept their training ids
    old.training_digests = None
    stored, fingerprint = scorer.run_config_mapping, scorer.training_ids()
    assert stored is not None and fingerprint is not None
    assert "training_ids" not in stored  # kept beside it, not inline
    with pytest.raises(ValueError, match=r"retrain it \(leadscore train"):
        compare_period(tables, old)
    # a scorer from when the digests were inline in its run configuration (base64 text)
    inline = copy.copy(scorer)
    inline.training_digests = None
    digests = fingerprint.digests
    inline.run_config_mapping = {
        **stored,
        "training_ids": {
            "algorithm": "blake2b-8",
            "count": len(digests),
            "digests": base64.b64encode(digests.astype(">u8").tobytes()).decode(),
        },
    }
    held = flat_held_out(tables, inline.training_ids())
    assert set(held.labels.index[held.labels["eligible"].to_numpy()]) == set(
        training["test_contact_ids"]
    )
    with pytest.raises(ValueError, match="a flat-export scorer is compared on the export's rows"):
        compare_period(tables, scorer, "2024-07-01")
    frame = leads()
    fitted = frame.loc[~frame["lead_id"].isin(set(training["test_contact_ids"]))]
    only = ingest(str(write_export(tmp_path / "fitted", fitted)), str(mapping)).tables
    with pytest.raises(ValueError, match=f"every one of the {len(fitted)} leads .* none is held"):
        compare_period(only, scorer)


# each lead has its own company; the rulebook reads outcomes: a won deal makes it a customer
COMPANY_MAPPING = MAPPING.replace(
    "contacts:\n",
    "accounts:\n  source: companies.csv\n  columns: {account_id: company, name: company}\n"
    "contacts:\n",
).replace("    contact_id: lead_id\n    created_at", "    contact_id: lead_id\n"
          "    account_id: company\n    created_at")  # fmt: skip
OUTCOME_RULEBOOK = """name: reads_outcomes
version: "1.0"
changelog: [{version: "1.0", date: 2026-01-01, changes: test}]
scales: [{name: main}]
extra_columns: {visits: float}
rules:
  - {name: visits, category: engagement, points: 10, when: {var: visits, op: gte, value: 4}}
  - {name: customer, category: fit, points: 40, when: {var: is_customer, op: is_true}}
stages: {lead: 1, mql: 10, sql: 40}
"""


def test_training_and_compare_score_a_rule_reading_outcomes_alike(mlflow_store, tmp_path):
    """A rulebook whose rule reads outcomes (``is_customer``): training's logged rules and
    final test metrics are compare's on the same rows, and the rules hold no label (with
    the outcomes every converted lead would get the customer's 40 points: AUC 1)."""
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.train import train_flow

    frame = leads("C", seed=11).assign(company=lambda f: "co-" + f["lead_id"])
    csv = write_export(tmp_path / "export", frame)
    frame[["company"]].to_csv(tmp_path / "export" / "companies.csv", index=False)
    (tmp_path / "mapping.yaml").write_text(COMPANY_MAPPING)
    (tmp_path / "book.yaml").write_text(OUTCOME_RULEBOOK)
    (tmp_path / "train.yaml").write_text(
        "model_name: flatrules-model\nexperiment_name: flatrules\n"
        "lightgbm: {n_estimators: 60}\ngates: {min_auc: 0.5, max_ece: 0.5}\n"
    )
    request = TrainRequest(
        data=str(csv.parent), workdir=tmp_path, mapping=str(tmp_path / "mapping.yaml"),
        config=tmp_path / "train.yaml", rulebook=tmp_path / "book.yaml",
        tracking_uri=mlflow_store.tracking_uri,
    )  # fmt: skip
    training = run_flow(train_flow, False, request=request)
    assert training["kind"] == "flat"
    compare((training, csv, tmp_path / "mapping.yaml", tmp_path), mlflow_store, csv.parent,
            tmp_path / "report.html")  # fmt: skip
    data = json.loads((tmp_path / "report.json").read_text())
    logged = training["blend_metrics"]
    assert data["n_leads"] == training["rows"]["test"]
    for method, key in (("rules", "manual"), ("final", "final")):
        got = data["methods"][method]["roc_auc"]
        assert got == pytest.approx(logged[f"{key}_roc_auc"], abs=1e-12), method
    # the rules score is 10 points for 4+ visits only: its AUC is that of the visits flag
    test = frame.loc[frame["lead_id"].isin(training["test_contact_ids"])]
    flag = (test["visits"] >= 4).astype(float)
    assert logged["manual_roc_auc"] == pytest.approx(roc_auc_score(test["converted"], flag))
