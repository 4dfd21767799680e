"""Evaluation plots written as PNG files: reliability curve, ROC, precision-recall, lift.

Uses matplotlib's non-interactive Agg canvas directly (no pyplot state), so plotting is
safe in worker threads and never opens a window.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from models.metrics import decile_table, reliability_bins


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=80)
    return path


def reliability_plot(y: np.ndarray, p: np.ndarray, path: Path, n_bins: int = 10) -> Path:
    """Mean predicted vs observed conversion rate per equal-width probability bin."""
    table = reliability_bins(y, p, n_bins)
    mean_p, mean_y = table["mean_predicted"], table["observed_rate"]
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(mean_p, mean_y, marker="o", label="model")
    ax.set(xlabel="mean predicted P(convert)", ylabel="observed conversion rate")
    ax.set(title="Reliability (test slice)", xlim=(0, 1), ylim=(0, 1))
    ax.legend()
    return _save(fig, path)


def roc_pr_plot(y: np.ndarray, scores: Mapping[str, np.ndarray], path: Path) -> Path:
    """ROC and precision-recall curves of several scores on the same rows, side by side."""
    fig = Figure(figsize=(10, 5), layout="constrained")
    ax_roc, ax_pr = fig.subplots(1, 2)
    ax_roc.plot([0, 1], [0, 1], linestyle="--", color="grey")
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(y, score)
        ax_roc.plot(fpr, tpr, label=name)
        precision, recall, _ = precision_recall_curve(y, score)
        ax_pr.plot(recall, precision, label=name)
    ax_pr.axhline(float(np.mean(y)), linestyle="--", color="grey", label="base rate")
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
    ax_pr.set(xlabel="recall", ylabel="precision", title="Precision-recall")
    ax_roc.legend()
    ax_pr.legend()
    return _save(fig, path)


def lift_plot(y: np.ndarray, scores: Mapping[str, np.ndarray], path: Path) -> Path:
    """Conversion-rate lift per score decile (1 = top) for several scores."""
    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(scores))
    for i, (name, score) in enumerate(scores.items()):
        table = decile_table(y, score)
        ax.bar(
            table["decile"] + (i - (len(scores) - 1) / 2) * width, table["lift"], width, label=name
        )
    ax.axhline(1.0, linestyle="--", color="grey")
    ax.set(xlabel="score decile (1 = highest)", ylabel="lift over base rate", title="Lift")
    ax.set_xticks(range(1, 11))
    ax.legend()
    return _save(fig, path)


def importance_plot(importance: pd.DataFrame, path: Path, top: int = 25) -> Path:
    """Horizontal bar chart of the ``top`` features by gain."""
    head = importance.nlargest(top, "gain").iloc[::-1]
    fig = Figure(figsize=(7, max(3, 0.3 * len(head) + 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(head["feature"], head["gain"])
    ax.set(xlabel="total gain", title="Feature importance")
    return _save(fig, path)
