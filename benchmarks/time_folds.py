"""Model settings compared on rolling time folds inside a real CRM's training rows.

``python -m benchmarks.time_folds --only olist`` builds the slices ``leadscore train``
builds with default flags (:func:`benchmarks.real_data.model_slices`), keeps the train and
valid rows only (oldest first) and never reads the test slice: a setting chosen here has
not seen the rows the README's table reports. Each fold trains on the rows before an early
stopping chunk, stops early (and refits) on that chunk, and is scored by the ROC AUC of
the raw margin on the next chunk (:func:`rolling_folds`). Every candidate is the default
training config with one change (:data:`CANDIDATES`), that config without its
``small_data`` values, the optional random search of :mod:`models.search` (what a
default search would choose), or the real-data table's logistic-regression baseline. Writes
``benchmarks/measured/time_folds-<mapping>.json`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from benchmarks.real_data import DATA, ROOT, SETS, baseline_probabilities, model_slices
from features.files import atomic_write_text
from models.config import TrainConfig
from models.search import random_search
from models.train import model_from_config

FOLDS, STOP_SHARE, EVAL_SHARE = 5, 0.1, 0.1
"""The default folds: 5 evaluation chunks of 10 % of the rows, each after a 10 % stopping
chunk (:func:`rolling_folds`)."""

Scorer = Callable[[pd.DataFrame, np.ndarray, "Fold"], np.ndarray]
"""Given all rows and a fold's positions, fit on its (train, stop) rows and return scores of
its evaluation rows."""

CANDIDATES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "min_data_per_group 10": {"extra_params": {"min_data_per_group": 10}},
    "categorical smoothing 30": {
        "extra_params": {"min_data_per_group": 30, "cat_smooth": 30, "cat_l2": 30}
    },
    "class_weight balanced": {"class_weight": "balanced"},
    "refit_on_stopping_rows off": {"refit_on_stopping_rows": False},
}
"""Estimator parameters replacing the default training config's, one candidate each."""


@dataclass(frozen=True)
class Fold:
    """Row positions of one fold, oldest first: fit on ``train``, stop early on ``stop``,
    score ``eval``."""

    train: np.ndarray
    stop: np.ndarray
    eval: np.ndarray

    @classmethod
    def consecutive(cls, *lengths: int) -> Fold:
        """Fit, stop and evaluation rows one block after the other, of these lengths."""
        ends = np.cumsum(lengths)
        return cls(*(np.arange(end - n, end) for n, end in zip(lengths, ends, strict=True)))

    def rows(
        self, X: pd.DataFrame, y: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray, pd.DataFrame]:
        """``X_fit, y_fit, X_stop, y_stop, X_eval``: the fold's rows of ``X`` and ``y``."""
        fit, stop = self.train, self.stop
        return X.iloc[fit], y[fit], X.iloc[stop], y[stop], X.iloc[self.eval]


def rolling_folds(n: int, n_folds: int, stop_share: float, eval_share: float) -> list[Fold]:
    """Consecutive evaluation chunks covering the latest ``n_folds * eval_share`` of ``n``
    time-ordered rows, each preceded by an early-stopping chunk and all older rows.

    Raises:
        ValueError: The chunks leave no training rows.
    """
    stop, chunk = int(n * stop_share), int(n * eval_share)
    first_eval = n - n_folds * chunk
    if min(stop, chunk) < 1 or first_eval - stop < 1:
        raise ValueError(
            f"{n} rows cannot hold {n_folds} folds of {eval_share:.0%} after a "
            f"{stop_share:.0%} stopping chunk and some training rows; use fewer folds"
        )
    starts = [first_eval + i * chunk for i in range(n_folds)]
    return [
        Fold(np.arange(s - stop), np.arange(s - stop, s), np.arange(s, s + chunk)) for s in starts
    ]


Chooser = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], dict[str, Any]]
"""Choose overrides from the (train, stop) rows."""


def model_scorer(config: TrainConfig, overrides: dict[str, Any] | Chooser) -> Scorer:
    """The training config's model with ``overrides`` (or the ones a chooser picks from the
    fold's rows): its raw margin on the evaluation rows."""

    def score(X_all: pd.DataFrame, y_all: np.ndarray, fold: Fold) -> np.ndarray:
        X, y, X_stop, y_stop, X_eval = fold.rows(X_all, y_all)
        chosen = overrides(X, y, X_stop, y_stop) if callable(overrides) else overrides
        model = model_from_config(config, chosen)
        model.fit(X, y, X_valid=X_stop, y_valid=y_stop, X_calib=X_stop, y_calib=y_stop)
        return model.predict_raw(X_eval)

    return score


def searched(config: TrainConfig) -> Chooser:
    """The random search of :mod:`models.search` (``search_max_trials`` trials, no time
    limit) on the stopping rows: the values it chose."""

    def choose(
        X: pd.DataFrame, y: np.ndarray, X_stop: pd.DataFrame, y_stop: np.ndarray
    ) -> dict[str, Any]:
        return random_search(
            X,
            y,
            X_stop,
            y_stop,
            model=model_from_config(config),
            budget_seconds=float("inf"),
            max_trials=config.search_max_trials,
        ).best_params

    return choose


def baseline_scorer(X_all: pd.DataFrame, y_all: np.ndarray, fold: Fold) -> np.ndarray:
    """The real-data table's logistic regression, fitted on the training and stopping rows."""
    X, y, X_stop, y_stop, X_eval = fold.rows(X_all, y_all)
    return baseline_probabilities(pd.concat([X, X_stop]), np.r_[y, y_stop], X_eval)


def fold_aucs(X: pd.DataFrame, y: np.ndarray, folds: list[Fold], scorer: Scorer) -> list[float]:
    """ROC AUC of ``scorer`` on each fold's evaluation rows."""
    out = []
    for fold in folds:
        scores = scorer(X, y, fold)
        out.append(float(roc_auc_score(y[fold.eval], scores)))
    return out


def paired_gain(aucs: list[float], reference: list[float]) -> dict[str, float]:
    """Mean AUC gain over ``reference`` on the same folds and its standard error."""
    diff = np.asarray(aucs) - np.asarray(reference)
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    return {"gain": float(diff.mean()), "gain_se": se}


def development_rows(slices: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The train and valid rows of time-ordered slices, oldest first (the test rows never).

    Raises:
        ValueError: The slices have no time order (a flat export split at random).
    """
    times = pd.concat([slices.train.snapshot, slices.valid.snapshot], ignore_index=True)
    if slices.kind == "flat" or times.isna().any() or not times.is_monotonic_increasing:
        raise ValueError(
            f"{slices.kind} slices have no time order to fold; time folds need first_touch "
            "or snapshots slices"
        )
    X = pd.concat([slices.X("train"), slices.X("valid")], ignore_index=True)
    return X, np.r_[slices.train.y.to_numpy(), slices.valid.y.to_numpy()]


def compare(mapping: str, n_folds: int, stop_share: float, eval_share: float) -> dict[str, Any]:
    """Every candidate's fold AUCs on one data set, and its gain over the defaults."""
    relative = next(rel for _, rel, name in SETS if name == mapping)
    slices = model_slices(DATA / relative, mapping)
    X, y = development_rows(slices)
    folds = rolling_folds(len(y), n_folds, stop_share, eval_share)
    # the config train uses: its small-data values follow the real training slice's size
    config = TrainConfig().for_training_rows(len(slices.train.y))
    scorers: dict[str, Scorer] = {k: model_scorer(config, v) for k, v in CANDIDATES.items()}
    scorers["without the small_data values"] = model_scorer(TrainConfig(), {})
    scorers["random search"] = model_scorer(config, searched(config))
    scorers["logistic regression baseline"] = baseline_scorer
    results = {name: fold_aucs(X, y, folds, scorer) for name, scorer in scorers.items()}
    return {
        "mapping": mapping,
        "rows": len(y),
        "positives": int(y.sum()),
        "folds": [
            {"eval_rows": len(f.eval), "eval_positives": int(y[f.eval].sum())} for f in folds
        ],
        "candidates": {
            name: {
                "fold_aucs": aucs,
                "mean_auc": float(np.mean(aucs)),
                **paired_gain(aucs, results["defaults"]),
            }
            for name, aucs in results.items()
        },
    }


def table(result: dict[str, Any]) -> str:
    """A markdown table: candidate, mean AUC, gain over the defaults (se), fold AUCs."""
    lines = ["| candidate | mean AUC | gain over defaults (se) | fold AUCs |", "|---|---|---|---|"]
    for name, r in result["candidates"].items():
        folds = " ".join(f"{a:.3f}" for a in r["fold_aucs"])
        lines.append(
            f"| {name} | {r['mean_auc']:.3f} | {r['gain']:+.3f} ({r['gain_se']:.3f}) | {folds} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="olist", help="Mapping of a time-ordered data set.")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--stop-share", type=float, default=STOP_SHARE)
    parser.add_argument("--eval-share", type=float, default=EVAL_SHARE)
    args = parser.parse_args()
    result = compare(args.only, args.folds, args.stop_share, args.eval_share)
    out = ROOT / "benchmarks" / "measured" / f"time_folds-{args.only}.json"
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    print(table(result))  # noqa: T201 - a command's output


if __name__ == "__main__":
    main()
