"""Why does this lead have 43 points? The per-contact explanation of a score.

:func:`explanation_frame` gives the rows (data for reports); :func:`format_explanation`
renders them as a plain-text table; :func:`explain_contact` does both with a header line
(the CLI prints the text with rich).
"""

from __future__ import annotations

import math

import pandas as pd

from features.reasons import format_number, time_text
from rules.result import BREAKDOWN_COLUMNS, ScoreResult

_COLUMNS = tuple(c for c in BREAKDOWN_COLUMNS if c != "contact_id")
_HEADERS = ("scale", "rule", "category", "value", "raw", "decayed", "final")


def explanation_frame(result: ScoreResult, contact_id: str) -> pd.DataFrame:
    """The breakdown rows of one contact, in rulebook order.

    Returns:
        Columns ``scale, rule, category, value, points_raw, points_after_decay,
        points_after_caps``; empty when no rule fired.

    Raises:
        KeyError: the contact is not in the result.
    """
    if not (result.scores["contact_id"] == contact_id).any():
        raise KeyError(
            f"contact {contact_id!r} was not scored in this run (rulebook "
            f"{result.rulebook_name} v{result.rulebook_version}); check the id"
        )
    rows = result.breakdown[result.breakdown["contact_id"] == contact_id]
    out = rows.loc[:, list(_COLUMNS)].reset_index(drop=True)
    for col in ("scale", "rule", "category"):
        out[col] = out[col].astype("string")
    return out


def _fmt(x: object) -> str:
    if x is None or x is pd.NA:
        return ""
    if isinstance(x, float):
        return "" if math.isnan(x) else format_number(x)
    return str(x)


def format_explanation(frame: pd.DataFrame) -> str:
    """Render :func:`explanation_frame` rows as an aligned plain-text table, one line per
    rule that fired, with a total line per scale."""
    if frame.empty:
        return "no rule fired for this contact (score 0)"
    body = [[_fmt(v) for v in row] for row in frame.loc[:, list(_COLUMNS)].itertuples(index=False)]
    for scale, grp in frame.groupby("scale", sort=False):
        sums = [_fmt(float(grp[c].sum())) for c in _COLUMNS[-3:]]
        body.append([str(scale), "TOTAL", "", "", *sums])
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(_HEADERS)]
    numeric = {3, 4, 5, 6}

    def line(cells: list[str] | tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(_HEADERS), sep, *(line(r) for r in body)])


def format_cuts(result: ScoreResult, contact_id: str) -> list[str]:
    """One line per cap or gate that cut the contact's sums, e.g.
    ``main: gate gate cut 127.5 -> 69``, in the order they apply (categories, total, gate)."""
    if result.cuts is None or result.cuts.empty:
        return []
    mine = result.cuts[result.cuts["contact_id"] == contact_id]
    # sums without trailing zeros: 127.5, 69, 1,250.25
    return [
        f"{r.scale}: {r.cut} cut {format_number(r.before, trim=True)} -> "
        f"{format_number(r.after, trim=True)}"
        for r in mine.itertuples(index=False)
    ]


def explain_contact(result: ScoreResult, contact_id: str) -> str:
    """Explain one contact's score like HubSpot's "test contact": every rule that fired.

    Returns:
        A header (total, fit, engagement, grade, stage, exclusion, rulebook version, as_of)
        followed by the table of :func:`format_explanation` and every cap or gate cut
        (:func:`format_cuts`).

    Raises:
        KeyError: the contact is not in the result.
    """
    frame = explanation_frame(result, contact_id)
    row = result.scores.loc[result.scores["contact_id"] == contact_id].iloc[0]
    parts = [
        f"contact {contact_id}: total {_fmt(float(row['total']))}",
        f"fit {_fmt(float(row['fit']))}",
        f"engagement {_fmt(float(row['engagement']))}",
    ]
    for col in ("grade", "stage", "excluded_reason"):
        if pd.notna(row[col]):
            parts.append(f"{col.replace('_', ' ')} {row[col]}")
    head = ", ".join(parts)
    meta = (
        f"rulebook {result.rulebook_name} v{result.rulebook_version}, "
        f"as of {time_text(result.as_of)}"
    )
    cuts = format_cuts(result, contact_id)
    tail = ["", "caps and gates:", *(f"  {c}" for c in cuts)] if cuts else []
    return "\n".join([head, meta, "", format_explanation(frame), *tail])
