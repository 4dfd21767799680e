"""Global SHAP views: the strongest planted feature leads the importance and plots exist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.estimator import ConversionModel
from serving.explain.global_views import shap_views


def test_shap_views_rank_the_planted_signal_first(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 3000
    X = pd.DataFrame(
        {
            "strong": rng.normal(size=n),
            "weak": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "segment": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
        }
    )
    logit = -1 + 2.0 * X["strong"] + 0.4 * X["weak"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = ConversionModel(n_estimators=60, seed=0).fit(
        X.iloc[:2000], y[:2000], X_valid=X.iloc[2000:], y_valid=y[2000:]
    )
    paths = shap_views(model, X, tmp_path / "shap", max_rows=500, top=2)
    importance = pd.read_csv(paths["importance"], index_col="feature")["mean_abs_shap"]
    assert list(importance.index[:2]) == ["strong", "weak"]
    assert paths["summary"].stat().st_size > 10_000  # a real PNG, not an empty figure
    assert set(paths) == {"importance", "summary", "dependence_strong", "dependence_weak"}
    assert paths["dependence_strong"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_feature_missing_for_every_lead_plots_without_warnings(tmp_path: Path) -> None:
    import warnings

    rng = np.random.default_rng(1)
    n = 1500
    X = pd.DataFrame({"strong": rng.normal(size=n), "budget": np.full(n, np.nan)})
    y = (rng.random(n) < 1 / (1 + np.exp(-2.0 * X["strong"]))).astype(int)
    model = ConversionModel(n_estimators=30, seed=0).fit(
        X.iloc[:1000], y[:1000], X_valid=X.iloc[1000:], y_valid=y[1000:]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        paths = shap_views(model, X, tmp_path / "shap", max_rows=500, top=1)
    assert paths["summary"].stat().st_size > 10_000
