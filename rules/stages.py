"""Lifecycle stages, grades and sales feedback, vectorised over all contacts.

Stage semantics (primary scale, ranks subscriber < lead < mql < sql):

1. The score stage is the highest cut-off the total reaches, or, with ``by_grade``, the
   stage whose grade list holds the contact's fit x engagement grade (subscriber if none).
2. The latest ``sales_feedback`` activity before ``as_of`` decides the floor:
   ``true_sql`` keeps the contact at least SQL; ``not_ready`` / ``unqualified`` set the
   stage to their configured stage (lead / subscriber by default, mql allowed). It stays
   exactly there until the action's ``until`` condition holds (without one: until the
   contact acts again after the feedback); from then on the score decides, never below
   that stage. Their point effect (forgetting earlier activity, reset, subtract) is applied
   by the scorer beforehand, so the lead has to earn its way back with new activity.
3. Stages never move backwards on their own: with ``previous`` state (the prior run's
   ``contact_id``, ``stage``, ``as_of``), the previous stage is a floor unless a
   ``not_ready``/``unqualified`` feedback arrived at or after the previous run's
   ``as_of``. Without ``previous``, the only history known is the feedback itself.
4. Holds keep a contact at most at their stage until their condition holds.
5. Excluded contacts (customers, open opportunities, ...) never go above ``lead``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rules.activities import ActivityIndex
from rules.model import STAGE_ORDER, Grade, GradeBand, GradeStage, Recycle, Scale, Stages

RANK = {s: i for i, s in enumerate(STAGE_ORDER)}


def latest_feedback(history: ActivityIndex) -> tuple[np.ndarray, np.ndarray]:
    """Latest sales feedback per contact before ``as_of``.

    Returns:
        ``(kind, time_ns)``: kind is an object array of ``true_sql``/``not_ready``/
        ``unqualified`` or ``""``; time is int64 ns (``iinfo.min`` when none).
    """
    n = history.n_contacts
    kind = np.full(n, "", dtype=object)
    when = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if "feedback" not in history.frame:
        return kind, when
    rows = history.filter_rows(
        {"activity_type": "sales_feedback", "feedback": {"op": "is_present"}}
    )
    if rows.size == 0:
        return kind, when
    pos, t = history.pos[rows], history.time_ns[rows]
    order = np.lexsort((rows, t, pos))
    last = np.ones(order.size, dtype=bool)
    last[:-1] = pos[order][1:] != pos[order][:-1]
    chosen = rows[order[last]]
    values = history.values("feedback", chosen).astype(object).to_numpy()
    kind[history.pos[chosen]] = values
    when[history.pos[chosen]] = history.time_ns[chosen]
    return kind, when


def score_rank(total: np.ndarray, cfg: Stages) -> np.ndarray:
    """Stage rank reached by the score alone (cut-offs; the loader requires all three)."""
    lead, mql, sql = (np.inf if c is None else c for c in (cfg.lead, cfg.mql, cfg.sql))
    return ((total >= lead).astype(np.int8) + (total >= mql) + (total >= sql)).astype(np.int8)


def grade_rank(grade: pd.Categorical, by_grade: dict[GradeStage, list[str]]) -> np.ndarray:
    """Stage rank from the grade grid: the stage listing the contact's grade (else 0)."""
    lookup = np.zeros(len(grade.categories) + 1, dtype=np.int8)  # last slot: no grade
    for stage, labels in by_grade.items():
        for label in labels:
            if label in grade.categories:
                lookup[grade.categories.get_loc(label)] = RANK[stage]
    return lookup[np.asarray(grade.codes)]


def base_rank(total: np.ndarray, grade: pd.Categorical, cfg: Stages) -> np.ndarray:
    """The stage rank before feedback, history, holds and exclusions (rule 1)."""
    if cfg.by_grade is not None:
        return grade_rank(grade, cfg.by_grade)
    return score_rank(total, cfg)


def previous_state(
    previous: pd.DataFrame | None, contact_ids: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """Previous stage rank (-1: none) and previous ``as_of`` (int64 ns) per contact."""
    n = len(contact_ids)
    rank = np.full(n, -1, dtype=np.int8)
    at = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if previous is None or previous.empty:
        return rank, at
    missing = {"contact_id", "stage", "as_of"} - set(previous.columns)
    if missing:
        raise ValueError(
            f"previous state lacks column(s) {sorted(missing)}; pass the prior "
            "run's ScoreResult.scores"
        )
    idx = contact_ids.get_indexer(previous["contact_id"])
    ok = idx >= 0
    prev_rank = previous["stage"].astype("string").map(RANK).to_numpy(dtype=float, na_value=np.nan)
    ok &= ~np.isnan(prev_rank)
    rank[idx[ok]] = prev_rank[ok].astype(np.int8)
    prev_at = pd.to_datetime(previous["as_of"], utc=True).to_numpy("datetime64[ns]")
    at[idx[ok]] = prev_at[ok].astype(np.int64)
    return rank, at


def lifecycle_stage(
    rank: np.ndarray,
    cfg: Stages,
    recycle: Recycle,
    fb_kind: np.ndarray,
    fb_time: np.ndarray,
    excluded: np.ndarray,
    prev_rank: np.ndarray,
    prev_at: np.ndarray,
    released: np.ndarray,
    hold_rank: np.ndarray,
) -> pd.Categorical:
    """Stage per contact (categorical over the stage order); see the module docstring.

    Args:
        rank: :func:`base_rank` per contact.
        fb_kind: Latest sales feedback kind per contact (``""`` when none).
        fb_time: Its time (int64 ns).
        excluded: Contacts an exclusion matches.
        prev_rank: Previous stage rank (-1: none).
        prev_at: Previous run's ``as_of`` (int64 ns).
        released: Recycled contacts whose ``until`` holds (or who acted after the
            feedback).
        hold_rank: Highest rank a hold allows per contact (3: no hold applies).
    """
    rank = np.asarray(rank, dtype=np.int8)
    floor = np.where(fb_kind == "true_sql", RANK["sql"], 0).astype(np.int8)
    recycled = np.zeros(rank.size, dtype=bool)
    for kind in ("not_ready", "unqualified"):
        hit = fb_kind == kind
        stage = RANK[getattr(recycle, kind).stage]
        floor = np.where(hit, stage, floor)
        rank = np.where(hit & ~released, stage, rank)  # held at the recycle stage until released
        recycled |= hit
    if cfg.never_backwards:
        prev_counts = (prev_rank >= 0) & ~(recycled & (fb_time >= prev_at))
        floor = np.maximum(floor, np.where(prev_counts, prev_rank, 0))
    rank = np.minimum(np.maximum(rank, floor), hold_rank)
    rank = np.where(excluded, np.minimum(rank, RANK["lead"]), rank)
    return pd.Categorical.from_codes(rank.astype(np.int8), categories=list(STAGE_ORDER))


def band_codes(values: np.ndarray, bands: list[GradeBand]) -> np.ndarray:
    """Index of the first band (best first) whose ``min`` the value reaches."""
    out = np.full(values.size, len(bands) - 1, dtype=np.int64)
    for i in range(len(bands) - 2, -1, -1):
        out[values >= bands[i].min] = i
    return out


def grades(fit: np.ndarray, engagement: np.ndarray, grade: Grade) -> pd.Categorical:
    """Fit x engagement grade, e.g. ``A1`` (fit label then engagement label)."""
    labels = [f.label + e.label for f in grade.fit for e in grade.engagement]
    codes = band_codes(fit, grade.fit) * len(grade.engagement) + band_codes(
        engagement, grade.engagement
    )
    return pd.Categorical.from_codes(codes, categories=labels)


def scale_level(total: np.ndarray, scale: Scale) -> pd.Categorical:
    """Highest threshold label a scale total reaches (missing below all of them)."""
    ordered = sorted(scale.thresholds.items(), key=lambda kv: kv[1])
    codes = np.full(total.size, -1, dtype=np.int64)
    for i, (_, cut) in enumerate(ordered):
        codes[total >= cut] = i
    return pd.Categorical.from_codes(codes, categories=[label for label, _ in ordered])
