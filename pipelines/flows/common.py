"""Tasks shared by several flows."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from features.ingest.load import ingest
from features.ingest.validation import ValidationReport


@task(name="validate-crm", retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def validate_crm(data: str, mapping: str | None) -> ValidationReport:
    """Read, map and validate the CRM export (I/O: retried once)."""
    return ingest(data, mapping)
