"""The pandas form of the suites gives Great Expectations' verdicts, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.ingest import read_source
from features.ingest.suite_pandas import evaluate_rules
from features.ingest.suites import new_context, run_suite, table_rules
from features.ingest.validation import ValidationReport, validate_tables
from features.schema import OUTCOMES_TABLE, TABLES
from features.synthetic import generate_crm, write_crm

NOW = pd.Timestamp("2026-06-01", tz="UTC")


def _edge_raw() -> dict[str, pd.DataFrame]:
    """Every rule kind failing at least once, next to values on its bounds."""
    return {
        "accounts": pd.DataFrame(
            {
                "account_id": ["a1", "a2", "a2", None],
                "employees": ["0", "-1", "10000000", "10000001"],
                "region": ["emea", "mars", None, "NA"],
                "created_at": ["1900-01-01", "1899-12-31", "1970-01-01", "2026-06-01"],
            }
        ),
        "contacts": pd.DataFrame(
            {
                "contact_id": ["c1", "c2", "c2", "c3", "c4", None, "c5"],
                "created_at": [
                    "2026-01-01",
                    "2026-06-01T00:00:00Z",
                    "2026-01-02",
                    "2099-01-01",
                    "1971-01-01",
                    "2026-01-01",
                    None,
                ],
                "budget": ["0", "-5", "", "10", None, "1", "2"],
                "seniority": ["vp", "wizard", None, "c_level", "vp", "vp", "vp"],
                "account_id": ["a1", "a9", "a2", None, "a1", "a1", "a1"],
            }
        ),
        "activities": pd.DataFrame(
            {
                "activity_id": ["x1", "x1", "x2", "x3", None, "x4"],
                "contact_id": ["c1", "c1", "c9", "c4", "c1", "c1"],
                "occurred_at": ["2026-02-01"] * 5 + ["2026-07-01"],
                "activity_type": [
                    "page_view",
                    "page_view",
                    "email_open",
                    "dance",
                    "page_view",
                    "form_submit",
                ],
            }
        ),
        "outcomes": pd.DataFrame(
            {
                "contact_id": ["c1", "c1", "c4", "c4", "c1", "c9"],
                "outcome": ["won", "won", "opportunity", "lost", "lost", "won"],
                "converted_at": [
                    "2026-03-01",
                    "2026-03-01",
                    "1971-01-01",
                    "2026-03-01",
                    "2025-12-31",
                    "2026-03-01",
                ],
                "deal_value": ["10", "10", None, "-1", "0", "5"],
            }
        ),
    }


def _assert_same_reports(ours: ValidationReport, gx: ValidationReport) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(ours.tables.table(name), gx.tables.table(name))
        pd.testing.assert_frame_equal(ours.quarantine[name], gx.quarantine[name])
    assert ours.counts == gx.counts
    assert ours.issues == gx.issues
    assert ours.gx_results == {name: {} for name in TABLES}


@pytest.mark.slow  # Great Expectations' import and suites: about 10 s here
def test_the_edge_cases_get_the_same_verdicts_from_both_engines():
    raw = _edge_raw()
    gx = validate_tables(raw, now=NOW, source="edge")
    ours = validate_tables(raw, now=NOW, source="edge", engine="pandas")
    _assert_same_reports(ours, gx)
    # the fixture is not vacuous, by hand: the accounts lose the first a2 (-1 employees,
    # "mars", 1899), so its second row is the first valid one and stays, and the null id;
    # the contacts lose the first c2 (-5, "wizard"), c3 (2099), the null id and c5 (no
    # created_at); the outcomes lose the repeated (c1, won), c1's outcome before its
    # creation, the -1 deal and the unknown c9
    assert gx.counts["accounts"]["quarantined"] == 2
    assert list(gx.tables.accounts["account_id"]) == ["a1", "a2"]
    assert list(gx.tables.contacts["contact_id"]) == ["c1", "c2", "c4"]
    assert list(gx.tables.outcomes["contact_id"]) == ["c1", "c4"]
    assert gx.counts["outcomes"]["quarantined"] == 4
    assert {i.rule for i in gx.issues} >= {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_null",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }


@pytest.mark.slow
def test_each_rule_s_failing_rows_match_gx_on_a_frame_with_missing_values():
    frame = pd.DataFrame(
        {
            "contact_id": ["c1", "c1", None, "c2", "c2", None, None],
            "outcome": pd.Categorical(
                ["won", "won", None, "lost", "lost", None, "gift"],
                categories=["opportunity", "won", "lost", "gift"],
            ),
            "converted_at": pd.to_datetime(
                ["2026-01-01", "2026-01-01", None, "2026-01-01", None, None, "2030-01-01"], utc=True
            ),
            "deal_value": [1.0, -1.0, np.nan, 0.0, 2.0, np.nan, 3.0],
            "_known_contact_id": [True, True, True, False, True, True, True],
            "_contacts_created_at": pd.to_datetime(
                ["2025-01-01", "2026-01-01", None, "2026-01-02", "2026-01-01", None, None], utc=True
            ),
        }
    )
    gx = run_suite(new_context(), OUTCOMES_TABLE, frame, now=NOW).verdicts
    ours = evaluate_rules(OUTCOMES_TABLE, frame, now=NOW)
    assert set(ours) == {rule.key for rule in table_rules(OUTCOMES_TABLE)} == set(gx)
    for key, (success, rows) in gx.items():
        assert ours[key][0] == success, key
        np.testing.assert_array_equal(np.sort(ours[key][1]), np.sort(rows), err_msg=key)
    # by hand: the compound key (c1, won, 2026-01-01) twice; rows 2 and 5 are all-missing
    np.testing.assert_array_equal(
        ours["outcomes.contact_id+outcome+converted_at.unique"][1], [0, 1]
    )
    np.testing.assert_array_equal(ours["outcomes.converted_at.time_order"][1], [3])


@pytest.mark.slow
def test_the_synthetic_crm_s_planted_dirt_gets_the_same_verdicts(tmp_path):
    write_crm(generate_crm(600, 41), tmp_path)
    raw = read_source(tmp_path)
    gx = validate_tables(raw, now=NOW, source=str(tmp_path))
    ours = validate_tables(raw, now=NOW, source=str(tmp_path), engine="pandas")
    assert sum(c["quarantined"] for c in gx.counts.values()) > 0
    _assert_same_reports(ours, gx)
