"""Which rows of a flat export are usable: the 0/1 outcome, duplicate ids, the time column."""

import numpy as np
import pandas as pd
import pytest

from features.blanks import BLANK_MARKERS
from features.flat_rows import (
    binary_outcome,
    require_columns,
    time_column_format,
)
from features.ingest import InputError, TableError
from features.parse import YES_NO_PAIRS, parse_bool_words, yes_no_pair


def outcome(values, positive=None):
    return binary_outcome(
        pd.Series(values, dtype="string"), column="t", positive=positive, blanks=BLANK_MARKERS
    )


def test_known_pair_numbers_and_rejections():
    result = outcome(["1", "0", "1.0", "", "x", None, "0"])
    np.testing.assert_array_equal(result.y, [1, 0, 1, np.nan, np.nan, np.nan, 0])
    assert result.rejected.isna().tolist() == [True, True, True, False, False, False, True]
    assert "'x' is neither" in result.rejected.iloc[4]
    assert "blank" in result.rejected.iloc[3] and result.positive == "1"


def test_won_lost_with_open_deals_rejected_and_case_ignored():
    result = outcome(["Won", "Lost", "Open", "won"])
    np.testing.assert_array_equal(result.y, [1, 0, np.nan, 1])
    assert "'Open'" in result.rejected.iloc[2]


def test_explicit_positive_makes_every_other_value_negative():
    result = outcome(["A", "B", "C", "b"], positive="B")
    np.testing.assert_array_equal(result.y, [0, 1, 0, 1])
    assert result.rejected.isna().all()


def test_two_values_one_positive_word():
    np.testing.assert_array_equal(outcome(["yes", "open", "yes"]).y, [1, 0, 1])


@pytest.mark.parametrize(
    ("values", "positive", "message"),
    [
        (["A", "B", "C"], None, "pass --positive VALUE"),
        (["A", "B"], None, "pass --positive VALUE"),
        (["A", "A"], None, "one class only"),
        (["1", "1", ""], None, "one class only"),
        (["A", "B"], "Z", "--positive 'Z' does not occur"),
        (["", "N/A"], None, "blank in every row"),
    ],
)
def test_target_errors(values, positive, message):
    with pytest.raises(InputError, match=message):
        outcome(values, positive)


def test_time_column_format_and_whole_column():
    values = pd.Series(["2024-01-02", "2024-02-30", None] + ["2024-01-01"] * 30)
    assert time_column_format(values, "t", 0.9) == "ISO8601"  # 31 of 32 values are dates
    day_first = pd.Series(["31/01/2024", "05/02/2024", "13/03/2024"])
    assert time_column_format(day_first, "t", 0.9) == "%d/%m/%Y"
    stamps = pd.Series(pd.to_datetime(["2024-01-02", None], utc=True))
    assert time_column_format(stamps, "t", 0.9) == "ISO8601"  # a datetime column passes
    with pytest.raises(InputError, match=r"not a date column: 25%.*'abc' in data row 2"):
        time_column_format(pd.Series(["2024-01-01", "abc", "x", "y"]), "t", 0.9)


def test_require_columns_suggests_close_names():
    frame = pd.DataFrame({"Converted": [1], "Lead Source": [1]})
    with pytest.raises(TableError, match=r"--id 'Sourc' .*similar: \['Lead Source'\]"):
        require_columns(frame, {"Converted": "--target", "Sourc": "--id"}, "f.csv")


@pytest.mark.parametrize(
    ("values", "positive", "y"),
    [
        # equal counts: the earlier pair of OUTCOME_PAIRS wins, its rows are read
        (["true", "false", "yes", "no"], "true", [1, 0, np.nan, np.nan]),
        (["won", "lost", "1", "0"], "1", [np.nan, np.nan, 1, 0]),
        (["Y", "n", "T", "f"], "Y", [1, 0, np.nan, np.nan]),
        # more rows decide before the order does
        (["YES", "no", "t", "f", "f"], "t", [np.nan, np.nan, 1, 0, 0]),
    ],
)
def test_two_known_pairs_present_the_earlier_or_larger_decides(values, positive, y):
    result = outcome(values)
    assert result.positive == positive
    np.testing.assert_array_equal(result.y, y)


def test_yes_no_words_are_one_vocabulary_for_booleans_columns_and_outcomes():
    words = [w for pair in YES_NO_PAIRS for w in pair]
    assert len(words) == len(set(words))  # no word in two pairs: yes_no_pair never ties
    for yes, no in YES_NO_PAIRS:
        assert yes_no_pair({yes}) == yes_no_pair({no}) == yes_no_pair({yes, no}) == (yes, no)
        got = parse_bool_words(pd.Series([yes.upper(), f" {no} ", yes, None], dtype="string"))
        assert got.tolist() == [True, False, True, pd.NA]
        assert outcome([yes.title(), no, no]).positive == yes.title()
    assert yes_no_pair({"yes", "n"}) is None  # two pairs' words: not a yes/no column
