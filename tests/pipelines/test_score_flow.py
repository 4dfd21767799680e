"""The score flow under Prefect: files in, registered scorer, SQLite sink, idempotent."""

import pandas as pd
import pytest
import sqlalchemy as sa
from scorer_helpers import crm_on_disk, register_scorer

from pipelines.flows.score import score_flow
from serving.lead_explanation import explain_lead
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
    kwargs = {"tracking_uri": mlflow_store.tracking_uri, "workdir": str(tmp_path)}
    first = score_flow(data_dir, reg.model_uri, AS_OF, url, **kwargs)
    rows = _sink_rows(url)
    second = score_flow(data_dir, reg.model_uri, AS_OF, url, **kwargs)
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


def test_explain_lead_reads_the_files_and_prints_both_sections(registered, mlflow_store):
    data_dir, reg, tables = registered
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    contact = str(tables.contacts.loc[created < pd.Timestamp("2026-06-01", tz="UTC")].iloc[0, 0])
    text = explain_lead(
        data_dir, reg.model_uri, contact, AS_OF, tracking_uri=mlflow_store.tracking_uri
    )
    assert f"Lead {contact}" in text
    assert "Model factors" in text and "Rules that fired" in text


def test_explain_lead_names_the_day_it_used(registered, mlflow_store):
    data_dir, reg, tables = registered
    today = pd.Timestamp.now(tz="UTC").normalize()
    lead = str(reg.scorer.prepare(tables, today).frame["contact_id"].iloc[0])  # not rejected
    text = explain_lead(data_dir, reg.model_uri, lead, None, tracking_uri=mlflow_store.tracking_uri)
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
    with pytest.raises(KeyError) as info:
        explain_lead(
            str(dirty), reg.model_uri, "con_BAD", AS_OF, tracking_uri=mlflow_store.tracking_uri
        )
    message = info.value.args[0]
    assert "validation quarantined it" in message and "seniority" in message
