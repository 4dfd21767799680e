"""CRM import file with HubSpot-style columns (``hubspot:PATH.csv``).

One row per scored contact, matched on ``Record ID`` (the CRM contact id). Custom score
properties use the ``leadscore_`` prefix; create them once in the CRM as below.

=========================== ================== =============================================
column                      HubSpot type       source
=========================== ================== =============================================
Record ID                   (matching key)     ``contact_id``
leadscore_final_score       number             ``final_score`` (0-100)
leadscore_tier              single-line text   ``tier``
leadscore_stage             single-line text   ``stage`` (leadscore's own code, e.g. ``mql``)
leadscore_probability       number             ``probability`` (0-1)
leadscore_manual_score      number             ``manual_score``
leadscore_grade             single-line text   ``grade`` (empty when none)
leadscore_reasons           multi-line text    ``top_reasons`` as ``+ text; - text`` (<= 200 chars)
leadscore_rules             multi-line text    ``top_rules`` as ``rule (+10); ...``
leadscore_score_trend       single-line text   ``score_trend`` (improving/steady/declining/new)
leadscore_as_of             date               ``as_of`` as ``YYYY-MM-DD`` (UTC)
leadscore_model_version     single-line text   ``RunInfo.model_version``
Lifecycle Stage             lifecycle stage    ``stage`` mapped by ``HUBSPOT_LIFECYCLE``
=========================== ================== =============================================

Note that HubSpot does not move a contact's lifecycle stage backwards on import unless the
import is set to allow it; the mapping only translates names.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from features.files import atomic_write
from features.reasons import rule_points_text
from serving.reason_rates import reason_line
from serving.sinks.contract import RunInfo, SinkResult
from serving.sinks.files import frame_writer, rejects_frame

logger = logging.getLogger(__name__)

#: leadscore lifecycle stage -> HubSpot's internal lifecycle stage value.
HUBSPOT_LIFECYCLE: dict[str, str] = {
    "subscriber": "subscriber",
    "lead": "lead",
    "mql": "marketingqualifiedlead",
    "sql": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
    "other": "other",
}


def _rules_text(cell: str) -> str:
    """A lead's ``top_rules`` as ``rule (+10); other rule (-5)``."""
    items = json.loads(cell)
    return "; ".join(rule_points_text(i["rule"], i["points"]) for i in items)


def _per_lead(scores: pd.DataFrame, column: str, render: Callable[[str], str]) -> list[str]:
    """``render`` of each lead's JSON text in ``column``: the reasons as
    :func:`serving.reason_rates.reason_line` writes them (``+ a; - b``, at most 200
    characters), the rules by :func:`_rules_text`. One JSON parse per row (pandas has no
    vectorised JSON parser): at ~1 us per row a small part of writing the import file.

    Raises:
        ValueError: Naming the column and contact id of a malformed entry.
    """
    out, ids = [], scores["contact_id"].tolist()
    for text, contact_id in zip(scores[column].tolist(), ids, strict=True):
        try:
            out.append(render(text))
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ValueError(
                f"scores column '{column}' of contact_id {contact_id!r} is not a JSON list of "
                f"objects with the expected keys ({err}); fix the explanation step's output"
            ) from None
    return out


#: A scores frame, its ``contact_id`` column and the run -> one import column.
_Column = Callable[[pd.DataFrame, pd.Series, RunInfo], Any]

#: The import file's columns in order, each with how it is built: the one definition of the
#: HubSpot layout (``HUBSPOT_COLUMNS`` is read from it, the module docstring documents it).
_COLUMNS: dict[str, _Column] = {
    "Record ID": lambda s, ids, run: ids.astype("str"),
    "leadscore_final_score": lambda s, ids, run: s["final_score"].astype("float64"),
    "leadscore_tier": lambda s, ids, run: s["tier"].astype("str"),
    "leadscore_stage": lambda s, ids, run: s["stage"].astype("str"),
    "leadscore_probability": lambda s, ids, run: s["probability"].astype("float64"),
    "leadscore_manual_score": lambda s, ids, run: s["manual_score"].astype("float64"),
    "leadscore_grade": lambda s, ids, run: s["grade"].astype("str"),
    "leadscore_reasons": lambda s, ids, run: _per_lead(s, "top_reasons", reason_line),
    "leadscore_rules": lambda s, ids, run: _per_lead(s, "top_rules", _rules_text),
    "leadscore_score_trend": lambda s, ids, run: s["score_trend"].astype("str"),
    "leadscore_as_of": lambda s, ids, run: run.as_of.strftime("%Y-%m-%d"),
    "leadscore_model_version": lambda s, ids, run: run.model_version,
    "Lifecycle Stage": lambda s, ids, run: s["stage"].map(HUBSPOT_LIFECYCLE).astype("str"),
}

#: The import file's column names, in order (read from ``_COLUMNS``).
HUBSPOT_COLUMNS: tuple[str, ...] = tuple(_COLUMNS)


def hubspot_frame(scores: pd.DataFrame, run: RunInfo) -> pd.DataFrame:
    """Build the import frame (columns ``HUBSPOT_COLUMNS``) from a validated scores frame.

    Raises:
        ValueError: For a stage without a HubSpot mapping or malformed reasons/rules.
    """
    unmapped = sorted(set(scores["stage"].unique()) - set(HUBSPOT_LIFECYCLE))
    if unmapped:
        raise ValueError(
            f"scores column 'stage' has value(s) {unmapped} with no HubSpot lifecycle stage; "
            f"add them to HUBSPOT_LIFECYCLE (known: {sorted(HUBSPOT_LIFECYCLE)})"
        )
    ids = scores["contact_id"]
    frame = pd.DataFrame(
        {name: build(scores, ids, run) for name, build in _COLUMNS.items()}, index=scores.index
    )
    return frame.sort_values("Record ID", kind="stable").reset_index(drop=True)


def write_hubspot(
    scores: pd.DataFrame, path: Path, run: RunInfo, rejects: pd.DataFrame
) -> SinkResult:
    """Write the import file to ``path`` and rejects to ``<stem>_rejects.csv`` (not imported).

    Returns:
        What was written; ``n_current_updated`` is 0 when an identical file was there.
    """
    frame = hubspot_frame(scores, run)
    changed = atomic_write(path, frame_writer(frame, "csv"), skip_identical=True)
    rejects_path = path.with_name(f"{path.stem}_rejects.csv")
    rej = rejects_frame(rejects, run)
    atomic_write(rejects_path, frame_writer(rej, "csv"), skip_identical=True)
    logger.info("hubspot import file %s: %d contacts, %d rejects", path, len(frame), len(rej))
    return SinkResult(
        kind="hubspot",
        target=str(path),
        n_written=len(frame),
        n_current_updated=len(frame) if changed else 0,
        n_rejects=len(rej),
        outputs=(str(path), str(rejects_path)),
    )
