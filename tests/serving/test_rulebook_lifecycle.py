"""The rulebook lifecycle end to end: preview, publish, revert (byte-identical), history."""

from __future__ import annotations

import pickle
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml
from rulebook_dicts import two_rule_text
from typer.testing import CliRunner

from benchmarks.scorer_fixture import fit_scorer
from features.synthetic import DirtConfig, generate_crm
from features.training_set import data_end_of, outcome_labels, snapshot_schedule
from models.config import LightGBMParams
from pipelines.cli import app
from pipelines.console import console
from rules import (
    RulebookError,
    RulebookText,
    load_rulebook,
    rulebook_from_dict,
    rulebook_from_text,
    score_rulebook,
)
from serving.batch import run_batch
from serving.eligibility import known_contacts
from serving.publish import publish_rulebook, rulebook_of, with_published_rulebook
from serving.rulebook_impact import rulebook_impact
from serving.scorer_model import LoadedScorer
from serving.sinks import read_current
from serving.sinks.versions import current_version, list_versions, revert_version

DEFAULT = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"
AS_OF = pd.Timestamp("2026-09-01", tz="UTC")
NOW = datetime(2026, 9, 2, tzinfo=UTC)
runner = CliRunner()
# a valid rulebook with one lint warning: category 'lonely' is used by one rule only
LONE_CATEGORY = two_rule_text(
    "lone",
    "2",
    "  - {name: lone_rule, category: lonely, points: 5, when: {var: seniority, "
    "op: eq, value: vp}}\n",
)


def said(result) -> str:
    """A command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


pytestmark = pytest.mark.slow  # a scorer and several full re-scorings


@pytest.fixture(scope="module")
def setup():
    """A synthetic CRM, an in-memory scorer on it, and two rulebook texts."""
    tables = generate_crm(1500, 8, dirt=DirtConfig.none()).tables
    params = LightGBMParams(n_estimators=20, learning_rate=0.1, early_stopping_rounds=5)
    scorer = fit_scorer(
        tables, lightgbm=params, rulebook=load_rulebook(DEFAULT), train_snapshots=2, every_days=30
    )
    loaded = LoadedScorer(scorer, "models:/test-lifecycle/1", "test-lifecycle", "1")
    first = DEFAULT.read_text()
    raw = yaml.safe_load(first)
    raw["version"] = f"{raw['version']}-lenient"
    raw["stages"]["mql"] = 20  # more leads become MQLs
    raw["changelog"].append(
        {"version": raw["version"], "date": "2026-12-01", "changes": ["MQL from 20 points."]}
    )
    second = yaml.safe_dump(raw, sort_keys=False)
    return tables, loaded, first, second


def _current(fx, url: str, prefix: str) -> tuple[list[tuple], list[tuple]]:
    """The current contact scores and account scores, raw driver values by key."""
    rows = fx.snapshot(url, prefix)
    return rows[f"{prefix}scores_current"], rows[f"{prefix}accounts_current"]


def _publish(setup, url, prefix, text, who="ana"):
    tables, loaded, *_ = setup
    book = rulebook_from_text(text, "the rulebook to publish")
    return publish_rulebook(tables, loaded, book, url, AS_OF, published_by=who, table_prefix=prefix)


def test_publish_then_revert_restores_the_current_scores_exactly(setup, db_url, table_prefix, fx):
    tables, loaded, first, second = setup
    run_batch(tables, loaded.scorer, AS_OF, db_url, model_name="m", model_version="1",
              table_prefix=table_prefix)  # fmt: skip
    v1 = _publish(setup, db_url, table_prefix, first)
    assert v1.version_id == 1
    before = _current(fx, db_url, table_prefix)
    v2 = _publish(setup, db_url, table_prefix, second, who="bo")
    assert v2.version_id == 2 and v2.sink_result.n_current_updated > 0
    after = _current(fx, db_url, table_prefix)
    assert after[0] != before[0] and after[1] != before[1] and before[1]
    assert {row[-3] for row in after[0]} == {v2.rulebook_version}  # rulebook_version column
    with pytest.raises(ValueError, match="already the published version 2"):
        _publish(setup, db_url, table_prefix, second)

    done = revert_version(db_url, table_prefix, reverted_by="cy", reverted_at=NOW)
    assert (done.from_version, done.to_version, done.restored_from) == (2, 1, 2)
    assert _current(fx, db_url, table_prefix) == before  # the same raw values, row for row
    # the score trend column survives the round trip (no run before AS_OF: every lead new)
    assert set(read_current(db_url, table_prefix=table_prefix)["score_trend"]) == {"new"}

    versions = list_versions(db_url, table_prefix)
    assert [(v.version_id, v.is_current, v.published_by) for v in versions] == [
        (1, True, "ana"),
        (2, False, "bo"),
    ]
    assert versions[1].reverted_by == "cy" and versions[1].previous_version_id == 1
    assert rulebook_of(versions[1]).stages.mql == 20
    assert versions[0].text == first
    # the nightly run scores with the version now current, and records it
    nightly, version = with_published_rulebook(loaded, db_url, table_prefix)
    assert nightly.scorer.rulebook_.stages.mql == loaded.scorer.rulebook_.stages.mql
    assert version == v1.rulebook_version
    with pytest.raises(ValueError, match="version 1 is the first published version"):
        revert_version(db_url, table_prefix, reverted_by="cy", reverted_at=NOW)


def test_revert_to_an_older_version_and_refusals(setup, tmp_path, fx):
    url, prefix = f"sqlite:///{tmp_path / 's.db'}", "leadscore_"
    tables, loaded, first, second = setup
    with pytest.raises(ValueError, match="no rulebook version is published"):
        revert_version(url, prefix, reverted_by="x", reverted_at=NOW)
    _publish(setup, url, prefix, first)
    state_1 = _current(fx, url, prefix)
    _publish(setup, url, prefix, second)
    third = second.replace("lenient", "lenient-2")
    _publish(setup, url, prefix, third)
    with pytest.raises(
        ValueError, match=r"--to 3: not an earlier version .* earlier versions: 2, 1"
    ):
        revert_version(url, prefix, to=3, reverted_by="x", reverted_at=NOW)
    done = revert_version(url, prefix, to=1, reverted_by="x", reverted_at=NOW)
    assert (done.from_version, done.to_version, done.restored_from) == (3, 1, 2)
    assert _current(fx, url, prefix) == state_1
    assert current_version(url, prefix).version_id == 1
    # a new publish after a revert follows version 1
    again = _publish(setup, url, prefix, second)
    assert current_version(url, prefix).previous_version_id == 1
    nightly, version = with_published_rulebook(loaded, url, prefix)
    assert nightly.scorer.rulebook_.stages.mql == 20 != loaded.scorer.rulebook_.stages.mql
    assert version == again.rulebook_version
    own = with_published_rulebook(loaded, str(tmp_path / "scores.parquet"), prefix)
    assert own == (loaded, str(loaded.scorer.rulebook_.version))


def test_preview_numbers_equal_an_independent_count(setup):
    tables, _, first, second = setup
    old, new = (rulebook_from_dict(yaml.safe_load(t)) for t in (first, second))
    impact = rulebook_impact(tables, old, new, AS_OF, horizon_days=90)

    def stages(book, when):
        known, _ = known_contacts(tables.contacts, when)
        scores = score_rulebook(replace(tables, contacts=known), book, when).scores
        return dict(zip(scores["contact_id"].astype(str), scores["stage"].astype(object)))

    def named(stage):
        return stage if stage in ("lead", "mql", "sql") else "other"

    b, a = stages(old, AS_OF), stages(new, AS_OF)
    moves = Counter((named(b[c]), named(a[c])) for c in b if named(b[c]) != named(a[c]))
    assert impact.moves == dict(moves) and moves
    assert impact.before == {s: sum(v == s for v in b.values()) for s in ("mql", "sql")}
    assert impact.after == {s: sum(v == s for v in a.values()) for s in ("mql", "sql")}
    assert impact.after["mql"] > impact.before["mql"]

    bt = impact.backtest
    end = max(
        pd.to_datetime(tables.activities["occurred_at"], utc=True).max(),
        pd.to_datetime(tables.contacts["created_at"], utc=True).max(),
        pd.to_datetime(tables.outcomes["converted_at"], utc=True).max(),
    )
    assert bt.as_of < end - pd.Timedelta(days=89)
    b, a = stages(old, bt.as_of), stages(new, bt.as_of)
    first_positive: dict[str, pd.Timestamp] = {}
    for row in tables.outcomes.itertuples():
        if row.outcome in ("opportunity", "won"):
            at = pd.Timestamp(row.converted_at)
            first_positive[row.contact_id] = min(at, first_positive.get(row.contact_id, at))
    # who may count (not converted, not at a customer, not an employee): training's rule
    eligible = outcome_labels(tables, pd.Index(list(b)), bt.as_of, 90)["eligible"].to_dict()

    def converted(c):
        first = first_positive.get(c)
        return first is not None and bt.as_of < first <= bt.as_of + pd.Timedelta(days=90)

    qualified = ("mql", "sql")
    extra = [c for c in b if a[c] in qualified and b[c] not in qualified and eligible[c]]
    kept = [c for c in b if b[c] in qualified and eligible[c]]
    assert bt.new_qualified == len(extra) > 0
    assert bt.new_converted == sum(map(converted, extra))
    assert bt.published_qualified == len(kept)
    assert bt.published_converted == sum(map(converted, kept))


def test_history_and_revert_commands(setup, tmp_path, monkeypatch):
    monkeypatch.setattr(console, "width", 160)  # whole cells on one line, to read them back
    url = f"sqlite:///{tmp_path / 's.db'}"
    _, _, first, second = setup
    empty = runner.invoke(app, ["rules", "history", "--sink", url])
    assert empty.exit_code == 0 and "no rulebook version is published" in said(empty)
    _publish(setup, url, "leadscore_", first, who="ana")
    _publish(setup, url, "leadscore_", second, who="bo")
    shown = runner.invoke(app, ["rules", "history", "--sink", url])
    assert shown.exit_code == 0, shown.output
    assert "ana" in said(shown) and "bo" in said(shown) and "current" in said(shown)
    published = [v.published_at for v in list_versions(url, "leadscore_")]
    # the one time format (features.reasons.time_text): to the minute, marked UTC
    assert all(f"{when:%Y-%m-%d %H:%M} UTC" in said(shown) for when in published)
    declined = runner.invoke(app, ["rules", "revert", "--sink", url], input="n\n")
    assert declined.exit_code == 1 and current_version(url).version_id == 2
    done = runner.invoke(app, ["rules", "revert", "--sink", url, "--yes", "--by", "cy"])
    assert done.exit_code == 0, done.output
    assert "version 2 -> version 1" in said(done)
    reverted = list_versions(url, "leadscore_")[1].reverted_at
    assert reverted is not None and reverted.utcoffset() == pd.Timedelta(0)
    after = said(runner.invoke(app, ["rules", "history", "--sink", url]))
    assert f"reverted {reverted:%Y-%m-%d %H:%M} UTC by cy" in after
    bad = runner.invoke(app, ["rules", "history", "--sink", str(tmp_path / "scores.csv")])
    assert bad.exit_code == 1 and "rulebook versions live in the sink's database" in said(bad)


def test_publish_command_previews_asks_then_publishes(mlflow_store, tmp_path, setup):
    from scorer_helpers import crm_on_disk, register_scorer

    data = tmp_path / "crm"
    tables = crm_on_disk(data, 1200, 9)
    reg = register_scorer(
        tables, mlflow_store.tracking_uri, "test-publish",
        train_snapshots=2, n_estimators=20, early_stopping_rounds=5,
        horizon_days=45, with_run_config=True,
    )  # fmt: skip
    url = f"sqlite:///{tmp_path / 's.db'}"
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(setup[3])
    base = ["rules", "publish", "--data", str(data), "--sink", url, "--model", reg.model_uri,
            "--tracking-uri", mlflow_store.tracking_uri, "--as-of", "2026-09-01"]  # fmt: skip
    same = runner.invoke(
        app, [*base[:2], str(DEFAULT), *base[2:], "--horizon-days", "7"], input="n\n"
    )
    assert same.exit_code == 1 and "nothing published" in said(same)
    # --horizon-days wins over the scorer's horizon (45 days, below)
    _, _, backtest_7 = snapshot_schedule(data_end_of(tables), 7)
    assert f"backtest as of {backtest_7:%Y-%m-%d}" in said(same)
    assert "converted within 7 days" in said(same)
    assert "against the scorer's rulebook default" in said(same)
    assert "no lead changes stage" in said(same)  # the scorer's own rulebook: nothing moves
    assert list_versions(url) == []

    done = runner.invoke(app, [*base[:2], str(lenient), *base[2:], "--yes", "--by", "ana"])
    assert done.exit_code == 0, done.output
    assert "leads changing stage" in said(done)
    # the backtest's horizon is the scorer's own (trained at 45 days), not a default
    _, _, backtest_45 = snapshot_schedule(data_end_of(tables), 45)
    assert f"backtest as of {backtest_45:%Y-%m-%d}" in said(done)
    assert "converted within 45 days" in said(done) and backtest_45 != backtest_7
    assert "published version 1" in said(done)
    # rows, not "scores changed": each row's rulebook_version changes, a score may not
    assert "current rows changed" in said(done) and "current scores changed" not in said(done)
    (only,) = list_versions(url)
    assert (only.published_by, only.is_current, only.text) == ("ana", True, setup[3])
    again = runner.invoke(app, [*base[:2], str(lenient), *base[2:], "--yes"])
    assert again.exit_code == 1 and "already the published version 1" in said(again)

    # a lint warning (a category only this rule uses) is printed once: the command parses
    # the file once, previews that parse and publishes it (the stored text is the scored one)
    lone = tmp_path / "lone.yaml"
    lone.write_text(LONE_CATEGORY)
    warned = runner.invoke(app, [*base[:2], str(lone), *base[2:], "--yes", "--by", "bo"])
    assert warned.exit_code == 0, warned.output
    assert said(warned).count("category 'lonely' is used by this rule only") == 1
    stored = current_version(url)
    assert stored.version_id == 2 and stored.text == LONE_CATEGORY
    assert rulebook_of(stored).name == "lone"


def test_a_rulebook_text_that_does_not_parse_is_refused_before_anything_is_written(
    setup, db_url, table_prefix, fx
):
    tables, loaded, first, _ = setup
    run_batch(tables, loaded.scorer, AS_OF, db_url, model_name="m", model_version="1",
              table_prefix=table_prefix)  # fmt: skip
    before = fx.snapshot(db_url, table_prefix)
    with pytest.raises(RulebookError, match="the rulebook to publish line"):
        _publish(setup, db_url, table_prefix, first + "\nrules: [\n")
    assert fx.snapshot(db_url, table_prefix) == before


def test_a_published_text_is_the_text_scored_and_comes_parsed_only(setup, tmp_path):
    tables, loaded, _, second = setup
    url = f"sqlite:///{tmp_path / 's.db'}"
    book = rulebook_from_text(second, "lenient.yaml")
    done = publish_rulebook(tables, loaded, book, url, AS_OF, published_by="ana")
    stored = current_version(url)
    assert stored.text == book.text == second
    assert rulebook_of(stored) == book.rulebook
    scored = read_current(url)
    assert set(scored["rulebook_version"]) == {done.rulebook_version}
    assert done.rulebook_version.startswith(f"{book.rulebook.version}#")
    with pytest.raises(TypeError, match="rulebook_from_text"):
        RulebookText(second, book.rulebook, ())  # a text and a rulebook paired by hand


def test_a_scorer_keeps_a_warned_rulebook_as_loaded_and_does_not_warn_again(setup, caplog):
    """A category lint is a warning when the rulebook leaves its categories to the
    defaults; the scorer's stored copy must keep it one (a full dump sets them)."""
    _, loaded, *_ = setup
    lone = rulebook_from_text(LONE_CATEGORY, "lone.yaml")
    assert len(lone.warnings) == 1
    caplog.clear()  # the load's own warning, above
    with caplog.at_level("WARNING", logger="rules"):
        scorer = loaded.scorer.with_rulebook(lone.rulebook)
        again = pickle.loads(pickle.dumps(scorer))
    assert scorer.rulebook_ == again.rulebook_ == lone.rulebook
    assert not [r for r in caplog.records if r.name.startswith("rules")]


def test_publishing_rejects_the_contacts_validation_quarantined_as_the_nightly_batch_does(
    setup, tmp_path
):
    """``rules publish`` passes its validation report: a quarantined contact is a reject
    with validation's reason, not a lead silently missing from the re-scored rows."""
    import sqlalchemy as sa
    from scorer_helpers import crm_on_disk

    from features.ingest.load import ingest

    _, loaded, first, _ = setup
    folder = tmp_path / "crm"
    crm_on_disk(folder, 300, 9)
    contacts = pd.read_parquet(folder / "contacts.parquet")
    bad = contacts.iloc[[0]].assign(contact_id="con_BAD", seniority="wizard")
    pd.concat([contacts, bad], ignore_index=True).to_parquet(folder / "contacts.parquet")
    report = ingest(folder)
    assert "con_BAD" in set(report.quarantine["contacts"]["contact_id"])
    url = f"sqlite:///{tmp_path / 's.db'}"
    book = rulebook_from_text(first, "default.yaml")
    publish_rulebook(report.tables, loaded, book, url, AS_OF, published_by="ana", validation=report)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rejects = dict(
            conn.exec_driver_sql("SELECT contact_id, reason FROM leadscore_score_rejects").all()
        )
    engine.dispose()
    assert rejects["con_BAD"].startswith("failed validation")
