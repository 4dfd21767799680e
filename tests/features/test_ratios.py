"""features.measures.ratio: a rate over a count that may be zero."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from features.measures import ratio


def test_ratio_divides_and_is_nan_over_zero():
    assert ratio(3, 4) == 0.75
    assert ratio(np.int64(1), np.int64(8)) == 0.125
    assert math.isnan(ratio(0, 0))
    assert math.isnan(ratio(5, np.int64(0)))


def test_ratio_of_a_series_divides_each_value():
    got = ratio(pd.Series([1.0, 2.0, 6.0]), 4)
    pd.testing.assert_series_equal(got, pd.Series([0.25, 0.5, 1.5]))
    assert math.isnan(ratio(pd.Series([1.0]), 0))
