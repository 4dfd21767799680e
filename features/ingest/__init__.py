"""Ingest: read CRM exports and map them onto the canonical tables of features.schema."""

from features.ingest.errors import InputError, TableError
from features.ingest.mapping import (
    ColumnMapping,
    apply_mapping,
    load_mapping,
    mapping_json_schema,
    read_source,
)
from features.ingest.readers import read_table
from features.ingest.sql import read_sql_table
from features.ingest.validation import Issue, ValidationReport, validate_tables

__all__ = [
    "Issue",
    "ValidationReport",
    "ColumnMapping",
    "InputError",
    "TableError",
    "apply_mapping",
    "load_mapping",
    "mapping_json_schema",
    "read_source",
    "read_sql_table",
    "read_table",
    "validate_tables",
]
