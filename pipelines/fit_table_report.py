"""The ``fit-table`` report: one self-contained HTML page (plots embedded as base64 PNG).

Sections: headline test metrics, ROC / precision-recall, calibration, lift by decile, the
leakage guard's suspects with their evidence, excluded columns, column types and the 20
strongest features by mean |SHAP|. The comparison report of :mod:`serving.report` needs a
manual rule score, which a flat export does not have, so this page is model-only.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.plots import lift_plot, reliability_plot, roc_pr_plot

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}th{background:#f4f4f4}
.kpi{display:inline-block;margin:.3rem 1rem .3rem 0;padding:.5rem 1rem;background:#f4f7fb}
.kpi b{display:block;font-size:1.3rem}img{max-width:100%}.note{color:#555}
"""

_HEADLINE = [
    ("auc", "ROC AUC"),
    ("pr_auc", "PR AUC"),
    ("base_rate", "base rate"),
    ("top_decile_lift", "top-decile lift"),
    ("brier", "Brier"),
    ("ece", "ECE"),
    ("log_loss", "log loss"),
]


def _png(draw: Callable[[Path], Path]) -> str:
    """An ``<img>`` with the PNG that ``draw`` writes, inlined."""
    with tempfile.TemporaryDirectory() as folder:
        data = draw(Path(folder) / "plot.png").read_bytes()
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _table(frame: pd.DataFrame, floats: str = "{:.3f}") -> str:
    shown = frame.copy()
    for col in shown.select_dtypes(include="float").columns:
        shown[col] = shown[col].map(lambda v: "" if pd.isna(v) else floats.format(v))
    return shown.to_html(index=False, escape=True, border=0)


def _kpis(metrics: Mapping[str, Any]) -> str:
    cells = [
        f'<span class="kpi">{html.escape(label)}<b>{float(metrics[key]):.3f}</b></span>'
        for key, label in _HEADLINE
        if key in metrics
    ]
    return "".join(cells)


def render_fit_table_report(
    metrics: Mapping[str, Any],
    y_test: np.ndarray,
    p_test: np.ndarray,
    *,
    deciles: pd.DataFrame,
    leakage_evidence: pd.DataFrame,
    column_types: pd.DataFrame,
    importance: pd.DataFrame,
    title: str,
) -> str:
    """The report page as an HTML string (no external files or scripts).

    Args:
        metrics: The contents of metrics.json.
        y_test: 0/1 labels of the test slice.
        p_test: Calibrated probabilities of the test slice.
        deciles: Test decile table (:func:`models.metrics.decile_table`).
        leakage_evidence: The guard's evidence, one row per column (suspects first).
        column_types: One row per table column: column, kind, used, reason.
        importance: Features by mean |SHAP| (strongest first).
        title: Page title (e.g. the file name).

    Returns:
        The HTML document.
    """
    scores = {"model": np.asarray(p_test, dtype=float)}
    excluded = pd.DataFrame(
        list(metrics.get("excluded_columns", {}).items()), columns=["column", "reason"]
    )
    suspects = leakage_evidence[leakage_evidence["reasons"].astype(str) != ""]
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">{int(metrics["n_rows"]):,} rows: {int(metrics["n_used"]):,} used '
        f"({int(metrics['n_train']):,} train, {int(metrics['n_valid']):,} validation and "
        f"calibration, {int(metrics['n_test']):,} test), {int(metrics['n_rejected']):,} "
        f"rejected (see rejected.csv). Split: {html.escape(str(metrics['split']))}. "
        "Metrics are on the test slice, which no choice has seen.</p>",
        _kpis(metrics),
        "<h2>ROC and precision-recall (test)</h2>",
        _png(lambda path: roc_pr_plot(y_test, scores, path)),
        "<h2>Calibration (test)</h2>",
        _png(lambda path: reliability_plot(y_test, p_test, path)),
        "<h2>Lift by decile (test)</h2>",
        _png(lambda path: lift_plot(y_test, scores, path)),
        _table(deciles),
        "<h2>Leakage guard</h2>",
        '<p class="note">Columns that know the answer before training on them. Suspects '
        f"are {'kept on request' if metrics.get('kept_leaky') else 'excluded'}.</p>",
        _table(suspects.reset_index(names="column")) if len(suspects) else "<p>No suspects.</p>",
        "<h2>Excluded columns</h2>",
        _table(excluded),
        "<h2>Column types</h2>",
        _table(column_types),
        "<h2>Strongest features (mean |SHAP|, log-odds)</h2>",
        _table(importance.head(20), floats="{:.4f}"),
    ]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>"
    )
