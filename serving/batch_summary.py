"""The batch job's summary: counts, score distribution, movers, timings, on one screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features.bots import bot_share_text
from features.reasons import time_text
from serving.sinks import SCORE_TRENDS, LeadCounts, SinkResult

BANDS = tuple(f"{lo}-{lo + 10}" for lo in range(0, 100, 10))
_BAR = 30  # characters of the widest histogram bar


@dataclass(frozen=True)
class BatchSummary:
    """What one batch run did (everything the one-screen summary shows).

    Attributes:
        sink: The sink, as written (passwords masked).
        per_trend: Scored leads per ``score_trend`` (improving/steady/declining/new).
        score_bands: Scored leads per 10-point final-score band (``90-100`` includes 100).
        movers: Largest score moves since the previous run (database sinks; else empty).
        validation_counts: The validation report's per-table counts when the run validated
            its input (:attr:`features.ingest.validation.ValidationReport.counts`); the
            summary names what was quarantined (:func:`validation_note`).
        previous_tiers: Leads per tier of the previous run in the sink's history (database
            sinks), so the tier mix is tracked from run to run; empty without one.
        bot_counts: What the bot filter kept out of points and features
            (:func:`features.bots.bot_counts`); empty when the run did not filter.
        bots_file: The ``bots.csv`` the run wrote, or None.
    """

    run_id: str
    as_of: pd.Timestamp
    model_name: str
    model_version: str
    rulebook_version: str
    sink: str
    counts: LeadCounts
    per_stage: dict[str, int]
    per_tier: dict[str, int]
    score_bands: dict[str, int]
    reject_reasons: dict[str, int]
    movers: pd.DataFrame
    seconds: dict[str, float]
    sink_result: SinkResult
    validation_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    previous_tiers: dict[str, int] = field(default_factory=dict)
    bot_counts: dict[str, Any] = field(default_factory=dict)
    per_trend: dict[str, int] = field(default_factory=dict)
    bots_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (flow return value, run logs)."""
        out = {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "model": f"{self.model_name} v{self.model_version}",
            "rulebook_version": self.rulebook_version,
            "sink": self.sink,
            "eligible": self.counts.eligible,
            "scored": self.counts.scored,
            "rejected": self.counts.rejected,
            "per_stage": self.per_stage,
            "per_tier": self.per_tier,
            "per_trend": self.per_trend,
            "score_bands": self.score_bands,
            "reject_reasons": self.reject_reasons,
            "top_movers": self.movers.astype(object).to_dict("records"),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "n_current_updated": self.sink_result.n_current_updated,
            "n_history_inserted": self.sink_result.n_history_inserted,
        }
        if self.validation_counts:
            out["quarantined"] = self.validation_counts
        if self.previous_tiers:
            out["previous_per_tier"] = self.previous_tiers
        if self.bot_counts:
            out["bots"] = self.bot_counts
        if self.bots_file is not None:
            out["bots_file"] = self.bots_file
        return out


def score_bands(final: np.ndarray) -> dict[str, int]:
    """Counts per 10-point band of the final score; 100 falls in ``90-100``."""
    band = np.minimum(np.floor(np.asarray(final, dtype=float) / 10.0), 9).astype(int)
    counts = np.bincount(band, minlength=10)
    return {name: int(c) for name, c in zip(BANDS, counts, strict=True)}


def value_counts(values: pd.Series) -> dict[str, int]:
    """Counts per distinct value, sorted by value (for stages, tiers, reasons)."""
    return {str(k): int(v) for k, v in values.value_counts(sort=False).sort_index().items()}


def _histogram(counts: dict[str, int]) -> list[str]:
    top = max(counts.values(), default=0) or 1
    return [f"  {name:>7} {n:>9,} {'#' * int(round(_BAR * n / top))}" for name, n in counts.items()]


def _pairs(counts: dict[str, int]) -> str:
    return "  ".join(f"{k}: {v:,}" for k, v in counts.items()) or "-"


def validation_note(counts: dict[str, dict[str, int]]) -> str:
    """The line saying which input rows validation quarantined before scoring.

    Quarantined contacts with an id are already rejects of the run; the others (rows
    without an id, and quarantined accounts, activities and outcomes) are only in the
    validation report, so the summary names them instead of leaving them out.

    Args:
        counts: :attr:`features.ingest.validation.ValidationReport.counts`.

    Returns:
        ``""`` when nothing was quarantined, else one line of text.
    """
    parts = {t: c.get("quarantined", 0) for t, c in counts.items() if c.get("quarantined", 0)}
    if not parts:
        return ""
    total = sum(parts.values())
    listed = ", ".join(f"{table} {n:,}" for table, n in parts.items())
    return (
        f"Validation quarantined {total:,} input row(s) ({listed}); see the quarantine files "
        "of leadscore validate for each row and its reason"
    )


def tier_mix_line(now: dict[str, int], before: dict[str, int]) -> list[str]:
    """``Tier mix: A 3.8% (was 4.1%), ...`` against the previous run; none without one."""
    if not before or not now:
        return []
    n_now, n_before = sum(now.values()), sum(before.values())
    parts = [
        f"{t} {now.get(t, 0) / n_now:.1%} (was {before.get(t, 0) / n_before:.1%})"
        for t in sorted(set(now) | set(before))
    ]
    return ["Tier mix: " + ", ".join(parts)]


def format_summary(summary: BatchSummary) -> str:
    """The one-screen summary the CLI prints after a batch run.

    Args:
        summary: What :func:`serving.batch.run_batch` returned.

    Returns:
        Plain text (no markup), about 30 lines.
    """
    c, written = summary.counts, summary.sink_result
    # every trend in SCORE_TRENDS order, zeros too: a first run reads "new" for everyone
    trends = {t: int(summary.per_trend.get(t, 0)) for t in SCORE_TRENDS}
    accounts = (
        f"Accounts: {written.n_accounts:,} account scores ({written.n_accounts_updated:,} changed)"
    )
    lines = [
        f"Scored {c.scored:,} of {c.eligible:,} eligible leads as of "
        f"{time_text(summary.as_of)} ({c.rejected:,} rejected)",
        f"Model {summary.model_name} v{summary.model_version}, rulebook "
        f"v{summary.rulebook_version} -> {summary.sink} (run {summary.run_id})",
        f"Sink: {written.n_current_updated:,} current rows changed, "
        f"{written.n_history_inserted:,} history rows added",
        *([accounts] if written.n_accounts else []),
        "",
        f"Stages: {_pairs(summary.per_stage)}",
        f"Tiers:  {_pairs(summary.per_tier)}",
        *tier_mix_line(summary.per_tier, summary.previous_tiers),
        f"Trend:  {_pairs(trends)}",
        "",
        "Final score distribution:",
        *_histogram(summary.score_bands),
    ]
    if summary.reject_reasons:
        lines += ["", "Rejected:"]
        lines += [f"  {n:>9,}  {reason}" for reason, n in summary.reject_reasons.items()]
    if len(summary.movers):
        lines += ["", "Top movers since the previous run:"]
        for row in summary.movers.itertuples(index=False):
            lines.append(
                f"  {row.contact_id:<16} {row.previous_score:6.1f} -> {row.final_score:6.1f} "
                f"({row.delta:+.1f}, {row.previous_tier} -> {row.tier})"
            )
    total = sum(summary.seconds.values())
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in summary.seconds.items())
    lines += ["", f"Time: {total:.1f}s ({steps})"]
    note = validation_note(summary.validation_counts)
    if note:
        lines += ["", note]
    bots = bot_share_text(summary.bot_counts)
    if bots:
        lines += ["", bots]
    if summary.bots_file is not None:
        lines.append(f"flagged activities and their reasons: {summary.bots_file}")
    return "\n".join(lines)
