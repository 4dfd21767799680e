"""The one definition of a rate over a count that may be zero: ``part / whole``, NaN when
``whole`` is 0 (no rows, no positives: no rate, rather than 0 or a division error).

It lives in the lowest layer so that metrics (:mod:`models.metrics`, :mod:`models.curves`)
and the report's tables (:mod:`serving.report`) all read it from here.
"""

from __future__ import annotations

import math
from typing import overload

import pandas as pd


@overload
def ratio(part: float, whole: float) -> float: ...


@overload
def ratio(part: pd.Series, whole: float) -> pd.Series | float: ...


def ratio(part: float | pd.Series, whole: float) -> float | pd.Series:
    """``part / whole``, or NaN when ``whole`` is 0.

    Args:
        part: A count, rate or Series of them (divided element-wise).
        whole: The count or rate to divide by (never negative).

    Returns:
        The quotient (a Series for a Series ``part``), or NaN when ``whole`` is 0.
    """
    return part / whole if whole else math.nan
