"""The three scoring methods compared everywhere and the words that name them.

One mapping, :data:`METHODS`: method key (``manual``, ``model``, ``blend``) -> its long
label (figure legends and headings: "Final blend") and its short name (``report.json``'s
keys and the segment table's column headers, the README's words: "final"). Training's
figures (:mod:`models.plots`) and the comparison report (:mod:`serving.report`) read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodNames:
    """How one method is named.

    Attributes:
        label: Long label (figure legends, headings).
        short: Short name (``report.json`` keys, table column headers).
    """

    label: str
    short: str


METHODS: dict[str, MethodNames] = {
    "manual": MethodNames(label="Point rules", short="rules"),
    "model": MethodNames(label="Model", short="model"),
    "blend": MethodNames(label="Final blend", short="final"),
}
"""Method key -> its names, in display order."""


def method_label(method: str) -> str:
    """Long label of a method key (the key itself when unknown)."""
    names = METHODS.get(method)
    return names.label if names else method


def method_short(method: str) -> str:
    """Short name of a method key (the key itself when unknown)."""
    names = METHODS.get(method)
    return names.short if names else method
