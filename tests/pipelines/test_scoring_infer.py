"""Scoring types a kept column with the scorer's stored ``--infer`` settings, as training did.

A hand-made flat export whose kept ``visits`` column is numbers in 9 rows of 10 (0.9 of
its values): text under the default ``numeric_min_share`` (0.95), numbers under 0.8. A
scorer trained with ``numeric_min_share: 0.8`` stores the setting in its run
configuration; ``score``, ``compare`` and ``explain`` validate with it, so validation
itself reads ``visits`` as numbers (each ``lots`` a counted warning), not the scorer's
fallback reading text as numbers (which would leave validation with no warning).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # trains a model, scores and compares (~40 s, busy machine)

N = 200
MAPPING = """version: 1
description: a flat export, the outcome in 'converted', 'visits' kept
contacts:
  source: leads.csv
  columns:
    contact_id: lead_id
    created_at: {constant: "2024-06-30T00:00:00Z"}
  keep_extra: [visits]
outcomes:
  source: leads.csv
  row_filter: {column: converted, equals: "1"}
  columns:
    contact_id: lead_id
    converted_at: {constant: "2024-06-30T00:00:00Z"}
    outcome: {constant: won}
"""


def leads() -> pd.DataFrame:
    """N leads; every tenth has ``visits`` 'lots' (20 of 200: 0.9 of the values numbers);
    more visits convert more."""
    rng = np.random.default_rng(11)
    visits = rng.poisson(3, N)
    converted = (rng.random(N) < 1 / (1 + np.exp(-(-2.0 + 0.7 * visits)))).astype(int)
    text = [("lots" if i % 10 == 9 else str(v)) for i, v in enumerate(visits)]
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in range(N)],
            "visits": text,
            "converted": converted,
        }
    )


LOTS = N // 10  # rows whose visits is not a number (by construction)


def expected_visits(frame: pd.DataFrame) -> pd.Series:
    """``visits`` as numbers, 'lots' missing (by hand: the construction above)."""
    return pd.to_numeric(frame["visits"].where(frame["visits"] != "lots"), errors="raise")


@pytest.fixture(scope="module")
def trained(mlflow_store, tmp_path_factory):
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.train import train_flow

    root = tmp_path_factory.mktemp("scoringinfer")
    (root / "export").mkdir()
    csv = root / "export" / "leads.csv"
    leads().to_csv(csv, index=False)
    mapping = root / "mapping.yaml"
    mapping.write_text(MAPPING)
    infer = root / "infer.yaml"
    infer.write_text("numeric_min_share: 0.8\n")
    config = root / "train.yaml"
    config.write_text(
        "model_name: scoringinfer-model\nexperiment_name: scoringinfer\n"
        "lightgbm: {n_estimators: 40}\ngates: {min_auc: 0.5, max_ece: 0.5}\n"
    )
    request = TrainRequest.from_files(
        {"infer": infer},
        data=str(csv), workdir=root, mapping=str(mapping), config=config,
        tracking_uri=mlflow_store.tracking_uri,
    )  # fmt: skip
    out = run_flow(train_flow, False, request=request)
    assert out["kind"] == "flat"
    return out, csv, mapping, root


def test_the_scorer_stores_the_settings_it_was_trained_with(trained, mlflow_store):
    from serving.scorer_model import load_scorer

    training, *_ = trained
    scorer = load_scorer(training["scorer_uri"], mlflow_store.tracking_uri).scorer
    assert scorer.infer_settings().numeric_min_share == 0.8
    assert scorer.run_config_ is not None and scorer.run_config_.infer.numeric_min_share == 0.8


def test_defaults_would_leave_the_column_text(trained):
    """The fixture is what it claims: under the defaults validation keeps ``visits`` as
    text with no warning (so a warning count of LOTS below comes from 0.8)."""
    from features.ingest.load import ingest

    _, csv, mapping, _ = trained
    report = ingest(str(csv), str(mapping))
    assert not pd.api.types.is_float_dtype(report.tables.contacts["visits"])
    assert report.counts["contacts"]["warnings"] == 0


def test_score_validates_with_the_scorers_settings(trained, mlflow_store, tmp_path):
    from pipelines.flow_requests import ScoreRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.score import score_flow

    training, csv, mapping, _ = trained
    request = ScoreRequest(
        data=str(csv), mapping=str(mapping), sink=str(tmp_path / "scores.csv"),
        model_uri=training["scorer_uri"], as_of="2024-07-01",
        tracking_uri=mlflow_store.tracking_uri, workdir=tmp_path,
    )  # fmt: skip
    out = run_flow(score_flow, False, request=request)
    assert out["quarantined"]["contacts"]["warnings"] == LOTS
    assert out["scored"] + out["rejected"] == N


def test_compare_validates_with_the_scorers_settings(trained, mlflow_store, tmp_path):
    from pipelines.flow_requests import CompareRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.compare import compare_flow

    training, csv, mapping, root = trained
    request = CompareRequest(
        data=str(csv), model_uri=training["scorer_uri"], out=tmp_path / "report.html",
        workdir=root, mapping=str(mapping), tracking_uri=mlflow_store.tracking_uri,
    )  # fmt: skip
    out = run_flow(compare_flow, False, request=request)
    assert out["validation"]["contacts"]["warnings"] == LOTS


def test_explain_validates_with_the_scorers_settings(trained, mlflow_store):
    from features.ingest import load_mapping
    from features.ingest.sources import read_source
    from serving.lead_explanation import account_report, explain_from_source
    from serving.scorer_model import load_scorer

    training, csv, mapping, _ = trained
    scorer = load_scorer(training["scorer_uri"], mlflow_store.tracking_uri).scorer
    # the rows explain validates, here all of them: typed as numbers by the scorer's 0.8
    rows = read_source(str(csv), load_mapping(mapping), origin=True)
    report = account_report(rows, scorer, "L0000", str(csv))
    contacts = report.tables.contacts.set_index("contact_id")
    assert contacts["visits"].dtype == "float64"
    frame = leads().set_index("lead_id")
    np.testing.assert_array_equal(
        contacts.loc[frame.index, "visits"].to_numpy(), expected_visits(frame).to_numpy()
    )
    assert report.counts["contacts"]["warnings"] == LOTS
    explanation = explain_from_source(str(csv), scorer, "L0001", "2024-07-01", str(mapping))
    assert explanation.contact_id == "L0001"
