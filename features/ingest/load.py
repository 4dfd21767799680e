"""The ingestion entry point: read -> map -> normalise -> validate -> coerce."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.ingest.mapping import ColumnMapping, load_mapping, read_source
from features.ingest.validation import ValidationReport, validate_tables


def ingest(
    source: str | Path,
    mapping: ColumnMapping | str | Path | None = None,
    *,
    now: pd.Timestamp | None = None,
    sep: str | None = None,
    encoding: str = "utf-8",
) -> ValidationReport:
    """Load a CRM export and validate it into canonical tables.

    Args:
        source: A folder of canonical table files, a file (with a mapping), or a
            SQLAlchemy database URL (with a mapping naming its tables).
        mapping: A column mapping, or the path of its YAML file; None for a folder
            already in canonical column names.
        now: Timestamps after this are "in the future" (default: the current UTC time).
        sep: CSV delimiter (default: sniffed).
        encoding: Text encoding of CSV files.

    Returns:
        The validation report: accepted rows as :class:`features.crm.CrmTables`, the
        quarantine with reasons, counts and the Great Expectations results.

    Raises:
        InputError: The source cannot be read or a table fails a table-level check.
    """
    if isinstance(mapping, str | Path):
        mapping = load_mapping(Path(mapping))
    raw = read_source(source, mapping, sep=sep, encoding=encoding)
    return validate_tables(raw, now=now, source=str(source))
