"""Column types of a flat table never seen before, and the model matrix they give.

:func:`infer_table_types` looks at every column once and decides (like ``fit``) what it
is: a number, a yes/no flag, a date, a category, or a column to leave out (empty,
constant, id-like, free text); :func:`features.typed.typed_features` applies them (like
``transform``) to the same or a new table. Every decision carries a readable reason, so
the caller can report it.

Rules, in order, on the non-blank values of a text column (blanks: see
:mod:`features.blanks`): all blank -> excluded; any e-mail address or phone number ->
excluded as personal data (:mod:`features.personal`); one distinct value and no blanks ->
excluded (constant); every value a yes/no word -> boolean; at least ``numeric_min_share``
numbers -> numeric (integers that are all distinct -> excluded as id-like); at least
``date_min_share`` dates -> date (features: days before the latest date, month; never
the raw value); at most ``max_category_levels`` levels and not nearly one level per row
-> category (levels differing only in case or spaces merged into the most frequent
spelling); anything else -> excluded as free text or an id. Non-text columns (Parquet)
keep their numeric, boolean or datetime type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from features.blanks import BLANK_MARKERS, blank_mask, detect_placeholders, stripped_strings
from features.parse import best_date_format, parse_dates, parse_numbers, yes_no_pair
from features.personal import personal_data_reason

Kind = Literal["numeric", "boolean", "date", "category", "excluded"]
_FORBIDDEN = str.maketrans({c: "_" for c in '[]{}:,"'})


class InferSettings(BaseModel):
    """Thresholds of type inference (validated once; ``train`` and ``fit-table`` read them
    from ``--infer FILE`` and record them in the run configuration).

    Attributes:
        blank_markers: Values meaning blank (compared stripped, lower-cased).
        placeholder_min_columns: Columns a prompt-like value ("Select") must occur in to
            be treated as blank.
        placeholders_as_missing: Treat detected placeholders as blank (else a level).
        numeric_min_share: Share of non-blank values that must be numbers.
        date_min_share: Share of non-blank values that must be dates.
        max_category_levels: More distinct values than this: free text, left out.
        max_unique_share: Distinct values over non-blank rows above this (with at least
            ``min_rows_id_like`` rows): an id or free text, left out.
        min_rows_id_like: Fewer non-blank rows than this: never called id-like.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    blank_markers: tuple[str, ...] = BLANK_MARKERS
    placeholder_min_columns: int = Field(default=3, ge=1)
    placeholders_as_missing: bool = True
    numeric_min_share: float = Field(default=0.95, gt=0.5, le=1.0)
    date_min_share: float = Field(default=0.95, gt=0.5, le=1.0)
    max_category_levels: int = Field(default=100, ge=2)
    max_unique_share: float = Field(default=0.5, gt=0.0, le=1.0)
    min_rows_id_like: int = Field(default=50, ge=2)

    def blank_words(self) -> tuple[str, ...]:
        """:attr:`blank_markers` lower-cased, as every blank check compares them."""
        return tuple(m.lower() for m in self.blank_markers)


@dataclass(frozen=True)
class ColumnType:
    """What one column is and how it becomes model features.

    Attributes:
        kind: numeric, boolean, date, category, or excluded.
        reason: Why (readable, with the numbers).
        features: Model-matrix columns made from it (empty when excluded).
        n_blank: Blank values (missing or a blank marker).
        n_unparseable: Non-blank values that could not be read as the kind (set missing);
            counted for numeric and date text columns, 0 for the other kinds (a boolean or
            category column reads every value, a typed Parquet column has nothing to parse).
        spellings: Lower-cased stripped value -> level (category columns).
        yes_no: (true word, false word) (boolean text columns).
        thousands: Commas read as thousands separators (numeric text columns).
        date_format: Format the dates were read with (date text columns).
        date_reference: Latest date seen, ISO text (date columns).
    """

    name: str
    kind: Kind
    reason: str
    features: tuple[str, ...] = ()
    n_blank: int = 0
    n_unparseable: int = 0
    levels: tuple[str, ...] = ()
    spellings: dict[str, str] = field(default_factory=dict)
    yes_no: tuple[str, str] | None = None
    thousands: bool = False
    date_format: str | None = None
    date_reference: str | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (no data values besides category level count)."""
        out = asdict(self)
        out.pop("spellings")
        out["levels"] = len(self.levels)
        out["features"] = list(self.features)
        return out


@dataclass(frozen=True)
class TableTypes:
    """The decisions for every column of a table.

    Attributes:
        columns: Column name -> its :class:`ColumnType`, in table order.
        blanks: Effective blank words (markers plus detected placeholders), lower-case.
        placeholders: Placeholder value -> columns it occurs in.
    """

    columns: dict[str, ColumnType]
    blanks: tuple[str, ...]
    placeholders: dict[str, list[str]]

    @property
    def excluded(self) -> dict[str, str]:
        """Excluded column -> reason."""
        return {n: c.reason for n, c in self.columns.items() if c.kind == "excluded"}

    def feature_source(self) -> dict[str, str]:
        """Model-matrix column -> the table column it comes from."""
        return {f: n for n, c in self.columns.items() for f in c.features}


def is_id_like(n_distinct: int, n_rows: int, settings: InferSettings) -> bool:
    """Whether a text column with ``n_distinct`` values in ``n_rows`` non-blank rows is an
    id or free text: nearly one value per row (more than ``max_unique_share`` of the rows),
    judged only with at least ``min_rows_id_like`` rows (a small export is never id-like).

    The one rule for kept columns (:func:`features.fit.spec_for_data`) and type inference.

    Args:
        n_distinct: Distinct non-blank values.
        n_rows: Non-blank rows.
        settings: The run's type inference settings.

    Returns:
        True when the column is to be left out as an id or free text.
    """
    return n_rows >= settings.min_rows_id_like and n_distinct > settings.max_unique_share * n_rows


def merged_spellings(counts: pd.Series) -> pd.Series:
    """Spellings differing only in case merged: lower-cased value -> its most frequent
    spelling.

    Args:
        counts: ``value_counts()`` of a column's stripped non-blank text (most frequent
            first, as ``value_counts`` orders them).

    Returns:
        One entry per distinct value as type inference counts it.
    """
    return pd.Series(counts.index, index=counts.index.str.lower()).groupby(level=0).first()


def distinct_count(values: pd.Series) -> int:
    """Distinct non-missing values of a text column as type inference counts them:
    surrounding spaces stripped and spellings differing only in case merged.

    The one count :func:`is_id_like` is given, by type inference and by
    :func:`features.fit.spec_for_data`, so a column gets the same verdict in both.

    Args:
        values: One text column (missing values are not counted).
    """
    return len(merged_spellings(stripped_strings(values).value_counts()))


def feature_name(text: str) -> str:
    """A model-matrix column name LightGBM accepts (``[]{}:,"`` become ``_``)."""
    return str(text).translate(_FORBIDDEN)


def _typed_column(
    name: str, values: pd.Series, n_blank: int, s: InferSettings
) -> ColumnType | None:
    """Decision for a column that already has a non-text dtype (Parquet), else None."""
    dtype = values.dtype
    present = values.dropna()
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnType(name, "boolean", "boolean column", (feature_name(name),), n_blank)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        latest = pd.to_datetime(present, utc=True).max()
        return _date_type(name, n_blank, 0, None, latest)
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = present.astype("float64")
        return _number_type(name, numbers, n_blank, 0, False, s.min_rows_id_like)
    return None


def _number_type(
    name: str, numbers: pd.Series, n_blank: int, n_bad: int, thousands: bool, min_rows: int
) -> ColumnType:
    integral = bool(np.all(np.mod(numbers.to_numpy(), 1) == 0))
    if integral and numbers.is_unique and len(numbers) >= min_rows:
        reason = f"id-like: {len(numbers):,} distinct whole numbers, one per row"
        return ColumnType(name, "excluded", reason, n_blank=n_blank)
    reason = "numbers" + (" (commas read as thousands separators)" if thousands else "")
    if n_bad:
        reason += f"; {n_bad} unreadable value(s) set missing"
    return ColumnType(
        name, "numeric", reason, (feature_name(name),), n_blank, n_unparseable=n_bad,
        thousands=thousands,
    )  # fmt: skip


def _date_type(
    name: str, n_blank: int, n_bad: int, date_format: str | None, latest: pd.Timestamp
) -> ColumnType:
    base = feature_name(name)
    reason = "dates" + (f" ({date_format})" if date_format else "")
    reason += "; used as days before the latest date and month, never raw"
    if n_bad:
        reason += f"; {n_bad} unreadable value(s) set missing"
    return ColumnType(
        name,
        "date",
        reason,
        (f"{base}_days_before_latest", f"{base}_month"),
        n_blank,
        n_unparseable=n_bad,
        date_format=date_format,
        date_reference=latest.isoformat(),
    )


def _text_type(name: str, text: pd.Series, n_blank: int, s: InferSettings) -> ColumnType:
    """Decision for a text column; ``text`` holds its non-blank stripped values."""
    counts = text.value_counts()
    lowered = counts.index.str.lower()
    pair = yes_no_pair(set(lowered))
    if pair is not None and len(counts) == 2:
        return ColumnType(
            name, "boolean", f"yes/no ({pair[0]}/{pair[1]})", (feature_name(name),), n_blank,
            yes_no=pair,
        )  # fmt: skip
    # Parse each distinct value once; shares are weighted by how often a value occurs.
    levels = pd.Series(counts.index, dtype="string")
    weight = counts.to_numpy()
    numbers, thousands = parse_numbers(levels)
    read = numbers.notna().to_numpy()
    if weight[read].sum() >= s.numeric_min_share * len(text):
        per_row = pd.Series(np.repeat(numbers.to_numpy()[read], weight[read]))
        bad = int(weight[~read].sum())
        return _number_type(name, per_row, n_blank, bad, thousands, s.min_rows_id_like)
    date_format, share = best_date_format(levels, weight)
    if date_format is not None and share >= s.date_min_share:
        stamps = parse_dates(levels, date_format)
        bad = int(weight[stamps.isna().to_numpy()].sum())
        return _date_type(name, n_blank, bad, date_format, stamps.max())
    # Merge spellings differing only in case: the most frequent spelling names the level.
    spelled = merged_spellings(counts)
    n_levels = len(spelled)
    if n_levels > s.max_category_levels or is_id_like(n_levels, len(text), s):
        reason = f"free text or an id: {n_levels:,} distinct values in {len(text):,} rows"
        return ColumnType(name, "excluded", reason, n_blank=n_blank)
    merged = len(counts) - n_levels
    reason = f"category with {n_levels} level(s)"
    reason += f"; {merged} spelling(s) differing only in case merged" if merged else ""
    return ColumnType(
        name, "category", reason, (feature_name(name),), n_blank,
        levels=tuple(sorted(spelled.tolist())), spellings=spelled.to_dict(),
    )  # fmt: skip


def infer_table_types(
    frame: pd.DataFrame,
    *,
    exclude: dict[str, str] | None = None,
    settings: InferSettings | None = None,
) -> TableTypes:
    """Decide the type of every column of ``frame``.

    Args:
        frame: The table as read (text columns as strings; Parquet dtypes are kept).
        exclude: Columns to leave out without looking -> reason (target, id, dropped).

    Returns:
        The decisions, one per column in table order.
    """
    s = settings or InferSettings()
    exclude = exclude or {}
    markers = s.blank_words()
    candidates = frame.drop(columns=[c for c in exclude if c in frame.columns])
    placeholders = detect_placeholders(candidates, markers, s.placeholder_min_columns)
    blanks = markers
    if s.placeholders_as_missing:
        blanks += tuple(p.lower() for p in placeholders if p.lower() not in markers)
    columns: dict[str, ColumnType] = {}
    for name in frame.columns:
        if name in exclude:
            columns[name] = ColumnType(name, "excluded", exclude[name])
            continue
        values = frame[name]
        blank = blank_mask(values, blanks)
        n_blank = int(blank.sum())
        present = values[~blank]
        if present.empty:
            reason = "empty: every value blank"
            columns[name] = ColumnType(name, "excluded", reason, n_blank=n_blank)
            continue
        personal = personal_data_reason(present)
        if personal is not None:  # before anything that could quote a value
            columns[name] = ColumnType(name, "excluded", personal, n_blank=n_blank)
            continue
        typed = _typed_column(name, values, n_blank, s)
        text = stripped_strings(present) if typed is None else None
        n_distinct = present.nunique() if text is None else distinct_count(text)
        if n_distinct == 1 and n_blank == 0:
            only = present.iloc[0]
            typed = ColumnType(name, "excluded", f"constant: every value is {only!r}")
        columns[name] = typed or _text_type(name, text, n_blank, s)
    return TableTypes(columns, blanks, placeholders)
