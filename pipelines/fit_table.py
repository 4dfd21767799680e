"""``leadscore fit-table``: a calibrated, explained model from any flat lead export.

read -> check the options' columns -> label rows (reject what cannot be used) -> infer
column types -> split -> leakage guard -> features -> train and calibrate -> score every
usable row -> exact SHAP reasons -> evaluate on the test slice -> write metrics.json,
scores.csv, rejected.csv and report.html (-> MLflow when a tracking URI is given).

The leakage guard looks at every usable row, test rows included: it only ever removes
columns, so it cannot make the test score look better, and on small tables the extra rows
make its evidence steadier. Every other choice (early stopping, calibration, the model's
settings) sees the train and validation slices only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.flat_reasons import mean_abs_contribution, top_reasons, training_quartiles
from features.flat_rows import (
    binary_outcome,
    combine_reasons,
    duplicate_ids,
    parse_time_column,
    require_columns,
)
from features.infer import TableTypes, infer_table_types
from features.ingest import InputError, read_table
from features.personal import personal_data_reason
from features.typed import typed_columns, typed_features
from models.estimator import ConversionModel
from models.leakage import LeakageReport, check_leakage
from models.metrics import decile_table, evaluate
from models.splits import Split, split_by_time, split_random_stratified
from pipelines.fit_table_model import exact_shap, fit_model, score_frame
from pipelines.fit_table_outputs import metrics_summary, rejected_rows, types_table, write_outputs
from pipelines.fit_table_report import render_fit_table_report
from pipelines.fit_table_settings import FitTableSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitTableResult:
    """What ``fit_table`` produced.

    Attributes:
        metrics: The contents of metrics.json.
        paths: ``metrics``, ``scores``, ``rejected``, ``report`` -> written file.
        types: The column type decisions.
        leakage: The leakage guard's report.
        model: The fitted, calibrated model.
        X: The model matrix of the usable rows (row i is row i of scores.csv).
        contributions: Exact SHAP values of ``X`` in log-odds, last column the base value.
    """

    metrics: dict[str, Any]
    paths: dict[str, Path]
    types: TableTypes
    leakage: LeakageReport
    model: ConversionModel
    X: pd.DataFrame
    contributions: np.ndarray

    def summary_text(self) -> str:
        """A few lines for the terminal."""
        m = self.metrics
        lines = [
            f"rows {m['n_rows']:,}: used {m['n_used']:,}, rejected {m['n_rejected']:,}",
            f"test AUC {m['auc']:.3f}, PR AUC {m['pr_auc']:.3f}, ECE {m['ece']:.3f} "
            f"(base rate {m['base_rate']:.1%}, {m['n_test']:,} test rows)",
            f"leakage suspects: {', '.join(m['leakage_suspects']) or 'none'}",
            f"excluded columns: {len(m['excluded_columns'])}",
        ]
        return "\n".join(lines + [f"wrote {path}" for path in self.paths.values()])


def _option_columns(
    target: str, id_column: str | None, time_column: str | None, drop: Sequence[str]
) -> dict[str, str]:
    wanted = {target: "--target"}
    wanted |= {id_column: "--id"} if id_column else {}
    wanted |= {time_column: "--time"} if time_column else {}
    return wanted | {name: "--drop" for name in drop}


def _check_counts(y: np.ndarray, n_rejected: int, settings: FitTableSettings) -> None:
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if len(y) < settings.min_rows or min(n_pos, n_neg) < settings.min_class_rows:
        raise InputError(
            f"only {len(y)} usable rows ({n_pos} positive, {n_neg} negative; {n_rejected} "
            f"rejected): fit-table needs at least {settings.min_rows} rows and "
            f"{settings.min_class_rows} of each class; use a larger export"
        )


def _split(y: np.ndarray, times: pd.Series | None, s: FitTableSettings, seed: int) -> Split:
    if times is None:
        return split_random_stratified(y, s.valid_frac, s.test_frac, seed)
    return split_by_time(times.reset_index(drop=True), s.valid_frac, s.test_frac)


def fit_table(
    path: Path,
    *,
    target: str,
    out_dir: Path,
    positive: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    drop: Sequence[str] = (),
    sep: str | None = None,
    encoding: str = "utf-8",
    seed: int = 0,
    keep_leaky: bool = False,
    tracking_uri: str | None = None,
    settings: FitTableSettings | None = None,
) -> FitTableResult:
    """Train, calibrate, explain and evaluate a conversion model on one flat export.

    Args:
        path: The export (CSV/TSV, optionally .gz, Parquet or Excel). CLI: ``PATH``.
        target: Column holding the outcome. CLI ``--target``: "Column with the outcome
            (e.g. Converted)."
        out_dir: Folder for the outputs (created). CLI ``--out``: "Folder to write
            metrics.json, scores.csv, rejected.csv and report.html into."
        positive: Target value meaning converted. CLI ``--positive``: "Target value that
            means converted (default: 1/true/yes/won)."
        id_column: Lead id column (repeats and blanks are rejected). CLI ``--id``: "Column
            with the lead id (default: the row number)."
        time_column: Date column to split by (oldest train, newest test). CLI ``--time``:
            "Date column: split by time (oldest rows train, newest test) instead of at
            random."
        drop: Columns to leave out. CLI ``--drop`` (repeatable): "Column to leave out
            (repeat the option for several)."
        sep: CSV delimiter. CLI ``--sep``: "CSV delimiter (default: sniffed)."
        encoding: Text encoding. CLI ``--encoding``: "Text encoding of CSV files."
        seed: Seed of the split, LightGBM and calibration. CLI ``--seed``: "Random seed."
        keep_leaky: Train on leakage suspects anyway (still reported). CLI
            ``--keep-leaky``: "Keep columns the leakage guard suspects (not recommended)."
        tracking_uri: Also log the run to this MLflow tracking URI. CLI
            ``--tracking-uri``: "MLflow tracking URI to log the run to (default: files
            only)."
        settings: Thresholds and model settings (default: :class:`FitTableSettings`).

    Returns:
        The result; files are in ``out_dir``.

    Raises:
        InputError: The file cannot be read (wrong delimiter, encoding, empty), an option
            names a missing column, the target has one class or needs ``--positive``, the
            ``--time`` column holds no dates, or too few usable rows remain.
    """
    s = settings or FitTableSettings()
    frame = read_table(path, sep=sep, encoding=encoding)
    require_columns(frame, _option_columns(target, id_column, time_column, drop), str(path))
    if len(frame) < 2 * s.min_class_rows:  # before the target: one row is "one class" too
        raise InputError(
            f"{path} has {len(frame)} data row(s): fit-table needs at least {s.min_rows} rows "
            f"with at least {s.min_class_rows} of each outcome; use a larger export"
        )
    blanks = tuple(m.lower() for m in s.infer.blank_markers)
    outcome = binary_outcome(frame[target], column=target, positive=positive, blanks=blanks)
    row_checks = [outcome.rejected]
    if id_column:
        row_checks.append(duplicate_ids(frame[id_column], id_column))
    times = None
    if time_column:
        times, time_reasons = parse_time_column(frame[time_column], time_column, s.time_min_share)
        row_checks.append(time_reasons)
    reasons = combine_reasons(*row_checks)
    usable = reasons.isna().to_numpy()
    data = frame[usable].reset_index(drop=True)
    y = outcome.y[usable].to_numpy(dtype=int)
    _check_counts(y, int((~usable).sum()), s)

    personal_id = personal_data_reason(data[id_column]) if id_column else None
    if personal_id is not None:
        raise InputError(
            f"--id {id_column!r} holds {personal_id}: scores.csv would carry them; pass a "
            "non-personal lead id (or none: rows are numbered)"
        )
    exclude = {name: "dropped with --drop" for name in drop} | {target: "the target"}
    exclude |= {id_column: "the id column"} if id_column else {}
    exclude |= {time_column: "the --time column (used to split)"} if time_column else {}
    types = infer_table_types(data, exclude=exclude, settings=s.infer)
    usable_times = None if times is None else times[usable].reset_index(drop=True)
    split = _split(y, usable_times, s, seed)
    # the guard looks at the training and validation rows only: the test rows stay unseen
    seen = np.sort(np.concatenate([split.train, split.valid]))
    leakage = check_leakage(
        typed_columns(data, types).iloc[seen].reset_index(drop=True),
        pd.Series(np.asarray(y)[seen]),
        as_of=None if usable_times is None else usable_times.iloc[seen].reset_index(drop=True),
        auc_threshold=s.leakage.auc_threshold,
        keep_suspects=keep_leaky,
        settings=s.leakage,
    )
    X = typed_features(data, types, columns=leakage.kept, add_blank_count=s.add_blank_count)
    model = fit_model(X, y, split, s, seed)
    probability = model.predict_conversion(X)
    shap = exact_shap(model, X)

    row_number = pd.Series(np.flatnonzero(usable) + 1)
    scores = score_frame(data[id_column] if id_column else row_number, probability, split)
    scores.insert(0, "row", row_number.to_numpy())
    kinds = {f: types.columns[c].kind for f, c in types.feature_source().items()}
    quartiles = training_quartiles(X.iloc[split.train])
    scores = pd.concat(
        [scores, top_reasons(X, shap, kinds=kinds, quartiles=quartiles, k=s.n_reasons)], axis=1
    )
    test = split.test
    test_metrics = evaluate(y[test], probability[test], is_probability=True, k_frac=s.capacity_k)
    importance = mean_abs_contribution(X, shap)
    metrics = metrics_summary(
        test_metrics, types, leakage, outcome_rule=outcome.rule, n_rows=len(frame), y=y
    )
    metrics |= {
        "n_train": len(split.train),
        "n_valid": len(split.valid),
        "n_test": len(test),
        "split": f"by time on {time_column!r}" if time_column else f"stratified, seed {seed}",
        "target": {"column": target, "positive": outcome.positive, "rule": outcome.rule},
        "model": {
            "calibration": model.calibration_method_,
            "best_iteration": model.best_iteration_,
            "lightgbm": s.lightgbm.model_dump(),
        },
        "kept_leaky": keep_leaky,
        "top_features": importance.head(20).to_dict(orient="records"),
        "source": str(path),
        "seed": seed,
    }
    rejected = rejected_rows(frame, reasons, target, id_column, time_column)
    paths = write_outputs(
        Path(out_dir), metrics, scores, rejected,
        render_fit_table_report(
            metrics, y[test], probability[test],
            deciles=decile_table(y[test], probability[test]),
            leakage_evidence=leakage.evidence.sort_values("auc", ascending=False),
            column_types=types_table(types, leakage),
            importance=importance,
            title=f"fit-table: {Path(path).name} ({target})",
        ),
    )  # fmt: skip
    if tracking_uri:
        from pipelines.fit_table_tracking import log_fit_table_run

        log_fit_table_run(tracking_uri, s.experiment_name, model, metrics, paths)
    logger.info("fit-table: test AUC %.3f on %d rows", metrics["auc"], len(test))
    return FitTableResult(metrics, paths, types, leakage, model, X, shap)
