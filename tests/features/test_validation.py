"""validate_tables on tiny hand-made tables: each asserts the message and the counts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from features.ingest import load_mapping, read_source
from features.ingest.readers import InputError, TableError
from features.ingest.validation import validate_tables
from features.schema import PAGE_CATEGORIES, TABLES

NOW = pd.Timestamp("2026-06-01", tz="UTC")


def base_raw() -> dict[str, pd.DataFrame]:
    """A valid CSV-like source: every value a string, as a CSV reader returns them."""
    return {
        "accounts": pd.DataFrame(
            {"account_id": ["a1", "a2"], "employees": ["50", "1,200"], "region": ["emea", "NA"]}
        ),
        "contacts": pd.DataFrame(
            {
                "contact_id": ["c1", "c2", "c3"],
                "created_at": ["2026-01-01T10:00:00+00:00", "2026-01-02", "2026-01-03 08:00"],
                "email": ["ann@example.com", "bob@example.com", None],
                "budget": ["100", "0", ""],
                "account_id": ["a1", "a2", None],
                "do_not_email": ["Yes", "n", None],
                "crm_score": ["7", "8", "9"],  # extra column: passed through untouched
            }
        ),
        "activities": pd.DataFrame(
            {
                "activity_id": ["x1", "x2", "x3", "x4"],
                "contact_id": ["c1", "c1", "c2", "c3"],
                "occurred_at": ["2026-02-01T10:00:00Z"] * 4,
                "activity_type": ["page_view", "Email Open", "form_submit", "page_view"],
                "page_category": ["  Pricing", None, None, "blog"],
                "form_stage": [None, None, "bofu ", None],
            }
        ),
        "outcomes": pd.DataFrame(
            {"contact_id": ["c1"], "converted_at": ["2026-03-01"], "outcome": ["Won"]}
        ),
    }


def with_rows(raw: dict[str, pd.DataFrame], table: str, rows: list[dict]) -> dict:
    """``raw`` with ``rows`` appended to ``table`` (positions continue from its end)."""
    extra = pd.DataFrame(rows)
    return {**raw, table: pd.concat([raw[table], extra], ignore_index=True)}


def assert_conserved(report, raw: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        n_input = len(raw.get(name, []))
        counts = report.counts[name]
        assert counts["input"] == n_input
        assert counts["accepted"] == len(report.tables.table(name))
        assert counts["quarantined"] == len(report.quarantine[name])
        assert counts["accepted"] + counts["quarantined"] == n_input


def quarantined(report, table: str) -> dict[int, tuple[str, str, str]]:
    q = report.quarantine[table]
    return {
        int(r): (str(rule), str(col), str(reason))
        for r, rule, col, reason in zip(q["_row"], q["_rule"], q["_column"], q["_reason"])
    }


def test_valid_source_is_accepted_in_canonical_dtypes():
    raw = base_raw()
    report = validate_tables(raw, now=NOW)
    assert_conserved(report, raw)
    assert report.success
    assert all(c["quarantined"] == 0 for c in report.counts.values())
    contacts = report.tables.contacts
    assert str(contacts["created_at"].dtype) == "datetime64[ns, UTC]"
    assert contacts["created_at"].tolist() == [
        pd.Timestamp("2026-01-01 10:00", tz="UTC"),
        pd.Timestamp("2026-01-02", tz="UTC"),
        pd.Timestamp("2026-01-03 08:00", tz="UTC"),
    ]
    assert str(contacts["do_not_email"].dtype) == "boolean"
    assert contacts["do_not_email"].tolist() == [True, False, pd.NA]
    assert contacts["budget"].tolist()[:2] == [100.0, 0.0]
    # an extra column whose values are numbers becomes numbers (features.ingest.extra_types)
    assert str(contacts["crm_score"].dtype) == "float64"
    assert contacts["crm_score"].tolist() == [7.0, 8.0, 9.0]
    accounts = report.tables.accounts
    assert str(accounts["employees"].dtype) == "Int64"
    assert accounts["employees"].tolist() == [50, 1200]
    assert accounts["region"].tolist() == ["EMEA", "NA"]
    activities = report.tables.activities
    assert list(activities["page_category"].cat.categories) == list(PAGE_CATEGORIES)
    assert activities["page_category"].tolist()[0] == "pricing"
    assert activities["activity_type"].tolist()[1] == "email_open"
    assert activities["form_stage"].tolist()[2] == "BOFU"
    assert report.tables.outcomes["outcome"].tolist() == ["won"]


def dirty_raw() -> dict[str, pd.DataFrame]:
    """Every row-level failure once; the comments give each row's expected fate."""
    raw = base_raw()
    raw = with_rows(raw, "accounts", [{"account_id": "a3", "employees": "many"}])  # 2 coerce
    raw = with_rows(
        raw,
        "contacts",
        [
            {
                "contact_id": "c4",
                "created_at": "2026-01-04",
                "email": "eve@example.com",
                "budget": "-5",
            },  # 3: range (a row with personal data)
            {"contact_id": "c1", "created_at": "2026-01-09"},  # 4: duplicate of row 0
            {"contact_id": "c5", "created_at": "31/02/2026"},  # 5: unparseable -> cascade
            {"contact_id": "c6", "created_at": "2026-01-06", "budget": "-1"},  # 6: range
            {"contact_id": "c6", "created_at": "2026-01-07"},  # 7: kept (first valid c6)
            {"contact_id": "c7", "created_at": "2026-01-07", "account_id": "a404"},  # 8: warn
            {"contact_id": "c8", "created_at": "2026-01-08", "account_id": "a3"},  # 9: warn
        ],
    )
    raw["contacts"].attrs["source"] = "exports/contacts.csv"
    act = {"occurred_at": "2026-02-02", "activity_type": "page_view"}
    raw = with_rows(
        raw,
        "activities",
        [
            {**act, "activity_id": "x5", "contact_id": "c9"},  # 4: orphan, unknown
            {**act, "activity_id": "x6", "contact_id": "c5"},  # 5: orphan, quarantined
            {**act, "activity_id": "x7", "contact_id": "c2", "occurred_at": "2026-07-01"},  # 6
            {**act, "activity_id": "x8", "contact_id": "c2", "page_category": "pricng"},  # 7
            {**act, "activity_id": "x1", "contact_id": "c2"},  # 8: duplicate of row 0
            {
                **act,
                "activity_id": "x9",
                "contact_id": "c7",
                "activity_type": "Page-View",
                "page_category": " PRICING ",
            },  # 9: accepted
        ],
    )
    return with_rows(
        raw,
        "outcomes",
        [
            {"contact_id": "c2", "converted_at": "2025-12-31", "outcome": "lost"},  # 1: order
            {"contact_id": "c5", "converted_at": "2026-03-01", "outcome": "won"},  # 2: orphan
            {"contact_id": "c1", "converted_at": "2026-03-01", "outcome": "won"},  # 3: dup of 0
            {"contact_id": "c1", "converted_at": "2026-03-01", "outcome": "lost"},  # 4: ok
        ],
    )


@pytest.fixture(scope="module")
def dirty():
    raw = dirty_raw()
    return raw, validate_tables(raw, now=NOW, source="exports")


def test_dirty_source_loses_no_row(dirty):
    raw, report = dirty
    assert_conserved(report, raw)
    assert not report.success
    assert report.counts == {
        "accounts": {"input": 3, "accepted": 2, "quarantined": 1, "warnings": 0},
        "contacts": {"input": 10, "accepted": 6, "quarantined": 4, "warnings": 2},
        "activities": {"input": 10, "accepted": 5, "quarantined": 5, "warnings": 0},
        "outcomes": {"input": 5, "accepted": 2, "quarantined": 3, "warnings": 0},
    }


def test_wrong_types_are_quarantined_with_reason_and_rule(dirty):
    _, report = dirty
    assert quarantined(report, "accounts") == {
        2: ("coerce_to_int", "employees", "employees 'many' is not a whole number such as 250")
    }
    rule, column, reason = quarantined(report, "contacts")[3]
    assert (rule, column) == ("expect_column_values_to_be_between", "budget")
    assert reason == "budget -5 is out of range (must be >= 0)"
    row = report.quarantine["contacts"].set_index("_row").loc[3]
    assert (row["contact_id"], row["budget"]) == ("c4", "-5")  # raw values
    assert pd.isna(row["_file"]) and pd.isna(row["_line"])  # built in memory: no file


def test_unparseable_timestamp_is_quarantined(dirty):
    _, report = dirty
    rule, column, reason = quarantined(report, "contacts")[5]
    assert (rule, column) == ("coerce_to_datetime", "created_at")
    assert reason.startswith("created_at '31/02/2026' is not an ISO 8601 timestamp")


def test_duplicate_ids_keep_the_first_valid_occurrence(dirty):
    _, report = dirty
    got = quarantined(report, "contacts")
    assert got[4] == (
        "expect_column_values_to_be_unique",
        "contact_id",
        "duplicate contact_id 'c1' (first occurrence kept: row 0)",
    )
    assert got[6][0] == "expect_column_values_to_be_between"  # c6's first row is invalid ...
    ids = report.tables.contacts["contact_id"].tolist()
    assert ids == ["c1", "c2", "c3", "c6", "c7", "c8"]  # ... so its second row is kept
    created = report.tables.contacts.set_index("contact_id")["created_at"]
    assert created["c1"] == pd.Timestamp("2026-01-01 10:00", tz="UTC")
    assert quarantined(report, "activities")[8][2] == (
        "duplicate activity_id 'x1' (first occurrence kept: row 0)"
    )


def test_compound_key_duplicates_in_outcomes(dirty):
    _, report = dirty
    rule, column, reason = quarantined(report, "outcomes")[3]
    assert (rule, column) == (
        "expect_compound_columns_to_be_unique",
        "contact_id, outcome, converted_at",
    )
    assert reason == (
        "duplicate contact_id, outcome, converted_at 'c1, won, 2026-03-01' "
        "(first occurrence kept: row 0)"
    )
    assert sorted(report.tables.outcomes["outcome"].astype(str)) == ["lost", "won"]


def test_orphans_and_cascade_from_a_quarantined_contact(dirty):
    _, report = dirty
    acts = quarantined(report, "activities")
    assert acts[4] == (
        "expect_column_values_to_be_in_set",
        "contact_id",
        "orphan: contact_id 'c9' is not an accepted contacts row (unknown)",
    )
    assert acts[5][2] == (
        "orphan: contact_id 'c5' is not an accepted contacts row (that row was quarantined)"
    )
    assert quarantined(report, "outcomes")[2][2] == acts[5][2]


def test_future_timestamp_is_quarantined(dirty):
    _, report = dirty
    assert quarantined(report, "activities")[6] == (
        "expect_column_values_to_be_between",
        "occurred_at",
        "occurred_at 2026-07-01 is in the future (after 2026-06-01T00:00:00Z)",
    )


def test_same_timestamp_is_accepted_with_a_later_now():
    act = {
        "activity_id": "x7",
        "contact_id": "c2",
        "occurred_at": "2026-07-01",
        "activity_type": "call",
    }
    raw = with_rows(base_raw(), "activities", [act])
    report = validate_tables(raw, now=pd.Timestamp("2026-08-01"))  # naive: read as UTC
    assert_conserved(report, raw)
    assert report.counts["activities"]["accepted"] == 5
    assert report.now == pd.Timestamp("2026-08-01", tz="UTC")


def test_ad_impressions_and_video_views_are_in_the_vocabulary():
    acts = [
        {"activity_id": "x5", "contact_id": "c1", "occurred_at": "2026-02-02",
         "activity_type": "Ad Impression", "channel": "ads", "campaign": "spring"},
        {"activity_id": "x6", "contact_id": "c2", "occurred_at": "2026-02-03",
         "activity_type": "video_view", "channel": "web", "page_url": "/videos/demo"},
        {"activity_id": "x7", "contact_id": "c2", "occurred_at": "2026-02-03",
         "activity_type": "video_watch", "channel": "web"},
    ]  # fmt: skip
    raw = with_rows(base_raw(), "activities", acts)
    report = validate_tables(raw, now=NOW)
    assert_conserved(report, raw)
    accepted = report.tables.activities.set_index("activity_id")["activity_type"]
    assert accepted.loc["x5"] == "ad_impression"
    assert accepted.loc["x6"] == "video_view"
    assert quarantined(report, "activities") == {
        6: (
            "expect_column_values_to_be_in_set",
            "activity_type",
            "activity_type 'video_watch' is not in the vocabulary",
        )
    }


def test_disallowed_category_quarantined_and_normalisable_one_accepted(dirty):
    _, report = dirty
    assert quarantined(report, "activities")[7] == (
        "expect_column_values_to_be_in_set",
        "page_category",
        "page_category 'pricng' is not in the vocabulary",
    )
    accepted = report.tables.activities.set_index("activity_id")
    assert accepted.loc["x9", "page_category"] == "pricing"
    assert accepted.loc["x9", "activity_type"] == "page_view"


def test_outcome_before_contact_creation_is_quarantined(dirty):
    _, report = dirty
    assert quarantined(report, "outcomes")[1] == (
        "expect_column_pair_values_a_to_be_greater_than_b",
        "converted_at",
        "converted_at 2025-12-31 is before contacts.created_at 2026-01-02T00:00:00Z",
    )


def test_unknown_account_keeps_the_contact_with_a_warning(dirty):
    _, report = dirty
    kept = report.tables.contacts.set_index("contact_id")["account_id"]
    assert (kept["c7"], kept["c8"]) == ("a404", "a3")
    [issue] = [i for i in report.issues if i.severity == "warning"]
    assert (issue.table, issue.column, issue.rule, issue.n_rows) == (
        "contacts",
        "account_id",
        "expect_column_values_to_be_in_set",
        2,
    )
    assert issue.examples == ({"row": 8, "value": "a404"}, {"row": 9, "value": "a3"})
    assert "2 kept with warnings" in report.summary_text()


def test_quarantine_matches_what_gx_reports(dirty):
    _, report = dirty
    expected_gx = {  # rule key -> failing rows, computed by hand from dirty_raw()
        "contacts.budget.range": [3, 6],
        "contacts.contact_id.unique": [0, 4, 6, 7],
        "contacts.account_id.reference": [8, 9],
        "activities.contact_id.reference": [4, 5],
        "activities.occurred_at.not_future": [6],
        "activities.page_category.in_set": [7],
        "activities.activity_id.unique": [0, 8],
        "outcomes.contact_id.reference": [2],
        "outcomes.converted_at.time_order": [1],
        "outcomes.contact_id+outcome+converted_at.unique": [0, 3],
    }
    coerced = {"accounts": {2}, "contacts": {5}, "activities": set(), "outcomes": set()}
    first_copies = {"accounts": set(), "contacts": {0, 7}, "activities": {0}, "outcomes": {0}}
    for table, result in report.gx_results.items():
        failed = {
            item["expectation_config"]["meta"]["leadscore_rule"]: sorted(
                item["result"]["unexpected_index_list"]
            )
            for item in result["results"]
            if not item["success"]
        }
        assert failed == {k: v for k, v in expected_gx.items() if k.startswith(table + ".")}
        errors = set(coerced[table])
        copies: set[int] = set()
        for key, gx_rows in failed.items():
            if key.endswith(".unique"):
                copies = set(gx_rows)
            elif key != "contacts.account_id.reference":  # a warning: rows kept
                errors |= set(gx_rows)
        rows = set(report.quarantine[table]["_row"])
        assert rows == errors | (copies - first_copies[table])
        assert copies - rows == first_copies[table]  # GX flags every copy; one is kept


def test_gx_results_hold_every_expectation_type(dirty):
    _, report = dirty
    types = {
        item["expectation_config"]["type"]
        for result in report.gx_results.values()
        for item in result["results"]
    }
    assert types == {
        "expect_table_columns_to_match_set",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
    assert set(report.gx_results) == set(TABLES)
    assert report.gx_results["accounts"]["success"] is True  # a3 never reached GX
    assert report.gx_results["activities"]["success"] is False


def test_personal_data_never_appears_in_issues_or_summaries(dirty, tmp_path):
    _, report = dirty
    budget = next(i for i in report.issues if i.column == "budget")
    assert budget.n_rows == 2
    assert budget.examples == ({"row": 3, "value": "-5"}, {"row": 6, "value": "-1"})
    report.write(tmp_path)
    texts = [
        repr([i.as_dict() for i in report.issues]),
        report.summary_text(),
        (tmp_path / "validation_summary.json").read_text(),
        (tmp_path / "gx_results.json").read_text(),
        (tmp_path / "quarantine" / "contacts.csv").read_text(),
    ]
    for text in texts:
        assert "eve@example.com" not in text
        assert "@" not in text
    assert "<redacted>" in texts[-1]
    # the in-memory quarantine keeps the raw row so the caller can fix it
    assert "eve@example.com" in set(report.quarantine["contacts"]["email"].dropna())


def test_issue_on_a_pii_column_shows_row_numbers_only():
    from features.ingest.quarantine import Failure
    from features.ingest.report import issue_of

    raw = pd.DataFrame({"contact_id": ["c1", "c2"], "email": ["a@b.c", "d@e.f"]})
    failure = Failure("some_rule", "email", np.array([1]), np.array(["x"]), "error", "m")
    issue = issue_of(TABLES["contacts"], failure, raw)
    assert issue.examples == ({"row": 1},)


def test_write_layout_and_idempotence(dirty, tmp_path):
    _, report = dirty
    paths = report.write(tmp_path)
    expected = {f"quarantine/{t}.csv" for t in TABLES} | {
        "bots.csv",
        "validation_summary.json",
        "gx_results.json",
    }
    found = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert found == expected
    assert {str(p.relative_to(tmp_path)) for p in paths.values()} == expected
    before = {name: (tmp_path / name).read_bytes() for name in expected}
    report.write(tmp_path)
    after = {
        str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()
    }
    assert after == before
    contacts = pd.read_csv(tmp_path / "quarantine" / "contacts.csv", dtype=str)
    assert contacts["_row"].tolist() == ["3", "4", "5", "6"]
    assert contacts[["_file", "_line"]].isna().all().all()  # built in memory: no file
    assert list(contacts.columns[:7]) == [
        "_row",
        "_file",
        "_line",
        "_reason",
        "_rule",
        "_column",
        "contact_id",
    ]
    summary = json.loads((tmp_path / "validation_summary.json").read_text())
    assert summary["counts"]["contacts"]["quarantined"] == 4
    assert summary["now"] == "2026-06-01T00:00:00+00:00"
    accounts = pd.read_csv(tmp_path / "quarantine" / "accounts.csv", dtype=str)
    assert len(accounts) == 1


def test_summary_text_lists_tables_and_top_issues(dirty):
    _, report = dirty
    text = report.summary_text()
    assert text.splitlines()[0] == "validation of exports: 13 rows quarantined"
    assert "  contacts           10         6            4  (2 kept with warnings)" in text
    assert "[error] activities.contact_id expect_column_values_to_be_in_set: 2 rows" in text


def test_missing_required_column_raises_naming_table_and_column():
    raw = base_raw()
    raw["contacts"] = raw["contacts"].drop(columns="created_at")
    raw["contacts"].attrs["source"] = "export/contacts.csv"
    with pytest.raises(
        TableError,
        match=r"export/contacts\.csv: required column 'created_at' is missing; columns found: "
        r"contact_id, email, .*; map it in your column mapping",
    ):
        validate_tables(raw, now=NOW)


def test_empty_contacts_table_raises():
    raw = base_raw()
    raw["contacts"] = raw["contacts"].iloc[:0]
    with pytest.raises(TableError, match="crm:contacts: the contacts table has no rows"):
        validate_tables(raw, now=NOW, source="crm")
    del raw["contacts"]
    with pytest.raises(TableError, match="contacts table has no rows"):
        validate_tables(raw, now=NOW)


def test_key_column_without_any_value_raises():
    raw = base_raw()
    raw["activities"] = raw["activities"].assign(activity_id=None)
    with pytest.raises(TableError, match="activities: key column 'activity_id' has no value"):
        validate_tables(raw, now=NOW)


def test_unknown_table_name_raises():
    with pytest.raises(InputError, match=r"unknown tables \['leads'\]"):
        validate_tables({**base_raw(), "leads": pd.DataFrame()}, now=NOW)


def test_table_whose_rows_all_fail_raises_with_the_top_rule():
    raw = base_raw()
    raw["activities"] = raw["activities"].assign(activity_type="Visited Page")
    with pytest.raises(
        TableError,
        match=r"activities: all 4 rows failed validation; most common: "
        r"expect_column_values_to_be_in_set on activity_type \(4 rows, e.g. rows 0, 1, 2, 3\)",
    ):
        validate_tables(raw, now=NOW)


def test_typed_parquet_like_frames_pass_through():
    paris = pd.to_datetime(["2026-02-01 11:00", "2026-02-02 12:00"]).tz_localize("Europe/Paris")
    raw = {
        "accounts": pd.DataFrame(
            {
                "account_id": ["a1"],
                "employees": pd.array([120], dtype="int64"),
                "annual_revenue": [1.5e6],
                "region": pd.Categorical(["EMEA"]),
                "is_customer": [True],
            }
        ),
        "contacts": pd.DataFrame(
            {
                "contact_id": pd.array(["c1", "c2"], dtype="string"),
                "created_at": pd.to_datetime(
                    ["2026-01-01 09:00", "2026-01-02 00:00"]
                ),  # naive: UTC
                "seniority": pd.Categorical(["vp", "Manager"]),
                "do_not_email": pd.array([True, None], dtype="boolean"),
                "budget": [1000.0, np.nan],
                "account_id": ["a1", None],
                "score_extra": [0.5, 0.7],
            }
        ),
        "activities": pd.DataFrame(
            {
                "activity_id": ["x1", "x2"],
                "contact_id": ["c1", "c2"],
                "occurred_at": paris,
                "activity_type": pd.Categorical(["page_view", "demo_request"]),
                "page_category": pd.Categorical(["pricing", None]),
            }
        ),
        "outcomes": pd.DataFrame(
            {
                "contact_id": ["c1"],
                "converted_at": pd.to_datetime(["2026-03-01"], utc=True),
                "outcome": pd.Categorical(["won"]),
                "deal_value": [5000.0],
            }
        ),
    }
    report = validate_tables(raw, now=NOW)
    assert_conserved(report, raw)
    assert report.success and not report.issues
    contacts = report.tables.contacts
    assert contacts["created_at"].tolist() == [
        pd.Timestamp("2026-01-01 09:00", tz="UTC"),
        pd.Timestamp("2026-01-02", tz="UTC"),
    ]
    assert contacts["seniority"].tolist() == ["vp", "manager"]
    assert contacts["score_extra"].tolist() == [0.5, 0.7]
    assert report.tables.activities["occurred_at"].tolist() == [
        pd.Timestamp("2026-02-01 10:00", tz="UTC"),
        pd.Timestamp("2026-02-02 11:00", tz="UTC"),
    ]
    assert report.tables.accounts["employees"].tolist() == [120]
    for name in TABLES:
        frame = report.tables.table(name)
        for column, dtype in TABLES[name].dtypes().items():
            assert str(frame[column].dtype) == dtype, (name, column)


def test_ragged_rows_are_quarantined_with_their_field_count(tmp_path):
    (tmp_path / "contacts.csv").write_text(
        "contact_id,created_at,job_title,country,budget,region\n"
        "c1,2026-01-01,CTO,DE,100,EMEA\n"
        "c2,2026-01-02\n"  # four trailing fields missing: was accepted with nulls
        "c3,2026-01-03,VP,FR,5,EMEA,extra\n"
        "c2,2026-01-04,CEO,US,7,NA\n",  # the clean occurrence of c2 is kept
        encoding="utf-8",
    )
    report = validate_tables(read_source(tmp_path), now=NOW)
    assert report.counts["contacts"] == {"input": 4, "accepted": 2, "quarantined": 2, "warnings": 0}
    assert quarantined(report, "contacts") == {
        1: ("ragged_row", "_ragged_row", "ragged row: 2 fields, header has 6 (line 3)"),
        2: ("ragged_row", "_ragged_row", "ragged row: 7 fields, header has 6 (line 4)"),
    }
    accepted = report.tables.contacts.set_index("contact_id")
    assert accepted.loc["c2", "job_title"] == "CEO"
    assert "_ragged_row" not in report.tables.contacts.columns
    assert "_ragged_row" not in report.quarantine["contacts"].columns  # the _reason says it


def test_a_ragged_event_is_quarantined_in_every_table_its_log_feeds(tmp_path):
    path = tmp_path / "touchpoints.csv"
    path.write_text(
        "cookie,timestamp,event,campaign,channel,country\n"
        "k1,2026-03-01 09:00,impression,spring,display,FR\n"
        "k1,2026-03-02 09:00,conversion,,,\n"
        "k1,2026-03-03 09:00\n",
        encoding="utf-8",
    )
    report = validate_tables(read_source(path, load_mapping("event_log_example")), now=NOW)
    for table, accepted in (("contacts", 1), ("activities", 1), ("outcomes", 1)):
        assert report.counts[table]["accepted"] == accepted, table
        assert report.counts[table]["quarantined"] == 1, table
        assert quarantined(report, table)[1][2] == "ragged row: 2 fields, header has 6 (line 4)"


def test_dates_out_of_range_and_placeholder_dates():
    rows = [
        {"contact_id": "c4", "created_at": "0001-01-01"},  # ISO, but no CRM is that old
        {"contact_id": "c5", "created_at": "1850-06-01T00:00:00Z"},
        {"contact_id": "c6", "created_at": "1900-01-01"},  # placeholder: kept, warned
        {"contact_id": "c7", "created_at": "1970-01-01T00:00:00Z"},  # the Unix epoch
        {"contact_id": "c8", "created_at": "9999-12-31"},
    ]
    raw = with_rows(base_raw(), "contacts", rows)
    report = validate_tables(raw, now=NOW)
    assert_conserved(report, raw)
    assert quarantined(report, "contacts") == {
        3: (
            "expect_column_values_to_be_between",
            "created_at",
            "created_at '0001-01-01' is out of range (must be between 1900-01-01 and now)",
        ),
        4: (
            "expect_column_values_to_be_between",
            "created_at",
            "created_at 1850-06-01T00:00:00Z is out of range (must be 1900-01-01 or later)",
        ),
        7: (
            "expect_column_values_to_be_between",
            "created_at",
            "created_at '9999-12-31' is out of range (must be between 1900-01-01 and now)",
        ),
    }
    assert report.counts["contacts"]["warnings"] == 2
    warned = [i for i in report.issues if i.severity == "warning" and i.column == "created_at"]
    assert [(i.n_rows, [e["row"] for e in i.examples]) for i in warned] == [(2, [5, 6])]
    assert "placeholder (1900-01-01) or the Unix epoch" in warned[0].message
    assert set(report.tables.contacts["contact_id"]) >= {"c6", "c7"}
