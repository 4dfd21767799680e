"""Vectorised operators: apply ``op``/``value`` to a whole column at once.

Every operator returns a NumPy boolean array. Missing values never satisfy a positive
test (``eq``, ``in``, ``contains``, ``gt`` ...); the negated operators (``ne``,
``not_in``, ``not_contains``, ``not_regex``) are exactly the negation of their positive
twin, so a missing value satisfies them. Text tests ``contains``/``starts_with``/
``ends_with`` ignore case; ``eq``/``in`` and ``regex`` compare as written (add ``(?i)`` to a
pattern for case-insensitive matching). Empty or blank strings count as missing.
Categorical columns are tested once per category and mapped back through the codes.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np
import pandas as pd

_NEGATED = {"ne": "eq", "not_in": "in", "not_contains": "contains", "not_regex": "regex"}
_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def _missing(s: pd.Series) -> np.ndarray:
    miss = s.isna().to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
        blank = s.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        miss = miss | blank
    return miss


def _text(s: pd.Series) -> pd.Series:
    """``s`` itself when it already holds strings (no copy), else as ``string`` dtype."""
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s
    return s.astype("string")


def _positive(s: pd.Series, op: str, value: Any) -> np.ndarray:
    """Positive operators on a non-categorical series; NA -> False."""
    if op == "eq":
        res = s.eq(value)
    elif op == "in":
        res = s.isin(value)
    elif op in {"contains", "starts_with", "ends_with"}:
        low = _text(s).str.lower()
        needle = str(value).lower()
        if op == "contains":
            res = low.str.contains(needle, regex=False)
        elif op == "starts_with":
            res = low.str.startswith(needle)
        else:
            res = low.str.endswith(needle)
    elif op == "regex":
        with warnings.catch_warnings():  # groups are fine: we only test for a match
            warnings.filterwarnings("ignore", message="This pattern is interpreted")
            res = _text(s).str.contains(value, regex=True)
    elif op in _COMPARE:
        res = _COMPARE[op](s, value)
    elif op == "between":
        res = s.ge(value[0]) & s.le(value[1])
    elif op in {"is_true", "is_false"}:
        res = s.eq(op == "is_true")
    else:  # the loader only lets registered operators through
        raise ValueError(f"unknown operator {op!r}")
    return pd.Series(res).fillna(False).to_numpy(dtype=bool)


def category_lookup(categories: pd.Index, op: str, value: Any = None) -> np.ndarray:
    """``op``/``value`` evaluated once per category of a categorical column.

    Returns:
        One boolean per category, then one for missing values (code -1, the last slot),
        so that ``lookup[codes]`` answers for every row.
    """
    if op in {"is_missing", "is_present"}:
        lookup = np.zeros(len(categories) + 1, dtype=bool)
        lookup[-1] = True
        return lookup if op == "is_missing" else ~lookup
    if op in _NEGATED:
        return ~category_lookup(categories, _NEGATED[op], value)
    per_cat = _positive(pd.Series(categories.astype("string")), op, value)
    return np.append(per_cat, False)


def lookup_codes(codes: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """``lookup[codes]`` (see :func:`category_lookup`); a few comparisons when few slots
    differ, since they beat a gather over millions of int8 codes."""
    n_true = int(lookup.sum())
    if n_true in {0, lookup.size}:
        return np.full(codes.size, n_true > 0)
    if min(n_true, lookup.size - n_true) > 4:
        return lookup[codes]
    odd = np.flatnonzero(lookup if n_true <= 4 else ~lookup)
    out = np.zeros(codes.size, dtype=bool)
    for slot in odd:
        out |= codes == (slot if slot < lookup.size - 1 else -1)
    return out if n_true <= 4 else ~out


def apply_operator(s: pd.Series, op: str, value: Any = None) -> np.ndarray:
    """Evaluate ``s <op> value`` for every element of ``s`` (any canonical dtype): one
    boolean each. ``op`` is registered (:mod:`rules.vocabulary`), ``value`` validated."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return lookup_codes(s.array.codes, category_lookup(s.cat.categories, op, value))
    if op == "is_missing":
        return _missing(s)
    if op == "is_present":
        return ~_missing(s)
    if op in _NEGATED:
        return ~apply_operator(s, _NEGATED[op], value)
    if op in {"eq", "in"} and pd.api.types.is_float_dtype(s.dtype):
        vals = np.asarray(value if op == "in" else [value], dtype=float)
        return np.isin(s.to_numpy(dtype=float, na_value=np.nan), vals)
    if op in {"gt", "gte", "lt", "lte", "between"} and pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if op == "between":
                return (arr >= value[0]) & (arr <= value[1])
            return np.asarray(_COMPARE[op](arr, value))
    return _positive(s, op, value)
