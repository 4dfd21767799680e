"""How far a real CRM's first-contact columns can go: ``python -m benchmarks.ceiling --only olist``.

Evidence for the unmet Olist targets (issue #15: test AUC >= 0.72; issue #16: final ECE
<= 0.02), on the exact slices ``leadscore train`` builds with default flags
(:func:`benchmarks.real_data.model_slices`). Writes ``benchmarks/measured/ceiling-<mapping>.json``
and prints a summary. Four parts:

1. **Learned from the past.** The shipped model (the training config's defaults, fitted as
   :func:`models.train.train_and_register` fits it) and every candidate of the declared
   grid (:mod:`benchmarks.ceiling_grid`) fitted on train (+ valid) and scored on test,
   each with DeLong's 95 % interval and its paired difference to the shipped model
   (:mod:`benchmarks.paired_stats`). The best of the grid *on the test slice* is reported as
   what it is, a selection on the test rows (optimistic); the candidate best on the rolling
   time folds of :mod:`benchmarks.time_folds` (train + valid rows only) is the honest choice.
2. **No-drift ceilings.** Repeated stratified k-fold cross-validation inside the test slice,
   and over all rows at random, for :data:`benchmarks.ceiling_grid.CEILING_CANDIDATES`:
   every fold trains on rows of the same weeks it is scored on, which no deployed model
   can, so these bound what a model of these columns reaches on these leads.
3. **The ECE floor.** For equal-width bins ``b`` holding ``n_b`` of the ``N`` rows,
   ``ECE = sum_b n_b / N * |mean_b(y) - mean_b(p)| >= |sum_b n_b / N * (mean_b(y) -
   mean_b(p))| = |mean(y) - mean(p)|`` (triangle inequality; the weighted sums of the
   per-bin means are the overall means). So no calibrator whose average probability on
   the test slice misses its conversion rate by more than 0.02 can reach ECE 0.02, however
   it ranks. Each calibrator the product can fit on the validation slice (Platt,
   isotonic, with equal or recency weights, :mod:`models.calibration`), and the final
   score of the blend, are reported with their test mean, the test rate, the floor and the
   ECE (:func:`models.metrics.ece`, :func:`models.metrics.calibration_in_the_large`).
4. **Where the rate moved.** Rows, conversions and rate per contact month and slice.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from benchmarks.ceiling_grid import (
    CEILING_CANDIDATES,
    DATE_COLUMNS,
    SHIPPED,
    grid,
    with_contact_dates,
)
from benchmarks.paired_stats import auc_interval, delong_test
from benchmarks.real_data import DATA, ROOT, SETS, model_slices
from benchmarks.time_folds import (
    EVAL_SHARE,
    FOLDS,
    STOP_SHARE,
    Scorer,
    development_rows,
    fold_aucs,
    paired_gain,
    rolling_folds,
)
from features.files import atomic_write_text
from models.calibration import (
    RECENCY_HALF_LIVES,
    CalibrationRecency,
    calibrated_probability,
    fit_recency_calibrator,
)
from models.config import TrainConfig
from models.estimator import ConversionModel
from models.metrics import calibration_in_the_large, ece
from models.splits import stratified_halves
from models.train import model_from_config

AUC_TARGET = 0.72
"""Issue #15's target test AUC on Olist."""
ECE_TARGET = 0.02
"""Issue #16's target final ECE."""
PARTS = ("train", "valid", "test")
ORIGIN_COLUMNS = ("lead_source", "original_source")
"""Where a lead came from (Olist's ``origin``, mapped to both)."""


@dataclass(frozen=True)
class StudyData:
    """The three slices as the study reads them.

    Attributes:
        X: Per slice, the model's columns (after the leakage guard) plus
            :data:`~benchmarks.ceiling_grid.DATE_COLUMNS`; rows oldest first.
        y: Per slice, the 0/1 labels.
        contact_day: Per slice, each row's contact day.
        time_valid: The validation rows' times, as training passes them to calibration.
        manual: Per slice (``valid``, ``test``), the rulebook's manual score.
        empty_rulebook: The rulebook ``train`` chose is the empty one (blend weight 0).
    """

    X: dict[str, pd.DataFrame]
    y: dict[str, np.ndarray]
    contact_day: dict[str, pd.Series]
    time_valid: pd.Series
    manual: dict[str, np.ndarray]
    empty_rulebook: bool

    def features(self, part: str) -> pd.DataFrame:
        """The model's columns of ``part`` (without the date columns)."""
        return self.X[part].drop(columns=list(DATE_COLUMNS))


def study_data(slices: Any, *, empty_rulebook: bool) -> StudyData:
    """The :class:`StudyData` of time-ordered ``first_touch`` slices.

    Raises:
        ValueError: The slices are not ``first_touch`` or not in time order.
    """
    development_rows(slices)  # refuses slices without a time order
    if slices.kind != "first_touch":
        raise ValueError(f"{slices.kind} slices: the study reads first_touch contact days")
    delay = pd.Timedelta(days=int(slices.fingerprint["plan"]["delay_days"]))
    day = {p: getattr(slices, p).snapshot.reset_index(drop=True) - delay for p in PARTS}
    manual = {}
    for p in ("valid", "test"):
        score = getattr(slices, f"manual_score_{p}")
        rows = len(getattr(slices, p).y)
        manual[p] = np.zeros(rows) if score is None else np.nan_to_num(np.asarray(score, float))
    return StudyData(
        X={p: with_contact_dates(slices.X(p), day[p]) for p in PARTS},
        y={p: getattr(slices, p).y.to_numpy(dtype=int) for p in PARTS},
        contact_day=day,
        time_valid=slices.time_valid.reset_index(drop=True),
        manual=manual,
        empty_rulebook=empty_rulebook,
    )


def shipped_model(data: StudyData, config: TrainConfig) -> ConversionModel:
    """The model ``train`` fits with ``config`` (its small-data values for the training
    rows, validation halves for early stopping and calibration, the rows' times)."""
    X = data.features("train")
    model = model_from_config(config.for_training_rows(len(X)))
    return model.fit(
        X,
        data.y["train"],
        X_valid=data.features("valid"),
        y_valid=data.y["valid"],
        time_valid=data.time_valid,
    )


def on_test_slice(
    data: StudyData, scorers: dict[str, Scorer], p_shipped: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Each candidate fitted on train (stopping on valid) and scored on test: AUC, 95 %
    interval and DeLong's paired difference to the shipped model's probabilities."""
    y = data.y["test"]
    out: dict[str, dict[str, Any]] = {}
    for name, scorer in scorers.items():
        if name == SHIPPED:
            scores = p_shipped  # the shipped model itself, as the README's table scores it
        else:
            scores = scorer(
                data.X["train"], data.y["train"], data.X["valid"], data.y["valid"], data.X["test"]
            )
        auc, low, high = auc_interval(y, scores)
        paired = delong_test(y, scores, p_shipped)
        out[name] = {
            "auc": auc,
            "ci95": [low, high],
            "minus_shipped": paired["diff"],
            "minus_shipped_p": paired["p_two_sided"],
        }
    return out


def time_folds(
    data: StudyData, scorers: dict[str, Scorer], n_folds: int = FOLDS
) -> dict[str, dict[str, Any]]:
    """Each candidate on the rolling time folds of the train + valid rows (the test rows
    never), with its paired gain over the shipped model's settings."""
    X = pd.concat([data.X["train"], data.X["valid"]], ignore_index=True)
    y = np.r_[data.y["train"], data.y["valid"]]
    folds = rolling_folds(len(y), n_folds, STOP_SHARE, EVAL_SHARE)
    aucs = {name: fold_aucs(X, y, folds, scorer) for name, scorer in scorers.items()}
    return {
        name: {"fold_aucs": a, "mean_auc": float(np.mean(a)), **paired_gain(a, aucs[SHIPPED])}
        for name, a in aucs.items()
    }


def cv_aucs(
    X: pd.DataFrame, y: np.ndarray, scorer: Scorer, seed: int, n_splits: int = 5
) -> list[float]:
    """Stratified ``n_splits``-fold AUCs (shuffled with ``seed``); each fold's training rows
    give up a stratified :data:`~benchmarks.time_folds.STOP_SHARE` to stop early on."""
    X = X.reset_index(drop=True)
    out = []
    split = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for fit_rows, eval_rows in split.split(X, y):
        fit, stop = train_test_split(
            fit_rows, test_size=STOP_SHARE, stratify=y[fit_rows], random_state=seed
        )
        fit, stop = np.sort(fit), np.sort(stop)
        scores = scorer(X.iloc[fit], y[fit], X.iloc[stop], y[stop], X.iloc[eval_rows])
        out.append(float(roc_auc_score(y[eval_rows], scores)))
    return out


def ceilings(
    X: pd.DataFrame, y: np.ndarray, scorers: dict[str, Scorer], seeds: int
) -> dict[str, dict[str, Any]]:
    """Repeated (``seeds`` times) stratified 5-fold CV of each scorer on ``X``: the mean
    fold AUC and the range of the per-seed means."""
    out = {}
    for name, scorer in scorers.items():
        per_seed = [float(np.mean(cv_aucs(X, y, scorer, seed))) for seed in range(seeds)]
        out[name] = {
            "mean_auc": float(np.mean(per_seed)),
            "seed_means_min": min(per_seed),
            "seed_means_max": max(per_seed),
            "seeds": seeds,
        }
    return out


def saturated_auc(X: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """The in-sample AUC of each row's cell rate: the share of converted rows among the rows
    that share all of ``X``'s values (missing is a value of its own).

    No score that is a function of ``X``'s columns can rank these rows better, even one
    fitted on their labels: such a score is constant within a cell, and swapping two
    adjacent cells ``i, j`` in the ranking changes the AUC by ``(P_i N_j - P_j N_i) / (P N)``
    (``P_i``, ``N_i``: converted and other rows of cell ``i``), so ordering the cells by
    rate maximises it. A hard upper bound, and loose: a cell of one converted row is
    "predicted" perfectly.

    Returns:
        ``auc`` and ``cells`` (distinct value combinations).
    """
    text = X.astype("object").where(X.notna(), "<missing>").astype(str)
    cell = text.agg("\x1f".join, axis=1).to_numpy()
    rate = pd.Series(y, dtype=float).groupby(cell).transform("mean")
    return {"auc": float(roc_auc_score(y, rate)), "cells": int(pd.unique(cell).size)}


def saturated_bounds(data: StudyData) -> dict[str, dict[str, Any]]:
    """:func:`saturated_auc` of the test slice for the origin columns alone
    (:data:`ORIGIN_COLUMNS` present), the model's columns, with the contact's weekday, and
    with weekday and month."""
    X = data.X["test"]
    origin = [c for c in ORIGIN_COLUMNS if c in X.columns]
    sets = {
        "origin columns only": X[origin],
        "model columns": data.features("test"),
        "model columns + weekday": X.drop(columns=list(DATE_COLUMNS[1:])),
        "model columns + weekday + month": X,
    }
    return {name: saturated_auc(frame, data.y["test"]) for name, frame in sets.items()}


def floor_row(name: str, y: np.ndarray, p: np.ndarray, **extra: Any) -> dict[str, Any]:
    """A calibrator's test mean, the test rate, the ECE floor ``|difference|`` and its ECE."""
    big = calibration_in_the_large(y, p)
    return {
        "calibrator": name,
        **extra,
        "test_mean_predicted": big["mean_predicted"],
        "test_rate": big["observed_rate"],
        "ece_floor": abs(big["mean_predicted"] - big["observed_rate"]),
        "ece": ece(y, p),
    }


def ece_floors(model: ConversionModel, data: StudyData, config: TrainConfig) -> dict[str, Any]:
    """The ECE floor of every calibrator the product can fit on the validation slice.

    The shipped model's own probabilities; its margin recalibrated on the calibration half
    of the validation slice (:func:`models.splits.stratified_halves`, as ``fit`` halves it)
    by Platt and isotonic, each with equal weights, each half-life of
    :data:`models.calibration.RECENCY_HALF_LIVES` and ``auto``; and the final score (the
    blend fitted on the validation slice as ``train`` fits it).
    """
    from pipelines.flows.train import blend_settings
    from serving.blend import BlendConfig, fit_blend

    X_valid, X_test = data.features("valid"), data.features("test")
    y_valid, y_test = data.y["valid"], data.y["test"]
    _, cal = stratified_halves(y_valid, config.seed)
    margin_cal = model.predict_raw(X_valid)[cal]
    time_cal = np.asarray(data.time_valid)[cal]
    margin_test = model.predict_raw(X_test)
    rows = [
        floor_row(
            "shipped model",
            y_test,
            model.predict_conversion(X_test),
            method=model.calibration_method_,
            recency=model.calibration_recency_.label,
        )
    ]
    for method in ("platt", "isotonic"):
        settings: tuple[CalibrationRecency, ...] = ("none", *RECENCY_HALF_LIVES, "auto")
        for setting in settings:
            fitted, _, _, choice = fit_recency_calibrator(
                margin_cal, y_valid[cal], method, config.seed, time=time_cal, recency=setting
            )
            p = calibrated_probability(fitted, margin_test)
            rows.append(
                floor_row(f"{method}, recency {setting}", y_test, p, method=method,
                          recency=choice.label)
            )  # fmt: skip
    blend = fit_blend(
        model.predict_conversion(X_valid),
        data.manual["valid"],
        y_valid,
        blend_settings(BlendConfig(), data.empty_rulebook),
        time=data.time_valid,
        recency=model.calibration_recency_,
    )
    final = blend.probability(model.predict_conversion(X_test), data.manual["test"])
    rows.append(floor_row("final score (blend)", y_test, final, method="blend", recency="-"))
    rate = float(y_test.mean())
    return {
        "valid_rate": float(y_valid.mean()),
        "calibration_rows_rate": float(y_valid[cal].mean()),
        "test_rate": rate,
        "target": ECE_TARGET,
        "test_mean_needed": [max(0.0, rate - ECE_TARGET), rate + ECE_TARGET],
        "calibrators": rows,
        "lowest_floor": min(r["ece_floor"] for r in rows),
    }


def monthly_rates(data: StudyData) -> list[dict[str, Any]]:
    """Rows, conversions and conversion rate per contact month and slice, oldest first."""
    frames = [
        pd.DataFrame({"month": data.contact_day[p].dt.strftime("%Y-%m"), "part": p, "y": data.y[p]})
        for p in PARTS
    ]  # fmt: skip
    table = pd.concat(frames).groupby(["month", "part"], sort=False)["y"].agg(["size", "sum"])
    return [
        {"month": m, "part": p, "rows": int(n), "conversions": int(k), "rate": k / n}
        for (m, p), (n, k) in table.iterrows()
    ]


def selections(tested: dict[str, dict[str, Any]], folds: dict[str, dict[str, Any]]) -> dict:
    """The best of the grid on test (optimistic), the candidate the time folds choose
    (honest) and the candidates that reach :data:`AUC_TARGET` on test *and* beat the
    shipped settings on the time folds."""
    on_test = max(tested, key=lambda k: tested[k]["auc"])
    on_folds = max(folds, key=lambda k: folds[k]["mean_auc"])
    return {
        "best_on_test_slice": {"name": on_test, "test_auc": tested[on_test]["auc"],
                               "note": "selected on the test slice: optimistic"},
        "best_on_time_folds": {"name": on_folds, "fold_mean_auc": folds[on_folds]["mean_auc"],
                               "test_auc": tested[on_folds]["auc"]},
        "reach_target_and_beat_shipped_on_folds": [
            k for k in tested
            if tested[k]["auc"] >= AUC_TARGET and folds[k]["gain"] > 0
        ],
    }  # fmt: skip


def run_study(
    data: StudyData,
    config: TrainConfig,
    *,
    seeds: int,
    all_rows_seeds: int,
    n_folds: int = FOLDS,
) -> dict[str, Any]:
    """Every part of the study on ``data`` (see the module docstring)."""
    model = shipped_model(data, config)
    p_shipped = model.predict_conversion(data.features("test"))
    scorers = grid(config.for_training_rows(len(data.y["train"])))
    tested = on_test_slice(data, scorers, p_shipped)
    folds = time_folds(data, scorers, n_folds)
    ceiling = {k: scorers[k] for k in CEILING_CANDIDATES}
    X_all = pd.concat([data.X[p] for p in PARTS], ignore_index=True)
    y_all = np.concatenate([data.y[p] for p in PARTS])
    return {
        "rows": {p: len(data.y[p]) for p in PARTS},
        "positives": {p: int(data.y[p].sum()) for p in PARTS},
        "auc_target": AUC_TARGET,
        "test_slice": tested,
        "time_folds": folds,
        "selections": selections(tested, folds),
        "ceiling_cv_inside_test": ceilings(data.X["test"], data.y["test"], ceiling, seeds),
        "ceiling_cv_all_rows": ceilings(X_all, y_all, ceiling, all_rows_seeds),
        "saturated_in_sample_test": saturated_bounds(data),
        "ece_floor": ece_floors(model, data, config),
        "monthly_rates": monthly_rates(data),
    }


def summary(result: dict[str, Any]) -> str:
    """The headline figures as text."""
    lines = ["| candidate | test AUC (95 %) | time-fold mean AUC |", "|---|---|---|"]
    for name, r in result["test_slice"].items():
        low, high = r["ci95"]
        fold = result["time_folds"][name]["mean_auc"]
        lines.append(f"| {name} | {r['auc']:.3f} ({low:.3f}-{high:.3f}) | {fold:.3f} |")
    for key in ("ceiling_cv_inside_test", "ceiling_cv_all_rows"):
        for name, r in result[key].items():
            lines.append(f"{key}: {name}: {r['mean_auc']:.3f}")
    for name, r in result["saturated_in_sample_test"].items():
        lines.append(f"saturated in-sample bound on test, {name}: {r['auc']:.3f} ({r['cells']})")
    floor = result["ece_floor"]
    for r in floor["calibrators"]:
        lines.append(
            f"{r['calibrator']}: test mean {r['test_mean_predicted']:.3f}, rate "
            f"{r['test_rate']:.3f}, floor {r['ece_floor']:.3f}, ECE {r['ece']:.3f}"
        )
    lines.append(json.dumps(result["selections"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="olist", help="Mapping of a first_touch data set.")
    parser.add_argument("--seeds", type=int, default=20, help="CV repeats inside the test slice.")
    parser.add_argument("--all-rows-seeds", type=int, default=20, help="CV repeats, all rows.")
    args = parser.parse_args()
    from rules import load_rulebook
    from serving.run_config import choose_rulebook, rulebook_ref

    relative = next(rel for _, rel, name in SETS if name == args.only)
    book = choose_rulebook(None, args.only)
    empty = rulebook_ref(load_rulebook(book), book).empty
    data = study_data(model_slices(DATA / relative, args.only), empty_rulebook=empty)
    result = {
        "mapping": args.only,
        **run_study(data, TrainConfig(), seeds=args.seeds, all_rows_seeds=args.all_rows_seeds),
    }
    out = ROOT / "benchmarks" / "measured" / f"ceiling-{args.only}.json"
    atomic_write_text(out, json.dumps(result, indent=2) + "\n")
    print(summary(result))  # noqa: T201 - a command's output


if __name__ == "__main__":
    main()
