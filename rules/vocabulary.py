"""The closed, typed vocabulary a rulebook may use: variables, activity fields, operators.

Rulebooks are data; this module is the only place that says what the data may name.
A variable is a contact column (``seniority``), an account column reached through the
contact's ``account_id`` (``account.industry``), a derived value computed in code
(``email_is_corporate``) or a non-canonical contact column the rulebook declares under
``extra_columns`` (typed there, checked against the frame's dtype when scoring).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

from features.measures import AGE_FEATURE
from features.schema import ACCOUNTS, ACTIVITIES, CONTACTS, LogicalType

# Operators by the logical type they apply to. ``value`` shapes are checked by the loader.
COMMON_OPS: frozenset[str] = frozenset({"eq", "ne", "in", "not_in", "is_missing", "is_present"})
TEXT_OPS: frozenset[str] = frozenset(
    {"contains", "not_contains", "starts_with", "ends_with", "regex", "not_regex"}
)
NUMERIC_OPS: frozenset[str] = frozenset({"gt", "gte", "lt", "lte", "between"})
BOOL_OPS: frozenset[str] = frozenset({"is_true", "is_false"})
NO_VALUE_OPS: frozenset[str] = frozenset({"is_missing", "is_present", "is_true", "is_false"})
LIST_OPS: frozenset[str] = frozenset({"in", "not_in"})
ALL_OPS: frozenset[str] = COMMON_OPS | TEXT_OPS | NUMERIC_OPS | BOOL_OPS

OPS_BY_TYPE: dict[str, frozenset[str]] = {
    "string": COMMON_OPS | TEXT_OPS,
    "category": COMMON_OPS | TEXT_OPS,
    "int": COMMON_OPS | NUMERIC_OPS,
    "float": COMMON_OPS | NUMERIC_OPS,
    "bool": COMMON_OPS | BOOL_OPS,
    "datetime": frozenset({"is_missing", "is_present"}),
}

AGGREGATIONS: dict[str, LogicalType] = {
    "count": "int",
    "days_since_last": "float",
    "days_since_first": "float",
}
"""Aggregations of a contact's matching activities and the type of their result."""


@dataclass(frozen=True)
class Variable:
    """One name a rulebook may use in ``var``.

    Attributes:
        dtype: Logical type: decides which operators apply.
        source: ``contact``, ``account``, ``derived`` or ``extra``.
        column: Column in the source table (contact/account/extra variables).
        allowed: Closed set of values for category variables.
        description: One line for docs and error messages.
    """

    name: str
    dtype: LogicalType
    source: str
    column: str = ""
    allowed: tuple[str, ...] | None = None
    description: str = ""


DERIVED: tuple[Variable, ...] = (
    Variable("email_domain", "string", "derived", description="Part of the e-mail after '@'."),
    Variable("email_is_free", "bool", "derived", description="E-mail at a free provider."),
    Variable("email_is_corporate", "bool", "derived", description="E-mail present and not free."),
    Variable("phone_present", "bool", "derived", description="A phone number is given."),
    Variable("budget_stated", "bool", "derived", description="A budget (> 0) is stated."),
    Variable(AGE_FEATURE, "float", "derived", description="Age of the contact."),
    Variable(
        "has_open_opportunity",
        "bool",
        "derived",
        description="Latest deal_stage_change before as_of is an open stage.",
    ),
    Variable(
        "has_won_deal", "bool", "derived", description="A deal reached closed_won before as_of."
    ),
    Variable(
        "is_customer",
        "bool",
        "derived",
        description=(
            "Account is a customer, a deal was won, or lifecycle_stage is customer (read only "
            "for contacts with no record at or after as_of: the export writes it). The "
            "account's flag is read as it stood at as_of (features.customers): a customer "
            "from its contacts' first won deal on, flagged or not; an account whose first "
            "won deal comes after as_of was no customer yet."
        ),
    ),
    Variable(
        "is_unsubscribed",
        "bool",
        "derived",
        description="do_not_email is set or an email_unsubscribe happened before as_of.",
    ),
)

_PII_VARIABLES = frozenset(c.name for c in CONTACTS.columns if c.pii)


def base_variables() -> dict[str, Variable]:
    """Every variable available without ``extra_columns``: contact, account and derived."""
    out: dict[str, Variable] = {}
    for col in CONTACTS.columns:
        if col.name in _PII_VARIABLES:
            continue  # raw PII is reachable only through derived booleans/domains
        out[col.name] = Variable(
            col.name, col.dtype, "contact", col.name, col.allowed, col.description
        )
    for col in ACCOUNTS.columns:
        name = f"account.{col.name}"
        out[name] = Variable(name, col.dtype, "account", col.name, col.allowed, col.description)
    for var in DERIVED:
        out[var.name] = var
    return out


def variables_for(extra_columns: dict[str, str]) -> dict[str, Variable]:
    """The registry for one rulebook: base variables plus its declared extra columns."""
    out = base_variables()
    for name, dtype in extra_columns.items():
        if name not in out:
            out[name] = Variable(
                name,
                cast(LogicalType, dtype),
                "extra",
                name,
                None,
                "Non-canonical contact column declared by the rulebook.",
            )
    return out


ACTIVITY_FIELDS: dict[str, tuple[LogicalType, tuple[str, ...] | None]] = {
    col.name: (col.dtype, col.allowed)
    for col in ACTIVITIES.columns
    if col.name not in {"activity_id", "contact_id", "occurred_at"}
}
"""Activity columns an activity filter may test, with their type and vocabulary."""


def dtype_family(dtype: object) -> LogicalType:
    """Map a pandas dtype onto a logical type (for extra columns checked at scoring time)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"
