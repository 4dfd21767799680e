"""The type of the extra columns a table carries beyond the canonical ones (``keep_extra``).

A column a mapping keeps from a CSV arrives as text. One rule decides, in validation, for
every path that reads the accepted tables (training, the local engine, the rules, and
Spark through the Parquet tables ``--write-accepted`` writes): a text column that
:func:`features.infer.infer_table_types` calls numeric, with the thresholds flat exports
are typed with (:class:`features.infer.InferSettings`: at least ``numeric_min_share`` of
its non-blank values read as numbers by :func:`features.parse.parse_numbers`, ``1,250``
is 1250; not whole numbers all distinct, which is an id), becomes ``float64``. Blanks
(``""``, ``N/A``, ``-``, ... :mod:`features.blanks`) are missing. A value that is not a
number becomes missing too, and its row is kept and reported as a warning (rule
:data:`EXTRA_NUMBER_RULE`, with the file and line). Every other extra column stays as it
came: categories, yes/no words and dates stay text (a rulebook's ``extra_columns``
reads those as it declares), Parquet dtypes are kept. A mapping's ``extra_types`` pins a
kept text column: ``number`` (read as numbers whatever the share, the same warnings),
``text`` (left as text).

Scoring reads the type training decided: :func:`trained_extra_types` takes each kept
column's type from the validated training tables (the scorer stores it,
:meth:`serving.scorer.LeadScorer.read_settings`), and :func:`pins_as_trained` pins it on
every batch the scorer reads, as a mapping's ``extra_types`` pins do, so a few rows of one
account type a column as the whole training export did. A mapping pin that contradicts
training's decision is refused (:class:`~features.ingest.readers.InputError`). Tables that
reach a scorer without this validation (Spark's buckets of Parquet tables) get the same
types from :func:`as_trained`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from features.blanks import blank_mask
from features.crm import CrmTables
from features.infer import InferSettings, infer_table_types
from features.ingest.coerce import number_values
from features.ingest.quarantine import Failure, reasons_from, shown_values
from features.ingest.readers import CARRIED_COLUMNS, InputError
from features.parse import numbers_as_text
from features.schema import TABLES, Table

EXTRA_NUMBER_RULE = "coerce_extra_to_number"
"""Rule name of a kept column's value that is not a number, in a column read as numbers."""


def trained_extra_types(tables: CrmTables) -> dict[str, dict[str, str]]:
    """The type validation gave each kept extra column of the training tables.

    Args:
        tables: The validated training tables.

    Returns:
        Table name -> (column -> ``number`` for a numeric column, ``text`` for a text
        one), for every table with kept columns; columns of other dtypes (Parquet
        booleans, datetimes) are left out: validation does not type them.
    """
    out: dict[str, dict[str, str]] = {}
    for name, table in TABLES.items():
        frame = tables.table(name)
        kinds = {}
        for column in frame.columns:
            if column in table.names or column in CARRIED_COLUMNS:
                continue
            dtype = frame[column].dtype
            if pd.api.types.is_bool_dtype(dtype):
                continue
            if pd.api.types.is_numeric_dtype(dtype):
                kinds[column] = "number"
            elif pd.api.types.is_string_dtype(dtype):
                kinds[column] = "text"
        if kinds:
            out[name] = kinds
    return out


def pins_as_trained(
    label: str, pinned: Mapping[str, str] | None, trained: Mapping[str, str] | None
) -> dict[str, str] | None:
    """A table's ``extra_types`` pins with training's decided types added.

    Args:
        label: The table as messages name it (file and table).
        pinned: The mapping's ``extra_types`` (column -> ``number`` or ``text``).
        trained: The scorer's stored types of the table's kept columns
            (:func:`trained_extra_types`; None: a scorer without them, or training).

    Returns:
        Column -> type; None when neither side pins anything.

    Raises:
        InputError: The mapping pins a column to another type than training decided.
    """
    if not trained:
        return dict(pinned) if pinned else None
    pinned = pinned or {}
    for column, kind in pinned.items():
        decided = trained.get(column)
        if decided is not None and decided != kind:
            raise InputError(
                f"{label}: the mapping pins extra_types {column}: {kind}, but the scorer was "
                f"trained with {column} read as {decided}; retrain with this mapping "
                f"(leadscore train --mapping ...) or drop the {column} pin from extra_types"
            )
    return {**trained, **pinned}


def as_trained(
    frame: pd.DataFrame,
    trained: Mapping[str, str] | None,
    settings: InferSettings | None = None,
) -> pd.DataFrame:
    """``frame`` with its kept columns in training's types, for a table that did not pass
    the scorer's validation (one Spark bucket of tables ``validate`` wrote).

    A column training read as ``number`` and held as text is read as validation reads a
    pinned column (blanks and values that are not numbers missing); one training read as
    ``text`` and held as numbers becomes their text (``12``, not ``12.0``:
    :func:`features.parse.numbers_as_text`). Other columns are left as they are.

    Args:
        frame: One canonical table with its kept columns.
        trained: The scorer's stored types of the table's kept columns
            (:func:`trained_extra_types`; None: left as it is).
        settings: Inference settings (their blank words; None: the defaults).

    Returns:
        A new frame when a column changed, else ``frame``.
    """
    blanks = (settings or InferSettings()).blank_words()
    changed: dict[str, pd.Series] = {}
    for name, kind in (trained or {}).items():
        if name not in frame.columns:
            continue
        values = frame[name]
        if kind == "number" and pd.api.types.is_string_dtype(values.dtype):
            changed[name] = _read_as_numbers(values, blanks)[0]
        elif (
            kind == "text"
            and pd.api.types.is_numeric_dtype(values.dtype)
            and not pd.api.types.is_bool_dtype(values.dtype)
        ):
            changed[name] = numbers_as_text(values)
    return frame.assign(**changed) if changed else frame


def _read_as_numbers(values: pd.Series, blanks: tuple[str, ...]) -> tuple[pd.Series, np.ndarray]:
    """A kept text column read as numbers: ``float64``, blanks (``blanks``, lower case)
    and values that are not numbers missing; also the blank mask (the warnings count the
    rest)."""
    blank = blank_mask(values, blanks).to_numpy(dtype=bool)
    return number_values(values.mask(blank), integer=False).astype("float64"), blank


def numeric_extra_columns(
    frame: pd.DataFrame,
    table: Table,
    settings: InferSettings | None = None,
    pinned: dict[str, str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """The text extra columns of ``frame`` read as numbers, with their blank words.

    Args:
        frame: One table as mapped (canonical columns, extras, reader columns).
        table: Its canonical table (its columns are not extras).
        settings: Inference thresholds (None: the defaults of :class:`InferSettings`).
        pinned: The mapping's ``extra_types`` (column -> ``number`` or ``text``).

    Returns:
        Column -> the blank words (lower case) that count as missing in it.
    """
    pinned = pinned or {}
    extras = [
        c
        for c in frame.columns
        if c not in table.names
        and c not in CARRIED_COLUMNS
        and pd.api.types.is_string_dtype(frame[c].dtype)  # object columns included
    ]
    inferred = [c for c in extras if c not in pinned]
    out: dict[str, tuple[str, ...]] = {}
    if inferred and not frame.empty:
        types = infer_table_types(frame.loc[:, inferred], settings=settings)
        out = {c: types.blanks for c, t in types.columns.items() if t.kind == "numeric"}
    blanks = (settings or InferSettings()).blank_words()
    out |= {c: blanks for c in extras if pinned.get(c) == "number"}
    return out


def typed_extra_columns(
    parsed: pd.DataFrame,
    table: Table,
    raw: pd.DataFrame,
    settings: InferSettings | None = None,
    pinned: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Failure]]:
    """``parsed`` with its numeric text extras as ``float64`` (see the module docstring).

    Args:
        parsed: The table after :func:`features.ingest.coerce.parse_table` (positional
            index; extras untouched).
        raw: The same rows as they came in (for the reported values).
        settings: Inference thresholds (None: the defaults).
        pinned: The mapping's ``extra_types`` (column -> ``number`` or ``text``).

    Returns:
        The typed frame and one warning per column with values that are not numbers.
    """
    numeric = numeric_extra_columns(parsed, table, settings, pinned)
    if not numeric:
        return parsed, []
    out = parsed.copy()
    failures: list[Failure] = []
    for name, blanks in numeric.items():
        numbers, blank = _read_as_numbers(parsed[name], blanks)
        out[name] = numbers
        rows = np.flatnonzero(~blank & numbers.isna().to_numpy(dtype=bool))
        if len(rows):
            shown = shown_values(raw, rows, name, table)
            reasons = reasons_from([f"{name} '", shown, "' is not a number"], len(rows))
            read = int((~blank).sum()) - len(rows)
            message = (
                f"{name} is read as numbers ({read} of its values are); values that are not "
                "numbers are set missing, rows kept: fix them in the export, or list words "
                "meaning missing under null_values in the mapping"
            )
            failures.append(Failure(EXTRA_NUMBER_RULE, name, rows, reasons, "warning", message))
    return out, failures
