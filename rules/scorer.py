"""Score the whole contact table with a rulebook at one ``as_of`` date, vectorised.

Order of work: activity index (``occurred_at < as_of`` only) -> per block of contacts
(:mod:`rules.block`): sales feedback and recycling (which activities still earn points),
every rule's contributions (criteria, bands, per-activity with limits and decay), recycle
adjustments, caps per scale (category, total, gate), totals, fit, engagement, exclusions
-> over all contacts: grade, stage, breakdown, account roll-up. Same rulebook + same data +
same ``as_of`` gives the same result, whatever the block size.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.customers import accounts_at
from features.events import utc_timestamp
from rules.accounts import roll_up_accounts
from rules.activities import build_activity_index
from rules.block import BlockScores, rulebook_layout, score_block
from rules.memory import small_pages
from rules.model import STAGE_ORDER, Recycle, Rulebook
from rules.result import ScoreResult, breakdown_frame, cuts_frame
from rules.stages import base_rank, grades, lifecycle_stage, previous_state, scale_level
from rules.variables import account_positions

log = logging.getLogger(__name__)

# contacts per block: ~1.5M activity rows, whose per-rule arrays stay within the caches
BLOCK_SIZE = 50_000


def _contacts(tables: CrmTables) -> tuple[pd.DataFrame, pd.Index]:
    contacts = tables.contacts.reset_index(drop=True)
    ids = pd.Index(contacts["contact_id"].astype("str"))
    if not ids.is_unique:  # cached on the index: the breakdown's categories reuse it
        dup = contacts["contact_id"].duplicated()
        first = contacts.loc[dup, "contact_id"].iloc[0]
        raise ValueError(
            f"contacts.contact_id has {int(dup.sum())} duplicate id(s), e.g. row "
            f"{int(np.flatnonzero(dup.to_numpy())[0])} ({first!r}); deduplicate "
            "contacts before scoring"
        )
    return contacts, ids


def export_stage_at(tables: CrmTables, contacts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """``contacts`` with ``lifecycle_stage`` blanked where it may come from after ``as_of``.

    The export's ``lifecycle_stage`` is written at export time (:mod:`features.schema`). A
    contact with an activity or an outcome at or after ``as_of`` was exported after
    ``as_of``, so its stage may describe what happened since (a lead that converted later
    is a ``customer`` in the export, and the ``is_customer`` exclusion would cap it at
    lead). Such a stage is unknown at ``as_of``. The rule reads only the contact's own
    rows, so any subset holding them (a block, a Spark partition, an account) agrees; a
    nightly run after the export's last record keeps every stage.
    """
    if "lifecycle_stage" not in contacts.columns:
        return contacts
    later = [
        frame.loc[pd.to_datetime(frame[column], utc=True) >= as_of, "contact_id"]
        for frame, column in (
            (tables.activities, "occurred_at"),
            (tables.outcomes, "converted_at"),
        )
    ]
    if not any(len(ids) for ids in later):  # a nightly run after the export: nothing later
        return contacts
    stale = contacts["contact_id"].astype("str").isin(pd.concat(later).astype("str"))
    return contacts.assign(lifecycle_stage=contacts["lifecycle_stage"].mask(stale.to_numpy()))


def _block_starts(n: int, block_size: int | None) -> list[int]:
    """First contact position of each block (one block when ``block_size`` is None)."""
    if block_size is not None and block_size < 1:
        raise ValueError(f"block_size must be a positive number of contacts, got {block_size}")
    step = n if block_size is None else block_size
    return list(range(0, n, step)) if n and step else [0]


def _joined(blocks: list[BlockScores], name: str) -> np.ndarray:
    return np.concatenate([getattr(b, name) for b in blocks])


def score_rulebook(
    tables: CrmTables,
    rulebook: Rulebook,
    as_of: str | dt.date | dt.datetime | pd.Timestamp,
    previous: pd.DataFrame | None = None,
    block_size: int | None = BLOCK_SIZE,
) -> ScoreResult:
    """Score every contact with ``rulebook`` as of ``as_of``.

    Only activities with ``occurred_at < as_of`` count; outcomes are read only to date the
    export's ``lifecycle_stage`` (:func:`export_stage_at`) and the accounts' ``is_customer``
    flag (:func:`features.customers.accounts_at`). Sales
    feedback (``sales_feedback`` activities) and deal stage changes before ``as_of`` feed
    recycling, exclusions and stages (see :mod:`rules.stages`).

    Args:
        tables: Canonical CRM tables (clean, canonical dtypes); extra contact columns the
            rulebook declares under ``extra_columns`` are read by name.
        rulebook: A validated rulebook (:func:`rules.load_rulebook`).
        as_of: Scoring date; naive values are UTC.
        previous: The prior run's ``ScoreResult.scores`` (``contact_id``, ``stage``,
            ``as_of``) so that stages never move backwards; None derives what it can from
            the feedback history.
        block_size: Contacts scored together (with their activities); None scores all in
            one block. The result does not depend on it, only time and memory do.

    Returns:
        Per-contact scores, the long breakdown of every rule that fired and the account
        roll-up.

    Raises:
        ValueError: duplicate contact ids, an extra column missing / of the wrong type, or
            a block size below 1.
    """
    ts = utc_timestamp(as_of)
    contacts, ids = _contacts(tables)
    contacts = export_stage_at(tables, contacts, ts)
    accounts = accounts_at(tables, ts)  # is_customer as it stood at as_of
    n = len(contacts)
    starts = _block_starts(n, block_size)
    layout = rulebook_layout(rulebook)
    history = build_activity_index(tables.activities, ids, ts)
    account_pos = account_positions(contacts, accounts)  # once for every block
    blocks = []
    for lo, hi in zip(starts, [*starts[1:], n], strict=True):
        part = contacts.iloc[lo:hi].reset_index(drop=True)
        blocks.append(
            score_block(
                part,
                accounts,
                history.block(lo, hi),
                rulebook,
                layout,
                None if account_pos is None else account_pos[lo:hi],
            )
        )
    totals = {s: np.concatenate([b.totals[s] for b in blocks]) for s in layout.scale_names}
    fit, engagement = _joined(blocks, "fit"), _joined(blocks, "engagement")
    total = totals[rulebook.primary_scale]

    scores = pd.DataFrame({"contact_id": pd.Series(ids.array), "total": total})
    for scale in rulebook.scales:
        scores[scale.name] = totals[scale.name]
        if scale.thresholds:
            scores[f"{scale.name}_level"] = scale_level(totals[scale.name], scale)
    scores["fit"] = fit
    scores["engagement"] = engagement
    scores["grade"] = (
        grades(fit, engagement, rulebook.grade)
        if rulebook.grade
        else pd.Categorical.from_codes(np.full(n, -1), categories=[])
    )
    reason = _joined(blocks, "reason")
    if rulebook.stages is not None:
        prev_rank, prev_at = previous_state(previous, ids)
        scores["stage"] = lifecycle_stage(
            base_rank(total, scores["grade"].array, rulebook.stages),
            rulebook.stages,
            rulebook.recycle or Recycle(),
            _joined(blocks, "fb_kind"),
            _joined(blocks, "fb_time"),
            reason >= 0,
            prev_rank,
            prev_at,
            _joined(blocks, "released"),
            _joined(blocks, "hold_rank"),
        )
    else:
        scores["stage"] = pd.Categorical.from_codes(np.full(n, -1), categories=list(STAGE_ORDER))
    scores["excluded_reason"] = pd.Categorical.from_codes(reason, categories=layout.reasons)
    # every score and account row names the rulebook and date it was scored with
    stamp = {"rulebook": rulebook.name, "rulebook_version": rulebook.version, "as_of": ts}
    scores = scores.assign(**stamp)

    cuts = cuts_frame(ids, starts, blocks)
    unparsed = dict(sum((Counter(block.unparsed) for block in blocks), Counter()))
    with small_pages():  # fresh, large and written once: huge pages only stall here
        breakdown = breakdown_frame(ids, starts, blocks, layout)
    del blocks  # the breakdown holds their rows now
    accounts = None
    if rulebook.accounts is not None and "account_id" in contacts:
        column = rulebook.accounts.scale or rulebook.primary_scale
        rolled = roll_up_accounts(scores, contacts["account_id"], column, rulebook.accounts)
        accounts = rolled.assign(**stamp)
    log.info(
        "scored %d contacts with rulebook %s v%s as of %s (%d breakdown rows)",
        n,
        rulebook.name,
        rulebook.version,
        ts.isoformat(),
        len(breakdown),
    )
    return ScoreResult(
        scores, breakdown, accounts, rulebook.name, rulebook.version, ts, cuts, unparsed
    )
