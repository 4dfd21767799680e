"""Flow: read a CRM export, validate it, write the quarantine and the GX results."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.ingest.validation import ValidationReport
from pipelines.flow_requests import ValidateRequest
from pipelines.flows.common import step, validate_crm


@task(name="write-validation-outputs", cache_policy=NO_CACHE)
def write_validation(report: ValidationReport, out_dir: str) -> dict[str, str]:
    """Write quarantine files, bots.csv, validation_summary.json and gx_results.json."""
    return {name: str(path) for name, path in report.write(Path(out_dir)).items()}


@flow(name="validate")
def validate_flow(request: ValidateRequest) -> dict[str, int]:
    """Validate a CRM export: load -> validate -> filter bots -> write quarantine and results.

    Args:
        request: The data, mapping, bot filter settings and output folder of the run
            (:class:`pipelines.flow_requests.ValidateRequest`; a deployment gives its
            fields as a mapping).

    Returns:
        Accepted and quarantined row counts per table.
    """
    report = step(validate_crm)(request.data, request.mapping, request.bots)
    step(write_validation)(report, str(request.out_dir()))
    return {
        f"{table}.{kind}": n
        for table, counts in report.counts.items()
        for kind, n in counts.items()
    }
