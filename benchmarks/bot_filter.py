"""How well the bot filter finds the bots a generated CRM planted (a quality figure, not speed).

Usage: ``python -m benchmarks.bot_filter CRM_FOLDER [--bots SETTINGS.yaml]`` on a folder
written by ``leadscore generate`` (its ``_truth/bot_activities.csv`` lists the planted
bots). Validates the folder as ``leadscore validate`` does, then prints the share of
planted bot events flagged (recall) and the share of people's e-mail opens and clicks
flagged (false positives), among the activities validation accepted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd

from features.ingest.load import ingest

EMAIL_EVENTS = ("email_open", "email_click")


def filter_figures(folder: Path, bots: Path | None = None) -> dict[str, Any]:
    """Recall and false-positive figures of the filter on a generated CRM folder."""
    truth = set(pd.read_csv(folder / "_truth" / "bot_activities.csv", dtype=str)["activity_id"])
    params = json.loads((folder / "_truth" / "params.json").read_text())
    end = pd.Timestamp(params["end"])
    report = ingest(folder, now=end, bots=bots)
    flagged = report.bots if report.bots is not None else pd.DataFrame(columns=["activity_id"])
    seen = pd.concat(
        [report.tables.activities[["activity_id", "activity_type"]],
         flagged[["activity_id", "activity_type"]]],
        ignore_index=True,
    )  # fmt: skip
    planted = seen["activity_id"].isin(truth)
    hit = seen["activity_id"].isin(set(flagged["activity_id"]))
    people_email = seen["activity_type"].astype("string").isin(EMAIL_EVENTS) & ~planted
    return {
        "planted_accepted": int(planted.sum()),
        "planted_flagged": int((planted & hit).sum()),
        "recall": float((planted & hit).sum() / max(int(planted.sum()), 1)),
        "people_email_events": int(people_email.sum()),
        "people_email_flagged": int((people_email & hit).sum()),
        "false_positive_rate": float((people_email & hit).sum() / max(int(people_email.sum()), 1)),
        "people_other_flagged": int((hit & ~planted & ~people_email).sum()),
        "by_reason": report.bot_counts.get("by_reason", {}),
        "summary": report.bot_counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--bots", type=Path, default=None)
    args = parser.parse_args()
    figures = filter_figures(args.folder, args.bots)
    print(json.dumps({k: v for k, v in figures.items() if k != "summary"}, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
