"""Read a whole source (a folder, a file or a database) into canonical-named tables.

Three kinds of source:

* a folder of ``contacts|accounts|activities|outcomes`` files (ending in one of
  :data:`~features.ingest.readers.CANONICAL_SUFFIXES`) already in canonical column names
  (no mapping; other files and sub-folders such as ``_truth/`` are ignored);
* a folder or a single file plus a mapping whose sources are file names;
* a SQLAlchemy URL plus a mapping whose sources are ``{sql_table: ...}`` (without a
  mapping, tables named like the canonical ones are read).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Literal

import pandas as pd

from features.crm import empty_table
from features.ingest.mapping_apply import apply_mapping, map_table, table_problems
from features.ingest.mapping_config import ColumnMapping, ColumnSpec, Source, TableMapping
from features.ingest.readers import CANONICAL_SUFFIXES, InputError, TableError, read_table
from features.ingest.sql import is_database_url, read_sql_table, safe_url
from features.schema import TABLES

logger = logging.getLogger(__name__)

Reader = Callable[..., pd.DataFrame]
""":func:`read_table` with the run's options set (a mapping may set its own sep/encoding)."""


def read_source(
    source: str | Path,
    mapping: ColumnMapping | None = None,
    *,
    sep: str | None = None,
    encoding: str | None = None,
    origin: bool = False,
) -> dict[str, pd.DataFrame]:
    """Read ``source`` into ``{canonical table name: frame}`` for all four tables.

    Args:
        source: Data folder, single file, or SQLAlchemy URL.
        mapping: Column mapping; None means the source already uses canonical names.
        sep: Delimiter for files whose mapping does not set ``sep`` (None: sniffed).
        encoding: Encoding for files whose mapping does not set ``encoding`` (None:
            :data:`features.ingest.readers.DEFAULT_ENCODING`).
        origin: Give file rows the columns of
            :data:`features.ingest.origin.ORIGIN_COLUMNS` (their file and line), which
            validation puts in the quarantine.

    Returns:
        The output of :func:`features.ingest.apply_mapping`: mapped canonical
        columns then extra columns; absent tables as :func:`features.crm.empty_table`.

    Raises:
        InputError: Unreadable source or a mapping that does not fit it.
        TableError: A canonical folder without a contacts file.
    """
    if is_database_url(source):
        url = str(source)
        if mapping is None:
            return _canonical(_canonical_database_frames(url), origin=safe_url(url))
        return apply_mapping(mapping, _database_frames(url, mapping))
    path = Path(source)
    if not path.exists():
        raise InputError(
            f"source not found: {path}; pass a data folder, a file or a database URL "
            "(e.g. sqlite:///crm.db)"
        )
    read = partial(read_table, sep=sep, encoding=encoding, ragged="quarantine", origin=origin)
    if mapping is None:
        return _canonical(_canonical_file_frames(path, read), origin=str(path))
    return apply_mapping(mapping, _mapped_file_frames(path, mapping, read))


def _canonical_file_frames(path: Path, read: Reader) -> dict[str, pd.DataFrame]:
    if path.is_file():
        name = path.name.split(".")[0]
        if name not in TABLES:
            raise InputError(
                f"{path}: a file not named after a canonical table ({', '.join(TABLES)}) "
                "needs a mapping: pass --mapping (see features/ingest/mappings/)"
            )
        return {name: read(path)}
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        found = [path / f"{name}{s}" for s in CANONICAL_SUFFIXES if (path / f"{name}{s}").is_file()]
        if len(found) > 1:
            raise InputError(
                f"{path}: several files for table {name}: {[f.name for f in found]}; keep one"
            )
        if not found:
            continue
        try:
            frames[name] = read(found[0])
        except TableError:
            if name == "contacts":
                raise
            logger.warning("%s has no rows: table %s is empty", found[0].name, name)
    if "contacts" not in frames:
        present = sorted(p.name for p in path.iterdir())
        wanted = " or ".join(f"contacts{s}" for s in CANONICAL_SUFFIXES)
        raise TableError(
            f"{path}: no {wanted}; files there: {present}; name the files after the canonical "
            "tables or pass --mapping"
        )
    return frames


def _canonical_database_frames(url: str) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        try:
            frames[name] = read_sql_table(url, name)
        except TableError:
            continue  # an empty canonical table is just an absent one
        except InputError:
            if name == "contacts":
                raise
    return frames


def _canonical(frames: dict[str, pd.DataFrame], origin: str) -> dict[str, pd.DataFrame]:
    """Identity mapping: canonical columns kept (datetimes parsed), the rest as extras."""
    result = {name: empty_table(name) for name in TABLES}
    for name, frame in frames.items():
        names = TABLES[name].names
        identity = TableMapping(
            source=Source(file=name),
            columns={c: ColumnSpec(source=c) for c in frame.columns if c in names},
            keep_extra=True,
        )
        problems = table_problems(name, identity, frame)
        if problems:
            raise InputError(f"{origin}: " + "; ".join(problems))
        result[name] = map_table(name, identity, frame)
    return result


def _mapped_file_frames(
    path: Path, mapping: ColumnMapping, read: Reader
) -> dict[str, pd.DataFrame]:
    _refuse_sources(
        mapping,
        "sql_table",
        f"name SQL tables but the source {path} is not a database URL; pass a URL such as "
        "sqlite:///crm.db",
    )
    tables = mapping.tables()
    names = sorted({t.source.key for t in tables.values()})
    folder = path if path.is_dir() else path.parent
    files = {name: _inside(folder, name, mapping.origin) for name in names}
    if path.is_file():
        if len(names) == 1:
            files = {names[0]: path}  # one-file mapping: any file name (a newer export)
        elif path.name not in names:
            raise InputError(
                f"mapping {mapping.origin} reads {names}; {path.name} is none of them: "
                "pass the folder holding them"
            )
    frames: dict[str, pd.DataFrame] = {}
    for table in tables.values():
        key = table.source.key
        if key not in frames:
            own = {"sep": table.sep, "encoding": table.encoding}  # the mapping's, if set
            frames[key] = read(files[key], **{k: v for k, v in own.items() if v})
    return frames


def _inside(folder: Path, name: str, origin: str) -> Path:
    """``folder / name``, refused when its real location (links resolved) is elsewhere."""
    path = folder / name
    real, root = path.resolve(), folder.resolve()
    if not real.is_relative_to(root):
        raise InputError(
            f"mapping {origin}: source {name!r} resolves to {real}, outside the data folder "
            f"{root}; a mapping reads files inside --data only: copy the file into it"
        )
    return path


def _database_frames(url: str, mapping: ColumnMapping) -> dict[str, pd.DataFrame]:
    _refuse_sources(
        mapping,
        "file",
        f"name files but the source is the database {safe_url(url)}; use {{sql_table: name}} "
        "sources",
    )
    keys = sorted({t.source.key for t in mapping.tables().values()})
    return {key: read_sql_table(url, key) for key in keys}


def _refuse_sources(mapping: ColumnMapping, kind: Literal["file", "sql_table"], why: str) -> None:
    """Refuse a mapping whose tables read a source of ``kind`` (the wrong kind for the data).

    Raises:
        InputError: ``mapping <origin>: <table>.source, ... <why>``.
    """
    wrong = [
        f"{n}.source" for n, t in mapping.tables().items() if getattr(t.source, kind) is not None
    ]
    if wrong:
        raise InputError(f"mapping {mapping.origin}: {', '.join(wrong)} {why}")
