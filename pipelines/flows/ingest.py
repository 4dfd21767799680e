"""Flow: read a CRM export, validate it, write the quarantine and the GX results.

``leadscore validate`` and the ``validate-nightly`` deployment run it. The demo, which
needs the validated tables afterwards, runs the same steps (:func:`validated`), so it
validates exactly as ``leadscore validate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow

from features.ingest.validation import ValidationReport
from pipelines.flow_requests import ValidateRequest
from pipelines.flows.common import io_task, step, validate_crm


@io_task("write-validation-outputs")
def write_validation(
    report: ValidationReport, out_dir: Path, accepted: Path | None
) -> dict[str, str]:
    """Write quarantine files, bots.csv, validation_summary.json and gx_results.json, and
    the accepted rows as canonical tables to ``accepted`` if given (atomic: retried)."""
    paths = report.write(out_dir)
    if accepted is not None:
        paths |= {f"accepted/{k}": v for k, v in report.write_accepted(accepted).items()}
    return {name: str(path) for name, path in paths.items()}


def validated(request: ValidateRequest) -> tuple[ValidationReport, dict[str, str]]:
    """The validate flow's steps: read, map and validate the export and filter bots, then
    write the quarantine, the results and (if asked) the accepted rows.

    Returns:
        The validation report (its tables are what the other flows read) and the files
        written (name -> path).
    """
    now = None if request.now is None else pd.Timestamp(request.now)  # parsed: UTC
    report = step(validate_crm)(
        request.data, request.mapping, request.bots,
        now=now, sep=request.sep, encoding=request.encoding, infer=request.infer,
    )  # fmt: skip
    return report, step(write_validation)(report, request.out_dir(), request.accepted)


@flow(name="validate")
def validate_flow(request: ValidateRequest) -> dict[str, Any]:
    """Validate a CRM export: load -> validate -> filter bots -> write quarantine and results.

    Args:
        request: The run's :class:`pipelines.flow_requests.ValidateRequest`.

    Returns:
        Accepted and quarantined row counts per table (``counts``: ``"table.kind" ->
        n``), the files written (``paths``) and the one-screen summary (``text``).
    """
    report, paths = validated(request)
    counts = {
        f"{table}.{kind}": n
        for table, counts in report.counts.items()
        for kind, n in counts.items()
    }
    return {"counts": counts, "paths": paths, "text": report.summary_text()}
