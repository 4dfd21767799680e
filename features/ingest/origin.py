"""Where each row of a source table came from: its file and the line it starts on.

:func:`features.ingest.load.ingest` asks the reader for these two columns
(:data:`ORIGIN_COLUMNS`); mappings carry them through like the ragged-row mark, and
validation takes them off the table and puts them in front of every quarantined row, so
``quarantine/<table>.csv`` says which line of which file to fix. A row of a text file
(CSV, TSV, optionally gzip-compressed) gets the line its record starts on, counting the
header as line 1: blank lines and values holding line breaks are counted, as an editor
shows them. Parquet and Excel rows have no line (``_line`` empty); rows read from a
database have neither column.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

FILE_COLUMN = "_file"
"""The file a row was read from, as the path was given."""
LINE_COLUMN = "_line"
"""The line of that file the row's record starts on (header = line 1); empty when the
file has no lines (Parquet, Excel)."""
ORIGIN_COLUMNS: tuple[str, ...] = (FILE_COLUMN, LINE_COLUMN)
"""The columns :func:`with_origin` adds, in the order the quarantine shows them."""

_CHUNK = 1 << 20


Opener = Callable[[], BinaryIO]
"""Opens the file's bytes (uncompressed): the reader's own opener, so both see one text."""


def _one_line_per_record(open_bytes: Opener, n_records: int) -> bool:
    """Whether the file is a header line plus one line per record (the common case).

    Any blank line or value holding a line break adds a newline beyond that count, so an
    equal count proves every record sits on its own line (a cheap pass over the bytes).
    """
    newlines, last = 0, b""
    with open_bytes() as fh:
        while chunk := fh.read(_CHUNK):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    return newlines == n_records + (1 if last == b"\n" else 0)


def record_lines(
    path: Path, open_bytes: Opener, sep: str, codec: str, n_records: int
) -> np.ndarray | None:
    """The line each record of a delimited file starts on (header = line 1).

    Args:
        path: The file, for messages.
        open_bytes: Opens its bytes (``.gz``: uncompressed).
        sep: Its field delimiter.
        codec: Its text encoding (a Python codec name).
        n_records: How many rows the reader made of it (blank lines skipped).

    Returns:
        One line number per row, ascending; None when the records counted here are not
        the reader's rows (then no line is given rather than a wrong one).
    """
    if _one_line_per_record(open_bytes, n_records):
        return np.arange(2, n_records + 2, dtype="int64")
    starts: list[int] = []
    with open_bytes() as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as text:
        reader = csv.reader(text, delimiter=sep)
        next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            if row:  # a blank line is no row (the readers skip it too)
                starts.append(start)
            start = reader.line_num + 1
    if len(starts) != n_records:
        logger.warning(
            "%s: %d records counted but %d rows read; quarantined rows get no line number",
            path.name,
            len(starts),
            n_records,
        )
        return None
    return np.asarray(starts, dtype="int64")


def with_origin(frame: pd.DataFrame, path: Path, lines: np.ndarray | None) -> pd.DataFrame:
    """``frame`` plus :data:`FILE_COLUMN` (``path``) and :data:`LINE_COLUMN` (``lines``)."""
    codes = np.zeros(len(frame), dtype="int8")
    file = pd.Series(pd.Categorical.from_codes(codes, [str(path)]), index=frame.index)
    line = pd.Series(pd.NA if lines is None else lines, index=frame.index, dtype="Int64")
    return frame.assign(**{FILE_COLUMN: file, LINE_COLUMN: line})
