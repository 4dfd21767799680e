"""One lead's rows: the filtered read returns exactly what the full load holds for it."""

import pandas as pd
import pytest

from features.ingest import read_source
from features.ingest.load import filter_bots, ingest
from features.ingest.readers import CANONICAL_SUFFIXES
from features.ingest.validation import validate_tables
from features.schema import TABLES
from features.synthetic import generate_crm, write_crm
from serving.lead_rows import PARQUET_ENDING, account_rows, read_lead


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    """A small synthetic CRM with its planted dirt, as Parquet and as CSV."""
    synthetic = generate_crm(800, 23)
    parquet, csv = tmp_path_factory.mktemp("parquet"), tmp_path_factory.mktemp("csv")
    write_crm(synthetic, parquet)
    write_crm(synthetic, csv, fmt="csv")
    return parquet, csv


def _lead_with_colleagues(folder) -> tuple[str, set[str]]:
    """A contact whose account has at least three contacts, and those contacts' ids."""
    contacts = pd.read_parquet(folder / "contacts.parquet")
    sizes = contacts.groupby("account_id")["contact_id"].transform("size")
    row = contacts.loc[sizes >= 3].iloc[0]
    members = contacts.loc[contacts["account_id"] == row["account_id"], "contact_id"]
    return str(row["contact_id"]), set(members.astype(str))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows and values; a category column as its values (a filtered read's categories are
    the values present, a full read's those of the whole file)."""
    cats = {c: frame[c].cat.categories.dtype for c in frame if frame[c].dtype == "category"}
    return frame.astype(cats).reset_index(drop=True)


def _by_key(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows in primary-key order (the same rows may come in another file order)."""
    return frame.sort_values(list(TABLES[table].primary_key), ignore_index=True)


def test_the_filtered_parquet_read_equals_the_full_read_cut_to_the_account(crm):
    parquet, _ = crm
    contact, members = _lead_with_colleagues(parquet)
    full = read_source(parquet)
    got = read_lead(parquet, contact).tables
    expected = account_rows(full, contact)
    assert set(got["contacts"]["contact_id"].astype(str)) == members
    assert len(got["activities"]) > 0
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(_plain(got[name]), _plain(frame), check_exact=True)
    # the reference cut, by hand: every row of the account's contacts, nothing else
    acts = full["activities"]
    by_hand = acts.loc[acts["contact_id"].astype(str).isin(members)]
    assert len(expected["activities"]) == len(by_hand)


def test_validating_the_lead_rows_gives_the_whole_run_s_rows_of_that_account(crm):
    parquet, csv = crm
    contact, members = _lead_with_colleagues(parquet)
    whole = ingest(parquet).tables
    for source in (parquet, csv):  # the DuckDB path and the read-whole-then-cut path
        # validated, then bots filtered as ingest does (explain_from_source's steps)
        part = filter_bots(validate_tables(read_lead(source, contact).tables)).tables
        for name in ("contacts", "activities", "outcomes"):
            mine = whole.table(name)
            mine = mine.loc[mine["contact_id"].astype(str).isin(members)]
            # the Parquet files are in the lead layout, the CSV files in generated order
            pd.testing.assert_frame_equal(_by_key(part.table(name), name), _by_key(mine, name))
        accounts = whole.accounts.loc[
            whole.accounts["account_id"].isin(part.accounts["account_id"])
        ]
        assert len(part.accounts) == len(accounts) == 1


def test_an_unknown_contact_is_named(crm):
    parquet, csv = crm
    for source in (parquet, csv):
        with pytest.raises(KeyError, match="'nobody' is not in the contacts table"):
            read_lead(source, "nobody")


@pytest.mark.parametrize("suffix", [s for s in CANONICAL_SUFFIXES if s != PARQUET_ENDING])
def test_a_table_in_another_canonical_kind_sends_the_folder_to_read_source(tmp_path, suffix):
    from serving.lead_rows import _parquet_folder

    assert PARQUET_ENDING in CANONICAL_SUFFIXES
    pd.DataFrame({"contact_id": ["c1"]}).to_parquet(tmp_path / "contacts.parquet")
    assert _parquet_folder(tmp_path) == tmp_path  # Parquet only: DuckDB reads it
    (tmp_path / f"accounts{suffix}").write_bytes(b"")
    assert _parquet_folder(tmp_path) is None  # DuckDB would miss accounts: read_source
