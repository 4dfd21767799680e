"""Flow: point-in-time features of every contact at one date, written to a Parquet file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.build import build_features
from features.crm import CrmTables
from features.files import atomic_write
from features.parse import utc_time
from features.spec import load_feature_spec
from pipelines.flows.common import io_task, validate_crm


@task(name="build-features", cache_policy=NO_CACHE)
def features_at(tables: CrmTables, as_of: pd.Timestamp, spec_path: str | None) -> pd.DataFrame:
    """One row per contact created before ``as_of``, from the feature spec."""
    spec = load_feature_spec(Path(spec_path) if spec_path else None)
    return build_features(tables, as_of, spec)


@io_task("write-features")
def write_parquet(frame: pd.DataFrame, out: str) -> str:
    """Write atomically (:func:`features.files.atomic_write`)."""
    atomic_write(out, lambda tmp: frame.reset_index().to_parquet(tmp, index=False))
    return str(out)


@flow(name="build_features")
def build_features_flow(
    data: str,
    out: str,
    as_of: str | None = None,
    mapping: str | None = None,
    spec_path: str | None = None,
) -> dict[str, Any]:
    """Build the feature table as of a date: load -> validate -> features -> write.

    Args:
        data: Folder, file or database URL of the CRM export.
        out: Parquet file to write (one row per contact, ``contact_id`` first).
        as_of: Cut-off, ``YYYY-MM-DD[THH:MM]`` UTC; only data before it is used
            (default: today 00:00 UTC).
        mapping: Column mapping for non-canonical exports.
        spec_path: Feature spec YAML (default: features/spec_default.yaml).

    Returns:
        The output path, the cut-off and the table's shape.
    """
    stamp = utc_time(as_of, "as_of") if as_of else pd.Timestamp.now(tz="UTC").normalize()
    tables = validate_crm(data, mapping).tables
    frame = cast(pd.DataFrame, features_at(tables, stamp, spec_path))  # a sync task's value
    path = write_parquet(frame, out)
    return {"path": path, "as_of": str(stamp), "rows": len(frame), "columns": frame.shape[1]}
