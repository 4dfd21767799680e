"""Numbers for people to read: the one formatter of reasons, explanations and reports.

``178,649,000``, ``12.50``, ``+5``, ``2.67``: thousands separated, a whole number without
decimals, never an exponent (``1.78649e+08``, ``5.1e-06``). :func:`format_number` formats
one value; :func:`number_text` a score, threshold or points (one decimal).
Every layer reads it from here, so a value reads the same in a lead's reasons,
``rules explain``, the CRM sink, the report and its figures.
"""

from __future__ import annotations

import math


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
