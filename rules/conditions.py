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

from features.parse import numbers_as_text, parse_bool_words, parse_numbers
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
        history: Full activity view before ``as_of``.
        activity: Activity view that earns points (recycling applied).
        cache: Intermediate results shared by the variables (account positions, domains).
        unparsed: Per extra column, how many given values did not parse as its declared
            type (read as missing).
    """

    contacts: pd.DataFrame
    accounts: pd.DataFrame
    history: ActivityIndex
    activity: ActivityIndex
    variables: dict[str, Variable]
    free_domains: tuple[str, ...] | None = None
    cache: VariableCache = field(default_factory=VariableCache)
    unparsed: dict[str, int] = field(default_factory=dict)
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
                self._values[name] = self._typed_extra(var)
            else:
                self._values[name] = variable_values(
                    var, self.contacts, self.accounts, self.history, self.free_domains, self.cache
                )
        return self._values[name]

    def _typed_extra(self, var: Variable) -> pd.Series:
        """An extra column as the type the rulebook declares: text is parsed (booleans from
        yes/no, true/false, y/n, t/f, 1/0; numbers as validation reads numeric columns);
        a value that does not parse becomes missing and is counted in :attr:`unparsed`.
        Numbers declared text are read as their text (``7``, not ``7.0``).

        Raises:
            ColumnTypeError: The column's values cannot be read as the declared type.
        """
        column = self.contacts[var.column]
        found = dtype_family(column.dtype)
        pair = {found, var.dtype}
        if found == var.dtype or pair <= {"int", "float"} or pair <= {"string", "category"}:
            return column
        textual = found in {"string", "category"}
        if var.dtype in {"string", "category"} and found in {"int", "float"}:
            return numbers_as_text(column)  # a kept column validation typed as numbers
        if var.dtype in {"int", "float"} and textual:
            parsed = _as_number(column)
        elif var.dtype == "bool" and (textual or found in {"int", "float"}):
            parsed = parse_bool_words(column)  # 0/1 numbers read as the words "0"/"1"
        else:
            raise ColumnTypeError(
                f"contacts column {var.name!r} has dtype {column.dtype} but the rulebook "
                f"declares it {var.dtype}; fix extra_columns"
            )
        lost = int((parsed.isna().to_numpy() & ~apply_operator(column, "is_missing")).sum())
        if lost:
            self.unparsed[var.name] = self.unparsed.get(var.name, 0) + lost
            log.warning(
                "contacts column %r: %d value(s) are not %s and count as missing",
                var.name,
                lost,
                "true/false (yes/no, 1/0)" if var.dtype == "bool" else "numbers",
            )
        return parsed

    def measure(self, m: Measure) -> np.ndarray:
        """Contact-level float array of a measure (NaN where missing)."""
        if m.activity is not None:
            return self.activity.measure(m).astype(float)
        values = self.variable(m.var or "")
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def condition(self, cond: Any) -> np.ndarray:
        """Boolean array: which contacts satisfy the condition tree."""
        if isinstance(cond, AllOf):
            return np.logical_and.reduce([self.condition(c) for c in cond.all])
        if isinstance(cond, AnyOf):
            return np.logical_or.reduce([self.condition(c) for c in cond.any])
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


def _as_number(values: pd.Series) -> pd.Series:
    """A text column the rulebook declares numeric, read as ingestion and type inference
    read numbers (:func:`features.parse.parse_numbers`: ``1,250`` is 1250 when every
    comma groups thousands); what does not parse becomes missing."""
    return parse_numbers(values)[0]


def reads_activity(cond: Any) -> bool:
    """True when a condition tree contains an activity measure."""
    if cond is None:
        return False
    if isinstance(cond, AllOf | AnyOf):
        return any(reads_activity(c) for c in (cond.all if isinstance(cond, AllOf) else cond.any))
    if isinstance(cond, NotOf):
        return reads_activity(cond.not_)
    return cond.activity is not None
