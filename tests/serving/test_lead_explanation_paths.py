"""Explaining one lead from its account's rows equals explaining it from the whole CRM."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import features.files as layout
from benchmarks.scorer_fixture import fit_scorer
from features.ingest.load import ingest
from features.synthetic import DirtConfig, generate_crm, write_crm
from models.config import LightGBMParams
from serving.lead_explanation import LeadExplanation, explain_contact, explain_from_source
from serving.scorer import LeadScorer

pytestmark = pytest.mark.slow  # trains a small model, validates a CRM with GX

AS_OF = pd.Timestamp("2026-09-01", tz="UTC")


@lru_cache(maxsize=1)
def _scorer() -> LeadScorer:
    tables = generate_crm(3000, 5, dirt=DirtConfig.none()).tables
    params = LightGBMParams(n_estimators=60, early_stopping_rounds=10)
    return fit_scorer(tables, lightgbm=params, every_days=30)


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    """A CRM with planted dirt and bots, in the lead layout with small row groups, so the
    filtered read skips row groups; and the whole CRM ingested (GX, bot filter)."""
    folder = tmp_path_factory.mktemp("crm")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "ROW_GROUP_ROWS", 2_000)
        synthetic = generate_crm(1500, 17)
        write_crm(synthetic, folder)
    return folder, ingest(folder), set(synthetic.bot_activities.astype(str))


def _leads(folder: Path, report, bot_ids: set[str]) -> list[str]:
    """Leads of accounts with colleagues, at least one of them with bot activity."""
    scorer = _scorer()
    prepared = scorer.prepare(report.tables, AS_OF).frame["contact_id"].astype(str)
    contacts = report.tables.contacts
    sizes = contacts.groupby("account_id")["contact_id"].transform("size")
    with_colleagues = set(contacts.loc[sizes >= 3, "contact_id"].astype(str))
    bots = report.bots
    botted = set(bots.loc[bots["activity_id"].astype(str).isin(bot_ids), "contact_id"].astype(str))
    candidates = [c for c in prepared if c in with_colleagues]
    with_bots = [c for c in candidates if c in botted]
    assert with_bots, "the fixture should hold a lead whose bot activities were filtered"
    return [*candidates[:: max(1, len(candidates) // 4)][:4], with_bots[0]]


def _assert_same(ours: LeadExplanation, ref: LeadExplanation) -> None:
    assert ours.as_of == ref.as_of
    for key, value in ref.scores.items():
        if isinstance(value, float | np.floating):
            assert float(ours.scores[key]) == pytest.approx(float(value), abs=1e-12), key
        else:
            assert str(ours.scores[key]) == str(value), key
    assert ours.expected_value == pytest.approx(ref.expected_value, abs=1e-12)
    pd.testing.assert_frame_equal(ours.factors, ref.factors, check_exact=False, atol=1e-12)
    pd.testing.assert_frame_equal(ours.rules, ref.rules)
    assert ours.crm_text == ref.crm_text


def test_explain_from_the_account_s_rows_equals_the_whole_crm_path(crm):
    folder, report, bot_ids = crm
    scorer = _scorer()
    leads = _leads(folder, report, bot_ids)
    assert len(leads) >= 3
    for lead in leads:
        ours = explain_from_source(folder, scorer, lead, AS_OF)
        ref = explain_contact(scorer, report.tables, AS_OF, lead)
        _assert_same(ours, ref)
        assert not ours.factors.empty and not ours.rules.empty


def _register(tmp_path: Path, tracking_uri: str, scorer: LeadScorer, name: str) -> None:
    """Log ``scorer`` as the pyfunc MLflow loads and register it as ``name@champion``."""
    import pickle

    import mlflow
    from mlflow.tracking import MlflowClient

    from serving.scorer_model import ARTIFACT_KEY, LeadScorerPyfunc

    mlflow.set_tracking_uri(tracking_uri)
    experiment_id = mlflow.create_experiment(
        name, artifact_location=(tmp_path / "artifacts").as_uri()
    )
    source = tmp_path / "lead_scorer.pkl"
    source.write_bytes(pickle.dumps(scorer))
    with mlflow.start_run(experiment_id=experiment_id):
        info = mlflow.pyfunc.log_model(
            name="scorer",
            python_model=LeadScorerPyfunc(),
            artifacts={ARTIFACT_KEY: str(source)},
            pip_requirements=["pandas"],
            registered_model_name=name,
        )
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    client.set_registered_model_alias(name, "champion", str(info.registered_model_version))


def test_the_scorer_read_from_the_store_s_files_equals_mlflow_s(crm, mlflow_store, tmp_path):
    from serving.scorer_artifact import read_registered_scorer
    from serving.scorer_model import load_scorer

    folder, report, bot_ids = crm
    uri = mlflow_store.tracking_uri
    _register(tmp_path, uri, _scorer(), "explain-fast-load")
    lead = _leads(folder, report, bot_ids)[0]
    via_mlflow = load_scorer("models:/explain-fast-load@champion", uri).scorer
    for model_uri in ("models:/explain-fast-load@champion", "models:/explain-fast-load/1"):
        direct = read_registered_scorer(model_uri, uri)
        assert isinstance(direct, LeadScorer)
        _assert_same(
            explain_from_source(folder, direct, lead, AS_OF),
            explain_from_source(folder, via_mlflow, lead, AS_OF),
        )
    # not a registered version in a local store: None, and MLflow is asked instead
    for model_uri, store in (
        ("models:/explain-fast-load@challenger", uri),
        ("models:/explain-fast-load/7", uri),
        ("models:/nobody@champion", uri),
        ("runs:/0123/scorer", uri),
        ("models:/explain-fast-load@champion", "http://127.0.0.1:5000"),
        ("models:/explain-fast-load@champion", f"sqlite:///{tmp_path / 'none.db'}"),
    ):
        assert read_registered_scorer(model_uri, store) is None, (model_uri, store)
