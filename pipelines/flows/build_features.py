"""Flow: point-in-time features of every contact at one date, written to a Parquet file.

The CRM is read as training and scoring read it (:func:`pipelines.flows.common.validate_crm`
with the request's mapping, bot filter and type inference settings) and the spec is
resolved as training resolves it (the columns a mapping kept included), so the table holds
the features the scorer computes for the same data and ``as_of``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.build import build_features
from features.crm import CrmTables
from features.files import atomic_write
from features.infer import InferSettings
from pipelines.flow_requests import FeaturesRequest
from pipelines.flows.common import feature_spec, io_task, step, validate_crm
from serving.batch import utc_as_of


@task(name="build-features", cache_policy=NO_CACHE)
def features_at(
    tables: CrmTables, as_of: pd.Timestamp, spec_path: Path | None, infer: InferSettings
) -> pd.DataFrame:
    """One row per contact created before ``as_of``, from the feature spec as training
    resolves it (:func:`pipelines.flows.common.feature_spec`, with the run's ``infer``)."""
    return build_features(tables, as_of, feature_spec(spec_path, tables.contacts, infer)[0])


@io_task("write-features")
def write_parquet(frame: pd.DataFrame, out: Path) -> str:
    """Write atomically (:func:`features.files.atomic_write`)."""
    atomic_write(out, lambda tmp: frame.reset_index().to_parquet(tmp, index=False))
    return str(out)


@flow(name="build_features")
def build_features_flow(request: FeaturesRequest) -> dict[str, Any]:
    """Build the feature table as of a date: load -> validate -> filter bots -> features
    -> write.

    Args:
        request: The run's :class:`pipelines.flow_requests.FeaturesRequest`. Bots are
            filtered with ``request.bots`` and kept columns typed with ``request.infer``,
            as training filters and types them.

    Returns:
        The output path, the cut-off, the table's shape and what the bot filter took out.
    """
    stamp = utc_as_of(request.as_of)
    report = step(validate_crm)(request.data, request.mapping, request.bots, infer=request.infer)
    frame = cast(  # sync
        pd.DataFrame, step(features_at)(report.tables, stamp, request.spec, request.infer)
    )
    path = step(write_parquet)(frame, request.out)
    return {
        "path": path,
        "as_of": str(stamp),
        "rows": len(frame),
        "columns": frame.shape[1],
        "bots": report.bot_counts,
    }
