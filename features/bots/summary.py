"""Split activities into a person's and a bot's, and count what the filter took out."""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.bots.detect import bot_reasons
from features.bots.settings import BotSettings

ACTIVITY_LABELS: dict[str, str] = {
    "email_open": "e-mail opens",
    "email_click": "e-mail clicks",
    "page_view": "page views",
}
"""How summaries name the activity types people ask about first."""


def split_bots(
    activities: pd.DataFrame, settings: BotSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The activities a person produced, and those of bots with their reason.

    Returns:
        ``(kept, bots)``: ``kept`` holds the other rows in their order (index reset);
        ``bots`` the flagged rows with a ``bot_reason`` column (index reset). Together
        they hold every input row once.
    """
    reasons = bot_reasons(activities, settings)
    flagged = reasons.notna().to_numpy(dtype=bool)
    kept = activities.loc[~flagged].reset_index(drop=True)
    bots = activities.loc[flagged].assign(bot_reason=reasons[flagged]).reset_index(drop=True)
    return kept, bots


def bot_counts(activities: pd.DataFrame, bots: pd.DataFrame) -> dict[str, Any]:
    """What the filter took out: per activity type and per reason.

    Args:
        activities: Every activity the filter saw (people's and bots').
        bots: The flagged rows (with ``bot_reason``).

    Returns:
        ``{"activities": n, "bots": k, "by_type": {type: {"events": n, "bots": k}},
        "by_reason": {reason: k}}``; ``by_type`` lists the types with a flagged row.
    """
    types = activities["activity_type"].astype("string").value_counts()
    flagged = bots["activity_type"].astype("string").value_counts()
    reasons = bots["bot_reason"].astype("string").value_counts() if len(bots) else pd.Series()
    return counts_of(types.to_dict(), flagged.to_dict(), reasons.to_dict())


def counts_of(
    events_per_type: dict[str, int], bots_per_type: dict[str, int], bots_per_reason: dict[str, int]
) -> dict[str, Any]:
    """:func:`bot_counts` from counts already made (e.g. by Spark), in the same shape."""
    by_type = sorted(bots_per_type.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return {
        "activities": int(sum(events_per_type.values())),
        "bots": int(sum(bots_per_type.values())),
        "by_type": {
            str(t): {"events": int(events_per_type.get(t, 0)), "bots": int(n)}
            for t, n in by_type
            if n
        },
        "by_reason": {
            str(r): int(n)
            for r, n in sorted(bots_per_reason.items(), key=lambda kv: (-kv[1], str(kv[0])))
        },
    }


def bot_share_text(counts: dict[str, Any]) -> str:
    """One line for summaries, e.g. ``e-mail clicks: 18 % filtered as bots, ...``.

    Empty when the filter saw no activities.
    """
    if not counts.get("activities"):
        return ""
    if not counts["bots"]:
        return "bots: none filtered"
    parts = []
    for kind, c in sorted(counts["by_type"].items(), key=lambda kv: -kv[1]["bots"]):
        label = ACTIVITY_LABELS.get(kind, kind)
        parts.append(f"{label}: {c['bots'] / c['events']:.0%} filtered as bots".replace("%", " %"))
    reasons = ", ".join(f"{r} {n:,}" for r, n in counts["by_reason"].items())
    return (
        f"bots: {counts['bots']:,} of {counts['activities']:,} activities kept out of points "
        f"and features ({'; '.join(parts)}); reasons: {reasons}"
    )
