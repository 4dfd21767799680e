"""Quarantined rows name their file and line, through ``leadscore validate`` itself.

The files hold a value with a line break and a blank line before the bad row, so the
line (counted by hand in each fixture) is not the row's position plus two.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.ingest.readers import LINE_FILE_SUFFIXES, PARQUET_SUFFIXES, read_table
from pipelines.cli import app

runner = CliRunner()

CONTACTS_CSV = (
    "contact_id,created_at,note\n"  # line 1
    'c1,2026-01-01,"called twice,\nno answer"\n'  # lines 2-3: one record
    "\n"  # line 4: blank, skipped
    "c2,not a date,ok\n"  # line 5: the bad row (row 1)
    "c3,2026-01-03,ok\n"  # line 6
)

# the columns the shipped x_education mapping reads or excludes, as in the Kaggle export
LEADS_HEADER = (
    "Prospect ID,Lead Source,Do Not Email,Converted,Country,Tags,Lead Profile,"
    "Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity Score,"
    "Asymmetrique Profile Score,Last Notable Activity\n"
)
LEADS_CSV = (
    LEADS_HEADER  # line 1
    + "p1,Google,No,0,India,,Select,,,,,Modified\n"  # line 2
    + 'p2,Reference,No,1,India,"Will revert\nafter reading",Select,,,,,Modified\n'  # 3-4
    + ",Google,No,1,India,,Select,,,,,Modified\n"  # line 5: no Prospect ID
    + "p4,Google,Yes,1,India,,Select,,,,,Modified\n"  # line 6
)


def _validate(data: Path, out: Path, *mapping: str) -> str:
    result = runner.invoke(
        app, ["validate", "--data", str(data), *mapping, "--now", "2026-06-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _quarantine(out: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(out / "quarantine" / f"{table}.csv", dtype={"_line": "Int64"})


@pytest.mark.slow
def test_validate_names_the_line_of_a_bad_row_in_a_canonical_folder(tmp_path: Path) -> None:
    data = tmp_path / "crm"
    data.mkdir()
    (data / "contacts.csv").write_text(CONTACTS_CSV)
    output = _validate(data, tmp_path / "v")
    assert "created_at coerce_to_datetime: 1 row (e.g. row 1 (line 5))" in output
    summary = json.loads((tmp_path / "v" / "validation_summary.json").read_text())
    assert [i["examples"] for i in summary["issues"]] == [
        [{"row": 1, "line": 5, "value": "not a date"}]
    ]
    got = _quarantine(tmp_path / "v", "contacts")
    assert got[["_row", "_file", "_line", "contact_id"]].values.tolist() == [
        [1, str(data / "contacts.csv"), 5, "c2"]
    ]
    assert got["_rule"].tolist() == ["coerce_to_datetime"]
    assert "note" in got.columns and "_ragged_row" not in got.columns
    assert _quarantine(tmp_path / "v", "accounts").empty  # no file: header only


@pytest.mark.slow
def test_validate_names_the_line_of_a_mapped_export_in_every_table_it_feeds(
    tmp_path: Path,
) -> None:
    data = tmp_path / "export"
    data.mkdir()
    (data / "leads.csv").write_text(LEADS_CSV)
    _validate(data, tmp_path / "v", "--mapping", "x_education")
    leads = str(data / "leads.csv")
    contacts = _quarantine(tmp_path / "v", "contacts")
    assert contacts[["_row", "_file", "_line"]].values.tolist() == [[2, leads, 5]]
    # outcomes keep the converted leads only (row_filter): the bad lead is their row 1,
    # still line 5 of the file
    outcomes = _quarantine(tmp_path / "v", "outcomes")
    assert outcomes[["_row", "_file", "_line"]].values.tolist() == [[1, leads, 5]]


@pytest.mark.parametrize("suffix", LINE_FILE_SUFFIXES)
def test_every_text_kind_numbers_the_lines_records_start_on(tmp_path: Path, suffix: str) -> None:
    text = CONTACTS_CSV.replace(",", "\t") if ".tsv" in suffix else CONTACTS_CSV
    data = text.encode()
    path = tmp_path / f"contacts{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    frame = read_table(path, origin=True)
    assert frame["contact_id"].tolist() == ["c1", "c2", "c3"]
    assert frame["_line"].tolist() == [2, 5, 6]  # by hand: see CONTACTS_CSV
    assert frame["_file"].astype(str).tolist() == [str(path)] * 3
    assert "_line" not in read_table(path).columns  # only when asked


@pytest.mark.parametrize("suffix", PARQUET_SUFFIXES)
def test_a_parquet_file_has_its_name_and_no_lines(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"contacts{suffix}"
    pd.DataFrame({"contact_id": ["c1", "c2"]}).to_parquet(path)
    frame = read_table(path, origin=True)
    assert frame["_file"].astype(str).tolist() == [str(path)] * 2
    assert frame["_line"].isna().all()


@pytest.mark.parametrize("column", ["_file", "_line"])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("origin", [True, False])
def test_a_column_named_like_the_origin_columns_is_refused_not_overwritten(
    tmp_path: Path, column: str, suffix: str, origin: bool
) -> None:
    frame = pd.DataFrame({"contact_id": ["c1", "c2"], column: ["mine", "yours"]})
    path = tmp_path / f"contacts{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    from features.ingest.readers import InputError

    with pytest.raises(InputError, match=rf"contacts{suffix}: column\(s\) '{column}' are reserved"):
        read_table(path, origin=origin)
