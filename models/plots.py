"""Every figure of leadscore: training's evaluation PNGs and the comparison report's images.

Each ``*_figure`` function draws one matplotlib figure from the frames of
:mod:`models.curves` (or a small table); :func:`save_png` writes it beside a training run,
:func:`to_data_uri` embeds it in the self-contained HTML report. :func:`write_plots` writes
training's files: the same figures of the test slice. Methods (``manual``, ``model``,
``blend``) have one label (:mod:`models.methods`) and one colour everywhere.

Uses matplotlib's non-interactive Agg canvas directly (no pyplot state), so plotting is
safe in worker threads and never opens a window.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from features.reasons import number_text
from models.curves import calibration_table, gains_lift, roc_pr_curves
from models.methods import method_color, method_label

_GREY = "#888888"


def to_data_uri(fig: Figure) -> str:
    """PNG of ``fig`` as a ``data:image/png;base64,...`` URI."""
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def save_png(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` as PNG (folders created); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=80)
    return path


def _figure(width: float = 10.0, height: float = 3.8, **margins: float) -> Figure:
    """A white figure with fixed margins (a layout engine would cost a draw per figure)."""
    fig = Figure(figsize=(width, height))
    fig.set_facecolor("white")
    spacing = {"left": 0.07, "right": 0.98, "bottom": 0.14, "top": 0.9, "wspace": 0.22}
    fig.subplots_adjust(**{**spacing, **margins})
    return fig


def roc_pr_figure(points: pd.DataFrame, summary: pd.DataFrame, base_rate: float) -> Figure:
    """ROC and precision-recall curves of every method (:func:`models.curves.roc_pr_curves`'s
    ``points`` and ``summary``), AUCs in the legend; ``base_rate`` is a random ranking's."""
    fig = _figure()
    ax_roc, ax_pr = fig.subplots(1, 2)
    auc = summary.set_index("method")
    ax_roc.plot([0, 1], [0, 1], linestyle="--", color=_GREY, label="random")
    for (method, curve), xy in points.groupby(["method", "curve"], sort=False):
        name = str(method)
        ax, area, tag = (ax_roc, "roc_auc", "AUC") if curve == "roc" else (ax_pr, "pr_auc", "AP")
        text = f"{method_label(name)} ({tag} {auc.at[name, area]:.3f})"
        ax.plot(xy["x"], xy["y"], color=method_color(name), label=text)
    ax_pr.axhline(base_rate, linestyle="--", color=_GREY, label=f"base rate {base_rate:.1%}")
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax_pr.set(xlabel="recall", ylabel="precision", title="Precision-recall", ylim=(0, 1.02))
    ax_roc.legend(loc="lower right", fontsize=8)
    ax_pr.legend(loc="upper right", fontsize=8)
    return fig


def gains_figure(gains: pd.DataFrame) -> Figure:
    """Cumulative gains curve and lift per decile for every method
    (:func:`models.curves.gains_lift`)."""
    fig = _figure()
    ax_gain, ax_lift = fig.subplots(1, 2)
    ax_gain.plot([0, 1], [0, 1], linestyle="--", color=_GREY, label="random")
    methods = list(dict.fromkeys(gains["method"]))
    width = 0.8 / max(1, len(methods))
    for i, method in enumerate(methods):
        part = gains[gains["method"] == method]
        x = np.concatenate([[0.0], part["cumulative_share"].to_numpy()])
        y = np.concatenate([[0.0], part["cumulative_recall"].to_numpy()])
        colour = method_color(method)
        ax_gain.plot(x, y, marker="o", markersize=3, color=colour, label=method_label(method))
        offset = (i - (len(methods) - 1) / 2) * width
        ax_lift.bar(
            part["decile"] + offset, part["lift"], width, color=colour, label=method_label(method)
        )
    ax_lift.axhline(1.0, linestyle="--", color=_GREY)
    ax_gain.set(xlabel="share of leads worked (best first)", ylabel="share of conversions found")
    ax_gain.set_title("Cumulative gains")
    ax_lift.set(xlabel="decile (1 = highest scores)", ylabel="lift over base rate", title="Lift")
    ax_lift.set_xticks(sorted(gains["decile"].unique()))
    ax_gain.legend(fontsize=8)
    ax_lift.legend(fontsize=8)
    return fig


def calibration_figure(bins: pd.DataFrame) -> Figure:
    """Reliability curves: mean predicted probability vs observed conversion rate
    (the bins of :func:`models.curves.calibration_table`)."""
    fig = _figure(6.0, 4.2, left=0.12, bottom=0.13)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color=_GREY, label="perfectly calibrated")
    for method, part in bins.groupby("method", sort=False):
        x, y, name = part["mean_predicted"], part["observed_rate"], str(method)
        ax.plot(x, y, marker="o", color=method_color(name), label=method_label(name))
    ax.set(xlabel="mean predicted P(convert)", ylabel="observed conversion rate")
    ax.set(xlim=(0, 1), ylim=(0, 1), title="Reliability")
    ax.legend(fontsize=8)
    return fig


def bands_figure(tables: Mapping[str, pd.DataFrame]) -> Figure:
    """Leads per band (bars) and conversion rate per band (line) for each score."""
    fig = _figure(10.0, 3.8, left=0.07, right=0.93, bottom=0.2, wspace=0.35)
    axes = np.atleast_1d(fig.subplots(1, len(tables)))
    for ax, (method, table) in zip(axes, tables.items(), strict=True):
        x = np.arange(len(table))
        ax.bar(x, table["n"], color=method_color(method) or _GREY, alpha=0.6)
        ax.set_xticks(x, table["band"], rotation=45, ha="right", fontsize=7)
        ax.set(ylabel="leads", title=f"{method_label(method)}: leads and conversion per band")
        rate = ax.twinx()
        rate.plot(x, table["conversion_rate"], color="black", marker="o", markersize=3)
        rate.set_ylabel("conversion rate")
        rate.set_ylim(0, max(0.05, float(np.nanmax(table["conversion_rate"].to_numpy())) * 1.1))
    return fig


def barh_figure(
    names: pd.Series, values: pd.Series, *, xlabel: str, title: str, lines: Mapping[str, float]
) -> Figure:
    """Horizontal bars (first name at the top) with labelled reference lines."""
    height = max(2.4, 0.28 * len(names) + 1.2)
    longest = max((len(str(n)) for n in names), default=4)
    fig = _figure(
        8.0,
        height,
        left=min(0.45, 0.04 + 0.0125 * longest),
        right=0.96,
        bottom=0.9 / height,
        top=1 - 0.45 / height,
    )
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    ax.barh(y, values.fillna(0.0), color=method_color("model"))
    ax.set_yticks(y, names, fontsize=8)
    for (text, x), style in zip(lines.items(), ("--", ":", "-."), strict=False):
        ax.axvline(x, linestyle=style, color="#555555", label=f"{text} ({number_text(x)})")
    ax.set(xlabel=xlabel, title=title)
    if lines:
        ax.legend(fontsize=7, loc="lower right")
    return fig


def weight_figure(curve: pd.DataFrame, fitted: float, used: float, k: int) -> Figure:
    """ROC AUC and conversions in the top ``k`` against the manual weight, with the fitted
    and the used weight marked (0 = the model alone, 1 = the rules alone)."""
    fig = _figure()
    ax_auc, ax_cap = fig.subplots(1, 2)
    for ax, column, ylabel in (
        (ax_auc, "roc_auc", "ROC AUC"),
        (ax_cap, "captured", f"conversions in the top {k:,}"),
    ):
        ax.plot(curve["weight"], curve[column], color=method_color("blend"))
        pinned = abs(used - fitted) > 1e-9
        name = "fitted" if pinned else "fitted = used"
        ax.axvline(fitted, linestyle="--", color=_GREY, label=f"{name} ({fitted:.2f})")
        if pinned:
            ax.axvline(used, linestyle=":", color="black", label=f"used ({used:.2f})")
        ax.set(xlabel="manual weight (0 = model alone, 1 = rules alone)", ylabel=ylabel)
        ax.legend(fontsize=8)
    ax_auc.set_title("Ranking against the manual weight")
    ax_cap.set_title("Conversions at sales capacity")
    return fig


def write_plots(
    y: np.ndarray,
    p: np.ndarray,
    folder: Path,
    *,
    manual_score: np.ndarray | None = None,
    importance: pd.DataFrame | None = None,
) -> list[Path]:
    """Training's PNGs of the test slice in ``folder``: reliability of the model's
    probabilities, ROC / precision-recall and gains / lift of the model (and the manual
    score), and the 25 features with the most total gain."""
    scores = {"model": np.asarray(p, dtype=float)}
    if manual_score is not None:
        scores["manual"] = np.asarray(manual_score, dtype=float)
    summary, points = roc_pr_curves(y, scores)
    figures = {
        "reliability.png": calibration_figure(calibration_table(y, {"model": scores["model"]})[0]),
        "roc_pr.png": roc_pr_figure(points, summary, float(np.mean(y))),
        "lift.png": gains_figure(gains_lift(y, scores)),
    }
    if importance is not None:
        head = importance.nlargest(25, "gain")
        figures["feature_importance.png"] = barh_figure(
            head["feature"], head["gain"], xlabel="total gain", title="Feature importance", lines={}
        )
    return [save_png(figure, folder / name) for name, figure in figures.items()]
