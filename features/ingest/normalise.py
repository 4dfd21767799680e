"""Generic cleaning of canonical columns before validation.

Mapped exports carry the small inconsistencies every CRM has: padded strings, empty
strings instead of blanks, categories typed as ``"  Pricing"``, ``"Email Open"`` or
``"bofu "``, booleans written ``Yes``/``n``/``1``. :func:`normalise_table` smooths these
out so validation judges the values, not their spelling. It never drops a row, never
touches extra (non-canonical) columns and leaves a value it cannot clean as it is, so
that coercion and validation can report it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.parse import FALSE_WORDS, TRUE_WORDS  # one definition, read by rules too
from features.schema import Column, Table


def normalise_table(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Clean the canonical columns of one table.

    Args:
        frame: The table as mapped (canonical names, raw or typed values, extras).

    Returns:
        A new frame with the same rows and index: every canonical column of ``table``
        (absent optional ones added as all-missing), cleaned, in schema order, then the
        extra columns untouched.
    """
    cleaned: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name in frame.columns:
            cleaned[column.name] = normalised_column(frame[column.name], column)
        else:
            cleaned[column.name] = pd.Series(pd.NA, index=frame.index, dtype="object")
    extras = [c for c in frame.columns if c not in cleaned]
    result = pd.DataFrame(cleaned, index=frame.index)
    return pd.concat([result, frame[extras]], axis=1) if extras else result


def normalised_column(values: pd.Series, column: Column) -> pd.Series:
    """One canonical column cleaned according to its logical type."""
    if column.dtype == "category":
        allowed = column.allowed or ()
        return category_values(values, upper=bool(allowed) and all(v == v.upper() for v in allowed))
    if column.dtype == "bool":
        return bool_values(values)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return stripped_or_missing(values)
    return values


def stripped_or_missing(values: pd.Series) -> pd.Series:
    """Strings stripped of surrounding whitespace; ``""`` becomes missing.

    Cleaning a mapped column before validation, so an empty cell is judged as missing:
    non-string objects in a mixed column (e.g. timestamps a mapping already parsed next
    to raw leftovers) are kept as they are and the dtype is not changed to text. (Flat
    exports' inspection uses :func:`features.blanks.stripped_strings` instead, which keeps
    ``""`` for :func:`features.blanks.blank_mask` to report as a blank marker.)
    """
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty"):
        text = values.astype("str").str.strip()
        return text.where(text != "")
    if kind not in ("mixed", "mixed-integer"):
        return values
    stripped = values.str.strip()  # NaN for the non-string objects
    result = values.where(stripped.isna(), stripped)
    return result.where(result.astype("string") != "", None)


def category_values(values: pd.Series, *, upper: bool = False) -> pd.Series:
    """Vocabulary spelling: trimmed, case-folded, runs of spaces/hyphens -> ``_``.

    Args:
        values: Category values (text or a pandas categorical).
        upper: Upper-case instead of lower-case (vocabularies such as form stages
            ``TOFU``/``MOFU``/``BOFU`` and regions ``NA``/``EMEA``).

    Returns:
        A ``str`` column; missing and empty values are missing.
    """

    def spell(distinct: pd.Series) -> pd.Series:
        text = distinct.astype("string").str.strip()
        text = text.str.replace(r"[\s\-]+", "_", regex=True)
        text = text.str.upper() if upper else text.str.casefold()
        return text.where(text != "", None).astype(object)

    return on_distinct(values, spell).astype("str")


def bool_values(values: pd.Series) -> pd.Series:
    """``yes/no/true/false/y/n/t/f/1/0`` (any case) -> ``True``/``False``.

    Booleans pass through. Other values stay as typed so coercion can report them.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values

    def decide(distinct: pd.Series) -> pd.Series:
        words = distinct.astype("string").str.strip().str.casefold()
        result = distinct.astype(object).where(words != "", None)
        result[words.isin(TRUE_WORDS).fillna(False).astype(bool)] = True
        result[words.isin(FALSE_WORDS).fillna(False).astype(bool)] = False
        return result

    result = on_distinct(values, decide)
    if pd.api.types.infer_dtype(result, skipna=True) in ("boolean", "empty"):
        return result.astype("boolean")
    return result


def on_distinct(values: pd.Series, func: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply ``func`` to the distinct values only and spread the result back.

    Category and flag columns hold a handful of distinct values in millions of rows,
    so string work on the distinct values is what keeps normalisation fast.

    Returns:
        An ``object`` Series on ``values``' index; missing values stay missing.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    cleaned = func(pd.Series(np.asarray(distinct, dtype=object)))
    return spread(codes, cleaned.to_numpy(dtype=object), values.index)


def spread(codes: np.ndarray, distinct: np.ndarray, index: pd.Index) -> pd.Series:
    """``distinct[codes]`` as an object Series; code -1 (missing) gives None."""
    result = distinct[codes] if len(distinct) else np.full(len(codes), None, dtype=object)
    result[codes < 0] = None
    return pd.Series(result, index=index, dtype=object)
