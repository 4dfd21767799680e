"""Read one exported table (CSV, TSV, gzip-compressed CSV, Parquet, Excel) into a DataFrame.

Delimited text and Excel sheets are read with every column as a string: only empty
fields become missing, so that validation sees the raw values ("N/A", "Select",
"2019-13-45", ...) and can report them. Parquet keeps its own types. Every failure is an
:class:`InputError` that names the file, the line or byte where it went wrong and what to
do. The two errors are defined here, the module every other ingestion module reads from,
and raised by all of them (mapping, sources, SQL, validation).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import importlib.util
import io
import logging
import re
import warnings
from collections import Counter
from functools import partial
from pathlib import Path
from typing import BinaryIO, Literal, cast

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from features.ingest.origin import ORIGIN_COLUMNS, record_lines, with_origin

logger = logging.getLogger(__name__)

DEFAULT_ENCODING = "utf-8"
"""Text encoding of delimited files when none is given (a UTF-8 byte-order mark is skipped)."""
SNIFF_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
"""Delimiters tried, in this order of preference, when ``sep`` is not given."""

DELIMITED_SUFFIXES: tuple[str, ...] = (".csv", ".tsv", ".txt")
"""Delimited text files; each may also end in :data:`GZIP_SUFFIX`."""
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".pq")
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx",)
GZIP_SUFFIX = ".gz"
LINE_FILE_SUFFIXES: tuple[str, ...] = (
    *DELIMITED_SUFFIXES,
    *(s + GZIP_SUFFIX for s in DELIMITED_SUFFIXES),
)
"""The files whose rows are lines of text (``read_table(origin=True)`` numbers their lines)."""
DATA_FILE_SUFFIXES: tuple[str, ...] = (*LINE_FILE_SUFFIXES, *PARQUET_SUFFIXES, *EXCEL_SUFFIXES)
"""Every file name ending :func:`read_table` reads: the one list of what leadscore reads,
from which the other lists (canonical folders, line numbers, messages) are taken."""
CANONICAL_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")
"""The endings of a canonical folder's table files (``contacts.parquet``, ...): the part of
:data:`DATA_FILE_SUFFIXES` that every engine reading such a folder reads too (Spark in
:mod:`serving.spark.tables`, DuckDB for one lead in :mod:`serving.lead_rows`), so a table
is never read by one engine and missed by another; other files in the folder are ignored."""

_SAMPLE_BYTES = 64 * 1024
_LINE_IN_MESSAGE = re.compile(r"line (\d+)")


class InputError(ValueError):
    """Input (a file, a table, a mapping) that leadscore cannot use as it is.

    A ``ValueError`` so that callers catching ``ValueError`` keep working; the message says
    what is wrong, where (file, line or row, column, mapping field) and what to do.
    """


class TableError(InputError):
    """A whole table is unusable: it is empty, or misses a required or key column."""


RAGGED_COLUMN = "_ragged_row"
"""Column :func:`read_table` adds with ``ragged="quarantine"`` when some rows have more
or fewer fields than the header: ``"ragged row: N fields, header has M (line L)"`` on
those rows, missing on the others. Mappings carry it through; validation quarantines
the rows it marks."""
SOURCE_STAGE_COLUMN = "_source_stage"
"""Column a mapping adds beside a table read from a file whose stage column (``stage`` or
``*_stage``, such as Maven's ``deal_stage``) the mapping reads for another table: each
row's stage as exported, so a quarantine reason can say what the row is (an open
``Prospecting`` deal) without the stage becoming a column of the table."""
CARRIED_COLUMNS: tuple[str, ...] = (RAGGED_COLUMN, *ORIGIN_COLUMNS, SOURCE_STAGE_COLUMN)
"""The columns :func:`read_table` adds beside the data (the ragged-row mark and each row's
file and line, :data:`features.ingest.origin.ORIGIN_COLUMNS`) and the source stage a
mapping adds (:data:`SOURCE_STAGE_COLUMN`). Every mapped table keeps them as they are (one
event collapsed by ``one_row_per`` keeps those of its first event); validation takes them
off the table and the quarantine shows the file and line in front of a row."""

Ragged = Literal["error", "quarantine"]


def read_table(
    path: str | Path,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    ragged: Ragged = "error",
    origin: bool = False,
) -> pd.DataFrame:
    """Read a CSV/TSV (optionally ``.gz``), Parquet or Excel file.

    Args:
        path: The file. ``.csv``/``.txt`` (delimiter sniffed among , ; tab | unless
            ``sep`` is given), ``.tsv`` (tab unless ``sep`` is given), ``.parquet``,
            ``.xlsx`` (its first sheet; needs the ``excel`` extra, openpyxl); any of the
            text kinds may end in ``.gz``.
        sep: Field delimiter; None sniffs it from the first 64 KB.
        encoding: Text encoding of delimited files (None: :data:`DEFAULT_ENCODING`).
        ragged: What a delimited row with more or fewer fields than the header does:
            ``error`` raises naming its line; ``quarantine`` keeps it (fields beyond
            the header cut, missing ones empty) marked in :data:`RAGGED_COLUMN`.
        origin: Add the columns of :data:`features.ingest.origin.ORIGIN_COLUMNS`: the
            file and each row's line (empty for Parquet and Excel).

    Returns:
        The table. Delimited files and Excel: every column has pandas' string dtype and
        only empty fields are missing. Parquet: the file's own dtypes.

    Raises:
        InputError: The file is missing, unreadable, badly encoded or malformed
            (with ``ragged="error"``, a ragged row).
        TableError: The file is empty or has a header but no rows.
    """
    path = Path(path)
    _require_file(path)
    suffix = _kind_suffix(path)
    lines = None  # Parquet and Excel have no lines
    if suffix in PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    elif suffix in EXCEL_SUFFIXES:
        frame = _read_excel(path)
    elif suffix in DELIMITED_SUFFIXES:
        default = "\t" if suffix == ".tsv" else None
        encoding = encoding or DEFAULT_ENCODING
        frame, sep = _delimited_rows(path, sep=sep or default, encoding=encoding, ragged=ragged)
        if origin and not frame.empty:  # each row's line (None when it cannot be told)
            opener = partial(_open_bytes, path)
            lines = record_lines(path, opener, sep, _codec(encoding), len(frame))
    else:
        raise InputError(
            f"{path}: unsupported file type {''.join(path.suffixes)!r}; leadscore reads "
            f"{', '.join(DATA_FILE_SUFFIXES)} files: export the table in one of these (an "
            "old .xls workbook: save it as .xlsx or CSV)"
        )
    _refuse_reserved(frame, path)
    if frame.empty and len(frame.columns) > 0:
        raise TableError(
            f"{path}: the file has a header ({len(frame.columns)} columns) but no data rows; "
            "export the table again with its rows"
        )
    logger.info("read %s: %d rows x %d columns", path.name, len(frame), len(frame.columns))
    if origin:
        frame = with_origin(frame, path, lines)
    return frame


def _refuse_reserved(frame: pd.DataFrame, path: Path) -> None:
    """A column named like the quarantine's file and line columns would be overwritten by
    them (or read as them): refuse it instead of losing its values."""
    taken = [c for c in ORIGIN_COLUMNS if c in frame.columns]
    if taken:
        raise InputError(
            f"{path}: column(s) {', '.join(map(repr, taken))} are reserved for the file and "
            "line leadscore records for every row; rename or drop them in the export"
        )


def _kind_suffix(path: Path) -> str:
    """The suffix that says what the file holds, ignoring a trailing ``.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == GZIP_SUFFIX:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _require_file(path: Path) -> None:
    if path.is_file():
        return
    if path.is_dir():
        raise InputError(f"{path} is a folder; pass one of the files in it")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"file not found: {path} (its folder {folder} does not exist either)")
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    data = [n for n in names if n.lower().endswith(DATA_FILE_SUFFIXES)]
    hint = f"did you mean {', '.join(close)}?" if close else ""
    if not close:
        shown = ", ".join(data[:10]) + (f", ... ({len(data)} in all)" if len(data) > 10 else "")
        hint = f"data files in {folder}: {shown}" if data else f"{folder} holds no data file"
    raise InputError(f"file not found: {path}; {hint}; check the file name")


def _open_bytes(path: Path) -> BinaryIO:
    if path.suffix.lower() == GZIP_SUFFIX:
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def _codec(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"unknown encoding {encoding!r}; use e.g. utf-8, latin-1 or cp1252"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


def _delimited_rows(
    path: Path, *, sep: str | None, encoding: str, ragged: Ragged
) -> tuple[pd.DataFrame, str]:
    codec = _codec(encoding)
    with _open_bytes(path) as fh:
        head = fh.read(_SAMPLE_BYTES)
    if not head.strip():
        size = "0 bytes" if not head else "only blank space"
        raise TableError(f"{path}: the file is empty ({size}); export the table again")
    sample = codecs.getincrementaldecoder(codec)(errors="replace").decode(head)
    if len(head) == _SAMPLE_BYTES:  # drop the last, possibly cut, line
        sample = sample[: sample.rfind("\n") + 1] or sample
    sep = sep or _sniff_delimiter(sample)
    header = next(csv.reader(io.StringIO(sample), delimiter=sep), [])
    if header and _has_ragged_rows(path, sep, codec, len(header)):
        _check_header(path, sep, header)
        return _read_ragged(path, sep, encoding, header, ragged), sep
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=codec,
                index_col=False,
            )
        except UnicodeDecodeError:
            raise _decode_error(path, encoding) from None
        except pd.errors.EmptyDataError:
            raise TableError(f"{path}: the file is empty (no header); export it again") from None
        except pd.errors.ParserError as err:
            raise _malformed(path, sep, encoding, header, str(err)) from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        raise _malformed(path, sep, encoding, header, "")
    _check_header(path, sep, header)
    return frame, sep


def _has_ragged_rows(path: Path, sep: str, codec: str, width: int) -> bool:
    """Whether any record has another field count than the header (a fast Arrow pass).

    pandas pads short rows with empty values without a word, so the field counts are
    checked on their own; the rows themselves are then read by :func:`_read_ragged`.
    """
    found: list[int] = []

    def note(row: pa_csv.InvalidRow) -> str:
        found.append(row.actual_columns)
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        pa_csv.read_csv(
            str(path),
            read_options=pa_csv.ReadOptions(
                column_names=names,
                skip_rows=1,
                encoding="utf8" if codec == "utf-8-sig" else codec,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=sep, newlines_in_values=True, invalid_row_handler=note
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=names[:1], column_types={names[0]: pa.string()}
            ),
        )
    except (pa.ArrowException, UnicodeError, LookupError):
        return True  # let the careful reader below decide and explain
    return bool(found)


def _read_ragged(
    path: Path, sep: str, encoding: str, header: list[str], ragged: Ragged
) -> pd.DataFrame:
    """Read a file with ragged rows record by record (only on that path: it is slower).

    Raises:
        InputError: With ``ragged="error"``, naming the first ragged row's line.
    """
    width, codec = len(header), _codec(encoding)
    records: list[list[str | None]] = []
    marks: list[str | None] = []
    try:
        with _open_bytes(path) as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as text:
            reader = csv.reader(text, delimiter=sep)
            next(reader, None)
            for row in reader:
                if not row:
                    continue  # a blank line, as pandas skips it
                mark = None
                if len(row) != width:
                    if ragged == "error":
                        raise _ragged_row_error(path, sep, reader.line_num, len(row), width)
                    line = reader.line_num
                    mark = f"ragged row: {len(row)} fields, header has {width} (line {line})"
                    row = (row + [""] * width)[:width]
                records.append([value if value != "" else None for value in row])
                marks.append(mark)
    except UnicodeDecodeError:
        raise _decode_error(path, encoding) from None
    except csv.Error as err:
        raise InputError(
            f"{path}: malformed CSV ({err}); check quoting and the delimiter (--sep)"
        ) from None
    frame = pd.DataFrame(records, columns=header, dtype="str")
    n_ragged = sum(m is not None for m in marks)
    if not n_ragged:
        return frame
    logger.warning("%s: %d ragged row(s) marked for quarantine", path.name, n_ragged)
    return frame.assign(**{RAGGED_COLUMN: pd.Series(marks, dtype="str")})


def _ragged_row_error(path: Path, sep: str, line: int, fields: int, width: int) -> InputError:
    if fields > width:
        hint = (
            f"a value probably holds an unquoted {sep!r}: quote it, or pass the right "
            "delimiter with --sep"
        )
    else:
        hint = (
            "the row is cut short: check the export and the quoting of values holding line breaks"
        )
    return InputError(f"{path}: line {line} has {fields} fields but the header has {width}; {hint}")


def _sniff_delimiter(sample: str) -> str:
    """The candidate delimiter that splits the header into most fields consistently."""
    best, best_score = ",", (0, 0)
    for candidate in SNIFF_DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=candidate) if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows[1:])
        score = (consistent, width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _check_header(path: Path, sep: str, header: list[str]) -> None:
    if len(header) == 1:
        others = [d for d in SNIFF_DELIMITERS if d != sep and d in header[0]]
        if others:
            shown = "\\t" if others[0] == "\t" else others[0]
            raise InputError(
                f"{path}: read with sep {sep!r}, the file has a single column "
                f"{header[0][:80]!r} whose name contains {others[0]!r}; the file is probably "
                f"{shown!r}-separated: pass --sep '{shown}'"
            )
    duplicates = sorted(name for name, count in Counter(header).items() if count > 1)
    if duplicates:
        raise InputError(
            f"{path}: the header repeats column name(s) {duplicates}; rename them so that "
            "every column name is unique"
        )


def _decode_error(path: Path, encoding: str) -> InputError:
    with _open_bytes(path) as fh:
        data = fh.read()
    try:
        data.decode(_codec(encoding))
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        where = "in the uncompressed data" if path.suffix.lower() == GZIP_SUFFIX else "in the file"
        return InputError(
            f"{path}: not valid {encoding}: byte 0x{data[err.start]:02x} at line {line} "
            f"(byte offset {err.start} {where}) cannot be decoded; the file is probably in "
            "another encoding: pass --encoding latin-1 (or --encoding cp1252 for Windows "
            "exports)"
        )
    return InputError(f"{path}: cannot be decoded as {encoding}; pass --encoding latin-1")


def _malformed(path: Path, sep: str, encoding: str, header: list[str], detail: str) -> InputError:
    """The first ragged row's error (raised by :func:`_read_ragged`), else the parser's."""
    _read_ragged(path, sep, encoding, header, "error")
    match = _LINE_IN_MESSAGE.search(detail)
    where = f"near line {match.group(1)}" if match else "somewhere"
    return InputError(
        f"{path}: malformed rows {where} ({detail or 'row wider than the header'}); "
        "check quoting and the delimiter (--sep)"
    )


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several unrelated types for a bad file
        raise InputError(
            f"{path}: cannot be read as Parquet ({type(err).__name__}: {err}); check it is a "
            "complete Parquet file (not a CSV renamed .parquet) and export it again"
        ) from None


def _read_excel(path: Path) -> pd.DataFrame:
    if importlib.util.find_spec("openpyxl") is None:
        raise InputError(
            f"{path}: reading Excel files needs the openpyxl package, which is not installed; "
            "install leadscore's excel extra (pip install 'leadscore[excel]'), or save the "
            "sheet as CSV (UTF-8) and pass that file instead"
        )
    try:
        return pd.read_excel(path, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as err:  # openpyxl/zipfile raise many types for a bad workbook
        raise InputError(
            f"{path}: cannot read its first sheet ({type(err).__name__}: {err}); "
            "save the sheet as CSV and pass that file"
        ) from None
