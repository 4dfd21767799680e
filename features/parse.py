"""Parsing text values of a flat export: numbers, yes/no, dates (vectorised, never per row).

Decisions, documented because exports differ:

* Numbers (:func:`parse_numbers`, the one definition of a number in a CRM text cell,
  read by type inference, ingestion's coercion and the rulebook's numeric columns):
  surrounding spaces ignored, a leading ``+``/``-``, a decimal point, an exponent; infinite
  values are not numbers. A comma is read as a thousands separator only when *every*
  value of the column holding a comma is grouped by threes (``1,532`` or ``12,345.5``); a
  decimal comma (``3,5``) is not a number, and beside one a grouped-looking ``1,250`` is
  ambiguous (1.25 or 1250?), so then no comma value is read (export with a decimal point).
* Yes/no: the pairs true/false, yes/no, y/n, t/f (any case; :data:`YES_NO_PAIRS`) map to 1/0.
* Dates: ISO 8601 first, then day-first and month-first formats with ``/``, ``.`` or ``-``;
  the format that reads most values wins (ties: the earlier one, i.e. day-first), so a
  column is read with one format, never row by row.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd

from features.events import utc_timestamp

YES_NO_PAIRS: tuple[tuple[str, str], ...] = (
    ("true", "false"),
    ("yes", "no"),
    ("y", "n"),
    ("t", "f"),
)
"""(true word, false word) pairs, lower-case: the one yes/no vocabulary. No word is in two
pairs, so at most one pair covers a column's levels (:func:`yes_no_pair`) and the order
decides nothing there; it does decide ties between the outcome pairs of ``fit-table``,
which are these in this order between 1/0 and won/lost
(:data:`features.flat_rows.OUTCOME_PAIRS`)."""
TRUE_WORDS: frozenset[str] = frozenset({*(yes for yes, _ in YES_NO_PAIRS), "1", "1.0"})
"""Text read as true (after trimming and case-folding) wherever a boolean is expected."""
FALSE_WORDS: frozenset[str] = frozenset({*(no for _, no in YES_NO_PAIRS), "0", "0.0"})
"""Text read as false, likewise."""


def parse_bool_words(values: pd.Series) -> pd.Series:
    """Booleans from text: :data:`TRUE_WORDS` / :data:`FALSE_WORDS` (any case, trimmed);
    blanks and any other value are missing.

    Returns:
        A ``boolean`` series aligned with ``values``.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    codes, distinct = pd.factorize(values.astype("object"), use_na_sentinel=True)
    words = pd.Series(np.asarray(distinct, dtype=object)).astype("string").str.strip()
    words = words.str.casefold()
    decided = np.full(len(distinct) + 1, None, dtype=object)  # last slot: missing
    decided[:-1][words.isin(TRUE_WORDS).fillna(False).to_numpy(dtype=bool)] = True
    decided[:-1][words.isin(FALSE_WORDS).fillna(False).to_numpy(dtype=bool)] = False
    return pd.Series(decided[codes], index=values.index, dtype="boolean")


DATE_FORMATS: tuple[str, ...] = (
    "ISO8601",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
"""Date formats tried, in order of preference."""

_GROUPED = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_DATE_LIKE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"


def parse_numbers(text: pd.Series) -> tuple[pd.Series, bool]:
    """Numbers in ``text``; what does not parse (or is infinite) becomes NaN.

    Args:
        text: Text values (missing allowed; surrounding spaces are ignored).

    Returns:
        ``(float64 Series, thousands)``; ``thousands`` says commas were read as thousands
        separators (see the module docstring for when).
    """
    values = text.astype("string").str.strip()
    has_comma = values.str.contains(",", regex=False).fillna(False).astype(bool)
    grouped = values.str.match(_GROUPED).fillna(False).astype(bool)
    thousands = bool(has_comma.any() and grouped[has_comma].all())
    if thousands:
        values = values.str.replace(",", "", regex=False)
    ok = values.str.match(_NUMBER).fillna(False).astype(bool)
    numbers = pd.to_numeric(values.where(ok), errors="coerce").astype("float64")
    finite = pd.Series(numbers.to_numpy(), index=text.index, dtype="float64")
    return finite.where(np.isfinite(finite)), thousands


def numbers_as_text(values: pd.Series) -> pd.Series:
    """Numbers as the text a CSV holds them in: whole numbers without a decimal point
    (``7``, not ``7.0``), others as Python writes them (``2.5``); missing stays missing.

    For a kept column validation typed as numbers (:mod:`features.ingest.extra_types`)
    that a reader takes as text: a scorer trained when the column was text (a category
    feature, a rulebook's ``string`` column) sees the levels it knows (``120``), whatever
    the rows of one scoring batch made validation decide.
    """
    numbers = values.astype("float64")
    whole = (numbers == np.floor(numbers)) & (numbers.abs() < 2**53)
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[whole] = numbers[whole].astype("int64").astype("string")
    other = numbers.notna() & ~whole
    out[other] = numbers[other].map(repr).astype("string")
    return out


def yes_no_pair(lowered_levels: set[str]) -> tuple[str, str] | None:
    """The yes/no pair covering every level, or None (levels are lower-case)."""
    for pair in YES_NO_PAIRS:
        if lowered_levels and lowered_levels <= set(pair):
            return pair
    return None


def parse_yes_no(text: pd.Series, pair: tuple[str, str]) -> pd.Series:
    """1.0 for the true word, 0.0 for the false word, NaN otherwise (case-insensitive)."""
    lowered = text.astype("string").str.lower()
    out = np.where(lowered == pair[0], 1.0, np.where(lowered == pair[1], 0.0, np.nan))
    return pd.Series(out, index=text.index, dtype="float64")


def parse_dates(text: pd.Series, date_format: str) -> pd.Series:
    """Timestamps (UTC) of ``text`` read with one format; unreadable values become NaT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        stamps = pd.to_datetime(
            text.astype("string"), format=date_format, errors="coerce", utc=True
        )
    return pd.Series(stamps, index=text.index)


def best_date_format(
    text: pd.Series, weights: np.ndarray | None = None
) -> tuple[str | None, float]:
    """The format of :data:`DATE_FORMATS` reading most non-missing values, and that share.

    Values must start like a date (``2024-03-05``, ``5/3/2024``, ``05.03.2024``) to count,
    so plain numbers are never taken for dates.

    Args:
        text: Stripped string values (e.g. the distinct values of a column).
        weights: How often each value occurs (default: once each).

    Returns:
        ``(format, share)`` where share is the weighted share of values read; ``(None,
        0.0)`` when no value looks like a date.
    """
    w = np.ones(len(text)) if weights is None else np.asarray(weights, dtype=float)
    keep = text.notna().to_numpy()
    present, w = text[keep].astype("string"), w[keep]
    if present.empty or not present.str.match(_DATE_LIKE).fillna(False).any():
        return None, 0.0
    best, best_share = None, 0.0
    for date_format in DATE_FORMATS:
        share = float(w[parse_dates(present, date_format).notna().to_numpy()].sum() / w.sum())
        if share > best_share:
            best, best_share = date_format, share
        if share == 1.0:
            break
    return best, best_share


_ISO_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"  # optional time
    r"(?:Z|[+-]\d{2}:?\d{2})?"  # optional offset
)


def utc_time(value: str | dt.date | pd.Timestamp, what: str = "--as-of") -> pd.Timestamp:
    """A point in time given by a user (option, config, flow parameter), in UTC.

    Text must be ISO 8601: ``YYYY-MM-DD``, optionally ``THH:MM[:SS]`` and an offset
    (``Z``, ``+02:00``); without an offset it is UTC. ``05/09/2026`` is refused rather than
    read as May or September depending on the day. Dates and timestamps are taken as they
    are (naive ones as UTC).

    Args:
        what: Where it came from, named in the error (an option, a config key).

    Raises:
        ValueError: Not ISO 8601, or not a real date (``2026-09-31``).
    """
    if not isinstance(value, str):
        return utc_timestamp(value)
    text = value.strip()
    if not _ISO_TIME.fullmatch(text):
        raise ValueError(
            f"{what} {value!r} is not an ISO date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM "
            "(UTC unless an offset such as +02:00 is given)"
        )
    try:
        return utc_timestamp(text)
    except ValueError as err:
        raise ValueError(f"{what} {value!r} is not a real date: {err}") from None
