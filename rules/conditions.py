"""Evaluate measures and condition trees (``all``/``any``/``not``) for all contacts at once.

An :class:`Evaluator` holds the contacts, accounts and two activity views: ``history``
(everything before ``as_of``, used by derived variables such as ``is_unsubscribed``) and
``activity`` (what earns points: the history minus activities forgotten by recycling).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rules.activities import ActivityIndex
from rules.model import AllOf, AnyOf, Leaf, Measure, NotOf
from rules.operators import apply_operator
from rules.variables import VariableCache, variable_values
from rules.vocabulary import Variable, dtype_family

log = logging.getLogger(__name__)


class ColumnTypeError(ValueError):
    """An extra column's dtype does not match the type the rulebook declares for it."""


@dataclass
class Evaluator:
    """Vectorised evaluation of rulebook measures and conditions.

    Attributes:
        contacts: Contacts in scoring order (RangeIndex).
        accounts: Account table.
        history: Full activity view before ``as_of``.
        activity: Activity view that earns points (recycling applied).
        variables: The rulebook's variable registry.
        free_domains: Free e-mail domains.
        cache: Intermediate results shared by the variables (account positions, domains).
    """

    contacts: pd.DataFrame
    accounts: pd.DataFrame
    history: ActivityIndex
    activity: ActivityIndex
    variables: dict[str, Variable]
    free_domains: tuple[str, ...] | None = None
    cache: VariableCache = field(default_factory=VariableCache)
    _values: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.contacts)

    def variable(self, name: str) -> pd.Series:
        """Values of a registered variable for every contact (cached)."""
        if name not in self._values:
            var = self.variables[name]
            if var.source == "extra":
                if var.column not in self.contacts:
                    raise ColumnTypeError(
                        f"rulebook column {name!r} (extra_columns) is not in the contacts table; "
                        "map it in the ingest mapping or remove the rules using it"
                    )
                found = dtype_family(self.contacts[var.column].dtype)
                compatible = (
                    {found, var.dtype} <= {"int", "float"}
                    or found == var.dtype
                    or ({found, var.dtype} <= {"string", "category"})
                    or (var.dtype in {"int", "float"} and found in {"string", "category"})
                )
                if not compatible:
                    raise ColumnTypeError(
                        f"contacts column {name!r} has dtype {self.contacts[var.column].dtype} "
                        f"but the rulebook declares it {var.dtype}; fix extra_columns"
                    )
                values = self.contacts[var.column]
                if var.dtype in {"int", "float"} and found in {"string", "category"}:
                    values = _as_number(values, name)
                self._values[name] = values
                return values
            self._values[name] = variable_values(
                var, self.contacts, self.accounts, self.history, self.free_domains, self.cache
            )
        return self._values[name]

    def measure(self, m: Measure) -> np.ndarray:
        """Contact-level float array of a measure (NaN where missing)."""
        if m.activity is not None:
            return self.activity.measure(m).astype(float)
        values = self.variable(m.var or "")
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def condition(self, cond: Any) -> np.ndarray:
        """Boolean array: which contacts satisfy the condition tree."""
        if isinstance(cond, AllOf):
            out = np.ones(self.n, dtype=bool)
            for c in cond.all:
                out &= self.condition(c)
            return out
        if isinstance(cond, AnyOf):
            out = np.zeros(self.n, dtype=bool)
            for c in cond.any:
                out |= self.condition(c)
            return out
        if isinstance(cond, NotOf):
            return ~self.condition(cond.not_)
        leaf: Leaf = cond
        if leaf.activity is not None:
            series = pd.Series(self.activity.measure(leaf))
            if leaf.agg != "count":
                series = series.astype(float)
        else:
            series = self.variable(leaf.var or "")
        return apply_operator(series, leaf.op, leaf.value)


def _as_number(values: pd.Series, name: str) -> pd.Series:
    """Parse a text column the rulebook declares numeric; unparsable text becomes missing."""
    parsed = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
    lost = int((parsed.isna() & ~apply_operator(values, "is_missing")).sum())
    if lost:
        log.warning("contacts column %r: %d non-numeric value(s) read as missing", name, lost)
    return parsed.astype(float)


def reads_activity(cond: Any) -> bool:
    """True when a condition tree contains an activity measure."""
    if cond is None:
        return False
    if isinstance(cond, AllOf):
        return any(reads_activity(c) for c in cond.all)
    if isinstance(cond, AnyOf):
        return any(reads_activity(c) for c in cond.any)
    if isinstance(cond, NotOf):
        return reads_activity(cond.not_)
    return cond.activity is not None
