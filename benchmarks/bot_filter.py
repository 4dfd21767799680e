"""How well the bot filter finds the bots a generated CRM planted (a quality figure, not speed).

Usage: ``python -m benchmarks.bot_filter CRM_FOLDER [--bots SETTINGS.yaml] [--rulebook R]``
on a folder written by ``leadscore generate`` (its ``_truth/bot_activities.csv`` lists the
planted bots). Validates the folder as ``leadscore validate`` does, then prints the share
of planted bot events flagged (recall) and the share of people's e-mail opens and clicks
flagged (false positives), among the activities validation accepted. With ``--rulebook``
it also replays the rulebook at the newest date with the longest label horizon the training
plan tries (``features.plan.HORIZONS``) of known outcomes, with and without the flagged
activities: how many leads reach MQL/SQL only through bots, and how
many of each group converted.

``python -m benchmarks.bot_filter --seeds 0 1 2 [--contacts N] [--rulebook R]`` generates
a CRM per seed and scores it with and without filtering, side by side in one process
(:mod:`benchmarks.bot_scoring`): rules AUC, model AUC and MQL precision, per seed DeLong's
test of the paired AUCs, and over the seeds the mean paired gain, a sign test and a paired
t-test; ``--out FILE`` also writes that JSON (after every seed). With ``--planting`` it
prints only how the generator's bots and people's e-mail engagement look on each seed's
CRM (reach, share of clicks, clicks per contact by propensity quintile).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from features.ingest.load import ingest
from features.plan import HORIZONS
from serving.rulebook_impact import QUALIFIED, stages_at

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
        "report": report,
    }


def _qualified_group(mask: Any, ok: Any, y: Any) -> dict[str, Any]:
    n = int((mask & ok).sum())
    k = int((mask & ok & y).sum())
    return {"leads": n, "converted": k, "rate": k / n if n else None}


LONGEST_HORIZON = max(HORIZONS)
"""Days of known outcomes the rulebook replay needs: the training plan's longest horizon."""


def _qualified_at(tables: Any, book: Any, horizon_days: int) -> tuple[Any, pd.Series, Any, Any]:
    """The newest date with ``horizon_days`` of known outcomes, the leads ``book`` puts at
    MQL/SQL there, and per lead whether its label is known (eligible) and converted."""
    from features.training_set import data_end_of, outcome_labels, snapshot_schedule

    _, _, when = snapshot_schedule(data_end_of(tables), horizon_days)
    qualified = stages_at(tables, book, when).isin(QUALIFIED)
    labels = outcome_labels(tables, qualified.index, when, horizon_days)
    return when, qualified, labels["eligible"].to_numpy(bool), labels["y"].to_numpy(bool)


def stage_figures_of(tables: Any, book: Any, horizon_days: int = LONGEST_HORIZON) -> dict[str, Any]:
    """Leads at MQL/SQL by ``book`` on ``tables`` at the newest date with ``horizon_days``
    of known outcomes, and how many of them converted within those days."""
    when, qualified, ok, y = _qualified_at(tables, book, horizon_days)
    return {"as_of": str(when.date()), **_qualified_group(qualified.to_numpy(), ok, y)}


def with_bots(report: Any) -> Any:
    """The validated tables with the activities the bot filter flagged put back: the same
    rows as with the filter on, bots included (the *without filter* variant)."""
    tables = report.tables
    bots = report.bots if report.bots is not None else tables.activities.iloc[:0]
    back = bots.drop(columns="bot_reason", errors="ignore")
    return replace(tables, activities=pd.concat([tables.activities, back], ignore_index=True))


def stage_figures(
    report: Any, rulebook: Path, horizon_days: int = LONGEST_HORIZON
) -> dict[str, Any]:
    """MQL/SQL leads of ``rulebook`` with and without the flagged activities, converted."""
    from rules import load_rulebook

    book = load_rulebook(rulebook)
    when, clean, ok, y = _qualified_at(report.tables, book, horizon_days)
    noisy = stages_at(with_bots(report), book, when).isin(QUALIFIED).reindex(clean.index)
    return {
        "as_of": str(when.date()),
        "qualified_with_filter": _qualified_group(clean.to_numpy(), ok, y),
        "qualified_without_filter": _qualified_group(noisy.to_numpy(), ok, y),
        "qualified_only_through_bots": _qualified_group(
            noisy.to_numpy() & ~clean.to_numpy(), ok, y
        ),
        "eligible_base_rate": float(y[ok].mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=None)
    parser.add_argument("--bots", type=Path, default=None)
    parser.add_argument("--rulebook", type=Path, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--planting", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the --seeds JSON here")
    args = parser.parse_args()
    if args.seeds is not None and args.planting:
        from benchmarks.bot_scoring import planting_figures

        planted = [planting_figures(args.contacts, s) for s in args.seeds]
        print(json.dumps(planted, indent=2))  # noqa: T201
        return
    if args.seeds is not None:
        from benchmarks.bot_scoring import compare_seeds
        from serving.run_config import DEFAULT_RULEBOOK

        book = args.rulebook or DEFAULT_RULEBOOK
        result = compare_seeds(args.seeds, args.contacts, book, out=args.out)
        print(json.dumps(result, indent=2))  # noqa: T201
        return
    if args.folder is None:
        parser.error("give a CRM folder, or --seeds to generate CRMs")
    figures = filter_figures(args.folder, args.bots)
    shown = {k: v for k, v in figures.items() if k != "report"}
    if args.rulebook is not None:
        shown["stages"] = stage_figures(figures["report"], args.rulebook)
    print(json.dumps(shown, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
