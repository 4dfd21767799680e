"""The bot filter inside ingestion: after validation, before features, counted, written."""

from __future__ import annotations

import json

import pandas as pd

from features.ingest.load import ingest

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0"
CONTACTS = "contact_id,created_at\nc1,2026-01-01T00:00:00Z\nc2,2026-01-01T00:00:00Z\n"
ACTIVITIES = (
    "activity_id,contact_id,occurred_at,activity_type,email_id,user_agent,ip\n"
    f"a1,c1,2026-02-01T10:00:00Z,email_click,e1,{BROWSER},198.51.100.7\n"
    "a2,c1,2026-02-01T10:00:03Z,email_click,e2,Barracuda Sentinel (EE),198.51.100.8\n"
    "a3,c2,2026-02-01T10:00:00Z,email_open,e1,Mozilla/5.0,17.58.0.1\n"
    f"a4,c2,2026-02-01T11:00:00Z,email_open,e2,{BROWSER},198.51.100.9\n"
    f"a5,c2,2026-02-02T11:00:00Z,page_view,,{BROWSER},198.51.100.9\n"
)


def crm_folder(tmp_path):
    folder = tmp_path / "crm"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS)
    (folder / "activities.csv").write_text(ACTIVITIES)
    return folder


def test_flagged_activities_leave_the_tables_and_are_written_counted_and_kept(tmp_path):
    folder = crm_folder(tmp_path)
    report = ingest(folder, now=pd.Timestamp("2026-06-01", tz="UTC"))
    assert report.tables.activities["activity_id"].tolist() == ["a1", "a4", "a5"]
    assert report.bots["activity_id"].tolist() == ["a2", "a3"]
    assert report.bots["bot_reason"].tolist() == ["crawler_user_agent", "privacy_proxy_open"]
    assert report.counts["activities"] == {
        "input": 5,
        "accepted": 5,
        "quarantined": 0,
        "warnings": 0,
    }
    text = report.summary_text()
    assert "e-mail clicks: 50 % filtered as bots" in text
    assert "e-mail opens: 50 % filtered as bots" in text

    paths = report.write(tmp_path / "out")
    written = pd.read_csv(paths["bots"])
    assert written["activity_id"].tolist() == ["a2", "a3"]
    assert written["bot_reason"].tolist() == ["crawler_user_agent", "privacy_proxy_open"]
    assert set(written["ip"]) == {"<redacted>"}  # an IP address is personal data
    summary = json.loads(paths["summary"].read_text())
    assert summary["bots"]["by_reason"] == {"crawler_user_agent": 1, "privacy_proxy_open": 1}
    assert (folder / "activities.csv").read_text() == ACTIVITIES  # the input is never touched

    accepted = report.write_accepted(tmp_path / "accepted")
    assert pd.read_parquet(accepted["activities"])["activity_id"].tolist() == ["a1", "a4", "a5"]


def test_settings_file_turns_the_filter_off_and_an_empty_run_writes_a_header(tmp_path):
    folder = crm_folder(tmp_path)
    off = tmp_path / "off.yaml"
    off.write_text("enabled: false\n")
    report = ingest(folder, now=pd.Timestamp("2026-06-01", tz="UTC"), bots=off)
    assert len(report.tables.activities) == 5
    assert report.bots.empty
    assert "bots: none filtered" in report.summary_text()
    header = (report.write(tmp_path / "out")["bots"]).read_text().splitlines()
    assert len(header) == 1
    assert header[0].startswith("activity_id,") and header[0].endswith(",bot_reason")


def test_a_mapping_maps_the_bot_filter_columns(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "leads.csv").write_text("Id,Created\nc1,2026-01-01 00:00\n")
    (folder / "events.csv").write_text(
        "Event,Lead,When,Kind,Mail,Agent,Address,Delivered\n"
        "a1,c1,2026-02-01 10:00:05,email_click,e1,Chrome,198.51.100.7,2026-02-01 10:00:00\n"
        "a2,c1,2026-02-01 12:00:00,email_click,e2,Chrome,198.51.100.7,2026-02-01 10:00:00\n"
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "contacts:\n  source: leads.csv\n  columns:\n"
        "    contact_id: Id\n    created_at: Created\n"
        "activities:\n  source: events.csv\n  columns:\n"
        "    activity_id: Event\n    contact_id: Lead\n    occurred_at: When\n"
        "    activity_type: Kind\n    email_id: Mail\n    user_agent: Agent\n"
        "    ip: Address\n    delivered_at: Delivered\n"
    )
    report = ingest(folder, mapping, now=pd.Timestamp("2026-06-01", tz="UTC"))
    assert report.bots["activity_id"].tolist() == ["a1"]
    assert report.bots["bot_reason"].tolist() == ["click_after_delivery"]
    assert report.tables.activities["user_agent"].tolist() == ["Chrome"]
