"""Display data of one report section: the HTML template only lays these out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from models.methods import method_label
from models.plots import barh_figure, to_data_uri
from serving.report.tables import Cell, Spec, Table


@dataclass(frozen=True)
class Section:
    """One report section.

    Attributes:
        how: The one-sentence "how to read this" line.
        figures: (data URI, alt text) of embedded PNGs.
        tables: (caption, table) pairs.
        matrix: Column names and rows of a coloured matrix (disagreement), or None.
        id: Stable anchor (``roc``, ``bands``, ...), set by
            :func:`serving.report.sections.all_sections` from its one list of sections
            (empty when a builder is called on its own).
    """

    title: str
    how: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()
    tables: tuple[tuple[str, Table], ...] = ()
    matrix: tuple[list[str], list[tuple[str, list[Cell]]]] | None = None
    id: str = ""


def not_given(title: str, how: str, what: str) -> Section:
    """A section whose input was not given: its title and how-line, then "No ``what`` was
    given." (the report still lists it, so a reader sees what is missing)."""
    return Section(title=title, how=how, paragraphs=(f"No {what} was given.",))


def embedded(figure: Figure, alt: str) -> tuple[str, str]:
    """A section figure: the PNG as a data URI and its alt text."""
    return to_data_uri(figure), alt


def top_bars(
    frame: pd.DataFrame, name: str, value: str, what: str, xlabel: str, lines: Mapping[str, float]
) -> tuple[str, str]:
    """A section figure: ``value`` per ``name`` of the first 20 rows of ``frame`` as bars
    with labelled reference ``lines``, titled ``what (top 20)``; ``what`` is its alt text."""
    top = frame.head(20)
    title = f"{what} (top 20)"
    return embedded(
        barh_figure(top[name], top[value], xlabel=xlabel, title=title, lines=lines), what
    )


def labelled(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with method keys in ``columns`` (default ``method``) replaced by names."""
    names = columns or ("method",)
    return frame.assign(**{c: frame[c].map(lambda m: method_label(str(m))) for c in names})


COLUMNS: dict[str, tuple[str, str]] = {
    # shared by many tables
    "method": ("Method", "text"),
    "n": ("Leads", "int"),
    "share": ("Share", "pct"),
    "converted": ("Converted", "count"),
    "conversion_rate": ("Rate", "pct"),
    "share_of_conversions": ("Of all conversions", "pct"),
    "level": ("Level", "text"),
    "tier": ("Tier", "text"),
    "rule": ("Rule", "text"),
    "n_matched": ("Leads matched", "int"),
    # ranking
    "roc_auc": ("ROC AUC", "f3"),
    "pr_auc": ("PR AUC", "f3"),
    "top_decile_lift": ("Top-decile lift", "f2"),
    "precision_at_k": ("Precision at capacity", "pct"),  # ranking: "top K", the leads
    "recall_at_k": ("Recall at capacity", "pct"),  # sales can work
    "versus": ("Versus", "text"),
    "diff": ("AUC difference", "signed"),
    "low": ("95% low", "signed"),
    "high": ("95% high", "signed"),
    "decile": ("Decile", "int"),
    "brier": ("Brier score", "f3"),
    "ece": ("ECE", "f3"),
    "mean_predicted": ("Average probability", "pct"),
    "observed_rate": ("Converted", "pct"),
    "z": ("z", "f2"),
    "band": ("Band", "text"),
    # capacity
    "k": ("K", "int"),
    "threshold": ("Cut-off giving K leads", "num"),
    "volume_at_threshold": ("Leads at cut-off (ties)", "int"),
    "method_a": ("A", "text"),
    "method_b": ("B", "text"),
    "both": ("In both", "int"),
    "both_converted": ("converted", "int"),
    "only_a": ("Only A sends", "int"),
    "only_a_converted": ("converted", "int"),
    "only_b": ("Only B sends", "int"),
    "only_b_converted": ("converted", "int"),
    "name": ("Current cut-off", "text"),
    # blend
    "cutoff": ("Final score ≥", "f2"),
    "sizing": ("Set by", "text"),
    "leads": ("Leads", "int"),
    # rules
    "group": ("Group", "text"),
    "contact_id": ("Contact id", "text"),
    "manual_stage": ("Stage", "text"),
    "manual_score": ("Points", "num"),
    "probability": ("P(convert)", "pct"),
    "top_rules": ("Rules that fired", "text"),
    "top_reasons": ("Model's reasons", "text"),
    "share_matched": ("Share", "pct"),
    "converted_matched": ("Converted", "int"),
    "rate_matched": ("Rate if matched", "pct"),
    "rate_not_matched": ("Rate if not", "pct"),
    "lift": ("Lift", "f2"),
    "current_points": ("Current", "points"),
    "suggested_points": ("Suggested", "points"),
    "change": ("Change", "points"),
    "coefficient": ("Log-odds weight", "f2"),
    # backtest
    "period": ("Period", "text"),
    "rulebook": ("Rulebook", "text"),
    "reached_mql": ("MQL or SQL", "int"),
    "reached_mql_converted": ("MQL+ converted", "int"),
    "reached_mql_rate": ("MQL+ rate", "pct"),
    "reached_mql_recall": ("MQL+ share of conv.", "pct"),
    "reached_sql": ("SQL", "int"),
    "reached_sql_converted": ("SQL converted", "int"),
    "reached_sql_rate": ("SQL rate", "pct"),
    "gained_mql": ("New MQLs", "int"),
    "gained_mql_converted": ("new converted", "int"),
    "lost_mql": ("Lost MQLs", "int"),
    "lost_mql_converted": ("lost converted", "int"),
    # population
    "column": ("Column", "text"),
    "kind": ("Kind", "text"),
    "psi": ("PSI", "f3"),
    "missing_reference": ("Missing (training)", "pct"),
    "missing_current": ("Missing (scored)", "pct"),
    "note": ("Note", "text"),
    "segment": ("Segment", "text"),
    "base_rate": ("Rate", "pct"),
    "reason": ("Reason", "text"),
}
"""Every report table column: its header and format kind (:mod:`serving.report.tables`),
so a column reads the same in every table that shows it."""


def columns(*names: str, **headers: str) -> Spec:
    """The table spec of ``names``, from :data:`COLUMNS`.

    Args:
        names: Frame columns, in display order.
        headers: A header for this table only, by column (e.g. ``n="Rows"``).
    """
    return tuple((c, headers.get(c, COLUMNS[c][0]), COLUMNS[c][1]) for c in names)
