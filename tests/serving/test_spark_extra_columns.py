"""Spark keeps the contacts columns a rulebook declares (``extra_columns``), as locally.

A tiny mapped export keeps ``Seats`` and ``Plan``; the default feature spec reads neither,
the rulebook scores on both. Spark's rule scores, manual scores and final scores must be
the local engine's and the points computed by hand.
"""

import numpy as np
import pandas as pd
import pytest
from scorer_helpers import register_scorer
from test_spark_features import assert_same_features, local_as_spark

from features.build import build_features
from features.ingest.load import ingest
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm
from rules import rulebook_from_dict

pytestmark = [pytest.mark.spark, pytest.mark.slow]

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")
LEADS = (
    'Id,Created,Seats,Plan\nc1,2026-01-01 00:00,120,pro\nc2,2026-01-02 00:00,"1,250",basic\n'
    "c3,2026-01-03 00:00,10,pro\nc4,2026-01-04 00:00,,basic\nc5,2026-01-05 00:00,50,\n"
    "c6,2026-03-02 00:00,80,pro\n"  # created after as_of: not scored
)
# by hand: big_team (seats >= 50, "1,250" is 1250) 10 points, pro_plan 5 points
POINTS = {"c1": 15.0, "c2": 10.0, "c3": 5.0, "c4": 0.0, "c5": 10.0}
RULEBOOK = {
    "name": "seats",
    "version": "1",
    "changelog": [{"version": "1", "date": "2026-01-01", "changes": "seats and plan"}],
    "scales": [{"name": "main"}],
    "extra_columns": {"seats": "float", "plan": "string"},
    "rules": [
        {
            "name": "big_team",
            "category": "fit",
            "points": 10,
            "when": {"var": "seats", "op": "gte", "value": 50},
        },
        {
            "name": "pro_plan",
            "category": "fit",
            "points": 5,
            "when": {"var": "plan", "op": "eq", "value": "pro"},
        },
    ],
}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The export's validated tables and the canonical folder written for ``--engine spark``."""
    root = tmp_path_factory.mktemp("seats")
    folder = root / "export"
    folder.mkdir()
    (folder / "leads.csv").write_text(LEADS)
    # c1 and c3 only: with 3 buckets one holds contacts and no activity, which Spark must
    # score as locally (no "flat export" refusal per bucket)
    acts = [f"a{i},c{i},2026-02-{10 + i} 10:00,page_view" for i in (1, 3)]
    (folder / "acts.csv").write_text("Act,Id,When,Type\n" + "\n".join(acts) + "\n")
    mapping = root / "mapping.yaml"
    mapping.write_text(
        "contacts:\n  source: leads.csv\n  columns:\n"
        "    contact_id: Id\n    created_at: Created\n  keep_extra: true\n"
        "activities:\n  source: acts.csv\n  columns:\n    activity_id: Act\n"
        "    contact_id: Id\n    occurred_at: When\n    activity_type: Type\n"
    )
    report = ingest(folder, str(mapping))
    canonical = root / "crm_ok"
    report.write_accepted(canonical)
    return report.tables, str(canonical)


def test_rule_scores_on_a_rulebooks_extra_columns_match_locally(spark, export):
    from serving.spark import build_features_spark, features_to_pandas, read_spark_tables
    from serving.spark.features import local_features
    from serving.spark.tables import spark_tables_from_pandas

    tables, canonical = export
    rulebook = rulebook_from_dict(RULEBOOK)
    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    fit = spec.fit
    assert not {"seats", "plan"} & {*fit.passthrough_numeric, *fit.passthrough_categorical}
    local = local_features(tables, AS_OF, spec, rulebook)
    assert local["rule_score"].to_dict() == POINTS
    for st in (
        read_spark_tables(spark, canonical, spec, rulebook),
        spark_tables_from_pandas(spark, tables, spec, rulebook),
    ):
        assert {"seats", "plan"} <= set(st.contacts.columns)
        df = build_features_spark(st, AS_OF, spec, n_buckets=3, rulebook=rulebook)
        got = features_to_pandas(df, spec, rulebook)
        assert got["rule_score"].to_dict() == POINTS


def test_a_kept_column_of_numbers_is_the_same_float_feature_on_spark(spark, export):
    """Validation typed ``Seats`` as numbers (its values all are); the spec training
    resolves uses it as a number; Spark's feature table is the local one."""
    from features.infer import InferSettings
    from pipelines.flows.common import feature_spec
    from serving.spark import build_features_spark, features_to_pandas, read_spark_tables
    from serving.spark.features import local_features

    tables, canonical = export
    assert tables.contacts["seats"].dtype == "float64"
    rulebook = rulebook_from_dict(RULEBOOK)
    spec, notes = feature_spec(None, tables.contacts, InferSettings())
    assert "extra column seats used as a number" in notes
    spec = spec.model_copy(update={"include_rule_score": True})
    expected = local_as_spark(local_features(tables, AS_OF, spec, rulebook))
    df = build_features_spark(
        read_spark_tables(spark, canonical, spec, rulebook), AS_OF, spec, n_buckets=3,
        rulebook=rulebook,
    )  # fmt: skip
    got = features_to_pandas(df, spec, rulebook)
    # by hand from LEADS: "1,250" is 1250, c4 has none, c6 is created after as_of
    assert got["seats"].to_dict() == pytest.approx(
        {"c1": 120.0, "c2": 1250.0, "c3": 10.0, "c4": np.nan, "c5": 50.0}, nan_ok=True
    )
    assert got["rule_score"].to_dict() == POINTS
    assert_same_features(got, expected)


def test_numbers_a_spec_reads_as_a_category_are_the_same_text_on_spark(spark, export):
    """A scorer trained when ``seats`` was text (a category) scoring tables where
    validation typed it as numbers: Spark carries the doubles and each bucket reads them
    as the local engine does (``120``; a Spark cast to string would give ``120.0``)."""
    from serving.spark import build_features_spark, features_to_pandas, read_spark_tables
    from serving.spark.tables import spark_tables_from_pandas

    tables, canonical = export
    spec = load_feature_spec()
    spec = spec.model_copy(
        update={"fit": spec.fit.model_copy(update={"passthrough_categorical": ("seats",)})}
    )
    expected = local_as_spark(build_features(tables, AS_OF, spec))
    seats = [None if pd.isna(v) else v for v in expected["seats"]]
    assert seats == ["120", "1250", "10", None, "50"]  # by hand
    for st in (
        read_spark_tables(spark, canonical, spec),
        spark_tables_from_pandas(spark, tables, spec),
    ):
        got = features_to_pandas(build_features_spark(st, AS_OF, spec, n_buckets=2), spec)
        assert_same_features(got, expected)


def test_tables_read_without_the_rulebook_are_refused_naming_its_columns(spark, export):
    from serving.spark import build_features_spark, read_spark_tables

    _, canonical = export
    rulebook = rulebook_from_dict(RULEBOOK)
    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    with pytest.raises(ValueError, match=r"contacts column\(s\) \['seats', 'plan'\]"):
        build_features_spark(
            read_spark_tables(spark, canonical, spec), AS_OF, spec, n_buckets=2, rulebook=rulebook
        )


def test_a_scorer_whose_rulebook_reads_kept_columns_scores_the_same_on_spark(
    spark, mlflow_store, export
):
    """Trained on a generated CRM given ``seats``/``plan``, the scorer scores the tiny
    export: manual scores are the hand-computed points, final scores the local ones."""
    from serving.scorer_model import load_scorer
    from serving.spark import read_spark_tables, score_spark
    from serving.spark.partition import contact_buckets

    crm = generate_crm(600, 47, dirt=DirtConfig.none()).tables
    rows = np.arange(len(crm.contacts))
    contacts = crm.contacts.assign(
        seats=pd.Series((rows * 7 % 100).astype(str), dtype="str"),
        plan=np.array(["basic", "pro", "team"])[rows % 3],
    )
    crm = type(crm)(contacts, crm.accounts, crm.activities, crm.outcomes)
    reg = register_scorer(
        crm, mlflow_store.tracking_uri, "test-spark-rulebook-extra",
        rulebook=rulebook_from_dict(RULEBOOK),
        train_snapshots=2, n_estimators=20, early_stopping_rounds=5,
    )  # fmt: skip
    loaded = load_scorer(reg.model_uri, mlflow_store.tracking_uri)
    scorer = loaded.scorer
    assert scorer.spec_ is not None and "seats" not in scorer.spec_.fit.passthrough_numeric
    tables, canonical = export
    expected = scorer.score(tables, AS_OF).scores.sort_values("contact_id", ignore_index=True)
    assert dict(zip(expected["contact_id"], expected["manual_score"], strict=True)) == POINTS
    st = read_spark_tables(spark, canonical, scorer.spec_, scorer.rulebook_)
    buckets = contact_buckets(st.contacts, 3).toPandas().groupby("_bucket")["contact_id"]
    assert any(not {"c1", "c3"} & set(ids) for _, ids in buckets)  # a bucket, no activity
    run = score_spark(spark, st, scorer, loaded.model_uri, AS_OF, n_buckets=3)
    try:
        got = run.collect()
    finally:
        run.release()
    pd.testing.assert_frame_equal(got.scores, expected, check_exact=True)
