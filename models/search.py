"""Optional, time-budgeted random search over a few LightGBM parameters.

Off by default: the defaults in ``config_default.yaml`` are good without it. Each trial
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

from models.calibration import stratified_halves
from models.estimator import booster_params, train_booster
from models.frames import align_features, check_target, learn_categories

SEARCH_SPACE: dict[str, tuple[Any, ...]] = {
    "num_leaves": (7, 15, 31, 63),
    "min_child_samples": (10, 20, 50, 100),
    "learning_rate": (0.02, 0.05, 0.1),
    "feature_fraction": (0.6, 0.8, 1.0),
    "lambda_l2": (0.0, 1.0, 5.0, 10.0),
}


@dataclass(frozen=True)
class SearchResult:
    """Best parameter values and every trial (parameters, log loss, trees, seconds)."""

    best_params: dict[str, Any]
    trials: pd.DataFrame


def random_search(
    X: pd.DataFrame,
    y: Any,
    X_valid: pd.DataFrame,
    y_valid: Any,
    *,
    base_params: dict[str, Any],
    budget_seconds: float,
    max_trials: int,
    seed: int,
    n_estimators: int = 1000,
    early_stopping_rounds: int = 50,
    num_threads: int = 1,
) -> SearchResult:
    """Try random combinations from :data:`SEARCH_SPACE` until the budget runs out.

    Args:
        X: Training features.
        y: 0/1 training labels.
        X_valid: Validation features.
        y_valid: 0/1 validation labels.
        base_params: The default LightGBM parameters (trial 0).
        budget_seconds: Stop starting new trials after this many seconds.
        max_trials: Upper bound on trials, including trial 0.
        seed: Seed of the sampler, the validation halves and LightGBM.
        n_estimators: Maximum rounds per trial.
        early_stopping_rounds: Early-stopping patience per trial.
        num_threads: LightGBM threads.

    Returns:
        The best parameters (``base_params`` updated with the winning values) and the
        trial table.
    """
    categories = learn_categories(X, "X")
    names = [str(c) for c in X.columns]
    X_fit = align_features(X, names, categories, "X")
    y_fit = check_target(y, len(X_fit), "y", need_both=True)
    X_val = align_features(X_valid, names, categories, "X_valid")
    y_val = check_target(y_valid, len(X_val), "y_valid", need_both=True)
    stop_idx, _ = stratified_halves(y_val, seed)
    X_stop, y_stop = X_val.iloc[stop_idx], y_val[stop_idx]
    rng = np.random.default_rng(seed)
    start = time.monotonic()
    rows: list[dict[str, Any]] = []
    tried: list[dict[str, Any]] = []
    for trial in range(max_trials):
        if trial > 0 and time.monotonic() - start > budget_seconds:
            break
        overrides = (
            {}
            if trial == 0
            else {k: values[rng.integers(len(values))] for k, values in SEARCH_SPACE.items()}
        )
        tried.append({**base_params, **overrides})
        params = booster_params(tried[-1], seed, num_threads)
        began = time.monotonic()
        booster = train_booster(
            params,
            X_fit,
            y_fit,
            X_stop,
            y_stop,
            n_estimators=n_estimators,
            early_stopping_rounds=early_stopping_rounds,
        )
        loss = booster.best_score["valid_0"]["binary_logloss"]
        rows.append(
            {
                "trial": trial,
                **{k: params[k] for k in SEARCH_SPACE},
                "log_loss": float(loss),
                "trees": booster.best_iteration,
                "seconds": time.monotonic() - began,
            }
        )
    trials = pd.DataFrame(rows)
    # first lowest loss wins ties, so the defaults are kept unless something is better
    best = int(np.argmin(trials["log_loss"].to_numpy()))
    return SearchResult(best_params=tried[best], trials=trials)
