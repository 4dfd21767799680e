"""Validate mapped CRM tables with Great Expectations, quarantining the rows that fail.

Flow per table, in dependency order (accounts, contacts, activities, outcomes):
table-level checks -> ragged rows (marked by the reader) -> :mod:`~features.ingest.normalise`
-> :mod:`~features.ingest.coerce`
(values that do not convert are quarantined; extra columns of numbers become numbers,
:mod:`~features.ingest.extra_types`) -> the table's GX suite
(:mod:`~features.ingest.suites`) on the rest -> quarantine of the failing rows
(:mod:`~features.ingest.quarantine`) -> the accepted rows in canonical dtypes.

Table-level problems (a missing required or key column, no contacts, a key column with
no value, every row failing) raise :class:`~features.ingest.readers.TableError`: they mean
the mapping or the export is wrong, and scoring a fraction of the data would mislead.
Row-level problems quarantine the row with its reason and the run goes on.

``engine="pandas"`` evaluates the same rules without GX
(:mod:`~features.ingest.suite_pandas`, same verdicts, no ``gx_results``): for a few
rows, such as the one account ``leadscore explain`` reads, where importing GX and
building its context would cost most of the command's time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from features.crm import CrmTables, empty_table
from features.events import utc_timestamp
from features.infer import InferSettings
from features.ingest.coerce import parse_table, to_canonical
from features.ingest.extra_types import pins_as_trained, typed_extra_columns
from features.ingest.mapping_apply import EXTRA_TYPES_ATTR, SOURCE_COLUMNS_ATTR, SOURCE_STAGE_ATTR
from features.ingest.normalise import normalise_table
from features.ingest.quarantine import (
    Failure,
    coercion_failures,
    duplicate_failure,
    failed_positions,
    quarantine_frame,
    ragged_failures,
    rule_failure,
)
from features.ingest.readers import (
    CARRIED_COLUMNS,
    SOURCE_STAGE_COLUMN,
    InputError,
    TableError,
)
from features.ingest.report import (
    Issue,
    example_rows,
    issue_of,
    summary_text,
    write_accepted,
    write_report,
)
from features.ingest.suite_pandas import evaluate_rules
from features.ingest.suites import (
    new_context,
    run_suite,
    table_rules,
    with_reference_columns,
)
from features.schema import TABLES, Table

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

Engine = Literal["great_expectations", "pandas"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate_tables`.

    Attributes:
        tables: Accepted rows in canonical dtypes.
        quarantine: Per table, the rejected rows (see
            :func:`features.ingest.quarantine.quarantine_frame`).
        counts: Per table ``input``, ``accepted``, ``quarantined`` and ``warnings``
            (rows kept but reported, e.g. a contact whose account is unknown).
        issues: Every rule that failed, most rows first.
        gx_results: Per table the GX validation result (JSON-able; failing row lists
            cut to 100 entries); empty tables' results when validated with
            ``engine="pandas"``.
        success: No row was quarantined (warnings allowed).
        now: Timestamps after this were "in the future".
        source: Where the tables came from (for messages).
        bots: Accepted activities the bot filter flagged, with their ``bot_reason``
            (kept out of ``tables``; None before filtering, see
            :func:`features.ingest.load.filter_bots`).
        bot_counts: What the filter took out (:func:`features.bots.bot_counts`).
    """

    tables: CrmTables
    quarantine: dict[str, pd.DataFrame]
    counts: dict[str, dict[str, int]]
    issues: list[Issue]
    gx_results: dict[str, dict[str, Any]]
    success: bool
    now: pd.Timestamp
    source: str = ""
    bots: pd.DataFrame | None = None
    bot_counts: dict[str, Any] = field(default_factory=dict)

    def summary_text(self) -> str:
        """A compact human summary: rows per table and the top issues (no PII)."""
        return summary_text(self)

    def write(self, out_dir: Path) -> dict[str, Path]:
        """Write the quarantine and summaries under ``out_dir``, atomically.

        Writes ``quarantine/<table>.csv`` for all four tables (header only when nothing
        was quarantined, so a re-run never leaves a stale file behind), ``bots.csv``
        (the activities the bot filter flagged, with their reason; header only when
        none), ``validation_summary.json`` and ``gx_results.json``. Values of ``pii`` columns
        are replaced by ``<redacted>``.

        Returns:
            ``{"quarantine/<table>": path, "bots": path, "summary": path,
            "gx_results": path}``.
        """
        return write_report(self, Path(out_dir))

    def write_accepted(self, folder: Path) -> dict[str, Path]:
        """Write the accepted tables as ``<table>.parquet`` (see :func:`write_accepted`)."""
        return write_accepted(self, Path(folder))


def validate_tables(
    raw: dict[str, pd.DataFrame],
    *,
    now: pd.Timestamp | None = None,
    source: str = "",
    engine: Engine = "great_expectations",
    infer: InferSettings | None = None,
    trained_types: dict[str, dict[str, str]] | None = None,
) -> ValidationReport:
    """Validate the mapped tables and split every row into accepted or quarantined.

    Args:
        raw: Frames keyed by canonical table name with canonical column names (extra
            columns are kept); absent tables are empty. A frame's ``attrs["source"]``
            (a file path) names it in messages; its columns of
            :data:`features.ingest.origin.ORIGIN_COLUMNS` (``read_source(origin=True)``)
            name each quarantined row's file and line.
        now: Timestamps after this are in the future (default: the current UTC time;
            naive values are read as UTC).
        source: Where the tables came from, for messages.
        engine: ``great_expectations`` (the default; its results are kept) or
            ``pandas`` (the same rules and verdicts without importing GX; for a few rows).
        infer: The thresholds kept text columns of numbers are typed with
            (:mod:`~features.ingest.extra_types`; None: the defaults).
        trained_types: The kept columns' types a scorer's training decided, pinned like
            a mapping's ``extra_types`` (table -> column -> ``number`` or ``text``,
            :func:`~features.ingest.extra_types.trained_extra_types`; None: inferred).

    Raises:
        InputError: ``raw`` holds a table that is not canonical, or the mapping pins a
            kept column to another type than ``trained_types``.
        TableError: A table-level failure (see the module docstring).
    """
    unknown = sorted(set(raw) - set(TABLES))
    if unknown:
        raise InputError(
            f"{source or 'input'}: unknown tables {unknown}; expected some of {list(TABLES)}"
        )
    stamp = utc_timestamp(pd.Timestamp.now(tz="UTC") if now is None else now)
    accepted: dict[str, pd.DataFrame] = {}
    inputs: dict[str, pd.DataFrame] = {}
    quarantine: dict[str, pd.DataFrame] = {}
    counts: dict[str, dict[str, int]] = {}
    issues: list[Issue] = []
    gx_results: dict[str, dict[str, Any]] = {}
    frames = {name: raw.get(name, empty_table(name)) for name in TABLES}
    labels = {name: table_label(name, frames[name], source) for name in TABLES}
    for name, table in TABLES.items():  # all table-level checks before any long work
        check_table(frames[name], table, labels[name])
    context = new_context() if engine == "great_expectations" else None
    for name, table in TABLES.items():
        frame, label = frames[name], labels[name]
        parsed, failures, gx_results[name] = _table_failures(
            frame, table, accepted, inputs, stamp, label, context, infer,
            (trained_types or {}).get(name),
        )  # fmt: skip
        bad = failed_positions(failures, len(frame))
        accepted[name] = to_canonical(parsed[~bad], table)
        inputs[name] = parsed[list(table.primary_key)]  # to tell orphans' parents apart
        quarantine[name] = quarantine_frame(frame, failures)
        counts[name] = _counts(name, len(frame), len(accepted[name]), len(quarantine[name]))
        warned = failed_positions(failures, len(frame), "warning") & ~bad  # rows kept
        counts[name]["warnings"] = int(warned.sum())
        table_issues = [issue_of(table, f, frame) for f in failures if len(f.rows)]
        if len(frame) and not len(accepted[name]):
            raise TableError(_all_failed_message(label, len(frame), table_issues))
        issues += table_issues
        logger.info("validated %s: %s", label, counts[name])
    issues.sort(key=lambda i: (i.severity != "error", -i.n_rows, i.table, i.column))
    return ValidationReport(
        tables=CrmTables(**accepted),
        quarantine=quarantine,
        counts=counts,
        issues=issues,
        gx_results=gx_results,
        success=not any(c["quarantined"] for c in counts.values()),
        now=stamp,
        source=source,
    )


def _table_failures(
    frame: pd.DataFrame,
    table: Table,
    accepted: dict[str, pd.DataFrame],
    inputs: dict[str, pd.DataFrame],  # key columns of every row of the tables before
    now: pd.Timestamp,
    label: str,
    context: AbstractDataContext | None,
    infer: InferSettings | None = None,
    trained: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Failure], dict[str, Any]]:
    """Coerce, run the GX suite (or its pandas form without ``context``) and collect every
    row failure of one table."""
    positional = frame.reset_index(drop=True)
    stage = frame.attrs.get(SOURCE_STAGE_ATTR)  # the source's stage, carried by the mapping
    carried = stage is not None and SOURCE_STAGE_COLUMN in positional.columns
    stages = (stage, positional[SOURCE_STAGE_COLUMN]) if carried else None
    failures = ragged_failures(positional)
    positional = positional.drop(columns=list(CARRIED_COLUMNS), errors="ignore")
    parsed, unconverted = parse_table(normalise_table(positional, table), table)
    failures += coercion_failures(table, unconverted, positional)
    pins = pins_as_trained(label, frame.attrs.get(EXTRA_TYPES_ATTR), trained)
    parsed, extra_warnings = typed_extra_columns(parsed, table, positional, infer, pins)
    failures += extra_warnings
    convertible = ~failed_positions(failures, len(frame))
    canonical = parsed.loc[convertible, list(table.names)]  # GX need not hash the extras
    checked = with_reference_columns(canonical, table, accepted)
    if context is None:
        verdicts, result = evaluate_rules(table, checked, now=now), {}
    else:
        run = run_suite(context, table, checked, now=now)
        verdicts, result = run.verdicts, run.result
    facts = {
        "now": now,
        "inputs": inputs,
        "checked": checked,
        "sources": frame.attrs.get(SOURCE_COLUMNS_ATTR, {}),  # the mapping's source columns
        "stages": stages,
    }
    unique_rule = None
    too_early: dict[str, np.ndarray] = {}  # a date out of range is not also a placeholder
    for rule in table_rules(table):
        success, rows = verdicts[rule.key]
        if rule.kind == "columns" and not success:
            raise TableError(f"{label}: columns do not match the schema of {table.name}")
        if rule.kind == "not_before":
            too_early[rule.columns[0]] = rows
        elif rule.kind == "placeholder_date":
            rows = np.setdiff1d(rows, too_early.get(rule.columns[0], []))
        if rule.kind == "unique":
            unique_rule = (rule, rows)
        elif len(rows):
            failures.append(rule_failure(table, rule, np.sort(rows), positional, facts))
    if unique_rule is not None:
        others = failed_positions(failures, len(frame))
        failures.append(duplicate_failure(table, *unique_rule, parsed, others, positional))
    return parsed, failures, result


def check_table(frame: pd.DataFrame, table: Table, label: str) -> None:
    """Raise :class:`TableError` for problems that make a whole table unusable."""
    if table.name == "contacts" and frame.empty:
        raise TableError(
            f"{label}: the contacts table has no rows; leadscore needs the contacts "
            "(leads) to score: check the export and the mapping's contacts source"
        )
    if frame.empty:
        return  # no data for an optional table: nothing to check
    found = ", ".join(str(c) for c in frame.columns if c not in CARRIED_COLUMNS) or "(none)"
    for column in (*table.primary_key, *table.required):
        if column not in frame.columns:
            raise TableError(
                f"{label}: required column {column!r} is missing; columns found: {found}; "
                "map it in your column mapping (see features/ingest/mappings/)"
            )
    for column in table.primary_key:
        if len(frame) and frame[column].isna().all():
            raise TableError(
                f"{label}: key column {column!r} has no value in any of the {len(frame)} "
                "rows; map it to the export's id column (see features/ingest/mappings/)"
            )


def table_label(name: str, frame: pd.DataFrame, source: str) -> str:
    """How messages name a table: its file (``attrs['source']``) or ``source:name``."""
    attr = frame.attrs.get("source")
    if attr:
        return str(attr)
    return f"{source}:{name}" if source else name


def _counts(name: str, n_input: int, n_accepted: int, n_quarantined: int) -> dict[str, int]:
    if n_input != n_accepted + n_quarantined:
        raise RuntimeError(
            f"{name}: {n_input} input rows but {n_accepted} accepted + {n_quarantined} "
            "quarantined; rows were lost, this is a bug in leadscore's validation"
        )
    return {"input": n_input, "accepted": n_accepted, "quarantined": n_quarantined}


def _all_failed_message(label: str, n_rows: int, issues: list[Issue]) -> str:
    top = max((i for i in issues if i.severity == "error"), key=lambda i: i.n_rows)
    return (
        f"{label}: all {n_rows} rows failed validation; most common: {top.rule} on "
        f"{top.column} ({top.n_rows} rows, e.g. {example_rows(top.examples)}): {top.message}; "
        "check the column mapping and the export (see features/ingest/mappings/)"
    )
