"""Spark scoring == local scoring for every lead and column; the Spark sinks.

The CRM carries the generator's planted bots: Spark reads the files as they are and runs
the bot filter per bucket, the local engine scores the tables validation filtered.
"""

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scorer_helpers import register_scorer

from features.bots import bot_counts, load_bot_settings
from features.ingest.load import ingest
from features.ingest.quarantine import REDACTED
from features.synthetic import DirtConfig, generate_crm, write_crm
from serving.batch import run_batch
from serving.batch_summary import format_summary
from serving.sinks import SCORED_COLUMNS
from serving.sinks.accounts import ACCOUNT_COLUMNS

pytestmark = [pytest.mark.spark, pytest.mark.slow]

AS_OF = pd.Timestamp("2026-09-01", tz="UTC")
NAME = "test-spark-score"


@pytest.fixture(scope="module")
def registered(mlflow_store, tmp_path_factory):
    """A synthetic CRM with bots as Parquet files, its validated tables (bots filtered out)
    and a registered scorer."""
    from serving.scorer_model import load_scorer

    data_dir = tmp_path_factory.mktemp("crm")
    write_crm(generate_crm(1500, 41, dirt=DirtConfig.none()), data_dir)
    report = ingest(data_dir)
    tables = report.tables
    assert report.bots is not None and len(report.bots) > 100
    reg = register_scorer(
        tables, mlflow_store.tracking_uri, NAME,
        train_snapshots=2, n_estimators=30, early_stopping_rounds=10,
    )  # fmt: skip
    loaded = load_scorer(reg.model_uri, mlflow_store.tracking_uri)
    return str(data_dir), tables, loaded, report.bots


def _previous(tables) -> pd.DataFrame:
    """A prior run that put a few contacts at 'sql' (stages never move back)."""
    ids = tables.contacts["contact_id"].astype("str").head(40).to_numpy()
    return pd.DataFrame(
        {"contact_id": ids, "stage": "sql", "as_of": pd.Timestamp("2026-08-01", tz="UTC")}
    )


def test_spark_scores_equal_local_scores_for_every_lead(spark, registered):
    from serving.spark import read_spark_tables, score_spark

    data_dir, tables, loaded, bots = registered
    previous = _previous(tables)
    run = score_spark(
        spark,
        read_spark_tables(spark, data_dir),
        loaded.scorer,
        loaded.model_uri,
        AS_OF,
        n_buckets=5,
        previous=previous,
        bots=load_bot_settings(),
    )
    try:
        got = run.collect()
        assert run.bots is not None
        flagged = pd.DataFrame(run.bots.select("activity_id", "bot_reason").toPandas())
    finally:
        run.release()
    # the same events flagged, for the same reasons, as validation flagged
    pair = ["activity_id", "bot_reason"]
    assert sorted(map(tuple, flagged[pair].astype(str).to_numpy())) == sorted(
        map(tuple, bots[pair].astype(str).to_numpy())
    )
    local = loaded.scorer.score(tables, AS_OF, previous=previous)
    expected = local.scores.sort_values("contact_id", ignore_index=True)
    assert list(got.scores.columns) == list(SCORED_COLUMNS)
    assert len(expected) > 1000 and len(local.rejects) > 0
    without = loaded.scorer.score(tables, AS_OF).scores.sort_values("contact_id", ignore_index=True)
    assert (without["stage"] != expected["stage"]).any()  # the previous stages count
    pd.testing.assert_frame_equal(got.scores, expected, check_exact=True)
    order = local.scores["contact_id"].argsort().to_numpy()
    assert (got.margin == local.margin[order]).all()
    key = ["contact_id", "reason"]
    assert sorted(map(tuple, got.rejects[key].to_numpy())) == sorted(
        map(tuple, local.rejects[key].astype(str).to_numpy())
    )
    assert sorted(got.eligible_ids) == sorted(local.eligible_ids)
    # the account roll-up: every account's row as the local engine computes it
    assert local.accounts is not None and got.accounts is not None
    local_accounts = local.accounts.loc[:, list(ACCOUNT_COLUMNS)]
    assert (local_accounts["n_contacts"] > 1).sum() > 50  # accounts span contacts
    assert local_accounts["hot"].any() and not local_accounts["hot"].all()
    pd.testing.assert_frame_equal(
        got.accounts, local_accounts.sort_values("account_id", ignore_index=True), check_exact=True
    )


def test_dataset_sink_writes_the_as_of_partition_and_a_rerun_replaces_it(
    spark, registered, tmp_path
):
    from serving.spark import SparkSettings, run_spark_batch

    data_dir, tables, loaded, _ = registered
    sink = str(tmp_path / "scores")
    # an earlier run by hand: every other contact at 50.0 points, the rest unscored
    ids = sorted(tables.contacts["contact_id"].astype(str))
    earlier = pd.DataFrame({"contact_id": ids[::2], "final_score": 50.0})
    (tmp_path / "scores" / "as_of=2026-08-25").mkdir(parents=True)
    earlier.to_parquet(tmp_path / "scores" / "as_of=2026-08-25" / "part-0.parquet")
    settings = SparkSettings(master="local[2]", n_buckets=3)
    bots_csv = tmp_path / "v" / "bots.csv"
    options = {
        "settings": settings, "explain": False, "bots": load_bot_settings(),
        "bots_out": bots_csv.parent,
    }  # fmt: skip
    first = run_spark_batch(spark, data_dir, loaded, AS_OF, sink, **options)
    part = tmp_path / "scores" / "as_of=2026-09-01"
    written = pd.read_parquet(part).sort_values("contact_id", ignore_index=True)
    flagged = bots_csv.read_bytes()
    second = run_spark_batch(spark, data_dir, loaded, AS_OF, sink, **options)
    assert bots_csv.read_bytes() == flagged  # a re-run writes the same rows in the same order
    assert sorted(p.name for p in bots_csv.parent.iterdir()) == ["bots.csv"]  # no temp files
    again = pd.read_parquet(part).sort_values("contact_id", ignore_index=True)
    pd.testing.assert_frame_equal(written, again)
    assert sorted(p.name for p in (tmp_path / "scores").iterdir()) == [
        "_accounts",
        "_rejects",
        "as_of=2026-08-25",
        part.name,
    ]
    steady = loaded.scorer.settings.trend_steady_points
    before = dict(zip(earlier["contact_id"], earlier["final_score"], strict=True))
    expected = [
        "new"
        if cid not in before
        else "steady"
        if abs(score - before[cid]) < steady
        else ("improving" if score > before[cid] else "declining")
        for cid, score in zip(written["contact_id"], written["final_score"], strict=True)
    ]
    assert written["score_trend"].tolist() == expected
    assert first.per_trend == second.per_trend == pd.Series(expected).value_counts().to_dict()
    rejects = pd.read_parquet(tmp_path / "scores" / "_rejects" / part.name)
    assert first.counts.eligible == len(tables.contacts)
    assert first.counts.scored == len(written) and first.counts.rejected == len(rejects) > 0
    assert second.counts == first.counts
    assert set(written["top_reasons"]) == {"[]"}  # explain=False
    assert written["model_version"].unique().tolist() == [loaded.model_version]
    accounts = pd.read_parquet(tmp_path / "scores" / "_accounts" / part.name)
    expected_accounts = loaded.scorer.score(tables, AS_OF, explain=False).accounts
    assert expected_accounts is not None
    got_accounts = accounts.sort_values("account_id", ignore_index=True)
    pd.testing.assert_frame_equal(
        got_accounts.loc[:, list(ACCOUNT_COLUMNS)].astype({"account_id": "string"}),
        expected_accounts.loc[:, list(ACCOUNT_COLUMNS)].astype({"top_contact_id": object}),
        check_dtype=False,
        check_exact=True,
    )
    assert first.sink_result.n_accounts == second.sink_result.n_accounts == len(accounts)
    assert set(accounts["rulebook_version"]) == {str(loaded.scorer.rulebook_.version)}


def test_sql_sink_holds_what_the_local_engine_writes(spark, registered, tmp_path):
    from serving.spark import SparkSettings, run_spark_batch

    data_dir, tables, loaded, bots = registered
    spark_url = f"sqlite:///{tmp_path / 'spark.db'}"
    local_url = f"sqlite:///{tmp_path / 'local.db'}"
    settings = SparkSettings(master="local[2]", n_buckets=4)
    meta = {"model_name": loaded.model_name, "model_version": loaded.model_version}
    summary = run_spark_batch(
        spark, data_dir, loaded, AS_OF, spark_url, settings=settings, bots=load_bot_settings(),
        bots_out=tmp_path / "spark_validation",
    )  # fmt: skip
    # the summary counts what the filter kept out, as validation counts it
    seen = pd.concat([tables.activities, bots], ignore_index=True)
    assert summary.bot_counts == bot_counts(seen, bots)
    # and bots.csv holds the rows `leadscore validate` writes, personal data redacted
    spark_csv = tmp_path / "spark_validation" / "bots.csv"
    assert summary.bots_file == str(spark_csv)
    assert f"flagged activities and their reasons: {spark_csv}" in format_summary(summary)
    local_csv = ingest(data_dir).write(tmp_path / "local_validation")["bots"]
    spark_lines = spark_csv.read_text().splitlines()
    local_lines = local_csv.read_text().splitlines()
    assert spark_lines[0] == local_lines[0] and spark_lines[0].endswith(",bot_reason")
    assert len(spark_lines) == len(bots) + 1 > 100
    assert sorted(spark_lines[1:]) == sorted(local_lines[1:])
    ips = pd.read_csv(spark_csv, dtype=str)["ip"]
    assert bots["ip"].notna().sum() > 100  # the planted bots carry their IPs ...
    assert set(ips.dropna()) == {REDACTED}  # ... which the file never shows
    assert ips.notna().sum() == bots["ip"].notna().sum()
    run_batch(tables, loaded.scorer, AS_OF, local_url, **meta)
    cols = (
        "contact_id, final_score, tier, stage, probability, manual_score, grade, top_reasons, "
        "score_trend"
    )
    rows = {}
    for url in (spark_url, local_url):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            sql = f"SELECT {cols} FROM leadscore_scores_current ORDER BY contact_id"
            rows[url] = [tuple(r) for r in conn.exec_driver_sql(sql).all()]
        engine.dispose()
    assert rows[spark_url] == rows[local_url]
    accounts = {}
    for url in (spark_url, local_url):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            for table in ("leadscore_accounts_current", "leadscore_account_history"):
                sql = (
                    "SELECT account_id, score, n_contacts, n_used, top_contact_id, hot "
                    f"FROM {table} ORDER BY account_id"
                )
                accounts[url, table] = [tuple(r) for r in conn.exec_driver_sql(sql).all()]
        engine.dispose()
    for table in ("leadscore_accounts_current", "leadscore_account_history"):
        assert accounts[spark_url, table] == accounts[local_url, table]
        assert len(accounts[spark_url, table]) == summary.sink_result.n_accounts > 100
    assert len(rows[spark_url]) == summary.counts.scored
    assert summary.counts.scored + summary.counts.rejected == len(tables.contacts)


def test_a_scorer_using_a_kept_column_scores_the_same_on_spark(spark, mlflow_store):
    """A scorer trained with the spec a mapping's kept column adds (``plan``, as
    :func:`pipelines.flows.common.feature_spec` resolves it) scores every lead on Spark as
    locally: the column travels with the contacts the scorer's stored spec names."""
    from features.infer import InferSettings
    from pipelines.flows.common import feature_spec
    from serving.scorer_model import load_scorer
    from serving.spark import score_spark
    from serving.spark.score import input_columns
    from serving.spark.tables import spark_tables_from_pandas

    tables = generate_crm(600, 43, dirt=DirtConfig.none()).tables
    rows = np.arange(len(tables.contacts))
    contacts = tables.contacts.assign(plan=np.array(["basic", "pro", "team"])[rows % 3])
    tables = type(tables)(contacts, tables.accounts, tables.activities, tables.outcomes)
    spec, notes = feature_spec(None, contacts, InferSettings())
    assert notes == ["extra column plan used as a category"]
    reg = register_scorer(
        tables, mlflow_store.tracking_uri, NAME + "-kept", spec=spec,
        train_snapshots=2, n_estimators=20, early_stopping_rounds=5,
    )  # fmt: skip
    loaded = load_scorer(reg.model_uri, mlflow_store.tracking_uri)
    assert loaded.scorer.spec_ is not None
    assert "plan" in loaded.scorer.spec_.fit.passthrough_categorical
    assert "plan" in input_columns(loaded.scorer)  # a model input, as text
    run = score_spark(
        spark,
        spark_tables_from_pandas(spark, tables, loaded.scorer.spec_),
        loaded.scorer,
        loaded.model_uri,
        AS_OF,
        n_buckets=3,
    )
    try:
        got = run.collect()
    finally:
        run.release()
    expected = loaded.scorer.score(tables, AS_OF).scores.sort_values("contact_id")
    assert len(expected) > 100
    pd.testing.assert_frame_equal(got.scores, expected.reset_index(drop=True), check_exact=True)
