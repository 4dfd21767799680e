"""Row failures, the quarantine table and the issue summary built from them.

A :class:`Failure` is one rule's verdict on one table: which rows (input positions)
failed, why (one reason per row) and whether the rows are quarantined (``error``) or only
reported (``warning``). :func:`quarantine_frame` turns a table's failures into its
quarantine: one line per quarantined row with the first failing rule (rules in suite
order), the reason and the row's original values; the reasons never show values of
``pii`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from features.ingest.coerce import COERCE_RULES, EXPECTED_FORM, unstorable_datetimes
from features.ingest.origin import FILE_COLUMN, LINE_COLUMN
from features.ingest.readers import CARRIED_COLUMNS, RAGGED_COLUMN
from features.ingest.suites import EARLIEST_TIME, PLACEHOLDERS_BEFORE, Rule, Severity
from features.personal import personal_values
from features.schema import Table

REDACTED = "<redacted>"


@dataclass(frozen=True)
class Failure:
    """Rows of one table that failed one rule.

    Attributes:
        rule: Expectation type (``expect_column_values_to_be_in_set``) or coercion rule
            (``coerce_to_datetime``).
        column: The column(s) concerned, comma-separated for a compound key.
        rows: 0-based input positions of the failing rows, ascending.
        reasons: One human-readable reason per row, aligned with ``rows``.
        severity: ``error`` quarantines the rows; ``warning`` keeps them.
        message: One line describing the rule, without values.
    """

    rule: str
    column: str
    rows: np.ndarray
    reasons: np.ndarray
    severity: Severity
    message: str


def shown_values(raw: pd.DataFrame, rows: np.ndarray, column: str, table: Table) -> pd.Series:
    """Raw values of ``column`` at ``rows`` as text for reasons; PII columns, and any value
    holding an e-mail address or phone number, redacted."""
    if column in table.names and table.column(column).pii:
        return pd.Series(REDACTED, index=range(len(rows)), dtype="string")
    if column not in raw.columns:
        return pd.Series("<missing>", index=range(len(rows)), dtype="string")
    values = raw[column].iloc[rows].reset_index(drop=True).astype("string")
    # an address or phone number typed into any column is redacted too (features.personal)
    values = values.mask(personal_values(values), REDACTED)
    return values.fillna("<missing>")


def reasons_from(parts: list[str | pd.Series], n: int) -> np.ndarray:
    """Concatenate literal strings and aligned text Series into ``n`` reasons."""
    result = pd.Series("", index=range(n), dtype="string")
    for part in parts:
        if isinstance(part, pd.Series):
            part = part.reset_index(drop=True).astype("string")
        result = result + part
    return result.to_numpy(dtype=object)


RAGGED_RULE = "ragged_row"
"""The rule name of rows with more or fewer fields than their file's header."""


def ragged_failures(raw: pd.DataFrame) -> list[Failure]:
    """The rows the reader marked as ragged (its ``_ragged_row`` column), if any."""
    if RAGGED_COLUMN not in raw.columns:
        return []
    marks = raw[RAGGED_COLUMN]
    rows = np.flatnonzero(marks.notna().to_numpy(dtype=bool))
    if not len(rows):
        return []
    message = (
        "rows must have as many fields as the header: fix the export (quoting, delimiter, "
        "cut lines) and validate again"
    )
    reasons = marks.iloc[rows].astype("string").to_numpy(dtype=object)
    return [Failure(RAGGED_RULE, RAGGED_COLUMN, rows, reasons, "error", message)]


def coercion_failures(
    table: Table, unconverted: dict[str, np.ndarray], raw: pd.DataFrame
) -> list[Failure]:
    """One failure per column whose values did not convert to the column's type."""
    failures: list[Failure] = []
    for column in table.columns:
        if column.name not in unconverted:
            continue
        rows = np.flatnonzero(unconverted[column.name])
        if column.dtype == "datetime":
            outside = unstorable_datetimes(raw[column.name].iloc[rows])
            if outside.any():
                failures.append(_out_of_range(table, column.name, rows[outside], raw))
                rows = rows[~outside]
            if not len(rows):
                continue
        form = EXPECTED_FORM[column.dtype]
        values = shown_values(raw, rows, column.name, table)
        reasons = reasons_from([f"{column.name} '", values, f"' is not {form}"], len(rows))
        message = f"{column.name} must be {form}"
        rule = COERCE_RULES[column.dtype]
        failures.append(Failure(rule, column.name, rows, reasons, "error", message))
    return failures


def _out_of_range(table: Table, column: str, rows: np.ndarray, raw: pd.DataFrame) -> Failure:
    """ISO 8601 timestamps too far in the past or future to store (0001-01-01)."""
    values = shown_values(raw, rows, column, table)
    earliest = f"{EARLIEST_TIME:%Y-%m-%d}"
    parts = [f"{column} '", values, f"' is out of range (must be between {earliest} and now)"]
    message = f"{column} must lie between {earliest} and now: check the date format"
    rule = "expect_column_values_to_be_between"
    return Failure(rule, column, rows, reasons_from(parts, len(rows)), "error", message)


def rule_failure(
    table: Table, rule: Rule, rows: np.ndarray, raw: pd.DataFrame, context: dict[str, Any]
) -> Failure:
    """The failure of a GX rule (other than uniqueness) on ``rows``.

    Args:
        rows: Input positions GX reported, ascending.
        context: ``now``, ``inputs`` (key columns of all input rows of the tables
            validated before) and ``checked`` (the frame GX saw, with helper columns).
    """
    col = rule.columns[0]
    values = shown_values(raw, rows, col, table)
    spec = table.column(col)
    if rule.kind == "not_null" and spec.dtype == "datetime":
        return _undated(table, rule, rows, raw, context)
    if rule.kind == "not_null":
        parts: list[str | pd.Series] = [f"{col} is missing"]
        message = f"{col} is required: map a source column that is always filled"
    elif rule.kind == "in_set":
        allowed = ", ".join(spec.allowed or ())
        parts = [f"{col} '", values, "' is not in the vocabulary"]
        message = f"{col} must be one of {allowed}; translate other values with a value_map"
    elif rule.kind == "range":
        bounds = _bounds(spec.min, spec.max)
        parts = [f"{col} ", values, f" is out of range (must be {bounds})"]
        message = f"{col} must be {bounds}"
    elif rule.kind == "not_before":
        parts = [f"{col} ", values, f" is out of range (must be {EARLIEST_TIME:%Y-%m-%d} or later)"]
        message = f"{col} must not be before {EARLIEST_TIME:%Y-%m-%d}: check the date format"
    elif rule.kind == "placeholder_date":
        before = f"{PLACEHOLDERS_BEFORE:%Y-%m-%d}"
        parts = [f"{col} ", values, f" is before {before}: a placeholder or epoch date? (kept)"]
        message = (
            f"{col} before {before}: usually a placeholder (1900-01-01) or the Unix epoch "
            "(1970-01-01) standing for a blank date; rows kept, check the export"
        )
    elif rule.kind == "not_future":
        now = context["now"].strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [f"{col} ", values, f" is in the future (after {now})"]
        message = f"{col} must not be after {now}: check the time zone and the date format"
    elif rule.kind == "reference":
        fk = next(f for f in table.foreign_keys if f.column == col)
        parent_ids = context["inputs"][fk.ref_table][fk.ref_column].dropna().to_numpy(object)
        known = context["checked"][col].loc[rows].isin(parent_ids).to_numpy(dtype=bool)
        why = pd.Series(np.where(known, " (that row was quarantined)", " (unknown)"))
        if rule.severity == "warning":
            parts = [f"{col} '", values, f"' is not in {fk.ref_table}", why]
            message = f"{col} not found in {fk.ref_table}: rows kept, without its data"
        else:
            parts = [f"orphan: {col} '", values, f"' is not an accepted {fk.ref_table} row", why]
            message = f"orphan rows: {col} not among the accepted {fk.ref_table}"
    elif rule.kind == "time_order":
        helper = str(rule.kwargs["column_B"])  # a column-pair expectation
        ref = context["checked"][helper].loc[rows].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        ref_name = helper.lstrip("_").replace("_", ".", 1)
        parts = [f"{col} ", values, f" is before {ref_name} ", ref.astype("string")]
        message = f"{col} must not be before {ref_name}"
    else:
        raise ValueError(f"rule {rule.key}: unknown kind {rule.kind!r}")
    reasons = reasons_from(parts, len(rows))
    return Failure(rule.name, col, rows, reasons, rule.severity, message)


def stage_columns(raw: pd.DataFrame, table: Table) -> list[str]:
    """The columns of ``raw`` that say where a row stands in the funnel: the table's
    ``*_stage`` columns (``lifecycle_stage``) and kept extra columns named ``stage`` or
    ``*_stage`` (a ``deal_stage`` kept from the export)."""
    extras = [c for c in raw.columns if c not in table.names and not str(c).startswith("_")]
    named = [c for c in (*table.names, *extras) if c == "stage" or str(c).endswith("_stage")]
    return [c for c in named if c in raw.columns]


def _stages_of(
    raw: pd.DataFrame, rows: np.ndarray, table: Table, context: dict[str, Any]
) -> tuple[str, pd.Series] | None:
    """The stage of ``rows`` as text, and the column it comes from: a stage column of the
    table (:func:`stage_columns`), else the source's stage the mapping carried
    (``context["stages"]``: its name and values); None when none is filled."""
    candidates = [(c, shown_values(raw, rows, c, table)) for c in stage_columns(raw, table)]
    carried = context.get("stages")
    if carried is not None:
        name, values = carried
        shown = values.iloc[rows].reset_index(drop=True).astype("string")
        candidates.append((name, shown.mask(personal_values(shown), REDACTED)))
    for name, shown in candidates:
        if (shown.notna() & (shown != "<missing>")).any():
            return name, shown.fillna("<missing>")
    return None


def _undated(
    table: Table, rule: Rule, rows: np.ndarray, raw: pd.DataFrame, context: dict[str, Any]
) -> Failure:
    """Rows without a value in a required date column: the export has no date for them.

    The reason names the source column the mapping read and, when a stage is known
    (:func:`_stages_of`), the row's stage; the message counts the stages and says what a
    user can do: the rows stay in the quarantine file, another date column can be mapped,
    or the rows are scored once the CRM fills the date.
    """
    col = rule.columns[0]
    source = context.get("sources", {}).get(col)
    origin = f" (source column {source!r} is blank)" if source else ""
    parts: list[str | pd.Series] = [f"{col} is missing{origin}: the export has no date"]
    described = ""
    stages = _stages_of(raw, rows, table, context)
    if stages is not None:
        stage, shown = stages
        parts += [f"; {stage} '", shown, "'"]
        counts = shown.value_counts()
        described = f" ({stage}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ")"
    filled = repr(source) if source else col
    message = (
        f"{col} is missing{origin}: the export has no date for these rows{described}, so "
        f"they cannot be placed in time. They are counted and kept in "
        f"quarantine/{table.name}.csv with their values; map another date column to {col} "
        f"if the CRM has one, or they will be scored once the CRM fills {filled} for them"
    )
    return Failure(rule.name, col, rows, reasons_from(parts, len(rows)), rule.severity, message)


def duplicate_failure(
    table: Table,
    rule: Rule,
    gx_rows: np.ndarray,
    parsed: pd.DataFrame,
    failing: np.ndarray,
    raw: pd.DataFrame,
) -> Failure:
    """Duplicates of the primary key beyond the first valid occurrence.

    GX reports every row of a repeated key; the first of them that fails no other rule
    is kept and the others are quarantined.

    Args:
        gx_rows: Rows GX reported as not unique.
        parsed: The parsed table (positional index).
        failing: Mask of rows already failing another error rule.
    """
    key = list(table.primary_key)
    candidates = np.sort(gx_rows[~failing[gx_rows]])
    keys = parsed[key].iloc[candidates].reset_index(drop=True)
    first = keys.assign(_pos=candidates).groupby(key, sort=False)["_pos"].transform("first")
    repeated = keys.duplicated(keep="first").to_numpy(dtype=bool)
    rows = candidates[repeated]
    text = reduce(lambda a, b: a + ", " + b, (shown_values(raw, rows, c, table) for c in key))
    first_row = pd.Series(first.to_numpy()[repeated]).astype("string")
    column = ", ".join(key)
    parts = [f"duplicate {column} '", text, "' (first occurrence kept: row ", first_row, ")"]
    message = f"{column} must be unique: the first occurrence is kept"
    if table.name == "contacts":
        message += (
            "; an event log (one row per event)? map contacts with one_row_per: contact_id "
            "(README: Event logs)"
        )
    return Failure(rule.name, column, rows, reasons_from(parts, len(rows)), "error", message)


def _bounds(low: float | None, high: float | None) -> str:
    if high is None:
        return f">= {low:g}"
    if low is None:
        return f"<= {high:g}"
    return f"between {low:g} and {high:g}"


def failed_positions(
    failures: list[Failure], n_rows: int, severity: Severity = "error"
) -> np.ndarray:
    """Boolean mask over the input rows: True where any ``severity`` failure hit the row."""
    mask = np.zeros(n_rows, dtype=bool)
    for failure in failures:
        if failure.severity == severity:
            mask[failure.rows] = True
    return mask


def quarantine_frame(raw: pd.DataFrame, failures: list[Failure]) -> pd.DataFrame:
    """The quarantine of one table.

    Args:
        raw: The table as it came in (values before any cleaning), with its rows' file
            and line when it was read with them (:data:`~features.ingest.origin.ORIGIN_COLUMNS`).
        failures: Its failures, in the order whose first hit names a row's rule.

    Returns:
        One row per quarantined input row, ascending: ``_row`` (0-based position in the
        table), ``_file`` and ``_line`` (where the row is in its source file; empty when
        unknown: a database, an in-memory frame, ``_line`` of Parquet or Excel),
        ``_reason`` (the first failure's reason, plus "(+N more)" when several rules
        failed), ``_rule``, ``_column``, then the raw values of the row.
    """
    errors = [f for f in failures if f.severity == "error" and len(f.rows)]
    if not errors:
        hits = pd.DataFrame({"_row": pd.Series(dtype="int64")})
    else:
        hits = pd.concat(
            [
                pd.DataFrame(
                    {"_row": f.rows, "_order": i, "_reason": f.reasons, "_rule": f.rule}
                ).assign(_column=f.column)
                for i, f in enumerate(errors)
            ],
            ignore_index=True,
        )
        hits = hits.sort_values(["_row", "_order"], kind="stable")
        n_failed = np.bincount(hits["_row"].to_numpy(dtype="int64"))
        hits = hits.drop_duplicates("_row").reset_index(drop=True)
        more = n_failed[hits["_row"].to_numpy(dtype="int64")] - 1
        suffix = pd.Series(np.where(more > 0, " (+" + more.astype(str) + " more)", ""))
        hits["_reason"] = hits["_reason"].astype("string") + suffix.astype("string")
        hits = hits.drop(columns="_order")
    rows = hits["_row"].to_numpy(dtype="int64")
    meta: dict[str, Any] = {"_row": rows}
    for column, dtype in ((FILE_COLUMN, "string"), (LINE_COLUMN, "Int64")):
        meta[column] = (
            raw[column].iloc[rows].astype(dtype)
            if column in raw.columns
            else pd.Series(pd.NA, index=range(len(rows)), dtype=dtype)
        )
    for name in ("_reason", "_rule", "_column"):
        meta[name] = hits[name].astype("string") if name in hits else pd.Series(dtype="string")
    values = raw.iloc[rows].reset_index(drop=True)
    # the ragged mark is the _reason; the file and line are in front
    values = values.drop(columns=list(CARRIED_COLUMNS), errors="ignore")
    prefix = pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in meta.items()})
    clash = [c for c in values.columns if c in prefix.columns]
    return pd.concat([prefix, values.drop(columns=clash)], axis=1)


def redacted(quarantine: pd.DataFrame, table: Table) -> pd.DataFrame:
    """``quarantine`` with the present values of ``pii`` columns replaced by a marker."""
    result = quarantine.copy()
    for column in table.columns:
        if column.pii and column.name in result.columns:
            values = result[column.name]
            result[column.name] = values.astype(object).where(values.isna(), REDACTED)
    return result
