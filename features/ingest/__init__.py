"""Ingest: read CRM exports and map them onto the canonical tables of features.schema.

This package's names are its public entry point. Column mappings live in:

* :mod:`features.ingest.mapping_config` -- the YAML config as frozen pydantic models;
* :mod:`features.ingest.mapping_checks` -- its checks against the canonical schema;
* :mod:`features.ingest.mapping_load` -- reading and validating the YAML file;
* :mod:`features.ingest.mapping_apply` -- applying it to source frames;
* :mod:`features.ingest.sources` -- reading a folder, file or database through it.
"""

from features.ingest.mapping_apply import apply_mapping
from features.ingest.mapping_config import ColumnMapping
from features.ingest.mapping_load import (
    MAPPINGS_DIR,
    load_mapping,
    mapping_json_schema,
    parse_mapping,
)
from features.ingest.readers import InputError, TableError, read_table
from features.ingest.sources import read_source
from features.ingest.sql import read_sql_table
from features.ingest.validation import validate_tables

__all__ = [
    "MAPPINGS_DIR",
    "ColumnMapping",
    "InputError",
    "TableError",
    "apply_mapping",
    "load_mapping",
    "mapping_json_schema",
    "parse_mapping",
    "read_source",
    "read_sql_table",
    "read_table",
    "validate_tables",
]
