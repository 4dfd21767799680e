"""Global SHAP views of a trained model: a summary (beeswarm) and dependence plots.

Computed with the exact fast TreeSHAP on a sample of rows and written as PNG files, so
the training flow can log them to MLflow next to the model.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402

from models.estimator import ConversionModel  # noqa: E402
from models.frames import align_features  # noqa: E402
from serving.reasons import shap_contributions  # noqa: E402


def _numeric(X: pd.DataFrame) -> pd.DataFrame:
    """Category codes (missing as NaN) so the plots can colour every feature by value."""
    out = X.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            codes = out[col].cat.codes.astype("float64")
            out[col] = codes.where(codes >= 0)
    return out.astype("float64")


def shap_views(
    model: ConversionModel,
    X: pd.DataFrame,
    out_dir: Path,
    *,
    max_rows: int = 2000,
    top: int = 3,
    seed: int = 0,
) -> dict[str, Path]:
    """Write the SHAP summary and the top features' dependence plots.

    Args:
        X: Rows to explain (e.g. the test slice); a random sample of ``max_rows`` (drawn
            with ``seed``) is used.
        out_dir: Folder for the PNG files (created).
        top: Dependence plots for this many features with the largest mean |SHAP|.

    Returns:
        Plot name -> file: ``summary`` and ``dependence_<feature>``; also ``importance``,
        a CSV of mean |SHAP| per feature.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sample = X.sample(n=min(len(X), max_rows), random_state=seed) if len(X) else X
    aligned = align_features(sample, model.feature_names_, model.categories_, "SHAP sample")
    values = shap_contributions(model, aligned)[:, :-1]
    shown = _numeric(aligned)
    importance = pd.Series(np.abs(values).mean(axis=0), index=aligned.columns)
    importance = importance.sort_values(ascending=False)
    paths = {"importance": out_dir / "shap_importance.csv"}
    importance.rename("mean_abs_shap").to_csv(paths["importance"], index_label="feature")

    with warnings.catch_warnings():
        # colouring by a feature that is missing for every sampled lead (e.g. budget in an
        # export without it) takes the quantile of an all-NaN column: harmless, grey dots
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        shap.summary_plot(values, shown, show=False, max_display=20, plot_size=(9, 7))
    paths["summary"] = out_dir / "shap_summary.png"
    plt.gcf().savefig(paths["summary"], dpi=110, bbox_inches="tight")
    plt.close("all")
    for name in importance.index[:top]:
        shap.dependence_plot(str(name), values, shown, interaction_index=None, show=False)
        path = out_dir / f"shap_dependence_{name}.png"
        plt.gcf().savefig(path, dpi=110, bbox_inches="tight")
        plt.close("all")
        paths[f"dependence_{name}"] = path
    return paths
