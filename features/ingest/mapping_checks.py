"""Checks of a column mapping against the canonical schema, run when it is loaded.

Each check returns problems as ``"<yaml.path>: what is wrong; what to do"`` strings so
that a mapping with several mistakes is reported in one go.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from features.schema import TABLES, Column

if TYPE_CHECKING:
    from features.ingest.mapping_config import ColumnMapping, ColumnSpec, TableMapping

TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
"""A ``{Source Column}`` placeholder in a ``template``."""

ROW_NUMBER = "_row"
"""The ``{_row}`` template placeholder: the row's number in the source (1 = the first
data row, counted before any ``row_filter``), unless the source has a column ``_row``."""

_NUMERIC = {"int", "float"}


def template_columns(template: str) -> list[str]:
    """Source columns a template refers to, in order."""
    return TEMPLATE_FIELD.findall(template)


def escapes_data_folder(file: str) -> bool:
    """True for an absolute path or one that climbs out of its folder with ``..``."""
    if PurePosixPath(file).is_absolute() or PureWindowsPath(file).is_absolute():
        return True
    if PureWindowsPath(file).drive or file.startswith("~"):
        return True
    normal = posixpath.normpath(file.replace("\\", "/"))
    return normal == ".." or normal.startswith("../")


def mapping_problems(mapping: ColumnMapping) -> list[str]:
    """Every problem of ``mapping`` that needs the canonical schema to see."""
    tables = mapping.tables()
    if not tables:
        return [f"no table defined; define at least one of {list(TABLES)}"]
    problems: list[str] = []
    for name, table_mapping in tables.items():
        problems += table_mapping_problems(name, table_mapping)
    return problems


def table_mapping_problems(name: str, mapping: TableMapping) -> list[str]:
    """Problems of one table's mapping against canonical table ``name``."""
    table = TABLES[name]
    problems: list[str] = []
    if (mapping.source.file is None) == (mapping.source.sql_table is None):
        problems.append(f"{name}.source: give a file name or {{sql_table: name}}, not both")
    elif mapping.source.file is not None and escapes_data_folder(mapping.source.file):
        problems.append(
            f"{name}.source: {mapping.source.file!r} is outside the data folder; a source is "
            "a file path relative to --data (no absolute path, no '..'): copy the file into "
            "the data folder"
        )
    if mapping.sep is not None and len(mapping.sep) != 1:
        problems.append(f"{name}.sep: {mapping.sep!r} must be a single character, e.g. ';'")
    unknown = [c for c in mapping.columns if c not in table.names]
    for column in unknown:
        problems.append(
            f"{name}.columns.{column}: not a column of {name}; its columns are: "
            f"{', '.join(table.names)} (keep other source columns with keep_extra)"
        )
    missing = [c for c in table.required if c not in mapping.columns]
    if missing:
        problems.append(
            f"{name}.columns: required column(s) {missing} not mapped; map each to a "
            "source column or a constant"
        )
    for column, spec in mapping.columns.items():
        if column in table.names:
            path = f"{name}.columns.{column}"
            problems += _column_problems(path, table.column(column), spec)
    for i, row_filter in enumerate(mapping.row_filter):
        if (row_filter.equals is None) == (row_filter.in_ is None):
            problems.append(f"{name}.row_filter[{i}]: give exactly one of 'equals' or 'in'")
    if mapping.exclude_extra and mapping.keep_extra is False:
        problems.append(f"{name}.exclude_extra: only used with keep_extra; set keep_extra: true")
    problems += _event_log_problems(name, mapping)
    return problems


def _event_log_problems(name: str, mapping: TableMapping) -> list[str]:
    """``one_row_per`` names mapped canonical columns; ``pick`` needs ``one_row_per``."""
    table = TABLES[name]
    problems: list[str] = []
    for column in mapping.one_row_per:
        if column not in table.names:
            problems.append(
                f"{name}.one_row_per: {column!r} is not a column of {name}; name the "
                f"canonical column (e.g. {table.primary_key[0]}), not the source column"
            )
        elif column not in mapping.columns:
            problems.append(f"{name}.one_row_per: {column!r} is not mapped; map it under columns")
    for column, spec in mapping.columns.items():
        if spec.pick is None:
            continue
        if not mapping.one_row_per:
            problems.append(
                f"{name}.columns.{column}.pick: only used with one_row_per (an event log "
                f"collapsed to one row per id); add e.g. one_row_per: {table.primary_key[0]}"
            )
        elif column in mapping.one_row_per:
            problems.append(
                f"{name}.columns.{column}.pick: {column} is a one_row_per column, the same "
                "on every event of a row; remove pick"
            )
    return problems


def _column_problems(path: str, column: Column, spec: ColumnSpec) -> list[str]:
    problems: list[str] = []
    given = [k for k in ("source", "constant", "template") if getattr(spec, k) is not None]
    if len(given) != 1:
        problems.append(f"{path}: give exactly one of source, constant, template (got {given})")
    if spec.template is not None:
        leftover = TEMPLATE_FIELD.sub("", spec.template)
        if not template_columns(spec.template) or "{" in leftover or "}" in leftover:
            problems.append(
                f"{path}.template: {spec.template!r} must hold {{Source Column}} placeholders "
                "and no other braces"
            )
    if (spec.value_map is not None or spec.default is not None) and spec.source is None:
        problems.append(f"{path}.value_map: maps source values; use it with 'source'")
    if spec.default is not None and spec.value_map is None:
        problems.append(f"{path}.default: only used with value_map")
    if column.dtype != "datetime":
        for key in ("datetime_format", "timezone"):
            if getattr(spec, key) is not None:
                problems.append(
                    f"{path}.{key}: only for datetime columns ({column.name} is {column.dtype})"
                )
    problems += _datetime_problems(path, spec)
    if spec.scale is not None and (column.dtype not in _NUMERIC or spec.scale <= 0):
        problems.append(
            f"{path}.scale: must be a positive factor on a numeric column ({column.name} "
            f"is {column.dtype})"
        )
    problems += _value_problems(path, column, spec)
    return problems


def _datetime_problems(path: str, spec: ColumnSpec) -> list[str]:
    problems: list[str] = []
    fmt = spec.datetime_format
    if fmt is not None and fmt != "iso" and "%" not in fmt:
        problems.append(
            f"{path}.datetime_format: {fmt!r} is neither 'iso' nor a strptime format "
            "such as '%Y-%m-%d %H:%M'"
        )
    if spec.timezone is not None:
        try:
            ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"{path}.timezone: {spec.timezone!r} is not an IANA time zone; use e.g. "
                "'America/Sao_Paulo' or 'UTC'"
            )
    return problems


def _value_problems(path: str, column: Column, spec: ColumnSpec) -> list[str]:
    """Constants, value_map targets and defaults must fit the column's type/vocabulary."""
    produced: list[tuple[str, object]] = []
    if spec.constant is not None:
        produced.append(("constant", spec.constant))
    if spec.default is not None:
        produced.append(("default", spec.default))
    for key, target in (spec.value_map or {}).items():
        if target is not None:
            produced.append((f"value_map[{key!r}]", target))
    problems: list[str] = []
    for where, value in produced:
        if column.allowed is not None and value not in column.allowed:
            problems.append(
                f"{path}.{where}: {value!r} is not allowed for {column.name}; allowed: "
                f"{', '.join(column.allowed)}"
            )
        elif column.dtype == "bool" and not isinstance(value, bool):
            problems.append(f"{path}.{where}: {value!r} must be true or false")
        elif column.dtype in _NUMERIC and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            problems.append(f"{path}.{where}: {value!r} must be a number")
    return problems
