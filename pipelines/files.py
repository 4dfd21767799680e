"""Small atomic file writes for CLI outputs, in the file sinks' format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.files import FRAME_SUFFIXES, atomic_write
from serving.sinks.files import frame_writer

__all__ = ["FRAME_SUFFIXES", "write_frame"]


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` to ``path`` (.csv or .parquet) atomically: temp file, then rename.

    The bytes are those a file sink writes (:func:`serving.sinks.files.frame_writer`): in
    CSV, ``as_of`` is ISO 8601 with its offset, so a ``rules score`` file and a sink file
    read the same.
    """
    path = Path(path)
    if path.suffix not in FRAME_SUFFIXES:
        raise ValueError(f"{path}: use a {' or '.join(FRAME_SUFFIXES)} file name")
    atomic_write(path, frame_writer(frame, path.suffix.removeprefix(".")))
    return path
