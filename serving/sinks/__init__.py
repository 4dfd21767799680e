"""Batch-scoring sinks: write a run's scores back to a database, files or a CRM import file.

Entry point: :func:`write_scores` with a sink string (SQLAlchemy URL, ``.parquet``/``.csv``
path or folder, ``hubspot:PATH.csv``). Readers of a database sink: :func:`top_movers`
for the batch's job summary; :func:`read_current` and :func:`read_history` (a lead's score
on a date, with its reasons and versions) are a Python API only, no CLI command reads the
sink. The previous run for the next one: :func:`previous_scores`, :func:`previous_stages`.
Every table a database sink writes is created through :func:`ensure_tables` (safe under
concurrent first writers).
"""

from serving.sinks.accounting import LeadCounts, reconcile_leads
from serving.sinks.contract import (
    REJECT_COLUMNS,
    SCORE_COLUMNS,
    SCORE_TRENDS,
    SCORED_COLUMNS,
    RunInfo,
    SinkResult,
    validate_rejects,
    validate_scores,
)
from serving.sinks.ddl import ensure_tables
from serving.sinks.dispatch import SinkTarget, parse_sink, write_scores
from serving.sinks.hubspot import HUBSPOT_COLUMNS, HUBSPOT_LIFECYCLE, hubspot_frame
from serving.sinks.previous import previous_scores, previous_stages
from serving.sinks.queries import (
    MOVER_COLUMNS,
    previous_tiers,
    read_current,
    read_history,
    top_movers,
)
from serving.sinks.tables import DEFAULT_TABLE_PREFIX, build_tables, validate_prefix

__all__ = [
    "DEFAULT_TABLE_PREFIX",
    "HUBSPOT_COLUMNS",
    "HUBSPOT_LIFECYCLE",
    "MOVER_COLUMNS",
    "REJECT_COLUMNS",
    "SCORE_COLUMNS",
    "SCORE_TRENDS",
    "SCORED_COLUMNS",
    "LeadCounts",
    "RunInfo",
    "SinkResult",
    "SinkTarget",
    "build_tables",
    "ensure_tables",
    "hubspot_frame",
    "parse_sink",
    "read_current",
    "read_history",
    "reconcile_leads",
    "top_movers",
    "previous_scores",
    "previous_stages",
    "previous_tiers",
    "validate_prefix",
    "validate_rejects",
    "validate_scores",
    "write_scores",
]
