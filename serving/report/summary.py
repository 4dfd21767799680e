"""``report.json``: the comparison report's headline figures for dashboards and CI.

Every number is read from the built :class:`~serving.report.build.ComparisonReport`, the
same objects the HTML shows, so the two cannot disagree. ``null`` where a figure does not
exist (the point rules have no probability, hence no Brier score or ECE).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from features.files import atomic_write_text
from models.methods import method_short
from serving.report.build import ComparisonReport
from serving.report.headline import calibration_flags

SCHEMA_VERSION = 1


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def report_summary(report: ComparisonReport) -> dict[str, Any]:
    """The headline figures as a JSON-ready dict (see the README's ``report.json``)."""
    capacity = report.capacity[0].summary.set_index("method") if report.capacity else None
    k = int(capacity["k"].iloc[0]) if capacity is not None else None
    methods: dict[str, dict[str, float | int | None]] = {}
    in_the_large = report.calibration_summary.set_index("method")
    flagged = calibration_flags(report.calibration_summary, report.settings.calibration_z)
    for row in report.metrics.to_dict("records"):
        key = str(row["method"])
        is_probability = key != "manual"
        methods[method_short(key)] = {
            "roc_auc": _number(row["roc_auc"]),
            "pr_auc": _number(row["pr_auc"]),
            "brier": _number(row["brier"]) if is_probability else None,
            "ece": _number(row["ece"]) if is_probability else None,
            "mean_predicted": (
                _number(in_the_large.at[key, "mean_predicted"]) if is_probability else None
            ),
            "captured_at_capacity": (
                round(float(capacity.at[key, "converted"]), 2) if capacity is not None else None
            ),
        }
    tiers = {}
    if report.tiers is not None:
        for row in report.tiers.to_dict("records"):
            tiers[str(row["tier"])] = {
                "leads": int(row["leads"]),
                "converted": int(row["converted"]),
                "share": _number(row["share"]),
                "cutoff": _number(row["cutoff"]),
                "set_by": str(row["sizing"]),
            }
    drift = report.drift
    warnings = [] if drift is None else list(drift.loc[drift["level"] == "warning", "column"])
    blend = report.blend
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": report.as_of,
        "model_version": report.model_version,
        "rulebook_version": report.rulebook_version,
        "n_leads": report.n_leads,
        "n_converted": report.n_converted,
        "capacity_k": k,
        "methods": methods,
        "tiers": tiers,
        "drift_warnings": [str(c) for c in warnings],
        "calibration_warnings": [method_short(str(m)) for m in flagged.index[flagged]],
        "drift_excluded": [] if drift is None else
            [str(c) for c in drift.loc[drift["level"] == "excluded", "column"]],
        "drift_reference_as_of": report.drift_reference_as_of or None,
        "weights": {
            "fitted": None if blend is None else blend.fitted_weight,
            "used": None if blend is None else blend.used_weight,
        },
    }  # fmt: skip


def write_report_json(report: ComparisonReport, path: str | Path) -> Path:
    """Write :func:`report_summary` to ``path`` atomically (e.g. beside ``report.html``)."""
    target = Path(path)
    text = json.dumps(report_summary(report), indent=2, allow_nan=False)
    atomic_write_text(target, text + "\n")
    return target


def json_path_beside(html_path: str | Path) -> Path:
    """``report.json`` beside the HTML report (``x/report.html`` -> ``x/report.json``)."""
    return Path(html_path).with_suffix(".json")
