"""What ``fit-table`` writes: the metrics summary, the rejected rows, the output files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.files import atomic_write, atomic_write_text
from features.infer import TableTypes
from models.leakage import LeakageReport


def metrics_summary(
    test: dict[str, float],
    types: TableTypes,
    leakage: LeakageReport,
    *,
    outcome_rule: str,
    n_rows: int,
    y: np.ndarray,
) -> dict[str, Any]:
    """metrics.json's core: test metrics (``auc`` = ROC AUC, ``base_rate`` of the test
    slice), row counts, leakage suspects with evidence, excluded columns with reasons and
    every column's type decision."""
    excluded = dict(types.excluded)
    for name in leakage.excluded:
        excluded[name] = f"leakage suspect: {leakage.evidence.loc[name, 'reasons']}"
    evidence = leakage.to_dict()["evidence"]
    return {
        "auc": test["roc_auc"],
        **{k: v for k, v in test.items() if k not in ("roc_auc", "n")},
        "base_rate_all": float(y.mean()),
        "n_rows": n_rows,
        "n_used": len(y),
        "n_rejected": n_rows - len(y),
        "leakage_suspects": list(leakage.suspects),
        "leakage_evidence": {name: evidence[name] for name in leakage.suspects},
        "excluded_columns": excluded,
        "column_types": {name: col.summary() for name, col in types.columns.items()},
        "placeholders": types.placeholders,
        "target_rule": outcome_rule,
    }


def types_table(types: TableTypes, leakage: LeakageReport) -> pd.DataFrame:
    """One row per table column for the report: kind, used, blanks, reason."""
    rows = [
        {
            "column": name,
            "kind": col.kind,
            "used": col.kind != "excluded" and name not in leakage.excluded,
            "blank": col.n_blank,
            "reason": col.reason,
        }
        for name, col in types.columns.items()
    ]
    return pd.DataFrame(rows)


def rejected_rows(
    frame: pd.DataFrame,
    reasons: pd.Series,
    target: str,
    id_column: str | None,
    time_column: str | None,
) -> pd.DataFrame:
    """Row number, id, target (and time) and reason of every rejected row; no other values."""
    bad = reasons.notna().to_numpy()
    keep = [c for c in (id_column, target, time_column) if c]
    out = frame.loc[bad, keep].copy()
    out.insert(0, "row", np.flatnonzero(bad) + 1)
    out["reason"] = reasons[bad].to_numpy()
    return out.reset_index(drop=True)


def write_outputs(
    out_dir: Path,
    metrics: dict[str, Any],
    scores: pd.DataFrame,
    rejected: pd.DataFrame,
    report: str,
) -> dict[str, Path]:
    """Write metrics.json (NaN as null), scores.csv, rejected.csv and report.html, each
    atomically (:func:`features.files.atomic_write`)."""
    paths = {
        "metrics": out_dir / "metrics.json",
        "scores": out_dir / "scores.csv",
        "rejected": out_dir / "rejected.csv",
        "report": out_dir / "report.html",
    }
    atomic_write_text(
        paths["metrics"],
        json.dumps(_finite(metrics), indent=2, default=_json_default, allow_nan=False),
    )
    atomic_write(paths["scores"], lambda tmp: scores.to_csv(tmp, index=False))
    atomic_write(paths["rejected"], lambda tmp: rejected.to_csv(tmp, index=False))
    atomic_write_text(paths["report"], report)
    return paths


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinite floats (e.g. an undefined AUC) replaced by None."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp, Path)):
        return str(value)
    raise TypeError(f"metrics.json: cannot write {type(value).__name__}")
