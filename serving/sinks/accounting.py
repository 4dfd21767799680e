"""Lead accounting for the job summary: every eligible lead is either scored or rejected."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from serving.sinks.contract import shown_ids


@dataclass(frozen=True)
class LeadCounts:
    """Leads the job had to score, scored and rejected: ``scored + rejected == eligible``."""

    eligible: int
    scored: int
    rejected: int


def reconcile_leads(
    eligible_ids: pd.Series | pd.Index, scores: pd.DataFrame, rejects: pd.DataFrame | None
) -> LeadCounts:
    """Check that scored and rejected leads (``contact_id`` of ``scores`` and ``rejects``, the
    latter None when nothing was rejected) partition the eligible leads exactly.

    Raises:
        ValueError: Naming ids that were silently dropped, scored or rejected without being
            eligible, or both scored and rejected.
    """
    eligible = pd.Index(eligible_ids).drop_duplicates()
    scored = pd.Index(scores["contact_id"])
    rejected = pd.Index([] if rejects is None else rejects["contact_id"], dtype=scored.dtype)
    problems = [
        f"{what} lists {int(ids.duplicated().sum())} contact id(s) twice: "
        f"{shown_ids(ids[ids.duplicated()].unique())}"
        for what, ids in (("scores", scored), ("rejects", rejected))
        if ids.has_duplicates
    ]
    dropped = eligible.difference(scored.union(rejected))
    if len(dropped):
        problems.append(
            f"{len(dropped)} eligible lead(s) neither scored nor rejected: {shown_ids(dropped)}"
        )
    unknown = scored.union(rejected).difference(eligible)
    if len(unknown):
        problems.append(
            f"{len(unknown)} lead(s) scored or rejected but not eligible: {shown_ids(unknown)}"
        )
    both = scored.intersection(rejected)
    if len(both):
        problems.append(f"{len(both)} lead(s) both scored and rejected: {shown_ids(both)}")
    if problems:
        raise ValueError(
            "lead accounting failed (scored + rejected != eligible): " + "; ".join(problems)
        )
    return LeadCounts(eligible=len(eligible), scored=len(scored), rejected=len(rejected))
