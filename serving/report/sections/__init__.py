"""Report sections as display data, in the order they appear."""

from collections.abc import Callable
from dataclasses import replace

from serving.report.build import ComparisonReport
from serving.report.sections import population, ranking, rules
from serving.report.sections.base import Section

Builder = Callable[[ComparisonReport], Section]

SECTIONS: dict[Builder, str] = {
    ranking.roc: "Ranking",
    ranking.gains: "Gains & lift",
    ranking.calibration: "Calibration",
    ranking.bands: "Bands",
    ranking.capacity: "Capacity",
    ranking.blend: "Blend & tiers",
    rules.disagreement: "Disagreement",
    rules.rule_evidence: "Rule evidence",
    rules.suggested_points: "Suggested points",
    rules.backtest: "Backtest",
    population.drift: "Drift",
    population.segments: "Segments",
    population.data_notes: "Data notes",
}
"""The one list of report sections, in display order: builder -> navigation label. A
section's anchor id is its builder's name (:func:`section_id`)."""


def section_id(build: Builder) -> str:
    """The anchor id of the section ``build`` makes: its name with dashes
    (``rule_evidence`` -> ``rule-evidence``)."""
    return build.__name__.replace("_", "-")


NAV_LABELS: dict[str, str] = {section_id(build): nav for build, nav in SECTIONS.items()}
"""Section id -> its navigation label (from :data:`SECTIONS`)."""


def all_sections(report: ComparisonReport) -> list[Section]:
    """Every section of ``report``, in display order, each with its id (:func:`section_id`)."""
    return [replace(build(report), id=section_id(build)) for build in SECTIONS]


__all__ = ["NAV_LABELS", "SECTIONS", "Section", "all_sections", "section_id"]
