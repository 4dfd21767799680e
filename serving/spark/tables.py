"""The canonical CRM tables as Spark DataFrames: read, check and normalise them.

Inside Spark every canonical table keeps its canonical column names in a *transport*
form that Arrow hands to pandas without loss: text and categories as strings, booleans,
integers as longs, floats as doubles, and every datetime as a long of nanoseconds since
the epoch (UTC). Spark's own timestamps hold microseconds and arrive in pandas UDFs as
naive values in the session zone; epoch nanoseconds carry exactly what the local engine
reads (including ``as_of - 1 ns``), whatever the cluster's time zone.

The Spark path expects tables that passed ``leadscore validate`` (or the warehouse's own
checks): it checks the schema (required columns, usable types) and the keys the local
engine also refuses (empty or duplicate ``contact_id``), with errors naming the table and
column; it does not run the Great Expectations row suite (see the README, "Spark").
The contacts table also carries the extra columns the scorer reads
(:func:`extra_contact_columns`: those of the feature spec, the columns a mapping kept
that the scorer was trained on, and those its rulebook declares under ``extra_columns``);
other extra columns are left out. An extra column travels as the kind the tables hold it
in (:func:`carried_type`: text as strings, numbers as doubles, booleans as booleans), so
each bucket's local code reads it exactly as the local engine reads the same table (the
rule scorer parses ``1,250`` as 1250 and counts what does not parse; a category feature
reads the number 120 as ``120``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.ingest.readers import CANONICAL_SUFFIXES, PARQUET_SUFFIXES
from features.schema import CONTACTS, TABLES, Table
from features.spec import FeatureSpec
from models.frames import text_or_none
from rules import Rulebook

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

NAT_NS = int(np.iinfo(np.int64).min)
"""Epoch-ns of a missing datetime in transport form (what ``NaT`` is in pandas)."""
TABLE_PREFIX = "table:"
_SIMPLE = {"string": "string", "category": "string", "bool": "boolean", "int": "bigint"}


@dataclass(frozen=True)
class SparkTables:
    """The four canonical tables in transport form (see the module docstring)."""

    contacts: DataFrame
    accounts: DataFrame
    activities: DataFrame
    outcomes: DataFrame

    def table(self, name: str) -> DataFrame:
        """The table called ``name``."""
        frame: DataFrame = getattr(self, name)
        return frame


RULEBOOK_TRANSPORT: dict[str, str] = {
    "int": "double",
    "float": "double",
    "bool": "boolean",
    "string": "string",
    "category": "string",
}
"""Transport type of a column a rulebook declares under ``extra_columns``, per declared type."""


def extra_contact_columns(
    spec: FeatureSpec | None, rulebook: Rulebook | None = None
) -> dict[str, str]:
    """The non-canonical contacts columns the scorer reads, with their transport type.

    The one list every Spark path keeps (reading, transport, the per-bucket unpack, the
    feature schema): the spec's ``fit.passthrough_numeric`` (``double``) and
    ``fit.passthrough_categorical`` (``string``) columns that are not canonical (the
    columns a mapping kept, which training adds to the default spec,
    :func:`features.fit.spec_for_data`), then the rulebook's ``extra_columns`` the spec
    does not name, typed by :data:`RULEBOOK_TRANSPORT` (the declaration the local rule
    scorer reads, :func:`rules.vocabulary.variables_for`). A column both name keeps the
    spec's type: the model must see what it was trained on, and the rule scorer reads
    either form as locally. None: nothing from that side.
    """
    out: dict[str, str] = {}
    if spec is not None:
        fit = spec.fit
        kinds = [(c, "double") for c in fit.passthrough_numeric]
        kinds += [(c, "string") for c in fit.passthrough_categorical]
        out = {c: t for c, t in kinds if c not in CONTACTS.names}
    if rulebook is not None:
        for name, dtype in rulebook.extra_columns.items():
            if name not in CONTACTS.names:
                out.setdefault(name, RULEBOOK_TRANSPORT[dtype])
    return out


def carried_type(target: str, kind: str) -> str:
    """The transport type of an extra column held as ``kind`` (``text``, ``number``,
    ``boolean`` or anything else): text stays ``string``, numbers ``double``, booleans
    ``boolean``, whatever ``target`` says; only other kinds (timestamps) are cast to
    ``target``. The local code in each bucket then converts the column as the local
    engine converts the same table (numbers in text as validation reads them, numbers
    read as text ``120``, not ``120.0``); a Spark cast would read ``1,250`` as null and
    give ``120.0``."""
    return {"text": "string", "number": "double", "boolean": "boolean"}.get(kind, target)


def _spark_kind(kind: object) -> str:
    from pyspark.sql import types as T  # noqa: N812

    if isinstance(kind, T.StringType):
        return "text"
    if isinstance(kind, T.BooleanType):
        return "boolean"
    return "number" if isinstance(kind, T.NumericType) else "other"


def spark_type(table: Table, column: str) -> str:
    """Spark SQL type of a canonical column in transport form."""
    logical = table.column(column).dtype
    if logical == "datetime":
        return "bigint"
    return _SIMPLE.get(logical, "double")


def _datetime_ns(df: DataFrame, name: str, where: str) -> Column:
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql import types as T  # noqa: N812

    kind = df.schema[name].dataType
    col = F.col(f"`{name}`")
    if isinstance(kind, T.LongType | T.IntegerType):
        return col.cast("bigint")  # Parquet TIMESTAMP(NANOS) read as epoch ns
    if isinstance(kind, T.TimestampType | T.TimestampNTZType | T.DateType):
        return F.unix_micros(col.cast("timestamp")) * F.lit(1000)
    if isinstance(kind, T.StringType):
        return F.unix_micros(F.try_to_timestamp(col)) * F.lit(1000)
    raise ValueError(
        f"{where}: type {kind.simpleString()} cannot hold a datetime; store a timestamp, "
        "epoch nanoseconds or ISO-8601 text"
    )


def canonical_frame(
    df: DataFrame, table: Table, origin: str, extra: dict[str, str] | None = None
) -> DataFrame:
    """``df`` with the canonical columns of ``table`` in transport form, then ``extra``.

    Absent optional columns become nulls; other columns are left out.

    Args:
        extra: Non-canonical columns to keep, name -> Spark type
            (:func:`extra_contact_columns`; carried in the kind the source holds,
            :func:`carried_type`).

    Raises:
        ValueError: A required or ``extra`` column is missing, or a column's type cannot be
            converted; the message names the source, table and column.
    """
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql import types as T  # noqa: N812

    missing = [c for c in table.required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{origin}: table {table.name} lacks required column(s) {missing}; "
            f"it has {sorted(df.columns)}"
        )
    cols = []
    for column in table.columns:
        where = f"{origin}: {table.name}.{column.name}"
        target = spark_type(table, column.name)
        if column.name not in df.columns:
            cols.append(F.lit(None).cast(target).alias(column.name))
            continue
        kind = df.schema[column.name].dataType
        if isinstance(kind, T.StructType | T.ArrayType | T.MapType | T.BinaryType):
            raise ValueError(f"{where}: nested type {kind.simpleString()} is not a {target}")
        if column.dtype == "datetime":
            value = _datetime_ns(df, column.name, where)
        else:
            value = F.col(f"`{column.name}`").cast(target)
        cols.append(value.alias(column.name))
    for name, target in (extra or {}).items():
        if name not in df.columns:
            raise ValueError(
                f"{origin}: {table.name}.{name} is missing, and the scorer reads it (a "
                "column the mapping kept when the scorer was trained, or one its rulebook "
                "declares under extra_columns): write the tables with it (leadscore "
                "validate --mapping ... --write-accepted) or score with a scorer that does "
                "not read it"
            )
        carried = carried_type(target, _spark_kind(df.schema[name].dataType))
        cols.append(F.col(f"`{name}`").cast(carried).alias(name))
    return df.select(*cols)


def check_contact_keys(contacts: DataFrame, origin: str) -> None:
    """Raise like the local engine for empty or duplicate ``contact_id`` values.

    Raises:
        ValueError: Naming the count and one offending id.
    """
    from pyspark.sql import functions as F  # noqa: N812

    empty = contacts.where(F.col("contact_id").isNull() | (F.trim("contact_id") == "")).count()
    if empty:
        raise ValueError(
            f"{origin}: contacts.contact_id is empty in {empty} row(s); "
            "validate the tables first (leadscore validate)"
        )
    dup = contacts.groupBy("contact_id").count().where("count > 1").limit(1).collect()
    if dup:
        raise ValueError(
            f"{origin}: contacts.contact_id: duplicate id {dup[0]['contact_id']!r}; "
            "validate the tables first (leadscore validate)"
        )


def _empty(spark: SparkSession, table: Table) -> DataFrame:
    schema = ", ".join(f"`{c}` {spark_type(table, c)}" for c in table.names)
    return spark.createDataFrame([], schema)


def table_location(folder: Path, name: str) -> tuple[Path, Literal["parquet", "csv"]] | None:
    """Where table ``name`` of a canonical folder is, and how Spark reads it.

    The file endings are :data:`features.ingest.readers.CANONICAL_SUFFIXES`, the ones the
    local engine reads in such a folder (so no table is seen by one engine and not the
    other), Parquet first; a folder ``name/`` (a table Spark wrote in parts) comes right
    after the Parquet files.

    Returns:
        The path and ``parquet`` or ``csv`` (Spark reads ``.csv.gz`` as CSV), or None.
    """
    parquet = [folder / f"{name}{s}" for s in CANONICAL_SUFFIXES if s in PARQUET_SUFFIXES]
    for candidate in (*parquet, folder / name):
        if candidate.exists():
            return candidate, "parquet"
    for suffix in CANONICAL_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if suffix not in PARQUET_SUFFIXES and path.is_file():
            return path, "csv"
    return None


def _read_file_table(spark: SparkSession, folder: Path, name: str) -> DataFrame | None:
    found = table_location(folder, name)
    if found is None:
        return None
    path, kind = found
    if kind == "parquet":
        return spark.read.parquet(str(path))
    return spark.read.option("header", True).option("inferSchema", False).csv(str(path))


def read_spark_tables(
    spark: SparkSession,
    data: str,
    spec: FeatureSpec | None = None,
    rulebook: Rulebook | None = None,
) -> SparkTables:
    """Read the canonical tables for the Spark engine.

    Args:
        data: A folder holding ``contacts``/``accounts``/``activities``/``outcomes`` as
            ``.parquet`` files or folders (or ``.csv``), or ``table:<db>.<prefix>`` for
            catalog tables ``<db>.<prefix>contacts`` etc.
        spec: The feature spec the tables are read for (the scorer's): the contacts keep
            the extra columns it reads (:func:`extra_contact_columns`). None: none.
        rulebook: The rulebook they are scored with (the scorer's): the contacts also keep
            the columns it declares under ``extra_columns``. None: none.

    Returns:
        The tables in transport form; absent optional tables are empty.

    Raises:
        ValueError: No contacts table, a missing required or spec column or an unusable
            type.
    """
    frames: dict[str, DataFrame | None] = {}
    if data.startswith(TABLE_PREFIX):
        prefix = data.removeprefix(TABLE_PREFIX)
        for name in TABLES:
            exists = spark.catalog.tableExists(f"{prefix}{name}")
            frames[name] = spark.table(f"{prefix}{name}") if exists else None
    else:
        folder = Path(data)
        if not folder.is_dir():
            raise ValueError(
                f"{data}: not a folder; --engine spark reads a folder of canonical Parquet/CSV "
                "tables or table:<db>.<prefix> catalog tables"
            )
        frames = {name: _read_file_table(spark, folder, name) for name in TABLES}
    if frames["contacts"] is None:
        raise ValueError(
            f"{data}: no contacts table (contacts.parquet, contacts/ or contacts.csv, or "
            "<prefix>contacts in the catalog); name the tables after the canonical ones"
        )
    extra = {"contacts": extra_contact_columns(spec, rulebook)}
    out = {
        name: _empty(spark, TABLES[name])
        if df is None
        else canonical_frame(df, TABLES[name], data, extra.get(name))
        for name, df in frames.items()
    }
    return SparkTables(**out)


def transport_pandas(
    frame: pd.DataFrame, table: Table, extra: dict[str, str] | None = None
) -> pd.DataFrame:
    """A canonical pandas table in transport form (datetimes as epoch ns, no categories),
    with the ``extra`` columns (name -> ``double``, ``boolean`` or ``string``; text stays
    text, :func:`extra_types`) after the canonical ones."""
    out: dict[str, object] = {}
    for column in table.columns:
        values = frame.get(column.name, pd.Series(pd.NA, index=frame.index))
        if column.dtype == "datetime":
            stamps = pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
            out[column.name] = stamps.array.asi8.copy()
        elif column.dtype in ("string", "category"):
            out[column.name] = text_or_none(values)
        elif column.dtype == "bool":
            out[column.name] = _booleans(values)
        elif column.dtype == "int":
            out[column.name] = values.astype("Int64").astype(object).where(values.notna(), None)
        else:
            out[column.name] = values.astype("float64")
    for name, target in extra_types(frame, extra).items():
        values = frame[name]
        if target == "double":
            out[name] = values.astype("float64")
        elif target == "boolean":
            out[name] = _booleans(values)
        else:
            out[name] = text_or_none(values)
    return pd.DataFrame(out).reset_index(drop=True)


def _booleans(values: pd.Series) -> pd.Series:
    return values.astype("boolean").astype(object).where(values.notna(), None)


def extra_types(frame: pd.DataFrame, extra: dict[str, str] | None) -> dict[str, str]:
    """The transport types of ``extra`` for the columns of a pandas ``frame``
    (:func:`carried_type`; a column that is not a number, boolean or datetime is text)."""
    out = {}
    for name, target in (extra or {}).items():
        dtype = frame[name].dtype if name in frame.columns else None
        if dtype is None or pd.api.types.is_datetime64_any_dtype(dtype):
            kind = "other"
        elif pd.api.types.is_bool_dtype(dtype):
            kind = "boolean"
        elif pd.api.types.is_numeric_dtype(dtype):
            kind = "number"
        else:
            kind = "text"
        out[name] = carried_type(target, kind)
    return out


def spark_tables_from_pandas(
    spark: SparkSession,
    tables: CrmTables,
    spec: FeatureSpec | None = None,
    rulebook: Rulebook | None = None,
) -> SparkTables:
    """Canonical pandas tables as :class:`SparkTables` (tests, benchmarks, notebooks), the
    contacts with the extra columns ``spec`` and ``rulebook`` read (as
    :func:`read_spark_tables`).

    Raises:
        ValueError: The contacts lack one of those columns (naming it).
    """
    out = {}
    extras = {"contacts": extra_contact_columns(spec, rulebook)}
    for name, table in TABLES.items():
        frame = tables.table(name)
        missing = [c for c in extras.get(name, {}) if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{name} lack column(s) {missing} that the feature spec or the rulebook "
                "reads; keep them in the mapping (keep_extra)"
            )
        extra = extra_types(frame, extras.get(name))
        pdf = transport_pandas(frame, table, extra)
        types = {c: spark_type(table, c) for c in table.names} | extra
        schema = ", ".join(f"`{c}` {t}" for c, t in types.items())
        out[name] = spark.createDataFrame(pdf, schema) if len(pdf) else _empty(spark, table)
    return SparkTables(**out)
