"""Render the comparison report as one self-contained HTML file and write it atomically.

Figures are embedded as base64 PNGs and the CSS is inlined, so the file opens offline in any
browser and references no external resource. Jinja2 autoescapes every value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from features.files import atomic_write_text
from models.methods import METHODS, method_label
from serving.report.build import ComparisonReport
from serving.report.sections import NAV_LABELS, all_sections
from serving.report.tables import count_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kpi:
    """A headline number shown in a tile at the top."""

    value: str
    label: str


def _template(name: str) -> str:
    return resources.files("serving.report").joinpath("templates", name).read_text("utf-8")


def method_colour_css() -> str:
    """A CSS ``:root`` rule declaring ``--method-<key>`` as each method's colour.

    The stylesheet (``templates/report.css``) uses ``var(--method-model)`` and the like, so
    a method's colour is set once, in :data:`models.methods.METHODS`, for figures and report.
    """
    declarations = " ".join(f"--method-{key}: {names.color};" for key, names in METHODS.items())
    return f":root {{ {declarations} }}"


def kpis(report: ComparisonReport) -> list[Kpi]:
    """Headline tiles: period size, base rate, ROC AUC per method, top-K conversions."""
    tiles = [
        Kpi(f"{report.n_leads:,}", "leads in the scored period"),
        Kpi(f"{report.n_converted / report.n_leads:.1%}", "converted (base rate)"),
    ]
    tiles += [
        Kpi(f"{row['roc_auc']:.3f}", f"ROC AUC {method_label(str(row['method']))}")
        for row in report.metrics.to_dict("records")
    ]
    if report.capacity:
        summary = report.capacity[0].summary
        k = int(summary["k"].iloc[0])
        tiles += [
            Kpi(
                count_text(row["converted"]), f"converted in top {k}: {method_label(row['method'])}"
            )
            for row in summary.to_dict("records")
        ]
    return tiles


def render_html(report: ComparisonReport) -> str:
    """The report as a self-contained HTML document (UTF-8, no external references)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_template("report.html"))
    return template.render(
        report=report,
        sections=all_sections(report),
        kpis=kpis(report),
        nav=NAV_LABELS,
        css=method_colour_css() + "\n" + _template("report.css"),
    )


def write_report(report: ComparisonReport, path: str | Path) -> Path:
    """Render ``report`` and write it to ``path`` atomically (temp file, then rename; the
    folder is created when missing); returns the written path."""
    target = Path(path)
    html = render_html(report)
    atomic_write_text(target, html)
    log.info("report written to %s (%d bytes)", target, len(html.encode("utf-8")))
    return target
