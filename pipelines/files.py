"""Small atomic file writes for CLI outputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.files import FRAME_SUFFIXES, atomic_write

__all__ = ["FRAME_SUFFIXES", "write_frame"]


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` (.csv or .parquet) atomically: temp file, then rename."""
    path = Path(path)
    if path.suffix not in FRAME_SUFFIXES:
        raise ValueError(f"{path}: use a {' or '.join(FRAME_SUFFIXES)} file name")
    if path.suffix == ".csv":
        atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    return path
