"""Display data of one report section: the HTML template only lays these out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from models.plots import label, to_data_uri
from serving.report.tables import Cell, Table


@dataclass(frozen=True)
class Section:
    """One report section.

    Attributes:
        id: Stable anchor (``roc``, ``bands``, ...).
        title: Heading.
        how: The one-sentence "how to read this" line.
        paragraphs: Plain-text paragraphs shown under the line.
        figures: (data URI, alt text) of embedded PNGs.
        tables: (caption, table) pairs.
        matrix: Column names and rows of a coloured matrix (disagreement), or None.
    """

    id: str
    title: str
    how: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()
    tables: tuple[tuple[str, Table], ...] = ()
    matrix: tuple[list[str], list[tuple[str, list[Cell]]]] | None = None


def embedded(figure: Figure, alt: str) -> tuple[str, str]:
    """A section figure: the PNG as a data URI and its alt text."""
    return to_data_uri(figure), alt


def labelled(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with method keys in ``columns`` (default ``method``) replaced by names."""
    names = columns or ("method",)
    return frame.assign(**{c: frame[c].map(lambda m: label(str(m))) for c in names})


RATE = (
    ("n", "Leads", "int"),
    ("converted", "Converted", "int"),
    ("conversion_rate", "Rate", "pct"),
)
