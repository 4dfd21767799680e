"""The nightly batch: lead accounting, idempotent SQLite writes, movers, the summary."""

import json
import logging

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from benchmarks.scorer_fixture import fit_scorer
from features.crm import CrmTables
from features.synthetic import DirtConfig, generate_crm
from models.config import LightGBMParams, TrainConfig
from serving.batch import run_batch, score_batch
from serving.batch_summary import BANDS, format_summary, score_bands, tier_mix_line
from serving.eligibility import known_contacts, validation_rejects
from serving.sinks import read_current, read_history

DAY1 = pd.Timestamp("2026-08-01", tz="UTC")
DAY2 = pd.Timestamp("2026-09-01", tz="UTC")
RULEBOOK = "rules/rulebooks/default.yaml"
RUN = {"model_name": "test-batch-scorer", "model_version": "1"}


@pytest.fixture(scope="module")
def setup():
    """A synthetic CRM and an in-memory scorer trained on it (no MLflow needed here)."""
    tables = generate_crm(2500, 21, dirt=DirtConfig.none()).tables
    params = LightGBMParams(n_estimators=40, learning_rate=0.1, early_stopping_rounds=10)
    return tables, fit_scorer(tables, lightgbm=params, train_snapshots=3, every_days=30)


def test_batch_accounts_for_every_lead_and_rerun_changes_nothing(setup, tmp_path, fx):
    tables, scorer = setup
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    first = run_batch(tables, scorer, DAY2, url, **RUN)
    before = fx.snapshot(url, "leadscore_")
    again = run_batch(tables, scorer, DAY2, url, **RUN)
    assert fx.snapshot(url, "leadscore_") == before
    assert again.sink_result.n_current_updated == 0
    assert again.sink_result.n_history_inserted == 0
    assert again.per_trend == first.per_trend == {"new": first.counts.scored}
    c = first.counts
    assert c.eligible == len(tables.contacts) == c.scored + c.rejected
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    assert c.rejected >= int((created >= DAY2).sum()) > 0
    assert sum(first.per_stage.values()) == sum(first.score_bands.values()) == c.scored
    assert sum(first.reject_reasons.values()) == c.rejected
    current = read_current(url)
    assert len(current) == c.scored
    assert set(current["as_of"]) == {DAY2}
    assert all(isinstance(json.loads(t), list) for t in current["top_reasons"].head(50))


def test_second_day_reports_top_movers_and_keeps_history(setup, tmp_path):
    tables, scorer = setup
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    first = run_batch(tables, scorer, DAY1, url, **RUN)
    summary = run_batch(tables, scorer, DAY2, url, **RUN, n_movers=5)
    # the tier mix is tracked from run to run: the previous run's tiers, read back
    assert summary.previous_tiers == first.per_tier
    assert summary.to_dict()["previous_per_tier"] == first.per_tier
    assert len(summary.movers) == 5
    deltas = summary.movers["delta"].abs().to_numpy()
    assert (np.diff(deltas) <= 0).all()
    mover = summary.movers.iloc[0]
    history = read_history(url, mover["contact_id"])
    assert list(history["as_of"]) == [DAY1, DAY2]
    assert history["final_score"].iloc[1] - history["final_score"].iloc[0] == pytest.approx(
        mover["delta"]
    )
    text = format_summary(summary)
    assert "Top movers" in text and f"{summary.counts.scored:,} of" in text
    assert len(text.splitlines()) < 45
    # every lead's trend, recomputed here in plain Python from the two runs in history
    steady = scorer.settings.trend_steady_points
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        sql = "SELECT contact_id, as_of, final_score FROM leadscore_score_history"
        rows = conn.exec_driver_sql(sql).all()
    engine.dispose()
    day1 = {cid: score for cid, when, score in rows if str(when).startswith("2026-08-01")}
    expected = {}
    for cid, when, score in rows:
        if str(when).startswith("2026-09-01"):
            old = day1.get(cid)
            move = None if old is None else score - old
            expected[cid] = (
                "new"
                if move is None
                else "steady"
                if abs(move) < steady
                else "improving"
                if move > 0
                else "declining"
            )
    current = read_current(url)
    current = current[current["as_of"] == DAY2]  # leads rejected on DAY2 keep DAY1's row
    assert dict(zip(current["contact_id"], current["score_trend"], strict=True)) == expected
    counts = {t: list(expected.values()).count(t) for t in set(expected.values())}
    assert summary.per_trend == counts and first.per_trend == {"new": first.counts.scored}
    assert len(counts) >= 3  # the synthetic CRM moves leads both ways
    trend_line = next(line for line in text.splitlines() if line.startswith("Trend:"))
    assert f"improving: {counts.get('improving', 0):,}" in trend_line
    assert f"new: {counts.get('new', 0):,}" in trend_line
    n_before = sum(first.per_tier.values())
    a_before = first.per_tier.get("A", 0) / n_before
    assert f"(was {a_before:.1%})" in text.split("Tier mix: ")[1].splitlines()[0]


def test_parquet_sink_and_validation_rejects_count_as_eligible(setup, tmp_path):
    tables, scorer = setup
    quarantined = pd.DataFrame(
        {"contact_id": ["q-1", "", None, "q-1"], "_reason": ["bad e-mail", "x", "y", "again"]}
    )
    extra = validation_rejects(quarantined, tables.contacts["contact_id"])
    assert extra.to_dict("records") == [
        {"contact_id": "q-1", "reason": "failed validation: bad e-mail"}
    ]
    summary = run_batch(
        tables, scorer, DAY2, str(tmp_path / "scores.parquet"), **RUN, extra_rejects=extra
    )
    assert summary.counts.eligible == len(tables.contacts) + 1
    assert summary.reject_reasons["failed validation: bad e-mail"] == 1
    written = pd.read_parquet(tmp_path / "scores.parquet")
    assert len(written) == summary.counts.scored
    assert summary.movers.empty


def test_score_batch_raises_when_a_lead_would_be_lost(setup):
    tables, scorer = setup
    bogus = pd.DataFrame({"contact_id": [str(tables.contacts["contact_id"].iloc[-1])]})
    bogus["reason"] = "scored and rejected at once"
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    small = tables.contacts.loc[created < DAY1].head(300)
    sub = CrmTables(small, tables.accounts, tables.activities, tables.outcomes)
    bogus["contact_id"] = str(small["contact_id"].iloc[0])
    with pytest.raises(ValueError, match="both scored and rejected"):
        score_batch(sub, scorer, DAY2, extra_rejects=bogus)


def test_score_bands_by_hand():
    bands = score_bands(np.array([0.0, 9.99, 10.0, 55.0, 99.9, 100.0]))
    assert list(bands) == list(BANDS)
    assert bands["0-10"] == 2 and bands["10-20"] == 1 and bands["50-60"] == 1
    assert bands["90-100"] == 2 and sum(bands.values()) == 6


def test_known_contacts_rejects_late_and_undated_contacts():
    contacts = pd.DataFrame(
        {
            "contact_id": pd.Series(["a", "b", "c", "d"], dtype="string"),
            "created_at": pd.to_datetime(
                ["2026-01-01T00:00:00", None, "2026-02-01T00:00:00", "2026-01-31T23:59:00"],
                utc=True,
            ),
        }
    )
    known, rejects = known_contacts(contacts, pd.Timestamp("2026-02-01", tz="UTC"))
    assert list(known["contact_id"]) == ["a", "d"]
    reasons = dict(zip(rejects["contact_id"], rejects["reason"], strict=True))
    assert reasons["b"].startswith("missing created_at")
    assert reasons["c"].startswith("created after as_of")
    with pytest.raises(ValueError, match="duplicate id 'a'"):
        known_contacts(pd.concat([contacts, contacts.head(1)]), pd.Timestamp("2026-02-01"))


@pytest.mark.slow
def test_batch_writes_the_rulebook_account_scores_with_the_contacts(setup, tmp_path):
    import sqlalchemy as sa

    from rules import score_rulebook

    tables, scorer = setup
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    summary = run_batch(tables, scorer, DAY2, url, **RUN)
    known, _ = known_contacts(tables.contacts, DAY2)
    crm = CrmTables(known, tables.accounts, tables.activities, tables.outcomes)
    expected = score_rulebook(crm, scorer.rulebook_, DAY2).accounts
    assert expected is not None and len(expected) > 10  # default.yaml rolls accounts up
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = pd.read_sql_table("leadscore_accounts_current", conn)
        history = pd.read_sql_table("leadscore_account_history", conn)
    engine.dispose()
    assert summary.sink_result.n_accounts == len(expected) == len(stored) == len(history)
    stored = stored.set_index("account_id").loc[expected["account_id"]]
    np.testing.assert_allclose(stored["score"], expected["score"], rtol=1e-12)
    assert stored["hot"].tolist() == expected["hot"].tolist()
    assert stored["top_contact_id"].tolist() == expected["top_contact_id"].tolist()
    n = len(expected)
    assert f"Accounts: {n:,} account scores ({n:,} changed)" in format_summary(summary)


def test_tier_mix_line_by_hand():
    line = tier_mix_line({"A": 1, "B": 3}, {"A": 2, "B": 2, "C": 4})
    assert line == ["Tier mix: A 25.0% (was 25.0%), B 75.0% (was 25.0%), C 0.0% (was 50.0%)"]
    assert tier_mix_line({"A": 1}, {}) == []


@pytest.mark.slow  # Great Expectations validates the CRM (~5 s)
def test_a_validation_report_makes_its_quarantined_contacts_rejects(setup, tmp_path):
    from features.ingest.load import ingest
    from features.synthetic import write_crm

    _, scorer = setup
    crm = tmp_path / "crm"
    write_crm(generate_crm(300, 5, dirt=DirtConfig.none()), crm)
    contacts = pd.read_parquet(crm / "contacts.parquet")
    bad = contacts.iloc[[0]].assign(contact_id="con_BAD", seniority="wizard")
    pd.concat([contacts, bad], ignore_index=True).to_parquet(crm / "contacts.parquet")
    report = ingest(crm)
    assert report.counts["contacts"]["quarantined"] == 1
    summary = run_batch(
        report.tables, scorer, DAY2, str(tmp_path / "s.csv"), **RUN, validation=report
    )
    assert summary.counts.eligible == len(report.tables.contacts) + 1 == 301
    reasons = [r for r in summary.reject_reasons if r.startswith("failed validation: ")]
    assert len(reasons) == 1 and "seniority" in reasons[0]
    rejects = pd.read_csv(tmp_path / "s_rejects.csv")
    assert rejects.loc[rejects["contact_id"] == "con_BAD", "reason"].tolist() == reasons
    assert summary.validation_counts == report.counts
    assert "Validation quarantined 1 input row(s) (contacts 1)" in format_summary(summary)


def test_a_stale_as_of_is_judged_by_the_last_record_of_any_table(setup, tmp_path, caplog):
    """The batch warns of an as_of more than the horizon after the data's last record,
    contacts and outcomes included (an export without activities, like Olist's, is judged
    by them), and scores anyway."""
    from dataclasses import replace

    from rules import load_rulebook
    from serving.run_config import RulebookRef, RunConfig
    from serving.scorer import LeadScorer

    tables, scorer = setup
    run = RunConfig(
        framing="snapshots",
        train=TrainConfig(horizon_days=90),
        feature_spec=scorer.spec_.model_dump(mode="json"),
        rulebook=RulebookRef(name=scorer.rulebook_.name, version=str(scorer.rulebook_.version),
                             source=RULEBOOK, empty=False),
        tracking_uri="sqlite:///unused.db",
    )  # fmt: skip
    with_run = LeadScorer(
        scorer.model, load_rulebook(RULEBOOK), scorer.blend, spec=scorer.spec_, run_config=run
    )
    last = max(
        pd.to_datetime(tables.contacts["created_at"], utc=True).max(),
        pd.to_datetime(tables.outcomes["converted_at"], utc=True).max(),
    )
    # activities stop 200 days before the last contact or outcome: still not stale then
    occurred = pd.to_datetime(tables.activities["occurred_at"], utc=True)
    quiet = replace(
        tables, activities=tables.activities.loc[occurred < last - pd.Timedelta(days=200)]
    )
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    late = (last + pd.Timedelta(days=400)).normalize()
    with caplog.at_level(logging.WARNING, logger="serving.eligibility"):
        run_batch(quiet, with_run, (last + pd.Timedelta(days=1)).normalize(), url, **RUN)
        assert caplog.records == []
        summary = run_batch(quiet, with_run, late, url, **RUN)
    (record,) = caplog.records
    assert f"after the data's last record ({last:%Y-%m-%d})" in record.getMessage()
    assert f"{(late - last).days:,} days" in record.getMessage()
    assert summary.counts.scored > 0  # a warning, not a refusal
