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

A :class:`Rule` is data: the expectation's type and arguments. :func:`run_suite` builds
the GX expectations from them; :mod:`features.ingest.suite_pandas` evaluates the same
rules with pandas for a few rows (one lead's account), without importing GX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from features.schema import Table

if TYPE_CHECKING:  # GX is imported only when a suite runs (about 1 s of CPU to import)
    import great_expectations.expectations as gxe
    from great_expectations.data_context import AbstractDataContext

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
        name: The GX expectation type, e.g. ``expect_column_values_to_be_in_set``.
        kwargs: The expectation's arguments; ``{"$PARAMETER": p}`` stands for the suite
            parameter ``p`` (:func:`suite_parameters`).
    """

    key: str
    kind: str
    columns: tuple[str, ...]
    severity: Severity
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def expectation(self) -> gxe.Expectation:
        """The GX expectation (imports Great Expectations)."""
        import great_expectations.expectations as gxe

        cls = getattr(gxe, "".join(part.title() for part in self.name.split("_")))
        return cls(**self.kwargs, meta={RULE_META: self.key})


def suite_parameters(now: pd.Timestamp) -> dict[str, pd.Timestamp]:
    """Values of the suite parameters the rules refer to (``{"$PARAMETER": name}``)."""
    return {"now": now, "earliest": EARLIEST_TIME, "placeholders_before": PLACEHOLDERS_BEFORE}


def known_flag(column: str) -> str:
    """Helper column telling whether ``column``'s value exists in the referenced table."""
    return f"_known_{column}"


def table_rules(table: Table) -> list[Rule]:
    """The rules of ``table``'s suite, in the order quarantine reasons prefer them."""
    rules: list[Rule] = []

    def add(kind: str, columns: tuple[str, ...], name: str, sev: Severity, **kwargs: Any) -> None:
        key = f"{table.name}.{'+'.join(columns) or 'table'}.{kind}"
        rules.append(Rule(key, kind, columns, sev, f"expect_{name}", kwargs))

    def on(column: str, kind: str, name: str, sev: Severity = "error", **kwargs: Any) -> None:
        add(kind, (column,), name, sev, column=column, **kwargs)

    add(
        "columns",
        (),
        "table_columns_to_match_set",
        "error",
        column_set=list(table.names),
        exact_match=False,
    )
    for col in table.columns:
        if not col.nullable:
            on(col.name, "not_null", "column_values_to_not_be_null")
    between = "column_values_to_be_between"
    for col in table.columns:
        name = col.name
        if col.dtype == "category" and col.allowed:
            on(name, "in_set", "column_values_to_be_in_set", value_set=list(col.allowed))
        elif col.dtype in ("int", "float") and (col.min is not None or col.max is not None):
            on(name, "range", between, min_value=col.min, max_value=col.max)
        elif col.dtype == "datetime":
            on(name, "not_future", between, max_value=_param("now"))
            on(name, "not_before", between, min_value=_param("earliest"))
            on(
                name,
                "placeholder_date",
                between,
                "warning",
                min_value=_param("placeholders_before"),
            )
    for fk in table.foreign_keys:
        severity: Severity = (
            "warning" if f"{table.name}.{fk.column}" in WARNING_REFERENCES else "error"
        )
        add(
            "reference",
            (fk.column,),
            "column_values_to_be_in_set",
            severity,
            column=known_flag(fk.column),
            value_set=[True],
        )
    for name, column, ref_table, ref_column in TIME_ORDER:
        if name == table.name:
            add(
                "time_order",
                (column,),
                "column_pair_values_a_to_be_greater_than_b",
                "error",
                column_A=column,
                column_B=f"_{ref_table}_{ref_column}",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
    key = table.primary_key
    if len(key) == 1:
        on(key[0], "unique", "column_values_to_be_unique")
    else:
        add("unique", key, "compound_columns_to_be_unique", "error", column_list=list(key))
    return rules


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def with_reference_columns(
    frame: pd.DataFrame, table: Table, parents: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """Add the helper columns the reference and time-order rules check.

    Args:
        frame: Parsed rows of ``table``.
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
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

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
        frame: Parsed rows plus helper columns; its index labels are reported back as
            the failing rows, so pass the input row positions.
        now: Upper bound for timestamps.

    Raises:
        RuntimeError: GX could not evaluate an expectation (a bug, not a data error).
    """
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(f"leadscore_{table.name}")
    asset = source.add_dataframe_asset(table.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    expectations = [rule.expectation for rule in table_rules(table)]
    result = batch.validate(
        gx.ExpectationSuite(name=f"leadscore_{table.name}", expectations=expectations),
        result_format=RESULT_FORMAT,
        expectation_parameters=suite_parameters(now),
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
