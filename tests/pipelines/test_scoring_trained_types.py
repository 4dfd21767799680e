"""Every scoring path pins training's type of each kept column (the scorer stores it).

A hand-made flat export of 200 leads keeps ``visits`` (numbers; two leads ``n/a`` and
``lots``) and ``code`` (text codes such as ``C3``; the same two leads ``0012`` and ``0457``).
Training reads ``visits`` as numbers and ``code`` as text. A batch of just those two leads,
inferred on its own rows, would flip both (``visits`` all blank: text; ``code`` all
digits: numbers; ``lots`` then text, not a counted warning). The scorer stores training's types
(:meth:`serving.scorer.LeadScorer.read_settings`), so ``score`` and ``explain`` read the
batch as trained and score it as they score the same leads within the whole export. A
mapping pinning another type than training's is refused; a scorer stored before scorers
kept the types infers them per batch, as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # trains a model and scores twice under Prefect (~60 s)

N = 200
AS_OF = "2024-07-01"
BATCH = ["L0000", "L0001"]
MAPPING = """version: 1
description: a flat export, the outcome in 'converted', 'visits' and 'code' kept
contacts:
  source: leads.csv
  columns:
    contact_id: lead_id
    created_at: {constant: "2024-06-30T00:00:00Z"}
  keep_extra: [visits, code]
outcomes:
  source: leads.csv
  row_filter: {column: converted, equals: "1"}
  columns:
    contact_id: lead_id
    converted_at: {constant: "2024-06-30T00:00:00Z"}
    outcome: {constant: won}
"""


def leads() -> pd.DataFrame:
    """N leads; more visits convert more; the BATCH leads' visits a blank word and a word
    that is not a number, their codes digits."""
    rng = np.random.default_rng(7)
    visits = rng.poisson(3, N)
    converted = (rng.random(N) < 1 / (1 + np.exp(-(-2.0 + 0.7 * visits)))).astype(int)
    text = [str(v) for v in visits]
    codes = [f"C{i % 5}" for i in range(N)]
    text[0], text[1] = "n/a", "lots"
    codes[0], codes[1] = "0012", "0457"
    return pd.DataFrame(
        {"lead_id": [f"L{i:04d}" for i in range(N)], "visits": text, "code": codes,
         "converted": converted}
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(mlflow_store, tmp_path_factory):
    from pipelines.flow_requests import TrainRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.train import train_flow

    root = tmp_path_factory.mktemp("trainedtypes")
    for folder in ("export", "batch"):
        (root / folder).mkdir()
    frame = leads()
    full = root / "export" / "leads.csv"
    frame.to_csv(full, index=False)
    batch = root / "batch" / "leads.csv"
    frame[frame["lead_id"].isin(BATCH)].to_csv(batch, index=False)
    mapping = root / "mapping.yaml"
    mapping.write_text(MAPPING)
    config = root / "train.yaml"
    config.write_text(
        "model_name: trainedtypes-model\nexperiment_name: trainedtypes\n"
        "lightgbm: {n_estimators: 40}\ngates: {min_auc: 0.5, max_ece: 0.5}\n"
    )
    request = TrainRequest(
        data=str(full), workdir=root, mapping=str(mapping), config=config,
        tracking_uri=mlflow_store.tracking_uri,
    )  # fmt: skip
    out = run_flow(train_flow, False, request=request)
    assert out["kind"] == "flat"
    return out, full, batch, mapping


@pytest.fixture(scope="module")
def scorer(trained, mlflow_store):
    from serving.scorer_model import load_scorer

    return load_scorer(trained[0]["scorer_uri"], mlflow_store.tracking_uri).scorer


def old_scorer(scorer):
    """``scorer`` as pickled before scorers kept training's types (no such field)."""
    from serving.scorer import LeadScorer

    state = scorer.__getstate__()
    del state["trained_types"]
    old = LeadScorer.__new__(LeadScorer)
    old.__setstate__(state)
    return old


def test_the_scorer_stores_trainings_types(scorer):
    assert scorer.read_settings()["trained_types"] == {
        "contacts": {"visits": "number", "code": "text"}
    }


def test_alone_the_batch_would_be_typed_the_other_way(trained):
    """The fixture is what it claims (today's per-batch inference flips both columns)."""
    from features.ingest.load import ingest

    _, _, batch, mapping = trained
    contacts = ingest(str(batch), str(mapping)).tables.contacts
    assert not pd.api.types.is_float_dtype(contacts["visits"])
    assert contacts["code"].dtype == "float64"


def _score(request_data, mapping, trained, mlflow_store, tmp_path, name):
    from pipelines.flow_requests import ScoreRequest
    from pipelines.flows.common import run_flow
    from pipelines.flows.score import score_flow

    sink = tmp_path / f"{name}.csv"
    request = ScoreRequest(
        data=str(request_data), mapping=str(mapping), sink=str(sink),
        model_uri=trained[0]["scorer_uri"], as_of=AS_OF,
        tracking_uri=mlflow_store.tracking_uri, workdir=tmp_path / name,
    )  # fmt: skip
    out = run_flow(score_flow, False, request=request)
    return out, pd.read_csv(sink, dtype={"contact_id": str}).set_index("contact_id")


@pytest.mark.prefect
def test_score_reads_the_batch_as_trained(trained, mlflow_store, tmp_path):
    _, full, batch, mapping = trained
    out, alone = _score(batch, mapping, trained, mlflow_store, tmp_path, "batch")
    assert out["scored"] == len(BATCH)
    # visits read as numbers: 'lots' (L0001) is a counted warning, as in the whole export
    assert out["quarantined"]["contacts"]["warnings"] == 1
    out, whole = _score(full, mapping, trained, mlflow_store, tmp_path, "whole")
    assert out["quarantined"]["contacts"]["warnings"] == 1
    for column in ("probability", "final_score", "manual_score"):
        np.testing.assert_allclose(
            alone.loc[BATCH, column].to_numpy(dtype=float),
            whole.loc[BATCH, column].to_numpy(dtype=float),
        )


def test_explain_reads_the_account_as_trained(trained, scorer):
    from features.ingest import load_mapping
    from features.ingest.sources import read_source
    from serving.lead_explanation import account_report, explain_from_source

    _, full, batch, mapping = trained
    rows = read_source(str(batch), load_mapping(mapping), origin=True)
    contacts = account_report(rows, scorer, "L0000", str(batch)).tables.contacts
    assert contacts["visits"].dtype == "float64" and contacts["visits"].isna().all()
    assert sorted(contacts["code"].tolist()) == ["0012", "0457"]  # text, zeros kept
    alone = explain_from_source(str(batch), scorer, "L0000", AS_OF, str(mapping))
    whole = explain_from_source(str(full), scorer, "L0000", AS_OF, str(mapping))
    assert alone.scores["probability"] == pytest.approx(whole.scores["probability"])
    assert alone.scores["final_score"] == pytest.approx(whole.scores["final_score"])


def test_a_mapping_pin_contradicting_training_is_refused(trained, scorer, tmp_path):
    from features.ingest.load import ingest
    from features.ingest.readers import InputError

    _, _, batch, _ = trained
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(MAPPING.replace("  keep_extra: [visits, code]\n",
                                      "  keep_extra: [visits, code]\n"
                                      "  extra_types: {code: number}\n"))  # fmt: skip
    with pytest.raises(InputError, match=r"code: number.*read as text.*retrain.*drop the code"):
        ingest(str(batch), str(pinned), **scorer.read_settings())


def test_an_old_scorer_infers_per_batch_as_before(trained, scorer):
    from features.ingest.load import ingest

    _, full, batch, mapping = trained
    old = old_scorer(scorer)
    assert old.read_settings()["trained_types"] is None
    contacts = ingest(str(batch), str(mapping), **old.read_settings()).tables.contacts
    assert contacts["code"].dtype == "float64"  # today's per-batch inference
    report = ingest(str(full), str(mapping), **old.read_settings())
    as_of = pd.Timestamp(AS_OF, tz="UTC")
    before = old.score(report.tables, as_of).scores.set_index("contact_id")
    after = scorer.score(report.tables, as_of).scores.set_index("contact_id")
    pd.testing.assert_series_equal(before["final_score"], after["final_score"])
