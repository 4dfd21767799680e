"""Event-log mappings: contacts derived from a touchpoint log with ``one_row_per``.

The tiny log below is written by hand; every expected table is worked out from it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from features.ingest import (
    InputError,
    apply_mapping,
    load_mapping,
    mapping_json_schema,
    parse_mapping,
    read_source,
    validate_tables,
)
from features.ingest.mapping_events import one_row_per

NOW = pd.Timestamp("2024-06-01", tz="UTC")
LOG = """cookie,timestamp,event,campaign,channel,country
k1,2024-03-01 10:00,impression,spring,display,DE
k1,2024-03-01 09:00,impression,winter,search,FR
k1,2024-03-02 12:00,click,spring,display,AT
k1,2024-03-03 08:00,conversion,,,
k2,2024-03-02 00:00,impression,spring,display,US
k2,2024-03-04 00:00,video,launch,video,
k3,2024-03-05 00:00,impression,spring,display,
k3,2024-03-06 00:00,conversion,,,
k3,2024-03-07 00:00,conversion,,,
"""


def utc(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(s, tz="UTC") for s in stamps]


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "touchpoints.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


def test_contacts_activities_and_outcomes_from_one_log(log_file):
    raw = read_source(log_file, load_mapping("event_log_example"))
    contacts = raw["contacts"]
    assert contacts["contact_id"].tolist() == ["k1", "k2", "k3"]
    # the first event, although k1's earliest row is not its first row in the file
    assert contacts["created_at"].tolist() == utc("2024-03-01 09:00", "2024-03-02", "2024-03-05")
    assert contacts["lead_source"].tolist() == ["paid_search", "other", "other"]  # first event
    assert contacts["country"].tolist()[:2] == ["AT", "US"]  # last event with a country
    assert pd.isna(contacts["country"].iloc[2])

    acts = raw["activities"]
    assert acts["activity_id"].tolist() == ["tp-1", "tp-2", "tp-3", "tp-5", "tp-6", "tp-7"]
    assert acts["contact_id"].tolist() == ["k1", "k1", "k1", "k2", "k2", "k3"]
    assert acts["activity_type"].tolist() == [
        "ad_impression",
        "ad_impression",
        "ad_click",
        "ad_impression",
        "video_view",
        "ad_impression",
    ]
    assert acts["channel"].tolist() == ["ads", "ads", "ads", "ads", "web", "ads"]

    outcomes = raw["outcomes"]
    assert outcomes["contact_id"].tolist() == ["k1", "k3", "k3"]
    assert outcomes["converted_at"].tolist() == utc("2024-03-03 08:00", "2024-03-06", "2024-03-07")


def test_the_log_validates_without_quarantining_contacts_or_conversions(log_file):
    report = validate_tables(read_source(log_file, load_mapping("event_log_example")), now=NOW)
    assert report.success
    assert report.counts["contacts"] == {"input": 3, "accepted": 3, "quarantined": 0, "warnings": 0}
    assert report.counts["activities"]["accepted"] == 6
    assert report.counts["outcomes"]["accepted"] == 3
    assert report.tables.activities["activity_type"].astype(str).value_counts().to_dict() == {
        "ad_impression": 4,
        "ad_click": 1,
        "video_view": 1,
    }


def test_without_one_row_per_every_event_is_a_duplicate_contact(log_file):
    """What the README's users got before: the same log, contacts not collapsed."""
    data = {
        "contacts": {
            "source": "touchpoints.csv",
            "columns": {"contact_id": "cookie", "created_at": "timestamp"},
        }
    }
    report = validate_tables(read_source(log_file, parse_mapping(data)), now=NOW)
    assert report.counts["contacts"]["quarantined"] == 6
    duplicates = next(i for i in report.issues if i.table == "contacts")
    assert "map contacts with one_row_per: contact_id" in duplicates.message


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_one_row_per_orders_by_parsed_time_and_skips_missing_values():
    events = frame(
        contact_id=["a", "a", "b", "a", None],
        created_at=[
            pd.Timestamp("2024-01-03", tz="UTC"),
            "not a date",  # unparsed: sorts after every parsed time
            pd.Timestamp("2024-01-02", tz="UTC"),
            pd.Timestamp("2024-01-01", tz="UTC"),
            pd.Timestamp("2024-01-05", tz="UTC"),
        ],
        country=["FR", "DE", None, None, "US"],
    )
    out = one_row_per(events, ["contact_id"], "created_at", {"country": "last"})
    assert out["contact_id"].tolist()[:2] == ["a", "b"]
    assert pd.isna(out["contact_id"].iloc[2])  # no id: one row, left to validation
    assert out["created_at"].tolist() == utc("2024-01-01", "2024-01-02", "2024-01-05")
    assert out["country"].tolist()[0] == "DE"  # the unparsed event comes last
    assert pd.isna(out["country"].iloc[1])
    assert list(out.columns) == ["contact_id", "created_at", "country"]


def test_one_row_per_keeps_an_unparsed_time_when_no_event_parsed():
    events = frame(contact_id=["a", "a"], created_at=["03/01/2024", "04/01/2024"])
    out = one_row_per(events, ["contact_id"], "created_at", {})
    assert out["created_at"].tolist() == ["03/01/2024"]  # validation reports it, not lost


def test_a_contact_without_id_in_the_log_is_quarantined_not_dropped(tmp_path):
    path = tmp_path / "touchpoints.csv"
    path.write_text(LOG + ",2024-03-08 00:00,impression,spring,display,\n", encoding="utf-8")
    report = validate_tables(read_source(path, load_mapping("event_log_example")), now=NOW)
    assert report.counts["contacts"] == {"input": 4, "accepted": 3, "quarantined": 1, "warnings": 0}
    assert report.counts["activities"]["quarantined"] == 1


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        (
            {"one_row_per": "cookie"},
            "contacts.one_row_per: 'cookie' is not a column of contacts; name the canonical "
            "column (e.g. contact_id)",
        ),
        ({"one_row_per": "country"}, "contacts.one_row_per: 'country' is not mapped"),
        (
            {"columns": {"country": {"source": "country", "pick": "last"}}},
            "contacts.columns.country.pick: only used with one_row_per",
        ),
        (
            {
                "one_row_per": "contact_id",
                "columns": {"contact_id": {"source": "c", "pick": "last"}},
            },
            "contacts.columns.contact_id.pick: contact_id is a one_row_per column",
        ),
    ],
)
def test_one_row_per_and_pick_problems_are_reported(contacts, expected):
    table = {"source": "touchpoints.csv", **contacts}
    table["columns"] = {
        "contact_id": "cookie",
        "created_at": "timestamp",
        **contacts.get("columns", {}),
    }
    with pytest.raises(InputError, match=re.escape(expected)):
        parse_mapping({"contacts": table}, "m.yaml")


def test_row_number_placeholder_counts_before_the_row_filter_and_a_column_wins():
    mapping = parse_mapping(
        {
            "contacts": {
                "source": "log.csv",
                "row_filter": {"column": "keep", "equals": "y"},
                "columns": {"contact_id": {"template": "r{_row}"}, "created_at": "t"},
            }
        }
    )
    log = frame(keep=["n", "y", "y"], t=["2024-01-01"] * 3)
    out = apply_mapping(mapping, {"log.csv": log})["contacts"]
    assert out["contact_id"].tolist() == ["r2", "r3"]
    with_column = log.assign(_row=["x", "y", "z"])
    out = apply_mapping(mapping, {"log.csv": with_column})["contacts"]
    assert out["contact_id"].tolist() == ["ry", "rz"]


def test_every_mapping_key_is_in_the_readme_mapping_section():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reading real exports: column mappings")[1].split("\n## ")[0]
    in_code = {w for span in re.findall(r"`([^`]+)`", section) for w in re.findall(r"\w+", span)}
    schema = mapping_json_schema()
    keys = set(schema["properties"])
    for model in schema["$defs"].values():
        keys |= set(model.get("properties", {}))
    missing = sorted(keys - in_code)
    assert not missing, f"mapping keys not documented in the README: {missing}"
