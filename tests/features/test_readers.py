"""Tests for features.ingest.readers and features.ingest.sql: tiny files in tmp_path."""

from __future__ import annotations

import gzip
import sys

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from features.ingest import InputError, TableError, read_sql_table, read_table
from features.ingest.readers import RAGGED_COLUMN

CSV = 'id,name,score\n001,"Smith, Ann",N/A\n002,,7\n'


def _write(path, text: str | bytes):
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


# --- reading good files --------------------------------------------------------------


def test_csv_is_read_as_strings_and_only_empty_fields_are_missing(tmp_path):
    frame = read_table(_write(tmp_path / "t.csv", CSV))
    assert list(frame.columns) == ["id", "name", "score"]
    assert frame["id"].tolist() == ["001", "002"]  # leading zeros kept: no type guessing
    assert frame.loc[0, "name"] == "Smith, Ann"  # quoted delimiter
    assert frame.loc[0, "score"] == "N/A"  # not turned into NaN
    assert pd.isna(frame.loc[1, "name"])
    assert all(pd.api.types.is_string_dtype(dtype) for dtype in frame.dtypes)


@pytest.mark.parametrize(
    ("name", "text", "sep"),
    [
        ("t.tsv", "id\tname\n1\tAnn\n2\tBob\n", None),
        ("t.csv", "id;name\n1;Ann\n2;Bob\n", None),
        ("t.csv", "id|name\n1|Ann\n2|Bob\n", None),
        ("t.txt", "id\tname\n1\tAnn\n2\tBob\n", None),
        ("t.csv", "id;name\n1;Ann\n2;Bob\n", ";"),
    ],
)
def test_delimiters_given_or_sniffed(tmp_path, name, text, sep):
    frame = read_table(_write(tmp_path / name, text), sep=sep)
    assert frame.to_dict("list") == {"id": ["1", "2"], "name": ["Ann", "Bob"]}


def test_sniffing_ignores_delimiters_inside_quotes(tmp_path):
    text = 'id;note\n1;"a, b, c"\n2;"d, e"\n'
    frame = read_table(_write(tmp_path / "t.csv", text))
    assert frame["note"].tolist() == ["a, b, c", "d, e"]


def test_gzip_csv(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(CSV.encode()))
    assert read_table(path)["id"].tolist() == ["001", "002"]


def test_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    frame = read_table(_write(tmp_path / "t.csv", "\ufeffid,x\n1,2\n"))
    assert list(frame.columns) == ["id", "x"]


def test_latin1_file_reads_with_its_encoding(tmp_path):
    path = _write(tmp_path / "t.csv", "id,city\n1,S\xe3o Paulo\n".encode("latin-1"))
    assert read_table(path, encoding="latin-1")["city"].tolist() == ["São Paulo"]


def test_parquet_keeps_its_types(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"id": ["a", "b"], "n": [1, 2], "x": [0.5, None]}).to_parquet(path)
    frame = read_table(path)
    assert frame["n"].dtype == "int64"
    assert frame["x"].dtype == "float64"
    assert frame["n"].tolist() == [1, 2]


# --- bad input: each error names what, where and what to do -------------------------


def test_missing_file_names_the_path_and_suggests_the_closest_file(tmp_path):
    _write(tmp_path / "leads.csv", CSV)
    with pytest.raises(InputError, match=r"file not found: .*lead\.csv; did you mean leads\.csv\?"):
        read_table(tmp_path / "lead.csv")


def test_missing_file_lists_only_the_data_files_of_the_folder(tmp_path):
    _write(tmp_path / "crm_export.csv", CSV)
    (tmp_path / "notes.docx").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError) as info:
        read_table(tmp_path / "nonexistent.parquet")
    message = str(info.value)
    assert f"data files in {tmp_path}: crm_export.csv;" in message
    assert "notes.docx" not in message and "sub" not in message.split(";")[1]


def test_missing_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist either"):
        read_table(tmp_path / "nowhere" / "x.csv")


def test_zero_byte_file(tmp_path):
    with pytest.raises(TableError, match=r"t\.csv: the file is empty \(0 bytes\)"):
        read_table(_write(tmp_path / "t.csv", ""))


def test_header_only_file(tmp_path):
    with pytest.raises(TableError, match=r"has a header \(3 columns\) but no data rows"):
        read_table(_write(tmp_path / "t.csv", "id,name,score\n"))


def test_header_only_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"id": pd.Series([], dtype="str")}).to_parquet(path)
    with pytest.raises(TableError, match="no data rows"):
        read_table(path)


def test_semicolon_file_read_with_comma_says_which_sep_to_pass(tmp_path):
    path = _write(tmp_path / "t.csv", "id;name;score\n1;Ann;3\n")
    with pytest.raises(InputError, match=r"single column 'id;name;score'.*pass --sep ';'"):
        read_table(path, sep=",")


def test_non_utf8_byte_names_line_and_offset(tmp_path):
    data = b"id,city\n1,Berlin\n2,S\xe3o Paulo\n"
    offset = data.index(b"\xe3")  # 22, on the third line
    path = _write(tmp_path / "t.csv", data)
    expected = rf"t\.csv: not valid utf-8: byte 0xe3 at line 3 \(byte offset {offset} "
    with pytest.raises(InputError, match=expected + r".*--encoding latin-1.*cp1252"):
        read_table(path)


def test_non_utf8_byte_beyond_the_first_chunk(tmp_path):
    rows = "".join(f"{i},x\n" for i in range(40_000))  # > 64 KB sample, > one parser chunk
    data = ("id,v\n" + rows).encode() + b"9,\xff\n"
    with pytest.raises(InputError, match=r"byte 0xff at line 40002 "):
        read_table(_write(tmp_path / "t.csv", data))


def test_ragged_row_in_the_middle_names_the_line(tmp_path):
    path = _write(tmp_path / "t.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(InputError, match=r"t\.csv: line 4 has 4 fields but the header has 3"):
        read_table(path)


def test_ragged_first_row_is_not_taken_as_an_index(tmp_path):
    # pandas would silently use the first field as the row index here
    path = _write(tmp_path / "t.csv", "a,b\n1,2,3\n4,5\n")
    with pytest.raises(InputError, match=r"line 2 has 3 fields but the header has 2"):
        read_table(path)


def test_duplicate_header_names(tmp_path):
    with pytest.raises(InputError, match=r"repeats column name\(s\) \['id'\]"):
        read_table(_write(tmp_path / "t.csv", "id,x,id\n1,2,3\n"))


def test_unreadable_parquet(tmp_path):
    path = _write(tmp_path / "t.parquet", "id,name\n1,Ann\n")
    with pytest.raises(InputError, match=r"t\.parquet: cannot be read as Parquet"):
        read_table(path)


def test_unsupported_file_type(tmp_path):
    with pytest.raises(InputError, match=r"unsupported file type '\.json'"):
        read_table(_write(tmp_path / "t.json", "{}"))


def test_unknown_encoding_name(tmp_path):
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        read_table(_write(tmp_path / "t.csv", CSV), encoding="klingon")


def test_excel_first_sheet_is_read_as_strings_like_csv(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["id", "name", "score"], ["001", "Smith, Ann", "N/A"], ["002", None, 7]):
        sheet.append(row)
    workbook.create_sheet("ignored").append(["other"])
    workbook.save(tmp_path / "t.xlsx")
    frame = read_table(tmp_path / "t.xlsx")
    assert list(frame.columns) == ["id", "name", "score"]
    assert frame["id"].tolist() == ["001", "002"]  # text cells keep their leading zeros
    assert frame.loc[0, "score"] == "N/A"  # not turned into NaN
    assert frame.loc[1, "score"] == "7"  # a number cell comes back as its text
    assert pd.isna(frame.loc[1, "name"])  # only an empty cell is missing
    assert all(pd.api.types.is_string_dtype(dtype) for dtype in frame.dtypes)


def test_excel_without_openpyxl_says_how_to_install_it_or_save_as_csv(tmp_path, monkeypatch):
    workbook = openpyxl.Workbook()
    workbook.active.append(["id"])
    workbook.save(tmp_path / "t.xlsx")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now fails
    with pytest.raises(InputError, match=r"openpyxl.*leadscore\[excel\].*save the sheet as CSV"):
        read_table(tmp_path / "t.xlsx")


def test_old_xls_workbook_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(InputError, match=r"unsupported file type '\.xls'.*save it as \.xlsx"):
        read_table(_write(tmp_path / "t.xls", b"\xd0\xcf\x11\xe0"))


# --- SQL -----------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    pd.DataFrame({"id": ["a", "b"], "n": [1, 2]}).to_sql("leads", engine, index=False)
    pd.DataFrame({"k": ["x"]}).to_sql("other", engine, index=False)
    engine.dispose()
    return url


def test_read_sql_table(sqlite_url):
    frame = read_sql_table(sqlite_url, "leads")
    assert frame.to_dict("list") == {"id": ["a", "b"], "n": [1, 2]}


def test_unknown_sql_table_lists_the_tables(sqlite_url):
    with pytest.raises(InputError, match=r"no table 'lead'; tables there are: leads, other"):
        read_sql_table(sqlite_url, "lead")


def test_quote_in_table_name_does_not_inject(sqlite_url):
    evil = 'leads"; DROP TABLE leads; --'
    with pytest.raises(InputError, match="no table"):
        read_sql_table(sqlite_url, evil)
    assert len(read_sql_table(sqlite_url, "leads")) == 2  # still there


def test_quoted_table_name_that_exists_is_read_as_a_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    name = 'we"ird; name'
    engine = sa.create_engine(url)
    pd.DataFrame({"id": ["z"]}).to_sql(name, engine, index=False)
    engine.dispose()
    assert read_sql_table(url, name)["id"].tolist() == ["z"]


def test_bad_database_url_hides_the_password():
    with pytest.raises(InputError, match=r"cannot use database URL nosuchdialect://u:\*\*\*@h/db"):
        read_sql_table("nosuchdialect://u:secret@h/db", "leads")


# --- ragged rows: an error for read_table's callers that ask, quarantined on ingest ----


def test_short_row_is_an_error_naming_the_line(tmp_path):
    path = _write(tmp_path / "t.csv", "a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(
        InputError, match=r"line 3 has 2 fields but the header has 3; the row is cut"
    ):
        read_table(path)


def test_ragged_rows_are_marked_for_quarantine_with_their_field_counts(tmp_path):
    text = 'a,b,c\n1,2,3\n4,5\n"x\ny",,3\n6,7,8,9\n\n10,11,12\n'
    frame = read_table(_write(tmp_path / "t.csv", text), ragged="quarantine")
    assert frame["a"].tolist() == ["1", "4", "x\ny", "6", "10"]
    assert frame["c"].isna().tolist() == [False, True, False, False, False]
    assert pd.isna(frame["b"].iloc[2])  # an empty field is missing, as on the fast path
    assert frame[RAGGED_COLUMN].tolist()[1] == "ragged row: 2 fields, header has 3 (line 3)"
    assert frame[RAGGED_COLUMN].tolist()[3] == "ragged row: 4 fields, header has 3 (line 6)"
    assert frame[RAGGED_COLUMN].isna().tolist() == [True, False, True, False, True]


def test_a_file_without_ragged_rows_gets_no_marker_column(tmp_path):
    frame = read_table(_write(tmp_path / "t.csv", "a,b\n1,2\n3,\n"), ragged="quarantine")
    assert list(frame.columns) == ["a", "b"]
