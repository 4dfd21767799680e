"""What ``fit-table`` checks on a flat export before it infers a mapping: the options'
columns, a 0/1 outcome per row, a readable ``--time`` column.

Rows whose outcome is unreadable are never dropped silently: :func:`binary_outcome` returns,
per row, the reason it cannot be used (or missing), for ``rejected.csv``; repeated ids and
unreadable dates are validation's to quarantine. Problems with a whole column (a target
with one class, a time column that holds no dates) raise
:class:`features.ingest.InputError` with what to pass instead.

Target rule: blank values (see :mod:`features.blanks`) are rejected. With ``positive``
given, that value is 1 and every other value 0. Without it, a known pair decides: 1/0,
true/false, yes/no, y/n, t/f, won/lost (any case; ``1.0`` reads as ``1``); values outside
the pair are rejected as unreadable (pass ``--positive`` to count them as 0). A target with
two values outside these pairs needs ``--positive`` unless one of them is a positive word
(1, true, yes, y, t, won).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.blanks import blank_mask, stripped_strings
from features.ingest.readers import InputError, TableError
from features.parse import YES_NO_PAIRS, best_date_format, parse_dates

OUTCOME_PAIRS: tuple[tuple[str, str], ...] = (("1", "0"), *YES_NO_PAIRS, ("won", "lost"))
"""Known (positive, negative) spellings of a binary outcome, lower-case: 1/0, the yes/no
pairs of :data:`features.parse.YES_NO_PAIRS`, won/lost. When two pairs are both present
with as many rows each, the earlier pair decides the positive class."""

POSITIVE_WORDS = frozenset(pair[0] for pair in OUTCOME_PAIRS)


@dataclass(frozen=True)
class Outcome:
    """The 0/1 label of each row.

    Attributes:
        y: 1.0 / 0.0, NaN where the row is rejected.
        rejected: Reason per row, missing where the row is usable.
        positive: The target value read as 1 (as spelled in the file).
        rule: How the positive class was chosen (for the report).
    """

    y: pd.Series
    rejected: pd.Series
    positive: str
    rule: str


def require_columns(frame: pd.DataFrame, wanted: dict[str, str], source: str) -> None:
    """Raise when an option names a column the table lacks, listing similar names.

    Args:
        wanted: Column name -> the option that named it (e.g. ``"--target"``).

    Raises:
        TableError: A column is absent.
    """
    names = [str(c) for c in frame.columns]
    for column, option in wanted.items():
        if column in frame.columns:
            continue
        lowered = {n.lower(): n for n in names}
        close = difflib.get_close_matches(column.lower(), list(lowered), n=5, cutoff=0.5)
        hint = f"similar: {[lowered[c] for c in close]}" if close else f"columns: {names[:40]}"
        raise TableError(
            f"{source}: {option} {column!r} is not a column of the table ({hint}); pass one "
            f"of the table's column names to {option}"
        )


def _canonical(text: pd.Series) -> pd.Series:
    """Lower-cased text with integral numbers written plainly (``1.0`` -> ``1``)."""
    lowered = text.str.lower()
    numbers = pd.to_numeric(lowered, errors="coerce")
    integral = numbers.notna() & (numbers % 1 == 0)
    as_int = numbers.where(integral).astype("Int64").astype("string")
    return as_int.where(integral, lowered)


def _is(values: pd.Series, value: str) -> np.ndarray:
    return (values == value).fillna(False).to_numpy(dtype=bool)


def _shown(levels: Iterable[str], limit: int = 8) -> str:
    levels = list(levels)
    more = f", ... ({len(levels)} in all)" if len(levels) > limit else ""
    return ", ".join(repr(v) for v in levels[:limit]) + more


def binary_outcome(
    values: pd.Series, *, column: str, positive: str | None, blanks: Sequence[str]
) -> Outcome:
    """Read the target column as a 0/1 outcome (see the module docstring for the rule).

    Args:
        positive: The value meaning converted, or None to decide from known pairs.
        blanks: Blank words, lower-case.

    Returns:
        The outcome; rejected rows have a reason.

    Raises:
        InputError: ``positive`` does not occur, the usable rows hold one class, or the
            positive class cannot be decided without ``--positive``.
    """
    blank = blank_mask(values, blanks).to_numpy()
    text = stripped_strings(values).where(~blank)
    canon = _canonical(text)
    counts = canon.value_counts()
    if counts.empty:
        raise InputError(f"target {column!r} is blank in every row; pass another --target")
    spelled = pd.Series(text.to_numpy(), index=canon.to_numpy()).dropna()
    spelled = spelled[~spelled.index.duplicated()]
    if positive is not None:
        wanted = _canonical(pd.Series([str(positive).strip()], dtype="string")).iloc[0]
        if wanted not in counts.index:
            raise InputError(
                f"--positive {positive!r} does not occur in target {column!r}; its values "
                f"are {_shown(spelled.reindex(counts.index))}: pass one of them"
            )
        y = np.where(_is(canon, wanted), 1.0, 0.0)
        rule = f"--positive {positive!r}; every other value is 0"
        unreadable = np.zeros(len(values), dtype=bool)
    else:
        wanted, negative = _decide_pair(counts, spelled, column)
        y = np.where(_is(canon, wanted), 1.0, np.where(_is(canon, negative), 0.0, np.nan))
        unreadable = ~blank & np.isnan(y)
        rule = f"{spelled[wanted]!r} = 1, {spelled[negative]!r} = 0"
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    reasons[blank] = f"target {column!r} is blank"
    shown = ("'" + text.fillna("") + "'").astype("string")
    reasons[unreadable] = (
        f"target {column!r} value " + shown[unreadable] + f" is neither of ({rule})"
    )
    y = np.where(blank | unreadable, np.nan, y)
    _check_two_classes(y, column, counts)
    return Outcome(pd.Series(y, index=values.index), reasons, str(spelled[wanted]), rule)


def _decide_pair(counts: pd.Series, spelled: pd.Series, column: str) -> tuple[str, str]:
    """(positive, negative) canonical values from the known pairs, or an InputError."""
    present = set(counts.index)
    pairs = [p for p in OUTCOME_PAIRS if set(p) <= present]
    if pairs:
        return max(pairs, key=lambda p: counts[list(p)].sum())
    if len(present) == 2:
        hits = [v for v in counts.index if v in POSITIVE_WORDS]
        if len(hits) == 1:
            return hits[0], next(v for v in counts.index if v != hits[0])
    if len(present) == 1:
        raise InputError(
            f"target {column!r} has one class only ({_shown(spelled)}); a model needs "
            "converted and not converted rows: pass another --target or more data"
        )
    raise InputError(
        f"target {column!r} has {len(present)} values ({_shown(spelled.reindex(counts.index))}) "
        "and none is a known 'converted' value (1, true, yes, won): pass --positive VALUE "
        "to say which value means converted"
    )


def _check_two_classes(y: np.ndarray, column: str, counts: pd.Series) -> None:
    n_pos, n_neg = int(np.sum(y == 1)), int(np.sum(y == 0))
    if min(n_pos, n_neg) == 0:
        raise InputError(
            f"target {column!r} has one class only among usable rows ({n_pos} positive, "
            f"{n_neg} negative; values {_shown(counts.index)}); a model needs both: pass "
            "another --target, another --positive or more data"
        )


def time_column_format(values: pd.Series, column: str, min_share: float) -> str | None:
    """The date format of the ``--time`` column (:func:`features.parse.best_date_format`).

    A row whose date does not read is validation's to quarantine (see the module docstring).

    Args:
        min_share: Share of non-blank values that must be dates (the run configuration's
            ``time_min_share``); a datetime column (Parquet) is dates already.

    Raises:
        InputError: Fewer than ``min_share`` of the values are dates.
    """
    text = stripped_strings(values)
    date_format, share = best_date_format(text)
    dates = pd.api.types.is_datetime64_any_dtype(values.dtype)
    if dates or (date_format is not None and share >= min_share):
        return date_format
    read = parse_dates(text, date_format or "ISO8601").notna()
    bad = text[text.notna() & ~read]
    example = f" (e.g. {bad.iloc[0]!r} in data row {bad.index[0] + 1})" if len(bad) else ""
    raise InputError(
        f"--time {column!r} is not a date column: {share:.0%} of its values read as "
        f"dates{example}; pass a column of dates (e.g. 2024-03-31) or leave --time "
        "out to split at random"
    )
