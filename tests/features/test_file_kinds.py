"""One list of the files leadscore reads (features.ingest.readers.DATA_FILE_SUFFIXES):
every path that looks at a file's name agrees with it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from features.ingest import read_source
from features.ingest.readers import (
    CANONICAL_SUFFIXES,
    DATA_FILE_SUFFIXES,
    InputError,
    TableError,
    read_table,
)
from features.ingest.validation import validate_tables

NOW = pd.Timestamp("2026-06-01", tz="UTC")
CONTACTS = pd.DataFrame(
    {"contact_id": ["c1", "c2", "c3"], "created_at": ["2026-01-01", "not a date", "2026-01-03"]}
)
HEADER = "contact_id,created_at"


def _write(path: Path) -> Path:
    """``CONTACTS`` written the way a user's tool writes a file with ``path``'s name."""
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        CONTACTS.to_parquet(path, index=False)
    elif name.endswith(".xlsx"):
        CONTACTS.to_excel(path, index=False)
    else:
        sep = "\t" if ".tsv" in name else ","
        text = CONTACTS.to_csv(sep=sep, index=False)
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def _text_line_of(path: Path, contact_id: str) -> int | None:
    """The line holding ``contact_id`` when the file is lines of text, else None."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    if not lines or lines[0].replace("\t", ",") != HEADER:
        return None
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(contact_id))


@pytest.mark.parametrize("suffix", DATA_FILE_SUFFIXES)
def test_every_readable_kind_is_read_and_validated_with_lines_where_it_has_them(
    suffix: str, tmp_path: Path
) -> None:
    path = _write(tmp_path / f"contacts{suffix}")
    assert read_table(path)["contact_id"].tolist() == ["c1", "c2", "c3"]
    frame = read_table(path, origin=True)
    report = validate_tables({"contacts": frame}, now=NOW)
    quarantined = report.quarantine["contacts"]
    assert quarantined["contact_id"].tolist() == ["c2"]
    assert quarantined["_file"].tolist() == [str(path)]
    line = _text_line_of(path, "c2")
    if line is None:  # Parquet and Excel: rows, no lines
        assert quarantined["_line"].isna().all()
    else:
        assert line == 3
        assert quarantined["_line"].tolist() == [line]


@pytest.mark.parametrize("suffix", DATA_FILE_SUFFIXES)
def test_every_readable_kind_is_a_canonical_file_and_a_candidate_when_a_name_is_wrong(
    suffix: str, tmp_path: Path
) -> None:
    path = _write(tmp_path / f"contacts{suffix}")
    tables = read_source(path)  # one canonical file, no mapping
    assert tables["contacts"]["contact_id"].tolist() == ["c1", "c2", "c3"]
    with pytest.raises(InputError) as info:
        read_table(tmp_path / "leads_2026_export.csv")
    assert f"data files in {tmp_path}: contacts{suffix};" in str(info.value)


@pytest.mark.parametrize("suffix", DATA_FILE_SUFFIXES)
def test_a_canonical_folder_reads_exactly_the_kinds_every_engine_reads(
    suffix: str, tmp_path: Path
) -> None:
    _write(tmp_path / f"contacts{suffix}")
    if suffix in CANONICAL_SUFFIXES:
        assert read_source(tmp_path)["contacts"]["contact_id"].tolist() == ["c1", "c2", "c3"]
    else:  # Spark and explain's DuckDB path would not see it: refused, never half read
        with pytest.raises(TableError, match=r"no contacts\.csv or contacts\.csv\.gz or contacts"):
            read_source(tmp_path)


def test_canonical_kinds_are_readable_kinds() -> None:
    assert set(CANONICAL_SUFFIXES) <= set(DATA_FILE_SUFFIXES)


def test_an_unreadable_kind_is_refused_naming_every_readable_one(tmp_path: Path) -> None:
    (tmp_path / "leads.json").write_text("{}")
    with pytest.raises(InputError) as info:
        read_table(tmp_path / "leads.json")
    assert all(s in str(info.value) for s in DATA_FILE_SUFFIXES)
