"""Apply a column mapping: turn source frames into frames with canonical column names.

The output is what validation takes in: one frame per canonical table with the mapped
canonical columns first (in schema order), then the extra columns ``keep_extra`` asked
for (snake_case names). Values are converted only where the mapping says so (null
values, value maps, timestamps, scales); a value that fails to convert keeps its raw
form (see :mod:`features.ingest.convert`). No row is dropped except by a ``row_filter``.
"""

from __future__ import annotations

import logging

import pandas as pd

from features.crm import empty_table
from features.ingest.convert import (
    map_values,
    parse_datetimes,
    scale_numbers,
    snake_case,
    template_values,
    tidy_dtype,
)
from features.ingest.mapping_checks import ROW_NUMBER, template_columns
from features.ingest.mapping_config import ColumnMapping, ColumnSpec, TableMapping
from features.ingest.mapping_events import one_row_per, order_column
from features.ingest.readers import (
    CARRIED_COLUMNS,
    RAGGED_COLUMN,
    SOURCE_STAGE_COLUMN,
    InputError,
)
from features.schema import TABLES, Column

logger = logging.getLogger(__name__)

EXTRA_TYPES_ATTR = "extra_types"
"""The attrs key of a mapped frame holding its table's ``extra_types`` pins."""
SOURCE_STAGE_ATTR = "source_stage"
"""The attrs key of a mapped frame naming the source column its
:data:`~features.ingest.readers.SOURCE_STAGE_COLUMN` holds."""
SOURCE_COLUMNS_ATTR = "source_columns"
"""The attrs key of a mapped frame holding ``{canonical column: source column}`` of the
columns the mapping reads from one source column (validation's messages name them)."""


def apply_mapping(
    mapping: ColumnMapping, frames: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Build the canonical tables from source frames.

    Args:
        frames: Source frames keyed by the mapping's source names (the ``file`` or
            ``sql_table`` of each table's ``source``).

    Returns:
        ``{table name: frame}`` for every canonical table; tables the mapping does not
        define are :func:`features.crm.empty_table`.

    Raises:
        InputError: Every missing source, missing source column and extra-column name
            clash, all at once, each naming the mapping file and field.
    """
    problems: list[str] = []
    for name, table_mapping in mapping.tables().items():
        frame = frames.get(table_mapping.source.key)
        if frame is None:
            problems.append(
                f"{name}.source: {table_mapping.source.key!r} was not loaded; loaded "
                f"sources: {sorted(frames)}"
            )
        else:
            problems += table_problems(name, table_mapping, frame)
    if len(problems) == 1:
        raise InputError(f"mapping {mapping.origin}: {problems[0]}")
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InputError(f"mapping {mapping.origin}: {len(problems)} problems:\n{listed}")
    result = {name: empty_table(name) for name in TABLES}
    for name, table_mapping in mapping.tables().items():
        source = frames[table_mapping.source.key]
        result[name] = map_table(name, table_mapping, source, null_values=mapping.null_values)
        stage = source_stage(mapping, table_mapping, source)
        if stage is not None and not table_mapping.one_row_per:  # rows are source rows
            kept = source.loc[_row_mask(table_mapping, source), stage]
            result[name][SOURCE_STAGE_COLUMN] = kept.reset_index(drop=True).astype("string")
            result[name].attrs[SOURCE_STAGE_ATTR] = stage
        key = table_mapping.source.key
        logger.info("mapped %s -> %s: %d rows, %d columns", key, name, *result[name].shape)
    return result


def source_stage(
    mapping: ColumnMapping, table_mapping: TableMapping, frame: pd.DataFrame
) -> str | None:
    """The stage column of ``frame`` the mapping reads, if any: a source column named
    ``stage`` or ``*_stage`` that some table reading the same source maps or filters on
    (Maven's ``deal_stage``, read by the outcomes from the contacts' file)."""
    key = table_mapping.source.key
    read: set[str] = set()
    for other in mapping.tables().values():
        if other.source.key == key:
            read |= _used_columns(other) | {f.column for f in other.row_filter}
    named = [
        c
        for c in frame.columns
        if c in read and (snake_case(str(c)) == "stage" or snake_case(str(c)).endswith("_stage"))
    ]
    return str(named[0]) if named else None


def _used_columns(mapping: TableMapping) -> set[str]:
    used: set[str] = set()
    for spec in mapping.columns.values():
        if spec.source is not None:
            used.add(spec.source)
        if spec.template is not None:
            used.update(template_columns(spec.template))
    return used


def extra_columns(mapping: TableMapping, frame: pd.DataFrame) -> dict[str, str]:
    """Source column -> snake_case name of the extra columns ``keep_extra`` keeps."""
    if mapping.keep_extra is False:
        return {}
    if isinstance(mapping.keep_extra, dict):
        named = mapping.keep_extra.items()
        return {c: n for c, n in named if c in frame.columns and c not in mapping.exclude_extra}
    if mapping.keep_extra is True:
        used = _used_columns(mapping) | set(CARRIED_COLUMNS)
        wanted = [c for c in frame.columns if c not in used]
    else:
        wanted = [c for c in mapping.keep_extra if c in frame.columns]
    return {c: snake_case(c) for c in wanted if c not in mapping.exclude_extra}


def table_problems(name: str, mapping: TableMapping, frame: pd.DataFrame) -> list[str]:
    """Source columns the mapping needs but ``frame`` lacks, and extra-name clashes."""
    where = mapping.source.key
    available = [c for c in frame.columns if c not in CARRIED_COLUMNS]
    shown = ", ".join(repr(str(c)) for c in available)
    problems: list[str] = []

    def need(path: str, column: str) -> None:
        if column not in available:
            problems.append(
                f"{path}: column {column!r} not found in {where}; columns there are: {shown}"
            )

    for canonical, spec in mapping.columns.items():
        if spec.source is not None:
            need(f"{name}.columns.{canonical}.source", spec.source)
        for column in template_columns(spec.template or ""):
            if column != ROW_NUMBER:
                need(f"{name}.columns.{canonical}.template", column)
    for i, row_filter in enumerate(mapping.row_filter):
        need(f"{name}.row_filter[{i}].column", row_filter.column)
    if not isinstance(mapping.keep_extra, bool):
        for column in mapping.keep_extra:
            need(f"{name}.keep_extra", column)
    for column in mapping.exclude_extra:
        need(f"{name}.exclude_extra", column)
    canonical_names = set(TABLES[name].names)
    owners: dict[str, str] = {}
    kept = extra_columns(mapping, frame)
    for pinned in mapping.extra_types:
        if pinned not in kept.values():
            problems.append(
                f"{name}.extra_types: {pinned!r} is not a column keep_extra keeps from "
                f"{where}; kept: {sorted(kept.values())} (use the kept, snake_case name)"
            )
    for column, snake in kept.items():
        if snake in canonical_names:
            problems.append(
                f"{name}.keep_extra: source column {column!r} of {where} would become "
                f"{snake!r}, a canonical column of {name}; map it under columns or list it "
                "in exclude_extra"
            )
        elif snake in owners:
            problems.append(
                f"{name}.keep_extra: source columns {owners[snake]!r} and {column!r} of "
                f"{where} would both become {snake!r}; list one in exclude_extra"
            )
        owners.setdefault(snake, column)
    return problems


def _row_mask(mapping: TableMapping, frame: pd.DataFrame) -> pd.Series:
    """Rows the filters keep; ragged rows always pass (their fields cannot be trusted,
    so validation quarantines them in every table their file feeds)."""
    keep = pd.Series(True, index=frame.index)
    for row_filter in mapping.row_filter:
        wanted = (
            [row_filter.equals] if row_filter.equals is not None else list(row_filter.in_ or ())
        )
        text = frame[row_filter.column].astype("string")
        keep &= text.isin(wanted).fillna(False).astype(bool)
    if RAGGED_COLUMN in frame.columns:
        keep |= frame[RAGGED_COLUMN].notna()
    return keep


def _null_out(values: pd.Series, null_values: tuple[str, ...] | list[str]) -> pd.Series:
    if not null_values:
        return values
    is_null = values.astype("string").isin(list(null_values)).fillna(False).astype(bool)
    return values.mask(is_null) if is_null.any() else values


def map_column(
    column: Column, spec: ColumnSpec, frame: pd.DataFrame, null_values: tuple[str, ...]
) -> pd.Series:
    """One canonical column from the (already filtered) source ``frame``."""
    if spec.source is not None:
        values = _null_out(frame[spec.source], (*null_values, *spec.null_values))
        if spec.value_map is not None:
            values = map_values(values, spec.value_map, spec.default)
    elif spec.template is not None:
        values = template_values(frame, spec.template)
    else:
        values = tidy_dtype(pd.Series([spec.constant] * len(frame), index=frame.index))
    if column.dtype == "datetime":
        values = parse_datetimes(values, spec.datetime_format, spec.timezone)
    elif spec.scale is not None:
        values = scale_numbers(values, spec.scale)
    return values.rename(column.name)


def map_table(
    name: str, mapping: TableMapping, frame: pd.DataFrame, *, null_values: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Apply one table's mapping to its source frame (columns assumed checked).

    Args:
        null_values: The mapping's global null values.

    Returns:
        Mapped canonical columns in schema order, then the extra columns.
    """
    keep = _row_mask(mapping, frame)
    if not keep.all():
        logger.info("%s: row_filter keeps %d of %d rows", name, int(keep.sum()), len(frame))
    rows = _with_row_numbers(mapping, frame)[keep].reset_index(drop=True)
    table = TABLES[name]
    columns: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name in mapping.columns:
            spec = mapping.columns[column.name]
            columns[column.name] = map_column(column, spec, rows, null_values)
    for source, snake in extra_columns(mapping, rows).items():
        columns[snake] = _null_out(rows[source], null_values).rename(snake)
    for carried in CARRIED_COLUMNS:
        if carried in rows.columns:
            columns[carried] = rows[carried]
    mapped = pd.DataFrame(columns, index=rows.index)
    if not mapping.one_row_per:
        return _with_pins(mapped, mapping)
    picks = {c: spec.pick for c, spec in mapping.columns.items() if spec.pick is not None}
    collapsed = one_row_per(mapped, mapping.one_row_per, order_column(table), picks)
    per = ", ".join(mapping.one_row_per)
    logger.info("%s: %d events give %d rows, one per %s", name, len(mapped), len(collapsed), per)
    return _with_pins(collapsed, mapping)


def _with_pins(frame: pd.DataFrame, mapping: TableMapping) -> pd.DataFrame:
    """``frame`` carrying, in its attrs, the mapping's ``extra_types`` (read by validation,
    :func:`features.ingest.extra_types.typed_extra_columns`) and the source column of each
    mapped column (:data:`SOURCE_COLUMNS_ATTR`)."""
    if mapping.extra_types:
        frame.attrs[EXTRA_TYPES_ATTR] = dict(mapping.extra_types)
    sources = {c: spec.source for c, spec in mapping.columns.items() if spec.source is not None}
    if sources:
        frame.attrs[SOURCE_COLUMNS_ATTR] = sources
    return frame


def _with_row_numbers(mapping: TableMapping, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus the ``{_row}`` column when a template asks for it (1 = first row)."""
    wanted = any(
        ROW_NUMBER in template_columns(spec.template or "") for spec in mapping.columns.values()
    )
    if not wanted or ROW_NUMBER in frame.columns:
        return frame
    numbers = pd.Series(range(1, len(frame) + 1), index=frame.index).astype("str")
    return frame.assign(**{ROW_NUMBER: numbers})
