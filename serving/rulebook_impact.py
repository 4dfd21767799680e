"""What publishing a rulebook would change: stage moves now, and a backtest on history.

Both rulebooks score the same validated tables. *Now* (at ``as_of``): how many leads
move between the stages lead / MQL / SQL (both directions), and the MQL and SQL counts
before and after. *On history* (at the newest date whose outcomes are known, ``H`` days
before the end of the data): the leads the new rulebook qualifies (MQL or SQL) that the
published one did not, and how many of them converted within ``H`` days, next to the
conversion rate of the published rulebook's qualified leads.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.crm import CrmTables
from features.reasons import day_text
from features.training_set import data_end_of, outcome_labels, snapshot_schedule
from rules import Rulebook, score_rulebook
from serving.eligibility import known_tables

COMPARED_STAGES: tuple[str, ...] = ("lead", "mql", "sql")
"""The stages whose moves the preview counts; any other stage (or none) is ``other``."""
QUALIFIED: tuple[str, ...] = ("mql", "sql")


@dataclass(frozen=True)
class Backtest:
    """The new rulebook's extra qualified leads at a past date, and what became of them.

    Attributes:
        as_of: The past date (outcomes known for ``horizon_days``, the conversion window,
            after it).
        new_qualified: Eligible leads qualified by the new rulebook, not by the published.
        published_qualified: Eligible leads the published rulebook qualified.
    """

    as_of: pd.Timestamp
    horizon_days: int
    new_qualified: int
    new_converted: int
    published_qualified: int
    published_converted: int


@dataclass(frozen=True)
class RulebookImpact:
    """The preview :func:`rulebook_impact` computes.

    Attributes:
        moves: ``{(before, after): leads}`` for every pair of different stages, stages
            outside :data:`COMPARED_STAGES` as ``other``.
        before: ``{"mql": n, "sql": n}`` under the published rulebook (``after``: the new).
        backtest: The backtest, or None when no past date has known outcomes.
    """

    as_of: pd.Timestamp
    moves: dict[tuple[str, str], int]
    before: dict[str, int]
    after: dict[str, int]
    backtest: Backtest | None


def stages_at(tables: CrmTables, rulebook: Rulebook, as_of: pd.Timestamp) -> pd.Series:
    """Each known contact's stage under ``rulebook`` at ``as_of`` (index ``contact_id``)."""
    known, _ = known_tables(tables, as_of)
    scores = score_rulebook(known, rulebook, as_of).scores
    stage = scores["stage"].astype("object").where(scores["stage"].notna(), None)
    return pd.Series(stage.to_numpy(), index=scores["contact_id"].astype("object"), name="stage")


def rulebook_impact(
    tables: CrmTables,
    published: Rulebook,
    new: Rulebook,
    as_of: pd.Timestamp,
    horizon_days: int | None,
) -> RulebookImpact:
    """Compare the ``published`` rulebook with the ``new`` one on the same validated tables
    (bots already filtered) at ``as_of`` (UTC).

    Args:
        horizon_days: Conversion window of the backtest (``rules publish``: the scorer's
            label horizon, :meth:`serving.scorer.LeadScorer.horizon_days`); None (a
            flat-export scorer, whose data has no dated outcomes to wait for): no backtest.
    """
    before = _grouped(stages_at(tables, published, as_of))
    after = _grouped(stages_at(tables, new, as_of))
    pairs = pd.crosstab(before, after)
    moves = {
        (str(b), str(a)): int(pairs.loc[b, a])
        for b in pairs.index
        for a in pairs.columns
        if b != a and pairs.loc[b, a]
    }
    return RulebookImpact(
        as_of=as_of,
        moves=moves,
        before={s: int((before == s).sum()) for s in QUALIFIED},
        after={s: int((after == s).sum()) for s in QUALIFIED},
        backtest=_backtest(tables, published, new, horizon_days),
    )


def _backtest(
    tables: CrmTables, published: Rulebook, new: Rulebook, horizon_days: int | None
) -> Backtest | None:
    if horizon_days is None or tables.outcomes.empty or tables.activities.empty:
        return None
    _, _, when = snapshot_schedule(data_end_of(tables), horizon_days)
    old = stages_at(tables, published, when).isin(QUALIFIED)
    fresh = stages_at(tables, new, when).isin(QUALIFIED)
    if old.empty:
        return None
    labels = outcome_labels(tables, old.index, when, horizon_days)
    eligible = labels["eligible"].to_numpy(dtype=bool)
    y = labels["y"].to_numpy(dtype=bool)
    extra = fresh.to_numpy() & ~old.to_numpy() & eligible
    kept = old.to_numpy() & eligible
    return Backtest(
        as_of=when,
        horizon_days=horizon_days,
        new_qualified=int(extra.sum()),
        new_converted=int((extra & y).sum()),
        published_qualified=int(kept.sum()),
        published_converted=int((kept & y).sum()),
    )


def _grouped(stage: pd.Series) -> pd.Series:
    return stage.where(stage.isin(COMPARED_STAGES), "other").astype("object")


def impact_text(impact: RulebookImpact, published_label: str, new_label: str) -> str:
    """The preview as the ``rules publish`` command prints it (plain text), naming the
    rulebooks ``published_label`` (e.g. ``version 3``) and ``new_label`` (e.g. its file)."""
    lines = [f"Impact of {new_label} against {published_label}, as of {day_text(impact.as_of)}:"]
    for qualified in QUALIFIED:
        b, a = impact.before[qualified], impact.after[qualified]
        lines.append(f"  {qualified.upper():<4} {b:>9,} -> {a:>9,} ({a - b:+,})")
    if impact.moves:
        lines.append("  leads changing stage:")
        rank = {s: i for i, s in enumerate(("other", *COMPARED_STAGES))}
        ordered = sorted(impact.moves.items(), key=lambda kv: (rank[kv[0][0]], rank[kv[0][1]]))
        for (old, new), n in ordered:
            way = "up" if rank[new] > rank[old] else "down"
            lines.append(f"    {old:>5} -> {new:<5} {n:>9,}  ({way})")
    else:
        lines.append("  no lead changes stage")
    bt = impact.backtest
    if bt is None:
        lines.append("  backtest: no outcome history to replay")
        return "\n".join(lines)
    rate_new = f"{bt.new_converted / bt.new_qualified:.1%}" if bt.new_qualified else "-"
    rate_old = (
        f"{bt.published_converted / bt.published_qualified:.1%}" if bt.published_qualified else "-"
    )
    lines.append(
        f"  backtest as of {day_text(bt.as_of)}: {bt.new_qualified:,} new MQL/SQL leads, "
        f"{bt.new_converted:,} of them converted within {bt.horizon_days} days ({rate_new}); "
        f"the published rulebook's {bt.published_qualified:,} MQL/SQL leads: "
        f"{bt.published_converted:,} converted ({rate_old})"
    )
    return "\n".join(lines)
