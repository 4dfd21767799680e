"""explain reads one account, but judges a stale ``as_of`` by the whole CRM's last record."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from rulebook_dicts import customer_rulebook
from table_rows import canonical_frame

from features.crm import CrmTables
from features.ingest.validation import validate_tables
from features.training_set import data_end_of
from rules import rulebook_from_dict, score_rulebook
from serving.eligibility import stale_as_of, warn_if_stale
from serving.lead_rows import read_lead

UTC = "UTC"
AS_OF = pd.Timestamp("2026-08-22", tz=UTC)
CRM_END = pd.Timestamp("2026-08-25T09:00", tz=UTC)  # b1's won deal: the CRM's last record


def _crm() -> CrmTables:
    """Account A (the lead a1 and a2) went quiet on 2026-01-05; account B is current:
    b1 acted on 08-20 and won on 08-25, so the export calls it a customer."""
    contacts = canonical_frame(
        "contacts",
        [
            {"contact_id": "a1", "created_at": pd.Timestamp("2026-01-01", tz=UTC),
             "account_id": "A", "lifecycle_stage": "lead"},
            {"contact_id": "a2", "created_at": pd.Timestamp("2026-01-02", tz=UTC),
             "account_id": "A", "lifecycle_stage": "customer"},
            {"contact_id": "b1", "created_at": pd.Timestamp("2026-01-03", tz=UTC),
             "account_id": "B", "lifecycle_stage": "customer"},
        ],
    )  # fmt: skip
    activities = canonical_frame(
        "activities",
        [
            {"activity_id": "x1", "contact_id": "a1", "activity_type": "page_view",
             "occurred_at": pd.Timestamp("2026-01-05", tz=UTC), "page_category": "pricing"},
            {"activity_id": "x2", "contact_id": "b1", "activity_type": "page_view",
             "occurred_at": pd.Timestamp("2026-08-20", tz=UTC), "page_category": "pricing"},
        ],
    )  # fmt: skip
    outcomes = canonical_frame(
        "outcomes", [{"contact_id": "b1", "converted_at": CRM_END, "outcome": "won"}]
    )
    accounts = canonical_frame("accounts", [{"account_id": "A"}, {"account_id": "B"}])
    return CrmTables(contacts, accounts, activities, outcomes)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path]:
    """The CRM as a canonical Parquet folder (DuckDB path) and a CSV folder (read whole)."""
    parquet, csv = tmp_path_factory.mktemp("parquet"), tmp_path_factory.mktemp("csv")
    tables = _crm()
    for name in ("contacts", "accounts", "activities", "outcomes"):
        frame = getattr(tables, name)
        frame.to_parquet(parquet / f"{name}.parquet", index=False)
        frame.to_csv(csv / f"{name}.csv", index=False)
    return parquet, csv


def test_read_lead_gives_the_whole_source_s_end_not_the_account_s(sources) -> None:
    whole = _crm()
    assert data_end_of(whole) == CRM_END
    for source in sources:
        lead = read_lead(source, "a1")
        assert set(lead.tables["contacts"]["contact_id"].astype(str)) == {"a1", "a2"}
        account = validate_tables(lead.tables, engine="pandas").tables
        assert data_end_of(account) == pd.Timestamp("2026-01-05", tz=UTC)  # A's last record
        assert lead.data_end == CRM_END, source


def test_a_quiet_account_is_not_called_stale_when_the_crm_is_current(sources, caplog) -> None:
    account = validate_tables(read_lead(sources[0], "a1").tables, engine="pandas").tables
    # judged by its account alone, 2026-08-22 is 229 days after the data's last record
    assert "2026-01-05" in str(stale_as_of(account, AS_OF, 90))
    assert stale_as_of(account, AS_OF, 90, data_end=CRM_END) is None
    with caplog.at_level(logging.WARNING, logger="serving.eligibility"):
        warn_if_stale(account, AS_OF, 90, data_end=CRM_END)
        assert not caplog.records
        # a CRM that really ended long ago still warns, with its own end
        warn_if_stale(account, pd.Timestamp("2027-06-01", tz=UTC), 90, data_end=CRM_END)
    assert "(2026-08-25)" in caplog.text


BOOK = customer_rulebook(
    {
        "name": "pricing",
        "category": "engagement",
        "points": 40,
        "each": {"activity_type": "page_view", "page_category": "pricing"},
    }
)


def test_the_export_stage_is_dated_by_the_contact_s_own_rows_on_an_account_s_rows(
    sources,
) -> None:
    """export_stage_at reads each contact's own rows: the account's rows give every
    contact of it the stage the whole CRM gives it."""
    book = rulebook_from_dict(BOOK)
    whole = score_rulebook(_crm(), book, AS_OF).scores.set_index("contact_id")
    for lead in ("a1", "b1"):
        rows = validate_tables(read_lead(sources[0], lead).tables, engine="pandas").tables
        part = score_rulebook(rows, book, AS_OF).scores.set_index("contact_id")
        cols = ["total", "stage", "excluded_reason"]
        pd.testing.assert_frame_equal(part[cols], whole.loc[part.index, cols])
    # a2 did nothing at or after as_of: the export's "customer" stands; b1 won after as_of:
    # its "customer" is unknown then, so its pricing visit makes it an MQL
    assert whole.loc["a2", "excluded_reason"] == "customer"
    assert pd.isna(whole.loc["b1", "excluded_reason"]) and whole.loc["b1", "stage"] == "mql"


NOW = pd.Timestamp("2026-09-01", tz=UTC)  # the run's now: what validation calls the future
FUTURE = pd.Timestamp("2027-08-25T09:00", tz=UTC)  # a typo'd year, one row per table


def _with_future_rows() -> CrmTables:
    """The CRM above plus one future-dated row per timestamp column, each of which
    validation at NOW quarantines: contact z1 created, b1's page view and b1's loss."""
    crm = _crm()
    z1 = canonical_frame("contacts", [{"contact_id": "z1", "created_at": FUTURE}])
    x3 = canonical_frame(
        "activities",
        [{"activity_id": "x3", "contact_id": "b1", "activity_type": "page_view",
          "occurred_at": FUTURE, "page_category": "pricing"}],
    )  # fmt: skip
    lost = canonical_frame(
        "outcomes", [{"contact_id": "b1", "converted_at": FUTURE, "outcome": "lost"}]
    )
    return CrmTables(
        pd.concat([crm.contacts, z1], ignore_index=True),
        crm.accounts,
        pd.concat([crm.activities, x3], ignore_index=True),
        pd.concat([crm.outcomes, lost], ignore_index=True),
    )


@pytest.fixture(scope="module")
def future_sources(tmp_path_factory) -> list[Path]:
    """That CRM as Parquet (DuckDB path), as Parquet with ISO text times and as CSV."""
    parquet, text, csv = (tmp_path_factory.mktemp(n) for n in ("parquet", "text", "csv"))
    tables = _with_future_rows()
    times = {"contacts": "created_at", "activities": "occurred_at", "outcomes": "converted_at"}
    for name in ("contacts", "accounts", "activities", "outcomes"):
        frame = getattr(tables, name)
        frame.to_parquet(parquet / f"{name}.parquet", index=False)
        frame.to_csv(csv / f"{name}.csv", index=False)
        if name in times:
            iso = frame[times[name]].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            frame = frame.assign(**{times[name]: iso.astype("string")})
        frame.to_parquet(text / f"{name}.parquet", index=False)
    return [parquet, text, csv]


def test_future_dated_rows_validation_quarantines_do_not_end_the_data(future_sources) -> None:
    """The data end is the last record validation at the same now accepts (CRM_END, b1's
    won deal), not the typo'd rows of 2027, which would hide a stale as_of."""
    whole = _with_future_rows()
    assert data_end_of(whole) == FUTURE  # unvalidated, the typo ends the data
    validated = validate_tables(
        {t: getattr(whole, t) for t in ("contacts", "accounts", "activities", "outcomes")},
        now=NOW,
        engine="pandas",
    )
    held = sorted(t for t, rows in validated.quarantine.items() if len(rows))
    assert held == ["activities", "contacts", "outcomes"]
    assert data_end_of(validated.tables) == CRM_END
    for source in future_sources:
        lead = read_lead(source, "a1", now=NOW)
        assert lead.data_end == CRM_END, source
        assert lead.now == NOW
        # as_of a year after the real end: stale, which the typo's end hid
        late = pd.Timestamp("2027-09-01", tz=UTC)
        assert "(2026-08-25)" in str(stale_as_of(_crm(), late, 90, data_end=lead.data_end))
        assert stale_as_of(_crm(), late, 90, data_end=FUTURE) is None
    # a now after the typo's date accepts it (validation would too): it ends the data
    assert read_lead(future_sources[0], "a1", now=FUTURE).data_end == FUTURE
