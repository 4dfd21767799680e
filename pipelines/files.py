"""Small atomic file writes for CLI outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.files import atomic_write

FRAME_SUFFIXES = (".csv", ".parquet")
"""File types :func:`write_frame` writes."""


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` (.csv or .parquet) atomically: temp file, then rename."""
    path = Path(path)
    if path.suffix not in FRAME_SUFFIXES:
        raise ValueError(f"{path}: use a .csv or .parquet file name")
    if path.suffix == ".csv":
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return path
