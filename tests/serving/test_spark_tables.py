"""Which file of a canonical folder the Spark engine reads: the local engine's endings."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.ingest.readers import CANONICAL_SUFFIXES, PARQUET_SUFFIXES
from serving.spark.tables import table_location


@pytest.mark.parametrize("suffix", CANONICAL_SUFFIXES)
def test_spark_finds_a_table_in_every_canonical_ending(tmp_path: Path, suffix: str) -> None:
    (tmp_path / f"contacts{suffix}").write_bytes(b"")
    (tmp_path / "contacts.json").write_bytes(b"")  # not a canonical ending: ignored
    kind = "parquet" if suffix in PARQUET_SUFFIXES else "csv"
    assert table_location(tmp_path, "contacts") == (tmp_path / f"contacts{suffix}", kind)
    assert table_location(tmp_path, "accounts") is None


def test_parquet_then_a_spark_folder_come_before_text(tmp_path: Path) -> None:
    for suffix in CANONICAL_SUFFIXES:
        if suffix not in PARQUET_SUFFIXES:
            (tmp_path / f"contacts{suffix}").write_bytes(b"")
    (tmp_path / "contacts").mkdir()  # a table Spark wrote in parts
    assert table_location(tmp_path, "contacts") == (tmp_path / "contacts", "parquet")
    (tmp_path / "contacts.parquet").write_bytes(b"")
    assert table_location(tmp_path, "contacts") == (tmp_path / "contacts.parquet", "parquet")
