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

from typing import TYPE_CHECKING

from features.lazy import lazy_getattr, lazy_names

if TYPE_CHECKING:
    from serving.report.backtest import BacktestResult, summarise_backtest  # noqa: F401
    from serving.report.bands import band_table, stage_table  # noqa: F401
    from serving.report.build import ComparisonReport, build_report  # noqa: F401
    from serving.report.capacity import (  # noqa: F401
        CapacityResult,
        capacity_analysis,
        threshold_volumes,
        top_k_mask,
    )
    from serving.report.disagreement import OffDiagonal, disagreement_matrix, off_diagonal_leads  # noqa: F401
    from serving.report.drift import psi, psi_level, psi_value  # noqa: F401
    from serving.report.evidence import PointSuggestion, rule_evidence, suggest_points  # noqa: F401
    from serving.report.inputs import ComparisonInputs, split_usable  # noqa: F401
    from serving.report.ranking import auc_difference  # noqa: F401
    from serving.report.render import render_html, write_report  # noqa: F401
    from serving.report.segments import segment_table  # noqa: F401
    from serving.report.settings import ReportSettings  # noqa: F401
    from serving.report.summary import json_path_beside, report_summary, write_report_json  # noqa: F401
    from serving.report.weights import BlendView, weight_curve  # noqa: F401

_LAZY = lazy_names(__file__)

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)
