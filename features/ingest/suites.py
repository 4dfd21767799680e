"""Great Expectations suites derived from features.schema, and running them on pandas.

Every expectation comes from the schema, so the suites cannot drift from it:

* the canonical columns exist (``ExpectTableColumnsToMatchSet``, extras allowed);
* non-nullable columns are not null;
* the primary key is unique (``ExpectColumnValuesToBeUnique`` or the compound form);
* category values are in the vocabulary, numbers within ``Column.min``/``max``;
* timestamps are not in the future (``max_value`` is the suite parameter ``now``), not
  before :data:`EARLIEST_TIME`, and get a warning before :data:`PLACEHOLDERS_BEFORE`;
* foreign keys point at accepted rows of the referenced table;
* ``outcomes.converted_at`` is not before the contact's ``created_at``.

GX has no cross-table expectation for pandas frames, so the last two are checked on
helper columns that :func:`with_reference_columns` adds with vectorised lookups:
``_known_<column>`` (the key exists in the referenced table) and
``_<table>_<column>`` (the referenced row's timestamp). Passing the referenced keys as a
``value_set`` instead costs GX about 20 s of CPU per 100,000 keys, whatever the row count
(it re-serialises the set for every metric), while the helper flag costs a hash lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig

from features.schema import Table

Severity = Literal["error", "warning"]

WARNING_REFERENCES: frozenset[str] = frozenset({"contacts.account_id"})
"""Foreign keys whose dangling values are reported but do not quarantine the row: a lead
whose company is missing from the accounts export is still a lead to score."""

TIME_ORDER: tuple[tuple[str, str, str, str], ...] = (
    ("outcomes", "converted_at", "contacts", "created_at"),
)
"""``(table, column, referenced table, referenced column)``: ``column`` must not be
earlier than the referenced row's column (joined on the table's foreign key)."""

EARLIEST_TIME = pd.Timestamp("1900-01-01", tz="UTC")
"""Timestamps before this are out of range (quarantined): no CRM event is that old, and
``datetime64[ns]`` cannot even hold years before 1677 (``0001-01-01``)."""

PLACEHOLDERS_BEFORE = pd.Timestamp("1971-01-01", tz="UTC")
"""Timestamps before this (but not before :data:`EARLIEST_TIME`) are kept with a
warning: in a CRM they are almost always placeholders, 1900-01-01 or the Unix epoch
1970-01-01 (a zero or blank date converted to a timestamp)."""

RULE_META = "leadscore_rule"
ROW_LIMIT = 100
"""Failing-row lists kept in the stored GX results (the quarantine has them all)."""

RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,  # row positions only: no values, so no PII
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 5,
}


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite and what a failure of it means.

    Attributes:
        key: Unique id within the suite (stored in the expectation's ``meta``).
        kind: columns, not_null, unique, in_set, range, not_future, not_before,
            placeholder_date, reference or time_order.
        columns: The user-facing columns the rule is about.
        severity: ``error`` quarantines failing rows; ``warning`` only reports them.
        expectation: The GX expectation.
    """

    key: str
    kind: str
    columns: tuple[str, ...]
    severity: Severity
    expectation: gxe.Expectation

    @property
    def name(self) -> str:
        """The expectation type, e.g. ``expect_column_values_to_be_in_set``."""
        return str(self.expectation.expectation_type)


def known_flag(column: str) -> str:
    """Helper column telling whether ``column``'s value exists in the referenced table."""
    return f"_known_{column}"


def table_rules(table: Table) -> list[Rule]:
    """The rules of ``table``'s suite, in the order quarantine reasons prefer them."""
    rules: list[Rule] = []

    def add(kind: str, columns: tuple[str, ...], exp: gxe.Expectation, sev: Severity) -> None:
        key = f"{table.name}.{'+'.join(columns) or 'table'}.{kind}"
        rules.append(Rule(key, kind, columns, sev, exp.copy(update={"meta": {RULE_META: key}})))

    add(
        "columns",
        (),
        gxe.ExpectTableColumnsToMatchSet(column_set=list(table.names), exact_match=False),
        "error",
    )
    for col in table.columns:
        if not col.nullable:
            add(
                "not_null", (col.name,), gxe.ExpectColumnValuesToNotBeNull(column=col.name), "error"
            )
    for col in table.columns:
        if col.dtype == "category" and col.allowed:
            exp: gx.expectations.Expectation = gxe.ExpectColumnValuesToBeInSet(
                column=col.name, value_set=list(col.allowed)
            )
            add("in_set", (col.name,), exp, "error")
        elif col.dtype in ("int", "float") and (col.min is not None or col.max is not None):
            exp = gxe.ExpectColumnValuesToBeBetween(
                column=col.name, min_value=col.min, max_value=col.max
            )
            add("range", (col.name,), exp, "error")
        elif col.dtype == "datetime":
            exp = gxe.ExpectColumnValuesToBeBetween(
                column=col.name, max_value={"$PARAMETER": "now"}
            )
            add("not_future", (col.name,), exp, "error")
            exp = gxe.ExpectColumnValuesToBeBetween(
                column=col.name, min_value={"$PARAMETER": "earliest"}
            )
            add("not_before", (col.name,), exp, "error")
            exp = gxe.ExpectColumnValuesToBeBetween(
                column=col.name, min_value={"$PARAMETER": "placeholders_before"}
            )
            add("placeholder_date", (col.name,), exp, "warning")
    for fk in table.foreign_keys:
        exp = gxe.ExpectColumnValuesToBeInSet(column=known_flag(fk.column), value_set=[True])
        severity: Severity = (
            "warning" if f"{table.name}.{fk.column}" in WARNING_REFERENCES else "error"
        )
        add("reference", (fk.column,), exp, severity)
    for name, column, ref_table, ref_column in TIME_ORDER:
        if name == table.name:
            exp = gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=column,
                column_B=f"_{ref_table}_{ref_column}",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
            add("time_order", (column,), exp, "error")
    add("unique", table.primary_key, _unique(table.primary_key), "error")
    return rules


def _unique(key: tuple[str, ...]) -> gxe.Expectation:
    if len(key) == 1:
        return gxe.ExpectColumnValuesToBeUnique(column=key[0])
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key))


def build_suite(table: Table) -> gx.ExpectationSuite:
    """The expectation suite of ``table`` (needs the suite parameter ``now``)."""
    return gx.ExpectationSuite(
        name=f"leadscore_{table.name}", expectations=[r.expectation for r in table_rules(table)]
    )


def with_reference_columns(
    frame: pd.DataFrame, table: Table, parents: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Add the helper columns the reference and time-order rules check.

    Args:
        frame: Parsed rows of ``table``.
        table: Its schema.
        parents: Accepted rows of the tables validated before (dependency order).

    Returns:
        A new frame with ``_known_<fk column>`` (True when the key is missing or found
        among the parent's accepted keys) and ``_<ref table>_<ref column>`` columns.
    """
    helpers: dict[str, pd.Series] = {}
    for fk in table.foreign_keys:
        values = frame[fk.column]
        keys = parents[fk.ref_table][fk.ref_column].dropna().to_numpy(dtype=object)
        found = values.isin(keys).fillna(False).astype(bool) | values.isna()
        helpers[known_flag(fk.column)] = found
    for name, column, ref_table, ref_column in TIME_ORDER:
        if name == table.name:
            fk = next(f for f in table.foreign_keys if f.ref_table == ref_table)
            parent = parents[ref_table].drop_duplicates(fk.ref_column)
            lookup = pd.Series(parent[ref_column].to_numpy(), index=parent[fk.ref_column])
            helpers[f"_{ref_table}_{ref_column}"] = (
                frame[fk.column].map(lookup).astype(frame[column].dtype)
            )
    return frame.assign(**helpers) if helpers else frame


def new_context() -> AbstractDataContext:
    """An ephemeral GX context (nothing written to disk) without progress bars."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of :func:`run_suite`.

    Attributes:
        result: GX's validation result as a JSON-able dict, failing-row lists cut to
            ``ROW_LIMIT`` entries (``unexpected_index_list_truncated`` marks a cut).
        verdicts: ``{rule key: (success, failing index labels)}``, complete.
    """

    result: dict[str, Any]
    verdicts: dict[str, tuple[bool, np.ndarray]]


def run_suite(
    context: AbstractDataContext, table: Table, frame: pd.DataFrame, *, now: pd.Timestamp
) -> SuiteRun:
    """Validate ``frame`` against ``table``'s suite.

    Args:
        context: From :func:`new_context`; one data source per table is added to it.
        table: The table's schema.
        frame: Parsed rows plus helper columns; its index labels are reported back as
            the failing rows, so pass the input row positions.
        now: Upper bound for timestamps.

    Returns:
        The GX result and the failing rows of every rule.

    Raises:
        RuntimeError: GX could not evaluate an expectation (a bug, not a data error).
    """
    source = context.data_sources.add_or_update_pandas(f"leadscore_{table.name}")
    asset = source.add_dataframe_asset(table.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    parameters = {"now": now, "earliest": EARLIEST_TIME, "placeholders_before": PLACEHOLDERS_BEFORE}
    result = batch.validate(
        build_suite(table), result_format=RESULT_FORMAT, expectation_parameters=parameters
    )
    verdicts: dict[str, tuple[bool, np.ndarray]] = {}
    for item in result.results:
        config = item.expectation_config
        key = ((config.meta if config is not None else None) or {}).get(RULE_META)
        problem = _raised(item.exception_info or {})
        if problem:
            raise RuntimeError(
                f"Great Expectations could not evaluate rule {key}: {problem}; this is a bug "
                "in leadscore's suites or an unsupported column dtype, please report it"
            )
        found = item.result or {}
        rows = np.asarray(found.get("unexpected_index_list") or [], dtype="int64")
        verdicts[str(key)] = (bool(item.success), rows)
        if len(rows) > ROW_LIMIT:  # GX's to_json_dict deep-copies: cut the list first
            found["unexpected_index_list"] = found["unexpected_index_list"][:ROW_LIMIT]
            found["unexpected_index_list_truncated"] = True
    return SuiteRun(dict(result.to_json_dict()), verdicts)


def _raised(info: dict[str, Any]) -> str:
    """The exception message GX recorded for an expectation, or ''."""
    if "raised_exception" in info:
        return str(info.get("exception_message") or "") if info["raised_exception"] else ""
    return "; ".join(_raised(v) for v in info.values() if isinstance(v, dict) and _raised(v))
