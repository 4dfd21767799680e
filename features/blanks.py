"""Blank values of a flat export: "", "N/A", "-", "null" and form placeholders like "Select".

Exports from web forms and CRMs fill an unanswered field with the prompt of its drop-down
("Select", "-- choose --") or with a word for nothing ("N/A", "none"). These mean missing.
:func:`blank_mask` marks them, :func:`detect_placeholders` finds the placeholder levels a
table actually uses (a prompt-like value shared by several columns) so that the decision
is reported, not hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from features.parse import FALSE_WORDS, TRUE_WORDS

BLANK_MARKERS: tuple[str, ...] = (
    "",
    "select",
    "n/a",
    "na",
    "#n/a",
    "-",
    "--",
    "none",
    "null",
    "nil",
    "nan",
    "?",
    "not specified",
    "not provided",
)
"""Values (compared stripped and lower-cased) that always mean blank."""

_PROMPT = re.compile(r"^[\W_]*(please\s+)?(select|choose|pick)\b", re.IGNORECASE)
_PUNCTUATION_ONLY = re.compile(r"^[\W_]+$")


def stripped_strings(values: pd.Series) -> pd.Series:
    """``values`` as pandas strings with surrounding white space removed (missing kept).

    For inspecting a flat export's values: every value becomes text and ``""`` stays
    ``""``, because ``""`` is one of the :data:`BLANK_MARKERS` that :func:`blank_mask`
    reports (a separate job from ingest's cleaning,
    :func:`features.ingest.normalise.stripped_or_missing`, which turns ``""`` into missing
    and leaves non-text values as they are).
    """
    return values.astype("string").str.strip()


def blank_mask(values: pd.Series, markers: Iterable[str]) -> pd.Series:
    """True where a value is missing or one of ``markers`` (case-insensitive, stripped).

    Args:
        values: One column, any dtype (non-text columns are blank only where missing).
        markers: Blank words, lower-case.
    """
    if not pd.api.types.is_string_dtype(values.dtype):  # object columns included
        return values.isna()
    lowered = stripped_strings(values).str.lower()
    return (lowered.isna() | lowered.isin(list(markers))).astype(bool)


def detect_placeholders(
    frame: pd.DataFrame, markers: Iterable[str], min_columns: int
) -> dict[str, list[str]]:
    """Placeholder levels used by the text columns of ``frame`` and where they occur.

    A value is a placeholder when it is a blank marker, or when it looks like a drop-down
    prompt ("Select", "-- Choose one --") or is punctuation only ("---") and occurs in at
    least ``min_columns`` text columns (a prompt word in one column only may be a real
    answer); blank markers are reported wherever they occur.

    Args:
        frame: The table (text columns are inspected, others ignored).
        markers: Blank words, lower-case.

    Returns:
        Placeholder value (as spelled in the file, stripped) -> columns holding it, sorted
        by how many columns hold it (most first).
    """
    marker_set = set(markers)
    pairs = [
        pd.DataFrame(
            {"value": stripped_strings(frame[name]).dropna().unique(), "column": str(name)}
        )
        for name in frame.columns
        if pd.api.types.is_string_dtype(frame[name].dtype)
    ]
    if not pairs:
        return {}
    levels = pd.concat(pairs, ignore_index=True)
    levels = levels[~levels["value"].str.lower().isin([*TRUE_WORDS, *FALSE_WORDS])]
    grouped = levels.groupby("value", sort=False)["column"]
    n_columns = grouped.size()
    values = n_columns.index.to_series(index=n_columns.index).astype("string")
    prompt = values.str.match(_PROMPT.pattern, flags=re.IGNORECASE) | values.str.match(
        _PUNCTUATION_ONLY.pattern
    )
    marker = values.str.lower().isin(list(marker_set)) & (values != "")
    keep = (marker | (prompt & (n_columns >= min_columns))).fillna(False).astype(bool)
    kept = levels[levels["value"].isin(keep.index[keep.to_numpy()])]
    found = {str(v): list(g["column"]) for v, g in kept.groupby("value", sort=False)}
    return dict(sorted(found.items(), key=lambda item: (-len(item[1]), item[0])))
