"""Apply the bot filter to a validation report: after validation, before features."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from features.bots import BotSettings, bot_counts, load_bot_settings, split_bots
from features.ingest.validation import ValidationReport


def filter_bots(
    report: ValidationReport, settings: BotSettings | str | Path | None = None
) -> ValidationReport:
    """``report`` with the bots' activities moved out of its tables into ``report.bots``.

    The input is untouched: flagged activities are kept, with their reason, in
    ``bots`` (written to ``bots.csv``) and counted in ``bot_counts``; features, rules
    and models read ``tables`` and never see them.

    Args:
        report: A validation report (its accepted activities are filtered).
        settings: The filter's settings, a YAML file of changes to the default, or None
            for the default (``features/bots/default.yaml``).
    """
    if not isinstance(settings, BotSettings):
        settings = load_bot_settings(settings)
    activities = report.tables.activities
    kept, bots = split_bots(activities, settings)
    return replace(
        report,
        tables=replace(report.tables, activities=kept),
        bots=bots,
        bot_counts=bot_counts(activities, bots),
    )
