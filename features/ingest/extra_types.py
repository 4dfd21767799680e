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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.blanks import blank_mask
from features.infer import InferSettings, infer_table_types
from features.ingest.coerce import number_values
from features.ingest.quarantine import Failure, reasons_from, shown_values
from features.ingest.readers import CARRIED_COLUMNS
from features.schema import Table

EXTRA_NUMBER_RULE = "coerce_extra_to_number"
"""Rule name of a kept column's value that is not a number, in a column read as numbers."""


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
    blanks = tuple(m.lower() for m in (settings or InferSettings()).blank_markers)
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
        values = parsed[name]
        blank = blank_mask(values, blanks).to_numpy(dtype=bool)
        numbers = number_values(values.mask(blank), integer=False)
        out[name] = numbers.astype("float64")
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
