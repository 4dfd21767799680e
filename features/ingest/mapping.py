"""Column mappings: the public face of loading, applying and reading through a mapping.

* :mod:`features.ingest.mapping_config` -- the YAML config as frozen pydantic models;
* :mod:`features.ingest.mapping_checks` -- its checks against the canonical schema;
* :mod:`features.ingest.mapping_load` -- reading and validating the YAML file;
* :mod:`features.ingest.mapping_apply` -- applying it to source frames;
* :mod:`features.ingest.sources` -- reading a folder, file or database through it.
"""

from __future__ import annotations

from features.ingest.mapping_apply import apply_mapping
from features.ingest.mapping_config import ColumnMapping
from features.ingest.mapping_load import (
    MAPPINGS_DIR,
    load_mapping,
    mapping_json_schema,
    parse_mapping,
)
from features.ingest.sources import read_source

__all__ = [
    "MAPPINGS_DIR",
    "ColumnMapping",
    "apply_mapping",
    "load_mapping",
    "mapping_json_schema",
    "parse_mapping",
    "read_source",
]
