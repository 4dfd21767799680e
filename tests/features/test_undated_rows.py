"""Rows without a date in a required date column: a reason and a fix a user can follow.

A tiny hand-made pipeline export, as Maven's: open deals still "Prospecting" have no
engagement date, which the mapping reads as ``created_at``. Rows, stages and counts below
are read off the CSV by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from features.ingest import read_source, validate_tables
from features.ingest.mapping_load import load_mapping
from features.ingest.report import summary_text

NOW = pd.Timestamp("2024-06-01", tz="UTC")
PIPELINE = """opportunity_id,engage_date,deal_stage,agent
o1,2024-01-02,Won,Ann
o2,,Prospecting,Bo
o3,2024-01-05,Engaging,Ann
o4,,Prospecting,Cy
o5,,Lost,Bo
"""


def _mapping(tmp_path: Path, keep_extra: list[str]) -> Path:
    columns = {
        "contact_id": "opportunity_id",
        "created_at": {"source": "engage_date", "datetime_format": "%Y-%m-%d"},
    }
    data = {"version": 1, "contacts": {"source": "pipeline.csv", "columns": columns}}
    if keep_extra:
        data["contacts"]["keep_extra"] = keep_extra
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.csv"
    path.write_text(PIPELINE, encoding="utf-8")
    return path


def test_undated_rows_name_the_blank_source_column_and_what_to_do(export, tmp_path):
    mapping = load_mapping(_mapping(tmp_path, ["agent"]))
    report = validate_tables(read_source(export, mapping), now=NOW, engine="pandas")

    assert report.counts["contacts"] == {"input": 5, "accepted": 2, "quarantined": 3, "warnings": 0}
    quarantine = report.quarantine["contacts"]
    assert quarantine["contact_id"].tolist() == ["o2", "o4", "o5"]
    assert set(quarantine["_rule"]) == {"expect_column_values_to_not_be_null"}
    assert (
        quarantine["_reason"].tolist()
        == ["created_at is missing (source column 'engage_date' is blank): the export has no date"]
        * 3
    )
    (issue,) = report.issues
    assert issue.n_rows == 3
    message = issue.message
    assert "the export has no date for these rows" in message
    assert "kept in quarantine/contacts.csv" in message
    assert "map another date column to created_at if the CRM has one" in message
    assert "scored once the CRM fills 'engage_date'" in message
    assert "always filled" not in message  # the fix a user could not follow


def test_a_kept_stage_column_says_what_the_undated_rows_are(export, tmp_path):
    mapping = load_mapping(_mapping(tmp_path, ["deal_stage", "agent"]))
    report = validate_tables(read_source(export, mapping), now=NOW, engine="pandas")

    reasons = report.quarantine["contacts"]["_reason"].tolist()
    head = "created_at is missing (source column 'engage_date' is blank): the export has no date"
    assert reasons == [
        f"{head}; deal_stage 'Prospecting'",
        f"{head}; deal_stage 'Prospecting'",
        f"{head}; deal_stage 'Lost'",
    ]
    (issue,) = report.issues
    assert "for these rows (deal_stage: Prospecting 2, Lost 1), so" in issue.message
    assert "3 rows" in " ".join(summary_text(report).split())


def test_a_canonical_frame_without_a_mapping_names_the_column_only():
    contacts = pd.DataFrame(
        {
            "contact_id": ["c1", "c2"],
            "created_at": ["2024-01-01", None],
            "lifecycle_stage": ["lead", "subscriber"],
        }
    )
    report = validate_tables({"contacts": contacts}, now=NOW, engine="pandas")

    assert report.quarantine["contacts"]["_reason"].tolist() == [
        "created_at is missing: the export has no date; lifecycle_stage 'subscriber'"
    ]
    (issue,) = report.issues
    assert "(lifecycle_stage: subscriber 1)" in issue.message
    assert "once the CRM fills created_at for them" in issue.message


def test_the_stage_another_table_reads_from_the_same_file_names_the_rows(export, tmp_path):
    # as Maven's mapping: the stage is the outcome, so contacts do not keep it, but the
    # outcomes read it (row_filter, value) from the same file
    path = _mapping(tmp_path, ["agent"])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["outcomes"] = {
        "source": "pipeline.csv",
        "row_filter": {"column": "deal_stage", "in": ["Won", "Lost"]},
        "columns": {
            "contact_id": "opportunity_id",
            "converted_at": {"source": "engage_date", "datetime_format": "%Y-%m-%d"},
            "outcome": {"source": "deal_stage", "value_map": {"Won": "won", "Lost": "lost"}},
        },
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    report = validate_tables(read_source(export, load_mapping(path)), now=NOW, engine="pandas")

    head = "created_at is missing (source column 'engage_date' is blank): the export has no date"
    assert report.quarantine["contacts"]["_reason"].tolist() == [
        f"{head}; deal_stage 'Prospecting'",
        f"{head}; deal_stage 'Prospecting'",
        f"{head}; deal_stage 'Lost'",
    ]
    contacts_issue = next(i for i in report.issues if i.table == "contacts")
    assert "(deal_stage: Prospecting 2, Lost 1)" in contacts_issue.message
    # o5 (Lost, no date) is quarantined in outcomes too, as an orphan or undated row
    assert report.counts["outcomes"]["input"] == 2
    # the stage names rows in reasons only: never a column of a table or the quarantine
    assert "deal_stage" not in report.tables.contacts.columns
    assert not any(c.startswith("_source") for c in report.tables.contacts.columns)
    assert not any(c.startswith("_source") for c in report.quarantine["contacts"].columns)
    assert report.tables.contacts["contact_id"].tolist() == ["o1", "o3"]
