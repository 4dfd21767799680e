"""Coercion of normalised columns to the canonical pandas dtypes of features.schema.

Two steps, because validation has to see a disallowed category before it is lost:

1. :func:`parse_table` converts every canonical column to its typed form (datetimes
   ``datetime64[ns, UTC]``, ``Int64``, ``float64``, ``boolean``, ``string``), leaving
   category columns as text, and reports per column which present values could not be
   converted ("31/02/2026", "many", "maybe"). Those values become missing in the
   parsed frame; the caller quarantines their rows.
2. :func:`to_canonical` turns the accepted rows into the final dtypes, categories as
   pandas categoricals over the schema's vocabulary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.ingest.convert import in_ns_range, parse_datetimes
from features.parse import parse_numbers
from features.schema import PANDAS_DTYPES, Column, Table

COERCE_RULES: dict[str, str] = {
    "datetime": "coerce_to_datetime",
    "int": "coerce_to_int",
    "float": "coerce_to_float",
    "bool": "coerce_to_bool",
}
"""Rule name reported for a value that cannot be converted, per logical type."""

EXPECTED_FORM: dict[str, str] = {
    "datetime": "an ISO 8601 timestamp such as 2026-03-01T10:00:00Z (or set "
    "datetime_format in the column mapping)",
    "int": "a whole number such as 250",
    "float": "a number such as 1200.50 (a dot as decimal separator)",
    "bool": "yes/no, true/false, y/n or 1/0",
}
"""What a value of each logical type should look like, for quarantine reasons."""


def parse_table(frame: pd.DataFrame, table: Table) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Convert the canonical columns of a normalised table to their typed form (step 1).

    Args:
        frame: Output of :func:`features.ingest.normalise.normalise_table` (every
            canonical column present).

    Returns:
        ``(parsed, failed)``: ``parsed`` has the same index and columns (extras untouched);
        ``failed`` marks, per column with a failure, the rows whose value did not convert.
    """
    parsed = frame.copy()
    failed: dict[str, np.ndarray] = {}
    for column in table.columns:
        values, bad = typed_values(frame[column.name], column)
        parsed[column.name] = values
        if bad.any():
            failed[column.name] = bad
    return parsed, failed


def typed_values(values: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray]:
    """One column in its typed form and the mask of values that did not convert."""
    if column.dtype == "datetime":
        typed = datetime_values(values)
    elif column.dtype in ("int", "float"):
        typed = number_values(values, integer=column.dtype == "int")
    elif column.dtype == "bool":
        typed = _bool_values(values)
    else:
        typed = values.astype("string")
    bad = (values.notna() & typed.isna()).to_numpy(dtype=bool)
    return typed, bad


def _bool_values(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    if values.isna().all():
        return pd.Series(pd.NA, index=values.index, dtype="boolean")
    return values.map({True: True, False: False}).astype("boolean")  # leftovers -> NA


def datetime_values(values: pd.Series) -> pd.Series:
    """Timestamps as ``datetime64[ns, UTC]``; unparseable or out-of-range ones NaT.

    Naive timestamps are read as UTC (a mapping with a ``timezone`` has already
    converted its columns); text must be ISO 8601.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        stamps = values.dt.tz_localize("UTC")
    else:
        mixed = parse_datetimes(values)
        stamps = pd.to_datetime(mixed, errors="coerce", utc=True, format="ISO8601")
    return in_ns_range(stamps)


def unstorable_datetimes(values: pd.Series) -> np.ndarray:
    """Mask of ISO 8601 values that parse but lie outside what ``datetime64[ns]`` holds.

    ``0001-01-01`` and ``9999-12-31`` are valid ISO 8601: their rows are out of range,
    not "not ISO 8601".
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return np.zeros(len(values), dtype=bool)
    text = values.astype("string").str.strip()
    stamps = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    return (stamps.notna() & in_ns_range(stamps).isna()).to_numpy(dtype=bool)


def number_values(values: pd.Series, *, integer: bool) -> pd.Series:
    """Numbers as ``float64`` (``Int64`` when ``integer``); unparseable ones missing.

    Text is read by :func:`features.parse.parse_numbers` (the one definition): a comma is
    a thousands separator ("1,250,000") when every comma value of the column is grouped
    by threes; "1,5" is not a number (ambiguous: say ``scale`` or clean it in the
    mapping), and beside it no comma value is read. Infinite values and, for integers,
    fractional values ("2.5") count as unparseable.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("Int64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.astype("float64")
    else:
        numbers, _ = parse_numbers(values)
    usable = np.isfinite(numbers)
    if integer:
        usable &= numbers == np.floor(numbers)
        return numbers.where(usable).astype("Int64")
    return numbers.where(usable)


def to_canonical(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Accepted rows of a parsed table in the canonical dtypes (step 2), index 0..n-1.

    Categories are the schema's vocabulary (``Column.allowed``) when it is closed.
    """
    result = frame.reset_index(drop=True)
    dtypes: dict[str, str] = {}
    for column in table.columns:
        if column.dtype == "category":
            result[column.name] = categorical_values(result[column.name], column.allowed)
        else:
            dtypes[column.name] = PANDAS_DTYPES[column.dtype]
    return result.astype(dtypes)


def categorical_values(values: pd.Series, allowed: tuple[str, ...] | None) -> pd.Series:
    """A pandas categorical over ``allowed`` (or the values seen, when None).

    Built from the distinct values (factorize) rather than by matching every row
    against the categories, which is several times faster on millions of rows. Values
    outside ``allowed`` become missing: validation has quarantined them before.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    if allowed is None:
        allowed = tuple(sorted(str(v) for v in distinct))
    lookup = pd.Index(list(allowed)).get_indexer(pd.Index(distinct, dtype=object))
    cat_codes = np.where(codes >= 0, lookup[codes] if len(lookup) else -1, -1)
    dtype = pd.CategoricalDtype(list(allowed))
    return pd.Series(pd.Categorical.from_codes(cat_codes, dtype=dtype), index=values.index)
