"""One lead's rows of a CRM export: the contact, its account and the account's contacts.

Explaining one lead needs its account, not the whole CRM: account features and the rules'
account roll-up read every contact of the account (as the Spark engine's buckets of whole
accounts do), and nothing else. :func:`read_lead` returns, as unvalidated source frames:

* contacts: the rows of the lead's id, and of every contact sharing one of its accounts
  (and any other row with one of those contacts' ids, so duplicates stay visible);
* accounts: the rows of those accounts;
* activities and outcomes: the rows of those contacts.

Validating them (:func:`features.ingest.validation.validate_tables`) gives those rows the
verdicts a whole-CRM run gives them, except for a duplicate ``activity_id`` shared with
another account's contact (rare; ``leadscore validate`` reports it). A folder of canonical
Parquet tables is read with DuckDB filters pushed into the scan, so only the matching rows
are materialised; any other source is read whole and cut by :func:`account_rows`.

:func:`read_lead` also gives where the whole source's data ends (its latest timestamp,
:data:`features.training_set.DATA_END_COLUMNS`): the account's rows alone would date a
quiet account's last record as the CRM's. Only timestamps validation accepts count: one
after the run's ``now`` is quarantined as future-dated, so it cannot end the data (a typo
in one row's year would otherwise hide a stale ``as_of``). A Parquet folder answers with
one DuckDB ``max()`` per table over its timestamp column alone, of the values not after
``now`` (15-40 ms on the 1M-contact benchmark CRM, against 0.4-0.6 s for the account's
rows, machine busy; a column stored as text is read and parsed as validation parses it);
a source read whole answers from the frames it read.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from features.crm import empty_table
from features.events import utc_timestamp
from features.ingest import ColumnMapping, read_source
from features.ingest.coerce import datetime_values
from features.ingest.readers import CANONICAL_SUFFIXES, PARQUET_SUFFIXES
from features.ingest.sql import is_database_url
from features.schema import TABLES
from features.training_set import DATA_END_COLUMNS

if TYPE_CHECKING:
    import duckdb

PARQUET_ENDING = next(s for s in CANONICAL_SUFFIXES if s in PARQUET_SUFFIXES)
"""The one of :data:`~features.ingest.readers.CANONICAL_SUFFIXES` that DuckDB reads for
one lead (:func:`_parquet_folder`); folders with other kinds go through read_source."""


def account_rows(raw: dict[str, pd.DataFrame], contact_id: str) -> dict[str, pd.DataFrame]:
    """Cut source frames down to one lead's account (see the module docstring).

    Args:
        raw: Frames per canonical table (canonical column names), e.g. from
            :func:`features.ingest.read_source`.

    Returns:
        The same tables holding only the lead's account's rows, in source order.
    """
    contacts = raw["contacts"]
    ids_col = contacts["contact_id"].astype("string")
    # A flat export maps no account: its contacts have no account_id, its other tables no rows.
    accounts_col = _column(contacts, "account_id")
    accounts = _distinct(accounts_col[(ids_col == contact_id).fillna(False)])
    ids = [contact_id, *_distinct(ids_col[accounts_col.isin(accounts).fillna(False)])]
    keep = {
        "contacts": (ids_col.isin(ids) | accounts_col.isin(accounts)).fillna(False),
        "accounts": _column(raw["accounts"], "account_id").isin(accounts),
        "activities": _column(raw["activities"], "contact_id").isin(ids),
        "outcomes": _column(raw["outcomes"], "contact_id").isin(ids),
    }
    return {name: raw[name].loc[keep[name].fillna(False).to_numpy()] for name in TABLES}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """``frame[name]`` as text, or all missing when the table does not map that column."""
    if name in frame.columns:
        return frame[name].astype("string")
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _distinct(values: pd.Series) -> list[str]:
    return sorted({str(v) for v in values.dropna()})


@dataclass(frozen=True)
class LeadRows:
    """One lead's account's rows and where the whole source's data ends.

    Attributes:
        tables: Unvalidated frames per canonical table (:func:`account_rows`).
        data_end: The latest timestamp of the whole source (contact creations, activities,
            outcomes) not after ``now``, or None when it holds none.
        now: Timestamps after this are in the future: validating ``tables`` with it gives
            the verdicts ``data_end`` assumed.
    """

    tables: dict[str, pd.DataFrame]
    data_end: pd.Timestamp | None
    now: pd.Timestamp


def read_lead(
    source: str | Path,
    contact_id: str,
    mapping: ColumnMapping | None = None,
    *,
    now: pd.Timestamp | None = None,
) -> LeadRows:
    """One lead's account's rows of ``source`` and the source's data end (see the module
    docstring).

    Args:
        source: A folder of canonical tables, an export file (with ``mapping``) or a
            database URL, as for :func:`features.ingest.ingest`.
        mapping: The export's column mapping (None: canonical names), which also gives a
            CSV file's delimiter and encoding (else sniffed, and UTF-8).
        now: Timestamps after this are future-dated, as for
            :func:`features.ingest.validation.validate_tables` (None: the current UTC
            time); they do not count towards the data end.

    Returns:
        The rows (unvalidated frames per canonical table), the data end and ``now``.

    Raises:
        KeyError: No contact row has this id.
        InputError: The source cannot be read.
    """
    stamp = utc_timestamp(pd.Timestamp.now(tz="UTC") if now is None else now)
    folder = _parquet_folder(source) if mapping is None else None
    if folder is not None:
        rows, ends = _filtered_parquet(folder, contact_id, stamp)
    else:
        raw = read_source(source, mapping)
        rows = account_rows(raw, contact_id)
        ends = [
            latest_accepted(raw[table][column], stamp) if column in raw[table] else None
            for table, column in DATA_END_COLUMNS.items()
        ]
    if rows["contacts"].empty:
        raise KeyError(f"contact {contact_id!r} is not in the contacts table of {source}")
    return LeadRows(rows, _latest(ends), stamp)


def latest_accepted(values: pd.Series, now: pd.Timestamp) -> pd.Timestamp | None:
    """The latest of ``values`` parsed as validation parses them (text maxima are not the
    latest times), leaving out the future-dated ones (after ``now``) it quarantines."""
    stamps = datetime_values(values)
    latest = stamps[stamps <= now].max()
    return None if pd.isna(latest) else pd.Timestamp(latest)


def _latest(values: list[object]) -> pd.Timestamp | None:
    """The latest of per-table maxima (timestamps or ISO 8601 text; None when none)."""
    known = [v for v in values if v is not None and not pd.isna(v)]
    stamps = datetime_values(pd.Series(known, dtype="object"))
    latest = stamps.max()
    return None if pd.isna(latest) else pd.Timestamp(latest)


def _parquet_folder(source: str | Path) -> Path | None:
    """``source`` when it is a folder whose tables are all ``<table>.parquet`` files.

    DuckDB reads only ``.parquet`` here (deliberately fewer kinds than the local engine):
    a folder holding a table in any other of
    :data:`features.ingest.readers.CANONICAL_SUFFIXES` is read by :func:`read_source`.
    """
    if is_database_url(source):
        return None
    path = Path(source)
    if not path.is_dir() or not (path / f"contacts{PARQUET_ENDING}").is_file():
        return None
    others = [s for s in CANONICAL_SUFFIXES if s != PARQUET_ENDING]
    other = [path / f"{n}{s}" for n in TABLES for s in others if (path / f"{n}{s}").is_file()]
    return None if other else path


def _filtered_parquet(
    folder: Path, contact_id: str, now: pd.Timestamp
) -> tuple[dict[str, pd.DataFrame], list[object]]:
    """:func:`account_rows` of a canonical Parquet folder, filtered inside DuckDB's scan,
    and each table's latest timestamp not after ``now``
    (:data:`~features.training_set.DATA_END_COLUMNS`)."""
    import duckdb

    con = duckdb.connect()
    try:
        contacts = folder / f"contacts{PARQUET_ENDING}"
        own = _select(con, contacts, "contact_id", [contact_id], columns=("account_id",))
        accounts = _distinct(own["account_id"].astype("string"))
        members = _select(con, contacts, "account_id", accounts, columns=("contact_id",))
        ids = [contact_id, *_distinct(members["contact_id"].astype("string"))]
        everyone = _select(con, contacts, "contact_id", ids, or_in=("account_id", accounts))
        out = {"contacts": everyone}
        for name, key, values in (
            ("accounts", "account_id", accounts),
            ("activities", "contact_id", ids),
            ("outcomes", "contact_id", ids),
        ):
            path = folder / f"{name}{PARQUET_ENDING}"
            out[name] = _select(con, path, key, values) if path.is_file() else empty_table(name)
        ends = [
            _column_max(con, folder / f"{t}{PARQUET_ENDING}", c, now)
            for t, c in DATA_END_COLUMNS.items()
        ]
    finally:
        con.close()
    return {name: out[name] for name in TABLES}, ends


def _column_max(
    con: duckdb.DuckDBPyConnection, path: Path, column: str, now: pd.Timestamp
) -> object:
    """The largest value of ``column`` in the Parquet file ``path`` not after ``now`` (None:
    no file, no such column or no value). A timestamp column is compared inside DuckDB
    (naive values are UTC, as validation reads them); any other type (text) is read and
    parsed by :func:`latest_accepted`. Parameterised; the column name is the schema's own."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file() or column not in (schema := pq.read_schema(path)).names:
        return None
    kind = schema.field(column).type
    if not pa.types.is_timestamp(kind):
        values = pq.read_table(path, columns=[column]).column(column).to_pandas()
        return latest_accepted(values, now)
    aware = kind.tz is not None
    bound = now.floor("us") if aware else now.floor("us").tz_localize(None)
    # DuckDB compares nanosecond columns with a bound parameter only after a cast
    micro = "TIMESTAMPTZ" if aware else "TIMESTAMP"
    row = con.execute(
        f'SELECT max("{column}") FROM read_parquet(?) WHERE CAST("{column}" AS {micro}) <= ?',
        [str(path), bound.to_pydatetime()],
    ).fetchone()
    return None if row is None else row[0]


def _select(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    column: str,
    values: Sequence[str],
    *,
    or_in: tuple[str, Sequence[str]] | None = None,
    columns: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Rows of ``path`` whose ``column`` is one of ``values`` (or ``or_in``'s column one of
    its values), with the dtypes :func:`pandas.read_parquet` gives the whole file.

    The query is parameterised (values are bound, never pasted into the SQL); the matching
    rows go through an in-memory Parquet buffer with the file's own schema, so categories,
    string and timestamp types come out exactly as from a full read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    conditions: list[tuple[str, list[str]]] = [(column, list(values))]
    if or_in is not None:
        conditions.append((or_in[0], list(or_in[1])))
    where = " OR ".join(
        f'"{name}" IN ({", ".join("?" * len(vals))})' for name, vals in conditions if vals
    )
    params = [str(path)] + [v for _, vals in conditions for v in vals]
    select = ", ".join(f'"{c}"' for c in columns) if columns else "* EXCLUDE (file_row_number)"
    # DuckDB returns matches in no set order; the file's own order is the full read's
    query = (
        f"SELECT {select} FROM read_parquet(?, file_row_number = true) "
        f"WHERE {where or 'FALSE'} ORDER BY file_row_number"
    )
    table = con.sql(query, params=params).to_arrow_table()
    if table is None:  # a SELECT always has a result set; None would be a DuckDB bug
        raise RuntimeError(f"DuckDB returned no result for {path}")
    schema = pq.read_schema(path)
    if columns:
        schema = pa.schema([schema.field(c) for c in columns], metadata=None)
    buffer = io.BytesIO()
    pq.write_table(table.cast(schema), buffer)
    return pd.read_parquet(io.BytesIO(buffer.getvalue()))
