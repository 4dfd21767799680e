"""Turn section frames into display tables: formatted strings, no HTML (the template escapes).

A column spec is ``(column, header, kind)`` where kind is one of ``text``, ``int``, ``pct``,
``pp`` (signed percentage points), ``f2``, ``f3``, ``signed`` (signed number), ``points`` or
``num`` (a score or threshold as :func:`features.reasons.number_text` writes it).
Sentences use :func:`~features.reasons.number_text` too, so a threshold reads the same
in a table and in the text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.reasons import number_text

Spec = Sequence[tuple[str, str, str]]


def _number(fmt: str) -> Callable[[object], str]:
    def render(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "–"
        return format(value, fmt)

    return render


def count_text(value: float) -> str:
    """A count of leads or conversions: whole counts as integers (``1,234``), an expected
    count over tied leads (:func:`models.metrics.expected_hits_at_k`) with one decimal."""
    number = float(value)
    return format(number, ",.0f") if number == round(number) else format(number, ",.1f")


def _finite(render: Callable[[float], str]) -> Callable[[object], str]:
    """``render`` of a number's value; a missing value or a non-number as a dash."""

    def cell(value: object) -> str:
        if not isinstance(value, int | float | np.number) or np.isnan(value):
            return "–"
        return render(float(value))

    return cell


FORMATS: dict[str, Callable[[object], str]] = {
    "text": lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v),
    "int": _number(",.0f"),
    "count": _finite(count_text),
    "pct": _number(".1%"),
    "f2": _number(".2f"),
    "f3": _number(".3f"),
    "signed": _number("+.3f"),
    "points": _number("+.0f"),
    "num": _finite(number_text),
}


@dataclass(frozen=True)
class Table:
    """A display table: header strings, rows of cell strings, which columns are numeric."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


def table(frame: pd.DataFrame, spec: Spec) -> Table:
    """Format the ``spec`` columns of ``frame`` (missing columns are skipped)."""
    used = [(c, h, k) for c, h, k in spec if c in frame.columns]
    columns = [[FORMATS[k](v) for v in frame[c].tolist()] for c, _, k in used]
    rows = tuple(zip(*columns, strict=True)) if columns else ()
    return Table(
        headers=tuple(h for _, h, _ in used),
        rows=tuple(tuple(r) for r in rows),
        numeric=tuple(k != "text" for _, _, k in used),
    )


@dataclass(frozen=True)
class Cell:
    """One matrix cell: its text, a background colour and a CSS class."""

    text: str
    color: str
    css: str


def heat(rate: float, top: float) -> str:
    """Background colour for a conversion rate: white (0) to blue (``top`` or more)."""
    if np.isnan(rate) or top <= 0:
        return "#f4f4f4"
    share = min(1.0, rate / top)
    r, g, b = (int(255 - share * (255 - c)) for c in (86, 150, 214))
    return f"#{r:02x}{g:02x}{b:02x}"


def matrix(
    long: pd.DataFrame, hot_rows: Sequence[str], hot_cols: Sequence[str]
) -> tuple[list[str], list[tuple[str, list[Cell]]]]:
    """The disagreement matrix as (column names, [(row name, cells)]).

    Off-diagonal cells get the class ``hot-rules`` (hot by rules, cold by model) or
    ``hot-model`` (the reverse).
    """
    rows = list(dict.fromkeys(long["manual"]))
    cols = list(dict.fromkeys(long["tier"]))
    top = float(np.nanmax(long["conversion_rate"].to_numpy(dtype=float), initial=0.0))
    lookup = long.set_index(["manual", "tier"])
    out = []
    for row in rows:
        cells = []
        for col in cols:
            n, rate = lookup.at[(row, col), "n"], lookup.at[(row, col), "conversion_rate"]
            text = f"{int(n):,}" + ("" if np.isnan(rate) else f" · {rate:.0%}")
            css = ""
            if row in hot_rows and col not in hot_cols:
                css = "hot-rules"
            elif row not in hot_rows and col in hot_cols:
                css = "hot-model"
            cells.append(Cell(text=text, color=heat(float(rate), top), css=css))
        out.append((row, cells))
    return cols, out
