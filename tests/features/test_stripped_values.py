"""The two stripping helpers, one job each: inspection keeps ``""``, ingest makes it missing."""

from __future__ import annotations

import pandas as pd

from features.blanks import blank_mask, stripped_strings
from features.ingest.normalise import stripped_or_missing


def test_stripped_strings_makes_text_and_keeps_empty_for_blank_mask() -> None:
    values = pd.Series([" a ", "", None, 3, "  "], dtype=object)
    result = stripped_strings(values)
    assert isinstance(result.dtype, pd.StringDtype)
    assert result.tolist() == ["a", "", pd.NA, "3", ""]
    # "" is kept so that blank_mask reports it as a blank marker
    assert blank_mask(values, ("",)).tolist() == [False, True, True, False, True]


def test_stripped_or_missing_turns_empty_into_missing() -> None:
    result = stripped_or_missing(pd.Series([" a ", "", "  ", "b"], dtype=object))
    assert result.tolist()[0::3] == ["a", "b"]
    assert result.isna().tolist() == [False, True, True, False]


def test_stripped_or_missing_keeps_non_text_values_and_dtype() -> None:
    when = pd.Timestamp("2024-03-01")
    mixed = stripped_or_missing(pd.Series([when, " x ", ""], dtype=object))
    assert mixed.iloc[0] == when and mixed.iloc[1] == "x" and pd.isna(mixed.iloc[2])
    numbers = pd.Series([1.5, 2.0])
    assert stripped_or_missing(numbers) is numbers
