"""One reading of a number in a CRM text cell: ingestion, type inference and the rulebook.

``features.parse.parse_numbers`` is the definition; ingestion's coercion
(``features.ingest.coerce.number_values``) and the rulebook's numeric columns
(``rules.conditions``) call it. Property-based: on generated columns the callers agree
with each other and with the values the cells were written from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.ingest.coerce import number_values
from features.parse import parse_numbers
from rules.conditions import _as_number

PROFILE = settings(max_examples=200, deadline=None, derandomize=True)
PLAIN = st.floats(allow_nan=False, allow_infinity=False, width=64)
GROUPED = st.integers(-(10**12), 10**12).filter(lambda n: abs(n) >= 1000)
CELLS = st.one_of(
    PLAIN.map(repr),  # '1e+16', '-0.0', '0.1'
    GROUPED.map(lambda n: f"{n:,}"),  # '1,250,000'
    st.integers(0, 999).map(lambda n: f"{n},5"),  # a decimal comma
    st.text(alphabet="0123456789,.+-eE \t", max_size=8),
    st.sampled_from(["", " ", "n/a", "inf", "-Infinity", "1e400", "nan", "1_000", "٣"]),
    st.none(),
)


def _floats(series: pd.Series) -> np.ndarray:
    return series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


@PROFILE
@given(st.lists(CELLS, min_size=1, max_size=12))
def test_rules_ingestion_and_inference_read_the_same_numbers(cells):
    column = pd.Series(cells, dtype="string")
    inferred, _ = parse_numbers(column)
    np.testing.assert_array_equal(_floats(number_values(column, integer=False)), inferred)
    np.testing.assert_array_equal(_floats(_as_number(column)), inferred)
    assert np.isfinite(inferred[~np.isnan(inferred)]).all()


@PROFILE
@given(
    st.lists(
        st.one_of(PLAIN.map(lambda x: (repr(x), x)), GROUPED.map(lambda n: (f" {n:,}", n))),
        min_size=1,
        max_size=12,
    )
)
def test_written_numbers_read_back_exactly(pairs):
    """Without a decimal comma in the column, every written number reads back as itself."""
    column = pd.Series([text for text, _ in pairs], dtype="string")
    expected = np.array([float(value) for _, value in pairs])
    np.testing.assert_array_equal(_floats(number_values(column, integer=False)), expected)


@PROFILE
@given(GROUPED.map(lambda n: f"{n:,}"), st.integers(0, 999).map(lambda n: f"{n},5"))
def test_beside_a_decimal_comma_no_comma_value_is_read(grouped, decimal):
    """'1,250' beside '3,5' may be 1.25: quarantined (missing), never guessed."""
    column = pd.Series([grouped, decimal, "7"], dtype="string")
    read = _floats(number_values(column, integer=False))
    assert np.isnan(read[:2]).all()
    assert read[2] == 7.0
