"""Flow: read a CRM export, validate it, write the quarantine and the GX results."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from features.ingest.validation import ValidationReport
from pipelines.flows.common import validate_crm


@task(name="write-validation-outputs", cache_policy=NO_CACHE)
def write_validation(report: ValidationReport, out_dir: str) -> dict[str, str]:
    """Write quarantine files, bots.csv, validation_summary.json and gx_results.json."""
    return {name: str(path) for name, path in report.write(Path(out_dir)).items()}


@flow(name="validate")
def validate_flow(
    source: str, out_dir: str, mapping: str | None = None, bots_path: str | None = None
) -> dict[str, int]:
    """Validate a CRM export: load -> validate -> filter bots -> write quarantine and results.

    Args:
        source: Folder, file or database URL of the export.
        out_dir: Where to write the quarantine, bots.csv and the validation results.
        mapping: Optional column-mapping YAML.
        bots_path: Bot filter settings YAML (default: features/bots/default.yaml).

    Returns:
        Accepted and quarantined row counts per table.
    """
    report = validate_crm(source, mapping, bots_path)
    write_validation(report, out_dir)
    return {
        f"{table}.{kind}": n
        for table, counts in report.counts.items()
        for kind, n in counts.items()
    }
