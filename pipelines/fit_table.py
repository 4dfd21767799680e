"""``leadscore fit-table``: the front door for a flat lead export, not a second pipeline.

read -> check the options' columns and the outcome -> infer column types (personal data,
ids, free text left out) -> write ``mapping.yaml`` -> the train flow (validation, leakage
guard, LightGBM, calibration, MLflow run and registered scorer: ``leadscore train
--mapping mapping.yaml --framing flat``) -> the nightly batch into ``scores.csv`` (tiers
and reason texts of the scorer) -> the comparison report on the held-out test rows
(``report.html``: :func:`serving.compare.compare_period`, as ``leadscore compare`` makes
it) -> ``metrics.json``.

Rows whose outcome cannot be read are left out by the mapping's ``row_filter`` and listed
with their reason in ``rejected.csv``; rows validation or the scorer rejects are in
``scores_rejects.csv`` (or, for a repeated id, in the validation quarantine); so every
data row is accounted for.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.blanks import BLANK_MARKERS
from features.files import atomic_write, atomic_write_text
from features.flat import flat_as_of, flat_rule_tables
from features.flat_rows import binary_outcome, require_columns, time_column_format
from features.infer import InferSettings, TableTypes, infer_table_types
from features.ingest import InputError, read_table
from features.ingest.load import ingest
from features.ingest.mapping_infer import extra_names, flat_export_mapping, mapping_yaml
from features.personal import personal_data_reason
from models.metrics import HEADLINE
from pipelines.flow_requests import TrainRequest
from serving.batch import run_batch
from serving.compare import compare_period
from serving.eligibility import validation_rejects
from serving.report import json_path_beside, write_report, write_report_json
from serving.run_config import FlatExportChecks
from serving.scorer_model import load_scorer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlatExport:
    """Which columns of a flat export say what, and how its text is read.

    Attributes:
        target: Column holding the outcome. CLI ``--target``.
        positive: Target value meaning converted (default: 1/true/yes/won). CLI
            ``--positive``.
        id_column: Lead id column (default: ``row-<row number>``). CLI ``--id``.
        time_column: Creation date column: the split is by time (oldest train, newest
            test) instead of stratified at random. CLI ``--time``.
        drop: Columns to leave out. CLI ``--drop`` (repeatable).
        sep: CSV delimiter (default: sniffed). CLI ``--sep``.
        encoding: Text encoding (None: UTF-8, the reader's default). CLI ``--encoding``.
    """

    target: str
    positive: str | None = None
    id_column: str | None = None
    time_column: str | None = None
    drop: tuple[str, ...] = ()
    sep: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class FitTableResult:
    """What ``fit_table`` produced.

    Attributes:
        metrics: The contents of metrics.json.
        paths: ``mapping``, ``metrics``, ``scores``, ``rejected``, ``report`` -> file.
        types: The column type decisions behind the mapping.
        training: What the train flow returned (run id, scorer URI, test metrics, ...).
    """

    metrics: dict[str, Any]
    paths: dict[str, Path]
    types: TableTypes
    training: dict[str, Any]

    def summary_text(self) -> str:
        """A few lines for the terminal."""
        m = self.metrics
        lines = [
            f"rows {m['n_rows']:,}: used {m['n_used']:,}, rejected {m['n_rejected']:,}; "
            f"scored {m['n_scored']:,}, not scored {m['n_not_scored']:,}",
            f"test AUC {m['auc']:.3f}, PR AUC {m['pr_auc']:.3f}, ECE {m['ece']:.3f} "
            f"({m['n_test']:,} test rows)",
            f"leakage suspects: {', '.join(m['leakage_suspects']) or 'none'}",
            f"excluded columns: {len(m['excluded_columns'])}",
            f"scorer: {m['scorer_uri']} (MLflow {m['tracking_uri']})",
            f"train again with: leadscore train --data {m['source']} --mapping "
            f"{self.paths['mapping']} --framing flat",
        ]
        return "\n".join(lines + [f"wrote {path}" for path in self.paths.values()])


def infer_mapping(
    frame: pd.DataFrame,
    export: FlatExport,
    *,
    source: str,
    checks: FlatExportChecks,
    infer: InferSettings | None = None,
) -> tuple[dict[str, Any], TableTypes, pd.DataFrame, dict[str, Any]]:
    """The mapping of a flat export, its type decisions (inferred with ``infer``), the
    rejected rows and the target.

    Returns:
        ``(mapping, types, rejected, target)``: ``rejected`` has the data row number, the
        id, target (and time) and the reason of each row whose outcome is unreadable;
        ``target`` says which value was read as converted and how.

    Raises:
        InputError: An option names a missing column, the target has one class or needs
            ``--positive``, the ``--time`` column holds no dates, the id column holds
            personal data, or too few usable rows remain.
    """
    target, id_column, time_column, drop = (
        export.target, export.id_column, export.time_column, export.drop
    )  # fmt: skip
    wanted = {target: "--target"} | ({id_column: "--id"} if id_column else {})
    wanted |= ({time_column: "--time"} if time_column else {}) | {c: "--drop" for c in drop}
    require_columns(frame, wanted, source)
    if len(frame) < 2 * checks.min_class_rows:  # before the target: one row is "one class" too
        raise InputError(
            f"the export has {len(frame)} data row(s): fit-table needs at least "
            f"{checks.min_rows} rows with at least {checks.min_class_rows} of each outcome; use "
            "a larger export"
        )
    outcome = binary_outcome(
        frame[target], column=target, positive=export.positive, blanks=tuple(BLANK_MARKERS)
    )
    usable = outcome.rejected.isna()
    y = outcome.y[usable].to_numpy(dtype=int)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if len(y) < checks.min_rows or min(n_pos, n_neg) < checks.min_class_rows:
        raise InputError(
            f"only {len(y)} usable rows ({n_pos} positive, {n_neg} negative; "
            f"{int((~usable).sum())} rejected): fit-table needs at least {checks.min_rows} "
            f"rows and {checks.min_class_rows} of each class; use a larger export"
        )
    data = frame[usable.to_numpy()]
    if id_column and (personal := personal_data_reason(data[id_column])) is not None:
        raise InputError(
            f"--id {id_column!r} holds {personal}: scores.csv would carry them; pass a "
            "non-personal lead id (or none: rows are numbered)"
        )
    time_format = None
    if time_column:
        time_format = time_column_format(data[time_column], time_column, checks.time_min_share)
    exclude = {name: "dropped with --drop" for name in drop} | {target: "the target"}
    exclude |= {id_column: "the id column"} if id_column else {}
    exclude |= {time_column: "the --time column (the creation date)"} if time_column else {}
    types = infer_table_types(data, exclude=exclude, settings=infer)
    mapping = flat_export_mapping(
        frame, types, source=Path(source).name, target=target, usable=usable,
        positive=(outcome.y == 1), id_column=id_column, time_column=time_column,
        time_format=time_format, sep=export.sep, encoding=export.encoding,
    )  # fmt: skip
    bad = (~usable).to_numpy()
    keep = [c for c in (id_column, target, time_column) if c]
    rejected = frame.loc[bad, keep].copy()
    rejected.insert(0, "row", np.flatnonzero(bad) + 1)
    rejected["reason"] = outcome.rejected[bad].to_numpy()
    target_rule = {"column": target, "positive": outcome.positive, "rule": outcome.rule}
    return mapping, types, rejected.reset_index(drop=True), target_rule


def _excluded(types: TableTypes, leakage: dict[str, Any]) -> dict[str, str]:
    out = dict(types.excluded)
    for feature in leakage["excluded"]:
        reasons = leakage["evidence"].get(feature, {}).get("reasons", "")
        out[_source_name(types, feature)] = f"leakage suspect: {reasons}"
    return out


def fit_table(
    request: TrainRequest,
    export: FlatExport,
    *,
    out_dir: Path,
    checks: FlatExportChecks | None = None,
) -> FitTableResult:
    """Infer a mapping for a flat export, then train, score and report it like any CRM.

    Args:
        request: The training request of ``leadscore train``: ``data`` is the export
            (CSV/TSV, optionally .gz, Parquet or Excel; CLI ``PATH``), its ``infer``
            settings also infer the mapping; fit-table sets ``mapping`` (the inferred one)
            and the ``flat`` framing itself.
        export: Its outcome, id and time columns, columns to drop and text format.
        out_dir: Folder for mapping.yaml, metrics.json, scores.csv (+ scores_rejects.csv),
            rejected.csv and report.html (+ report.json). CLI ``--out``.
        checks: What the export must hold (None: the defaults of
            :class:`serving.run_config.FlatExportChecks`). CLI ``--checks``.

    Returns:
        The result; files are in ``out_dir``.

    Raises:
        InputError: See :func:`infer_mapping`; and whatever ``leadscore train`` refuses.
        ValueError: The request names a mapping or another framing than ``flat``.
    """
    from pipelines.flows.common import run_flow
    from pipelines.flows.train import train_flow

    if request.mapping is not None or request.overrides.get("framing", "flat") != "flat":
        raise ValueError(
            "fit-table infers the mapping of a flat export and trains with the flat framing; "
            "to train with your own mapping or framing run leadscore train"
        )
    path = Path(request.data)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    checks = checks or FlatExportChecks()
    frame = read_table(path, sep=export.sep, encoding=export.encoding)
    mapping, types, rejected, target_rule = infer_mapping(
        frame, export, source=str(path), checks=checks, infer=request.infer
    )
    paths = {name: out_dir / file for name, file in FILES.items()}
    atomic_write_text(paths["mapping"], mapping_yaml(mapping, types.excluded))
    flat = {**request.overrides, "framing": "flat"}
    training = run_flow(  # plain function calls: no Prefect server unless one is configured
        train_flow,
        False,
        request=request.model_copy(update={"mapping": str(paths["mapping"]), "overrides": flat}),
    )
    loaded = load_scorer(training["scorer_uri"], training["tracking_uri"])
    report = ingest(str(path), paths["mapping"], infer=request.infer)
    contacts = report.tables.contacts
    # the outcome column is the training label, not a CRM event: every row is scored
    tables = flat_rule_tables(report.tables)
    as_of = flat_as_of(contacts)
    quarantined = report.quarantine.get("contacts", pd.DataFrame())
    batch = run_batch(
        tables, loaded.scorer, as_of, str(paths["scores"]),
        model_name=loaded.model_name, model_version=loaded.model_version,
        extra_rejects=validation_rejects(quarantined, contacts["contact_id"]),
    )  # fmt: skip
    time_column = export.time_column
    seed = int(training["run_config"]["train"]["seed"])  # the one that ran
    split = f"by time on {time_column!r}" if time_column else f"stratified at random, seed {seed}"
    # the held-out test rows, as leadscore compare evaluates this scorer on this export
    comparison, _ = compare_period(
        report.tables, loaded.scorer,
        model_version=f"{loaded.model_name} v{loaded.model_version}",
        input_notes=_report_notes(types, training, split, len(rejected)),
    )  # fmt: skip
    write_report(comparison, paths["report"])
    write_report_json(comparison, json_path_beside(paths["report"]))
    atomic_write(paths["rejected"], lambda tmp: rejected.to_csv(tmp, index=False))
    test = training["metrics"]
    counts = batch.counts
    metrics = {
        "auc": test["test_roc_auc"],
        **{name: test.get(f"test_{name}") for name in HEADLINE if name != "roc_auc"},
        "n_rows": len(frame),
        "n_used": len(frame) - len(rejected),
        "n_rejected": len(rejected),
        **{f"n_{part}": n for part, n in training["rows"].items()},
        "n_scored": counts.scored,
        "n_not_scored": counts.rejected,
        "leakage_suspects": [_source_name(types, s) for s in training["leakage_suspects"]],
        "leakage_evidence": {
            _source_name(types, s): training["leakage"]["evidence"].get(s)
            for s in training["leakage_suspects"]
        },
        "excluded_columns": _excluded(types, training["leakage"]),
        "column_types": {name: col.summary() for name, col in types.columns.items()},
        "placeholders": types.placeholders,
        "target": target_rule,
        "split": split,
        "source": str(path),
        "scorer_uri": training["scorer_uri"],
        "model_uri": training["model_uri"],
        "run_id": training["run_id"],
        "tracking_uri": training["tracking_uri"],
        "as_of": as_of.isoformat(),
    }
    atomic_write_text(paths["metrics"], json.dumps(_finite(metrics), indent=2, allow_nan=False))
    logger.info("fit-table: test AUC %.3f", metrics["auc"])
    return FitTableResult(metrics, paths, types, training)


def _report_notes(
    types: TableTypes, training: dict[str, Any], split: str, n_rejected: int
) -> list[str]:
    """The report's data notes: which rows it scores, and the columns left out and why."""
    rows = training["rows"]
    leakage = training["leakage"]
    suspects = ", ".join(
        f"{_source_name(types, s)} ({leakage['evidence'].get(s, {}).get('reasons', '')})"
        for s in training["leakage_suspects"]
    )
    left_out = "; ".join(f"{name}: {why}" for name, why in types.excluded.items())
    return [
        f"fit-table: the report covers the {rows['test']:,} held-out test rows of the flat "
        f"export (split {split}; {rows['train']:,} train, {rows['valid']:,} validation and "
        f"calibration); {n_rejected:,} row(s) with an unreadable outcome are in rejected.csv.",
        "Leakage guard: "
        + (f"{suspects} {'kept on request' if leakage['kept_suspects'] else 'left out'}."
           if suspects else "no suspect."),
        f"Columns left out by the inferred mapping: {left_out or 'none'}.",
    ]  # fmt: skip


FILES = {
    "mapping": "mapping.yaml",
    "metrics": "metrics.json",
    "scores": "scores.csv",
    "rejected": "rejected.csv",
    "report": "report.html",
}


def _source_name(types: TableTypes, feature: str) -> str:
    """The export's column behind a contacts column (``lead_quality`` -> ``Lead Quality``)."""
    kept = [n for n, c in types.columns.items() if c.kind != "excluded"]
    names = {snake: source for source, snake in extra_names(kept).items()}
    return names.get(feature, feature)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinite floats (e.g. an undefined AUC) replaced by None."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
