"""The predictive-vs-manual comparison report: one self-contained HTML file.

Pure section functions compute each table from data frames; :func:`build_report` assembles
them from :class:`ComparisonInputs`, :func:`render_html` / :func:`write_report` produce the
file. Loading data, scoring and MLflow logging belong to the flow. Submodules (matplotlib,
jinja2) load on first use, so the settings (:class:`ReportSettings`, stored in the run
configuration of every scorer) import cheaply.

Typical use::

    report = build_report(ComparisonInputs(scored=..., rule_hits=..., ...))
    write_report(report, "report.html")
    mlflow.log_metrics(report.to_dict())
"""

from importlib import import_module
from typing import Any

_LAZY = {
    "BacktestResult": "serving.report.backtest",
    "summarise_backtest": "serving.report.backtest",
    "band_table": "serving.report.bands",
    "stage_table": "serving.report.bands",
    "ComparisonReport": "serving.report.build",
    "build_report": "serving.report.build",
    "CapacityResult": "serving.report.capacity",
    "capacity_analysis": "serving.report.capacity",
    "threshold_volumes": "serving.report.capacity",
    "top_k_mask": "serving.report.capacity",
    "OffDiagonal": "serving.report.disagreement",
    "disagreement_matrix": "serving.report.disagreement",
    "off_diagonal_leads": "serving.report.disagreement",
    "psi": "serving.report.drift",
    "psi_level": "serving.report.drift",
    "psi_value": "serving.report.drift",
    "ComparisonInputs": "serving.report.inputs",
    "split_usable": "serving.report.inputs",
    "auc_difference": "serving.report.ranking",
    "render_html": "serving.report.render",
    "write_report": "serving.report.render",
    "PointSuggestion": "serving.report.evidence",
    "rule_evidence": "serving.report.evidence",
    "suggest_points": "serving.report.evidence",
    "segment_table": "serving.report.segments",
    "ReportSettings": "serving.report.settings",
    "json_path_beside": "serving.report.summary",
    "report_summary": "serving.report.summary",
    "write_report_json": "serving.report.summary",
    "BlendView": "serving.report.weights",
    "weight_curve": "serving.report.weights",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'serving.report' has no attribute {name!r}")
