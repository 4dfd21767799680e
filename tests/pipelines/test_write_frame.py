"""pipelines.files.write_frame: CLI outputs in the same format as the file sinks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.files import write_frame
from serving.sinks.files import frame_writer


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": ["c1", "c2"],
            "total": [10, 35],
            "as_of": pd.Series([pd.Timestamp("2024-01-01", tz="UTC")] * 2),
        }
    )


def test_csv_as_of_is_iso_8601_like_the_sinks(tmp_path: Path) -> None:
    path = write_frame(_frame(), tmp_path / "scores.csv")
    # hand-written: ISO 8601 with a 'T' and the offset, not pandas' '2024-01-01 00:00:00+00:00'
    assert path.read_text(encoding="utf-8").splitlines() == [
        "contact_id,total,as_of",
        "c1,10,2024-01-01T00:00:00+00:00",
        "c2,35,2024-01-01T00:00:00+00:00",
    ]
    sink = tmp_path / "sink.csv"
    frame_writer(_frame(), "csv")(sink)
    assert path.read_bytes() == sink.read_bytes()


def test_parquet_keeps_the_timestamps(tmp_path: Path) -> None:
    path = write_frame(_frame(), tmp_path / "scores.parquet")
    back = pd.read_parquet(path)
    assert back["as_of"].tolist() == [pd.Timestamp("2024-01-01", tz="UTC")] * 2
