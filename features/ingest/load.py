"""The ingestion entry point: read -> map -> normalise -> validate -> coerce -> bot filter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from features.bots import BotSettings, bot_counts, load_bot_settings, split_bots
from features.infer import InferSettings
from features.ingest.mapping_config import ColumnMapping
from features.ingest.mapping_load import load_mapping
from features.ingest.sources import read_source
from features.ingest.validation import ValidationReport, validate_tables


def ingest(
    source: str | Path,
    mapping: ColumnMapping | str | Path | None = None,
    *,
    now: pd.Timestamp | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    bots: BotSettings | str | Path | None = None,
    infer: InferSettings | None = None,
    trained_types: dict[str, dict[str, str]] | None = None,
) -> ValidationReport:
    """Load a CRM export and validate it into canonical tables.

    Args:
        source: A folder of canonical table files, a file (with a mapping), or a
            SQLAlchemy database URL (with a mapping naming its tables).
        mapping: A column mapping, or the path of its YAML file; None for a folder
            already in canonical column names.
        now: Timestamps after this are "in the future" (default: the current UTC time).
        sep: CSV delimiter (default: sniffed).
        encoding: Text encoding of CSV files (None: UTF-8,
            :data:`features.ingest.readers.DEFAULT_ENCODING`).
        bots: Bot filter settings, a YAML file of changes to the default, or None for
            the default (``features/bots/default.yaml``).
        infer: Thresholds kept text columns of numbers are typed with (None: defaults;
            :mod:`features.ingest.extra_types`).
        trained_types: A scorer's stored types of the kept columns, pinned
            (:func:`features.ingest.validation.validate_tables`; None: inferred).

    Returns:
        The validation report: accepted rows as :class:`features.crm.CrmTables` (without
        the activities of bots, which are in ``report.bots`` with their reason), the
        quarantine with reasons, counts and the Great Expectations results.

    Raises:
        InputError: The source cannot be read or a table fails a table-level check.
    """
    if isinstance(mapping, str | Path):
        mapping = load_mapping(Path(mapping))
    raw = read_source(source, mapping, sep=sep, encoding=encoding, origin=True)
    report = validate_tables(
        raw, now=now, source=str(source), infer=infer, trained_types=trained_types
    )
    return filter_bots(report, bots)


def filter_bots(
    report: ValidationReport, settings: BotSettings | str | Path | None = None
) -> ValidationReport:
    """``report`` with the bots' activities moved out of its tables into ``report.bots``.

    The input is untouched: flagged activities are kept, with their reason, in
    ``bots`` (written to ``bots.csv``) and counted in ``bot_counts``; features, rules
    and models read ``tables`` and never see them.

    Args:
        report: A validation report (its accepted activities are filtered).
        settings: The filter's settings, a YAML file of changes to the default, or None
            for the default (``features/bots/default.yaml``).
    """
    if not isinstance(settings, BotSettings):
        settings = load_bot_settings(settings)
    activities = report.tables.activities
    kept, bots = split_bots(activities, settings)
    return replace(
        report,
        tables=replace(report.tables, activities=kept),
        bots=bots,
        bot_counts=bot_counts(activities, bots),
    )
