"""Report sections as display data, in the order they appear."""

from collections.abc import Callable
from dataclasses import replace

from serving.report.build import ComparisonReport
from serving.report.sections import population, ranking, rules
from serving.report.sections.base import Section

Builder = Callable[[ComparisonReport], Section]

SECTIONS: tuple[tuple[str, str, Builder], ...] = (
    ("roc", "Ranking", ranking.roc),
    ("gains", "Gains & lift", ranking.gains),
    ("calibration", "Calibration", ranking.calibration),
    ("bands", "Bands", ranking.bands),
    ("capacity", "Capacity", ranking.capacity),
    ("blend", "Blend & tiers", ranking.blend),
    ("disagreement", "Disagreement", rules.disagreement),
    ("rule-evidence", "Rule evidence", rules.rule_evidence),
    ("suggested-points", "Suggested points", rules.suggested_points),
    ("backtest", "Backtest", rules.backtest),
    ("drift", "Drift", population.drift),
    ("segments", "Segments", population.segments),
    ("data-notes", "Data notes", population.data_notes),
)
"""The one list of report sections, in display order: anchor id, navigation label,
builder."""

NAV_LABELS: dict[str, str] = {section_id: nav for section_id, nav, _ in SECTIONS}
"""Section id -> its navigation label (from :data:`SECTIONS`)."""


def all_sections(report: ComparisonReport) -> list[Section]:
    """Every section of ``report``, in display order, each with its id from :data:`SECTIONS`."""
    return [replace(build(report), id=section_id) for section_id, _, build in SECTIONS]


__all__ = ["NAV_LABELS", "SECTIONS", "Section", "all_sections"]
