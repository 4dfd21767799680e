"""The predictive-vs-manual comparison report: one self-contained HTML file.

Pure section functions compute each table from data frames; :func:`build_report` assembles
them from :class:`ComparisonInputs`, :func:`render_html` / :func:`write_report` produce the
file. Loading data, scoring and MLflow logging belong to the flow.

Typical use::

    report = build_report(ComparisonInputs(scored=..., rule_hits=..., ...))
    write_report(report, "report.html")
    mlflow.log_metrics(report.to_dict())
"""

from serving.report.backtest import BacktestResult, summarise_backtest
from serving.report.bands import band_table, stage_table
from serving.report.build import ComparisonReport, build_report
from serving.report.capacity import (
    CapacityResult,
    capacity_analysis,
    threshold_volumes,
    top_k_mask,
)
from serving.report.disagreement import OffDiagonal, disagreement_matrix, off_diagonal_leads
from serving.report.drift import psi, psi_level, psi_value
from serving.report.inputs import ComparisonInputs, split_usable
from serving.report.ranking import auc_difference
from serving.report.render import render_html, write_report
from serving.report.rule_evidence import PointSuggestion, rule_evidence, suggest_points
from serving.report.segments import segment_table
from serving.report.settings import ReportSettings
from serving.report.summary import json_path_beside, report_summary, write_report_json
from serving.report.weights import BlendView, weight_curve

__all__ = [
    "BacktestResult",
    "BlendView",
    "CapacityResult",
    "ComparisonInputs",
    "ComparisonReport",
    "OffDiagonal",
    "PointSuggestion",
    "ReportSettings",
    "auc_difference",
    "band_table",
    "build_report",
    "capacity_analysis",
    "disagreement_matrix",
    "json_path_beside",
    "off_diagonal_leads",
    "psi",
    "psi_level",
    "psi_value",
    "render_html",
    "report_summary",
    "rule_evidence",
    "segment_table",
    "split_usable",
    "stage_table",
    "suggest_points",
    "summarise_backtest",
    "threshold_volumes",
    "top_k_mask",
    "weight_curve",
    "write_report",
    "write_report_json",
]
