"""Spark feature backend == local feature engine: same rows, values and types."""

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.crm import CrmTables, empty_table
from features.ingest.coerce import to_canonical
from features.schema import TABLES
from features.spec import load_feature_spec
from features.synthetic import DirtConfig, generate_crm

pytestmark = [pytest.mark.spark, pytest.mark.slow]

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")
NS = pd.Timedelta(1, "ns")


def _table(name: str, rows: list[dict]) -> pd.DataFrame:
    """Rows (text values) as a canonical table, typed as validation types them."""
    table = TABLES[name]
    frame = pd.DataFrame(rows).reindex(columns=list(table.names))
    for col in table.columns:
        if col.dtype == "datetime":
            frame[col.name] = pd.to_datetime(frame[col.name], utc=True, format="ISO8601")
    return to_canonical(frame, table)


def tiny_crm() -> CrmTables:
    """Windows, recency, no activity, as_of boundary, offsets, accounts across contacts."""
    accounts = _table(
        "accounts",
        [
            {"account_id": "A1", "employees": 500, "region": "EMEA", "industry": "software"},
            {"account_id": "A2", "annual_revenue": 2e6, "region": "NA"},
        ],
    )
    contacts = _table(
        "contacts",
        [
            {
                "contact_id": "c1",
                "created_at": "2025-12-01T00:00:00Z",
                "account_id": "A1",
                "seniority": "vp",
                "email": "a@acme.com",
                "lead_source": "paid_search",
            },
            {
                "contact_id": "c2",
                "created_at": "2026-01-15T10:00:00+05:00",
                "account_id": "A1",
                "email": "b@gmail.com",
            },
            {"contact_id": "c3", "created_at": "2025-06-30T23:59:59-07:00", "account_id": "A2"},
            {"contact_id": "c4", "created_at": "2026-02-01T00:00:00Z"},  # no account, no activity
            {"contact_id": "c5", "created_at": AS_OF.isoformat()},  # not known yet
            {"contact_id": "c6", "created_at": (AS_OF - NS).isoformat()},  # known, 1 ns before
        ],
    )
    acts = [
        ("a1", "c1", AS_OF - NS, "page_view", "pricing"),  # counts
        ("a2", "c1", AS_OF, "demo_request", None),  # exactly at as_of: never counted
        ("a3", "c1", AS_OF - pd.Timedelta(days=7), "page_view", "pricing"),  # window edge
        ("a4", "c2", "2026-02-20T01:30:00+02:00", "form_submit", None),  # non-UTC offset
        ("a5", "c2", AS_OF - pd.Timedelta(days=40), "email_open", None),
        ("a6", "c3", AS_OF - pd.Timedelta(days=100), "email_click", None),
        ("a7", "c6", AS_OF - pd.Timedelta(days=1), "webinar_attend", None),
        ("a8", "zz", AS_OF - pd.Timedelta(days=1), "page_view", "home"),  # unknown contact
    ]
    activities = _table(
        "activities",
        [
            {
                "activity_id": a,
                "contact_id": c,
                "occurred_at": pd.Timestamp(t).isoformat(),
                "activity_type": k,
                "page_category": p,
                "form_stage": "BOFU" if k == "form_submit" else None,
            }
            for a, c, t, k, p in acts
        ],
    )
    return CrmTables(contacts, accounts, activities, empty_table("outcomes"))


def local_as_spark(features: pd.DataFrame) -> pd.DataFrame:
    """The local frame as the Spark one comes back: categories as text, sorted ids."""
    cats = [c for c in features.columns if isinstance(features[c].dtype, pd.CategoricalDtype)]
    out = features.astype({c: object for c in cats})
    out = out.set_axis(out.index.astype("str")).sort_index()
    out.index.name = "contact_id"
    return out


def _texts(values: pd.Series) -> list:
    return [None if pd.isna(v) else str(v) for v in values.tolist()]


def assert_same_features(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert list(got.index) == list(expected.index)
    for col in expected.columns:
        e, g = expected[col], got[col]
        if e.dtype == object:
            assert _texts(g) == _texts(e), col
        else:
            assert g.dtype == e.dtype, col
            np.testing.assert_array_equal(g.to_numpy(), e.to_numpy(), err_msg=col)


@pytest.fixture(scope="module")
def spec():
    return load_feature_spec()


@pytest.mark.parametrize("source", ["pandas", "parquet"])
def test_tiny_crm_features_match_the_local_engine(spark, spec, tmp_path, source):
    from serving.spark import build_features_spark, features_to_pandas, read_spark_tables
    from serving.spark.tables import spark_tables_from_pandas

    tables = tiny_crm()
    if source == "parquet":  # pandas writes nanosecond timestamps; Spark must keep them
        for name in TABLES:
            tables.table(name).to_parquet(tmp_path / f"{name}.parquet")
        st = read_spark_tables(spark, str(tmp_path))
    else:
        st = spark_tables_from_pandas(spark, tables)
    got = features_to_pandas(build_features_spark(st, AS_OF, spec, n_buckets=3), spec)
    expected = local_as_spark(build_features(tables, AS_OF, spec))
    assert list(got.index) == ["c1", "c2", "c3", "c4", "c6"]  # c5 is created at as_of
    assert got.loc["c1", "seniority"] == "vp"
    # by hand: pricing views at as_of - 1 ns and exactly 7 days before (inside the window);
    # the demo request at as_of is not counted; c6 was created 1 ns before as_of
    assert got.loc["c1", "pricing_views_7d"] == 2
    assert got.loc["c1", "demo_request_90d"] == 0
    assert got.loc["c6", "days_since_created"] == pytest.approx(1e-9 / 86400, abs=1e-12)
    assert_same_features(got, expected)


def test_contacts_of_one_account_share_a_bucket(spark):
    from serving.spark.partition import BUCKET, contact_buckets
    from serving.spark.tables import spark_tables_from_pandas

    st = spark_tables_from_pandas(spark, tiny_crm())
    rows = contact_buckets(st.contacts, 7).select("contact_id", BUCKET).collect()
    bucket = {r["contact_id"]: r[BUCKET] for r in rows}
    assert bucket["c1"] == bucket["c2"]
    assert all(0 <= b < 7 for b in bucket.values())


def test_synthetic_crm_over_several_buckets_matches_the_local_engine(spark, spec):
    from serving.spark import build_features_spark, features_to_pandas
    from serving.spark.tables import spark_tables_from_pandas

    tables = generate_crm(2000, 5, dirt=DirtConfig.none()).tables
    as_of = pd.Timestamp("2026-06-01T12:00", tz="UTC")
    df = build_features_spark(spark_tables_from_pandas(spark, tables), as_of, spec, n_buckets=6)
    assert df.rdd.getNumPartitions() >= 1
    got = features_to_pandas(df, spec)
    expected = local_as_spark(build_features(tables, as_of, spec))
    assert len(expected) > 1000
    assert_same_features(got, expected)


def test_missing_required_column_names_table_and_column(spark, tmp_path):
    from serving.spark import read_spark_tables

    contacts = tiny_crm().contacts.drop(columns=["created_at"])
    contacts.to_parquet(tmp_path / "contacts.parquet")
    with pytest.raises(
        ValueError, match=r"table contacts lacks required column\(s\) \['created_at'\]"
    ):
        read_spark_tables(spark, str(tmp_path))


def test_duplicate_contact_id_is_refused_like_the_local_engine(spark):
    from serving.spark.tables import check_contact_keys, spark_tables_from_pandas

    tables = tiny_crm()
    doubled = pd.concat([tables.contacts, tables.contacts.head(1)], ignore_index=True)
    st = spark_tables_from_pandas(
        spark, CrmTables(doubled, *[tables.accounts, tables.activities, tables.outcomes])
    )
    with pytest.raises(ValueError, match="duplicate id 'c1'"):
        check_contact_keys(st.contacts, "crm/")


def _mapped_export(tmp_path):
    """A mapped export whose mapping keeps two extra columns (``plan``; ``ref``, an id), its
    validated tables, and the canonical folder ``leadscore validate --write-accepted``
    writes for ``--engine spark``."""
    from features.ingest.load import ingest

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "leads.csv").write_text(
        "Id,Created,Plan,Ref\nc1,2026-01-01 00:00,basic,r1\nc2,2026-01-02 00:00,,r2\n"
        "c3,2026-01-03 00:00,basic,r3\nc4,2026-01-04 00:00,pro,r4\n"
        "c5,2026-03-02 00:00,pro,r5\n"  # created after as_of: no row
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "contacts:\n  source: leads.csv\n  columns:\n"
        "    contact_id: Id\n    created_at: Created\n  keep_extra: true\n"
    )
    report = ingest(folder, str(mapping))
    canonical = tmp_path / "crm_ok"
    report.write_accepted(canonical)
    return report.tables, canonical


def test_a_mapped_exports_kept_columns_are_features_on_spark_as_locally(spark, tmp_path):
    from features.infer import InferSettings
    from pipelines.flows.common import feature_spec
    from serving.spark import build_features_spark, features_to_pandas, read_spark_tables
    from serving.spark.tables import spark_tables_from_pandas

    tables, canonical = _mapped_export(tmp_path)
    # the spec train_flow resolves and stores with the scorer (default + kept columns)
    # 5 rows judged (min_rows_id_like=5): 'ref' has one value per row, an id
    spec, notes = feature_spec(None, tables.contacts, InferSettings(min_rows_id_like=5))
    assert notes == [
        "extra column plan used as a category",
        "extra column ref left out: 5 distinct values",
    ]
    expected = local_as_spark(build_features(tables, AS_OF, spec))
    for st in (
        read_spark_tables(spark, str(canonical), spec),
        spark_tables_from_pandas(spark, tables, spec),
    ):
        got = features_to_pandas(build_features_spark(st, AS_OF, spec, n_buckets=3), spec)
        # by hand from leads.csv: c5 is created after as_of; c2 gave no plan; ref is no feature
        assert _texts(got["plan"]) == ["basic", None, "basic", "pro"]
        assert list(got.index) == ["c1", "c2", "c3", "c4"] and "ref" not in got.columns
        assert_same_features(got, expected)


def test_tables_read_without_the_spec_are_refused_naming_the_kept_columns(spark, tmp_path):
    from features.infer import InferSettings
    from pipelines.flows.common import feature_spec
    from serving.spark import build_features_spark, read_spark_tables

    tables, canonical = _mapped_export(tmp_path)
    spec, _ = feature_spec(None, tables.contacts, InferSettings(min_rows_id_like=5))
    with pytest.raises(ValueError, match=r"contacts column\(s\) \['plan'\]"):
        build_features_spark(read_spark_tables(spark, str(canonical)), AS_OF, spec, n_buckets=2)
    (tmp_path / "crm_ok" / "contacts.parquet").unlink()
    tables.contacts.drop(columns="plan").to_parquet(tmp_path / "crm_ok" / "contacts.parquet")
    with pytest.raises(ValueError, match=r"contacts\.plan is missing, and the scorer reads it"):
        read_spark_tables(spark, str(canonical), spec)
