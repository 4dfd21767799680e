"""Optional, time-budgeted random search over a few LightGBM parameters.

Off by default: the defaults in ``config_default.yaml`` are good without it (on Olist's
rolling time folds, ``python -m benchmarks.time_folds``, the search's choices lose 0.008
AUC to them). The
combinations come from scikit-learn's :class:`~sklearn.model_selection.ParameterSampler`
(without repeats). Each trial
trains with early stopping on the same half of the validation slice that
:class:`models.estimator.ConversionModel` uses for early stopping and is scored by that
half's log loss; the calibration half and the test slice are never looked at. Trial 0 is
the configured defaults, so the search can only keep or improve on them. With a time
budget the number of trials depends on machine speed; ``max_trials`` bounds it, and a run
that finishes all ``max_trials`` is reproducible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import ParameterSampler

from models.estimator import ConversionModel
from models.frames import align_features, check_target, learn_categories
from models.splits import stratified_halves

SEARCH_SPACE: dict[str, list[Any]] = {
    "num_leaves": [7, 15, 31, 63],
    "min_child_samples": [10, 20, 50, 100],
    "learning_rate": [0.02, 0.05, 0.1],
    "feature_fraction": [0.6, 0.8, 1.0],
    "lambda_l2": [0.0, 1.0, 5.0, 10.0],
}


@dataclass(frozen=True)
class SearchResult:
    """Best values of the searched parameters and every trial (values, log loss, trees, seconds)."""

    best_params: dict[str, Any]
    trials: pd.DataFrame


def random_search(
    X: pd.DataFrame,
    y: Any,
    X_valid: pd.DataFrame,
    y_valid: Any,
    *,
    model: ConversionModel,
    budget_seconds: float,
    max_trials: int,
) -> SearchResult:
    """Try random combinations from :data:`SEARCH_SPACE` until the budget runs out.

    Args:
        model: The unfitted estimator with the configured settings: trial 0, and the seed,
            rounds, early-stopping patience and threads of every trial.
        budget_seconds: Stop starting new trials after this many seconds.
        max_trials: Upper bound on trials, including trial 0.

    Returns:
        The searched parameters' values of the best trial (pass them to ``set_params``)
        and the trial table.
    """
    categories = learn_categories(X, "X")
    names = [str(c) for c in X.columns]
    X_fit = align_features(X, names, categories, "X")
    y_fit = check_target(y, len(X_fit), "y")
    X_val = align_features(X_valid, names, categories, "X_valid")
    y_val = check_target(y_valid, len(X_val), "y_valid")
    settings = model.settings()
    stop_idx, _ = stratified_halves(y_val, settings["seed"])
    X_stop, y_stop = X_val.iloc[stop_idx], y_val[stop_idx]
    defaults = {k: settings[k] for k in SEARCH_SPACE}
    sampled = ParameterSampler(SEARCH_SPACE, n_iter=max_trials - 1, random_state=settings["seed"])
    start = time.monotonic()
    rows: list[dict[str, Any]] = []
    for trial, values in enumerate([defaults, *(sampled if max_trials > 1 else [])]):
        if trial > 0 and time.monotonic() - start > budget_seconds:
            break
        began = time.monotonic()
        trial_model = clone(model).set_params(**values)
        booster = trial_model.early_stopped_booster(X_fit, y_fit, X_stop, y_stop)
        rows.append(
            {
                "trial": trial,
                **values,
                "log_loss": float(booster.best_score["valid_0"]["binary_logloss"]),
                "trees": booster.best_iteration,
                "seconds": time.monotonic() - began,
            }
        )
    trials = pd.DataFrame(rows)
    # first lowest loss wins ties, so the defaults are kept unless something is better
    best = int(np.argmin(trials["log_loss"].to_numpy()))
    return SearchResult(best_params={k: rows[best][k] for k in SEARCH_SPACE}, trials=trials)
