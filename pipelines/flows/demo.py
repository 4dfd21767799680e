"""Flow: the end-to-end demo on a synthetic CRM (generate -> validate -> ...)."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import flow, task

from features.ingest.load import ingest
from features.ingest.validation import ValidationReport
from features.synthetic import generate_crm, write_crm


@task(name="generate-synthetic-crm")
def generate_or_reuse(data_dir: str, contacts: int, seed: int) -> str:
    """Generate the synthetic CRM unless ``data_dir`` already holds the same one."""
    manifest = Path(data_dir) / "manifest.json"
    if manifest.exists():
        meta = json.loads(manifest.read_text())
        if meta.get("n_contacts") == contacts and meta.get("seed") == seed:
            return f"reused {data_dir} ({contacts:,} contacts, seed {seed})"
    crm = generate_crm(contacts, seed)
    write_crm(crm, Path(data_dir))
    return f"generated {data_dir} ({contacts:,} contacts, seed {seed})"


@task(name="validate-crm")
def validate_crm(data_dir: str, out_dir: str) -> ValidationReport:
    """Validate the generated CRM and write the quarantine next to it."""
    report = ingest(data_dir)
    report.write(Path(out_dir))
    return report


@flow(name="demo")
def demo_flow(workdir: str = "work", contacts: int = 20_000, seed: int = 7) -> str:
    """Run the demo: generate (or reuse) a synthetic CRM, then validate it.

    Args:
        workdir: Folder for everything the demo writes.
        contacts: Number of synthetic contacts.
        seed: Random seed of the synthetic CRM.

    Returns:
        A human-readable summary saying where everything is.
    """
    data_dir = str(Path(workdir) / "crm")
    validation_dir = str(Path(workdir) / "validation")
    generated = generate_or_reuse(data_dir, contacts, seed)
    report = validate_crm(data_dir, validation_dir)
    lines = [
        "leadscore demo",
        f"  CRM:        {generated}",
        f"  validation: {validation_dir} (quarantine/, validation_summary.json, gx_results.json)",
        "",
        report.summary_text(),
    ]
    return "\n".join(lines)
