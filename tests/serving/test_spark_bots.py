"""The bot filter on Spark flags exactly the events the local filter flags."""

from dataclasses import replace

import pandas as pd
import pytest

from features.bots import load_bot_settings, split_bots
from features.crm import CrmTables
from features.ingest.coerce import to_canonical
from features.schema import TABLES
from features.synthetic import DirtConfig, generate_crm

pytestmark = [pytest.mark.spark, pytest.mark.slow]

OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)"
T0 = pd.Timestamp("2026-05-04T09:00:00Z")


def _edge_cases() -> pd.DataFrame:
    """Hand-made events of two contacts the generator does not make: Outlook opens, a
    burst of page views, two links of one e-mail 0.5 s apart without a user agent."""
    rows = [
        ("x1", "c_edge_1", "email_sent", 0, None, "e9"),
        ("x2", "c_edge_1", "email_open", 400, OUTLOOK, "e9"),
        ("x3", "c_edge_1", "email_click", 900, None, "e9"),
        ("x4", "c_edge_1", "email_click", 900.5, None, "e9"),
        *[(f"x{5 + i}", "c_edge_2", "page_view", 50 + 0.2 * i, None, None) for i in range(5)],
        ("x10", "c_edge_2", "page_view", 600, None, None),
    ]
    frame = pd.DataFrame(
        {
            "activity_id": [r[0] for r in rows],
            "contact_id": [r[1] for r in rows],
            "activity_type": [r[2] for r in rows],
            "occurred_at": [T0 + pd.Timedelta(seconds=r[3]) for r in rows],
            "user_agent": [r[4] for r in rows],
            "email_id": [r[5] for r in rows],
        }
    )
    return to_canonical(
        frame.reindex(columns=list(TABLES["activities"].names)), TABLES["activities"]
    )


def _crm() -> CrmTables:
    """A small generated CRM with the default share of planted bots, plus the edge cases."""
    crm = generate_crm(400, seed=11, dirt=DirtConfig.none()).tables
    edge = _edge_cases()
    contacts = pd.DataFrame(
        {"contact_id": ["c_edge_1", "c_edge_2"], "created_at": [T0 - pd.Timedelta(days=30)] * 2}
    )
    contacts = to_canonical(
        contacts.reindex(columns=list(TABLES["contacts"].names)), TABLES["contacts"]
    )
    return replace(
        crm,
        contacts=pd.concat([crm.contacts, contacts], ignore_index=True),
        activities=pd.concat([crm.activities, edge], ignore_index=True),
    )


def test_spark_flags_the_same_events_with_the_same_reasons_as_the_local_filter(spark):
    from serving.spark import flag_bots_spark, spark_tables_from_pandas

    tables = _crm()
    settings = load_bot_settings()
    _, local = split_bots(tables.activities, settings)
    expected = (
        local.loc[:, ["activity_id", "bot_reason"]]
        .astype(str)
        .sort_values("activity_id", ignore_index=True)
    )
    flagged = flag_bots_spark(spark_tables_from_pandas(spark, tables), settings, n_buckets=3)
    got = pd.DataFrame(flagged.select("activity_id", "bot_reason").toPandas()).astype(str)
    got = got.sort_values("activity_id", ignore_index=True)
    assert len(expected) > 100  # the planted bots, every rule among them
    assert {"crawler_user_agent", "privacy_proxy_open", "burst"} <= set(expected["bot_reason"])
    pd.testing.assert_frame_equal(got, expected)
    edge = dict(zip(got["activity_id"], got["bot_reason"], strict=True))
    assert "x2" not in edge  # Outlook, a person's mail client
    assert edge["x3"] == edge["x4"] == "all_links_at_once"
    assert [edge.get(f"x{i}") for i in range(5, 11)] == ["burst"] * 5 + [None]


def test_a_filtered_table_loses_nothing_more_on_spark(spark):
    from serving.spark import flag_bots_spark, spark_tables_from_pandas

    tables = _crm()
    settings = load_bot_settings()
    kept, _ = split_bots(tables.activities, settings)
    again = flag_bots_spark(
        spark_tables_from_pandas(spark, replace(tables, activities=kept)), settings, n_buckets=2
    )
    assert again.count() == 0
