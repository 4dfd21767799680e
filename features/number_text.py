"""Numbers for people to read: the one formatter of reasons, explanations and reports.

``178,649,000``, ``12.50``, ``+5``, ``2.67``: thousands separated, a whole number without
decimals, never an exponent (``1.78649e+08``, ``5.1e-06``). :func:`format_number` formats
one value; :func:`number_text` a score, threshold or points (one decimal);
:func:`numbers_text` a whole array (vectorised, for reasons of every row of a table).
Every layer reads it from here, so a value reads the same in a lead's reasons,
``rules explain``, the CRM sink, the report and its figures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

_THOUSANDS = r"^(-?\d+)(\d{3})"


def format_number(x: float, *, signed: bool = False, decimals: int = 2, trim: bool = False) -> str:
    """One number for people to read: ``178,649,000``, ``12.50``, ``+0.00``.

    Args:
        x: The number (points, a rule's value, a threshold, a feature value).
        signed: Always show the sign (``+5``, ``-2.50``), as for points.
        decimals: Decimals of a number that is not whole (a whole one shows none).
        trim: Drop trailing zeros of the decimals (``2.5`` rather than ``2.50``).

    Returns:
        Thousands separated; a decayed near-zero ``5.1e-06`` reads ``0.00`` (``+0.00``).
    """
    sign = "+" if signed else ""
    if not math.isfinite(x):
        return f"{x:{sign}}"
    if abs(x - round(x)) < 1e-9:
        return f"{round(x):{sign},d}"
    text = f"{x:{sign},.{decimals}f}"
    return text.rstrip("0").rstrip(".") if trim else text


def number_text(value: float, *, signed: bool = False) -> str:
    """A score, threshold or count of points: ``49.2``, ``1,369``, ``+5`` (one decimal).

    The form reasons, the comparison report and its figures write such values in.
    """
    return format_number(float(value), signed=signed, decimals=1)


def numbers_text(values: np.ndarray) -> pd.Series:
    """:func:`format_number` of every value with ``decimals=2, trim=True``, vectorised.

    Args:
        values: Finite numbers.

    Returns:
        Whole numbers without decimals, others with up to 2, thousands separated.
    """
    rounded = np.round(np.asarray(values, dtype=float), 2)
    whole = np.mod(rounded, 1) == 0
    text = pd.Series(np.where(whole, rounded.astype("int64", copy=False), 0), dtype="int64")
    out = text.astype("string").where(whole, pd.Series(rounded).astype("string"))
    for _ in range(5):  # 1234567890 -> 1,234,567,890 (each pass adds one comma)
        out = out.str.replace(_THOUSANDS, r"\1,\2", regex=True)
    return out
