"""The column-mapping config: how an export's files or tables become the canonical tables.

A mapping is YAML (read with :func:`features.safe_yaml.read_yaml`) validated into frozen
pydantic models.
Its top-level keys are the canonical table names of :mod:`features.schema` plus
``null_values`` (strings that mean "missing" in every column) and ``description``::

    null_values: ["Select"]
    contacts:
      source: leads.csv                 # or {sql_table: leads} with a database URL
      columns:
        contact_id: Prospect ID         # short form: the source column
        lead_source: {source: Lead Source, value_map: {"Olark Chat": other}}
        created_at: {constant: "2019-12-31T00:00:00Z"}
      keep_extra: true                  # other source columns, in snake_case
    outcomes:
      source: leads.csv
      row_filter: {column: Converted, equals: "1"}
      columns: {contact_id: Prospect ID, outcome: {constant: won}, ...}

An event log (one row per event) gives the contacts table with ``one_row_per:
contact_id``: one contact per distinct id, ``created_at`` the first event's time, other
columns from the first (or, with ``pick: last``, the last) event that has a value.

Everything is checked when the models are built and every problem is reported at once,
each naming its YAML path (``contacts.columns.created_at.timezone: ...``). The checks
that need the canonical schema live in :mod:`features.ingest.mapping_checks`; reading
the YAML file is :mod:`features.ingest.mapping_load`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from features.ingest.convert import snake_case
from features.ingest.mapping_checks import mapping_problems
from features.schema import TABLES

Scalar = bool | int | float | str
"""A value a mapping can produce: a constant or a ``value_map`` target."""


def _match_strings(values: Any, what: str) -> Any:
    """Turn YAML scalars that are compared with source values into strings.

    YAML 1.1 reads unquoted ``Yes``/``No``/``On``/``Off`` as booleans; silently turning
    them into "True"/"False" would match nothing, so they are refused with a hint.
    """
    if not isinstance(values, list | tuple):
        return values
    out = []
    for value in values:
        if isinstance(value, bool):
            raise ValueError(
                f"{what} {value!r} is a YAML boolean (an unquoted Yes/No/true/false/on/off); "
                'quote it, e.g. "Yes"'
            )
        out.append(str(value) if isinstance(value, int | float) else value)
    return out


NullValues = Annotated[
    tuple[str, ...], BeforeValidator(lambda values: _match_strings(values, "null value"))
]
"""Strings that mean missing, as text (:func:`_match_strings`)."""


def _or_file_name(schema: dict[str, Any]) -> None:
    """JSON Schema of ``source``: the model, or the short form (a file name)."""
    ref = schema.pop("$ref")
    schema["anyOf"] = [{"type": "string", "description": "File name."}, {"$ref": ref}]


def _or_source_column(schema: dict[str, Any]) -> None:
    """JSON Schema of ``columns``: a spec, or the short form (a source column name)."""
    ref = schema["additionalProperties"]
    schema["additionalProperties"] = {
        "anyOf": [{"type": "string", "description": "Source column name."}, ref]
    }


def _or_single_item(schema: dict[str, Any]) -> None:
    """JSON Schema of a list that may be given as its single item (``one_row_per``: a
    column name, ``row_filter``: a filter)."""
    single = schema.pop("items")
    schema.pop("type")
    schema["anyOf"] = [single, {"type": "array", "items": single}]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Source(_Frozen):
    """Where a canonical table comes from: a file in the data folder or a SQL table."""

    file: str | None = Field(default=None, description="File name relative to the data folder.")
    sql_table: str | None = Field(default=None, description="Table name in the database URL.")

    @property
    def key(self) -> str:
        """The name frames are keyed by in :func:`features.ingest.apply_mapping`."""
        return self.file or self.sql_table or ""


class ColumnSpec(_Frozen):
    """How one canonical column is filled. Give exactly one of source/constant/template.

    Steps, in order: null_values -> value_map (+ default) -> datetime parsing (datetime
    columns) or scale (numeric columns).
    """

    source: str | None = Field(
        default=None, description="Source column name, exactly as in the file."
    )
    constant: Scalar | None = Field(default=None, description="Same value on every row.")
    template: str | None = Field(
        default=None,
        description="Derived id, e.g. 'lead-{Lead Number}': {column} placeholders only; "
        "{_row} is the row's number in the source (1 = first data row, before row_filter).",
    )
    value_map: dict[str, Scalar | None] | None = Field(
        default=None, description="Source value -> canonical value (null: missing)."
    )
    default: Scalar | None = Field(
        default=None,
        description="Value for non-missing source values not in value_map "
        "(unset: keep them raw so validation reports them).",
    )
    null_values: NullValues = Field(default=(), description="Extra strings meaning missing.")
    datetime_format: str | None = Field(
        default=None, description="strptime format, or 'iso' (the default for datetime columns)."
    )
    timezone: str | None = Field(
        default=None, description="IANA zone of naive timestamps (default UTC); converted to UTC."
    )
    scale: float | None = Field(
        default=None, description="Multiply numbers, e.g. 1e6 for millions."
    )
    pick: Literal["first", "last"] | None = Field(
        default=None,
        description="With the table's one_row_per: the value of the first (default) or last "
        "event that has one, in time order.",
    )

    @field_validator("value_map", mode="before")
    @classmethod
    def _keys_as_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            keys = _match_strings(list(value), "value_map key")
            return dict(zip(keys, value.values(), strict=True))
        return value


class RowFilter(_Frozen):
    """Keep only rows whose ``column`` equals ``equals`` or is one of ``in``.

    Values are compared as text: ``1`` matches a CSV field "1" and a Parquet integer 1.
    """

    column: str
    equals: str | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")

    @field_validator("equals", mode="before")
    @classmethod
    def _equals_as_string(cls, value: Any) -> Any:
        return _match_strings([value], "row_filter value")[0] if value is not None else None

    @field_validator("in_", mode="before")
    @classmethod
    def _in_as_strings(cls, value: Any) -> Any:
        return _match_strings(value, "row_filter value")


class TableMapping(_Frozen):
    """How one canonical table is built from one source."""

    source: Source = Field(json_schema_extra=_or_file_name)
    sep: str | None = Field(
        default=None, description="Delimiter of the source file (default: sniffed)."
    )
    encoding: str | None = Field(default=None, description="Encoding of the source file.")
    columns: dict[str, ColumnSpec] = Field(
        description="Canonical column -> source column name or column spec.",
        json_schema_extra=_or_source_column,
    )
    row_filter: tuple[RowFilter, ...] = Field(
        default=(),
        description="All must hold for a row to stay.",
        json_schema_extra=_or_single_item,
    )
    keep_extra: bool | dict[str, str] | tuple[str, ...] = Field(
        default=False,
        description="true: keep every unmapped source column; a list: keep these. "
        "Kept columns are renamed to snake_case; a mapping (source column -> name) keeps "
        "these under the names given (snake_case).",
    )
    exclude_extra: tuple[str, ...] = Field(
        default=(), description="Source columns keep_extra skips."
    )
    extra_types: dict[str, Literal["number", "text"]] = Field(
        default_factory=dict,
        description="Kept column (by its kept, snake_case name) -> number or text: pins the "
        "type validation gives it (default: numbers when its values are numbers).",
    )
    one_row_per: tuple[str, ...] = Field(
        default=(),
        description="Canonical column(s), e.g. contact_id: the source is an event log and "
        "its rows collapse to one per distinct value, in time order of the table's time "
        "column (contacts: created_at = the first event); other columns take the first "
        "event's value (pick: last for the last).",
        json_schema_extra=_or_single_item,
    )

    @field_validator("source", mode="before")
    @classmethod
    def _source_shorthand(cls, value: Any) -> Any:
        return {"file": value} if isinstance(value, str) else value

    @field_validator("columns", mode="before")
    @classmethod
    def _column_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"source": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("keep_extra", mode="after")
    @classmethod
    def _extra_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            bad = [name for name in value.values() if snake_case(name) != name]
            if bad:
                raise ValueError(
                    f"keep_extra: names must be snake_case (e.g. {snake_case(bad[0])!r}), "
                    f"got {bad[0]!r}"
                )
        return value

    @field_validator("row_filter", "one_row_per", mode="before")
    @classmethod
    def _one_item(cls, value: Any) -> Any:
        """A single filter or column name stands for a list of one."""
        return [value] if isinstance(value, dict | str) else value


class ColumnMapping(_Frozen):
    """A whole mapping: one optional :class:`TableMapping` per canonical table."""

    version: Literal[1] = 1
    description: str = ""
    null_values: NullValues = Field(default=(), description="Strings meaning missing, everywhere.")
    accounts: TableMapping | None = None
    contacts: TableMapping | None = None
    activities: TableMapping | None = None
    outcomes: TableMapping | None = None
    _origin: str = PrivateAttr("<mapping>")

    @model_validator(mode="after")
    def _check_against_schema(self) -> ColumnMapping:
        problems = mapping_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def origin(self) -> str:
        """Where the mapping came from (its file name), for error messages."""
        return self._origin

    def tables(self) -> dict[str, TableMapping]:
        """The tables this mapping defines, in :data:`features.schema.TABLES` order."""
        found = {name: getattr(self, name) for name in TABLES}
        return {name: table for name, table in found.items() if table is not None}
