"""The three scoring methods compared everywhere, the words that name them and their colour.

One mapping, :data:`METHODS`: method key (``manual``, ``model``, ``blend``) -> its long
label (figure legends and headings: "Final blend"), its short name (``report.json``'s
keys and the segment table's column headers, the README's words: "final") and its colour
in figures and in the report's stylesheet. Training's figures (:mod:`models.plots`) and the
comparison report (:mod:`serving.report`, whose CSS uses ``var(--method-<key>)``) read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodNames:
    """How one method is named and drawn.

    Attributes:
        label: Long label (figure legends, headings).
        short: Short name (``report.json`` keys, table column headers).
        color: Its lines and bars in figures (an Okabe-Ito colour: distinguishable with
            the common colour-vision deficiencies).
    """

    label: str
    short: str
    color: str


METHODS: dict[str, MethodNames] = {
    "manual": MethodNames(label="Point rules", short="rules", color="#E69F00"),
    "model": MethodNames(label="Model", short="model", color="#0072B2"),
    "blend": MethodNames(label="Final blend", short="final", color="#009E73"),
}
"""Method key -> its names and colour, in display order."""


def method_label(method: str) -> str:
    """Long label of a method key (the key itself when unknown)."""
    names = METHODS.get(method)
    return names.label if names else method


def method_short(method: str) -> str:
    """Short name of a method key (the key itself when unknown)."""
    names = METHODS.get(method)
    return names.short if names else method


def method_color(method: str) -> str | None:
    """Figure colour of a method key (None when unknown: matplotlib's next colour)."""
    names = METHODS.get(method)
    return names.color if names else None
