"""Report sections as display data, in the order they appear."""

from serving.report.build import ComparisonReport
from serving.report.sections import population, ranking, rules
from serving.report.sections.base import Section

SECTION_BUILDERS = (
    ranking.roc,
    ranking.gains,
    ranking.calibration,
    ranking.bands,
    ranking.capacity,
    ranking.blend,
    rules.disagreement,
    rules.rule_evidence,
    rules.suggested_points,
    rules.backtest,
    population.drift,
    population.segments,
    population.data_notes,
)

NAV_LABELS: dict[str, str] = {
    "roc": "Ranking",
    "gains": "Gains & lift",
    "calibration": "Calibration",
    "bands": "Bands",
    "capacity": "Capacity",
    "blend": "Blend & tiers",
    "disagreement": "Disagreement",
    "rule-evidence": "Rule evidence",
    "suggested-points": "Suggested points",
    "backtest": "Backtest",
    "drift": "Drift",
    "segments": "Segments",
    "data-notes": "Data notes",
}


def all_sections(report: ComparisonReport) -> list[Section]:
    """Every section of ``report``, in display order."""
    return [build(report) for build in SECTION_BUILDERS]


__all__ = ["NAV_LABELS", "SECTION_BUILDERS", "Section", "all_sections"]
