"""Engagement features: counts per activity group and window, trends, frequency, flags,
recency and funnel depth, and the account aggregates (how engaged the rest of the buying
committee is).

One pass per group: a boolean mask over the events, one ``np.bincount`` over
(contact, window bin) for every window the spec needs of that group, and one
``np.minimum.at`` for its recency. Nothing loops over contacts or activities in Python.

A contact who never did the activity gets NaN recency (unknown, not "0 days"): tree
models route missing values on their own and explanations read "never ...".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.events import Events, chunks, last_age_days, window_counts
from features.measures import DAY_NS
from features.schema import FORM_STAGES
from features.spec import ActivityFilter, FeatureSpec

COUNT_DTYPE = np.float32
_STAGED_FORMS = ActivityFilter(activity_type=("form_submit",), form_stage=FORM_STAGES)


@dataclass(frozen=True)
class GroupAggregates:
    """Per-contact aggregates of every group.

    Attributes:
        counts: ``(group, days)`` -> counts of the group's events with age <= ``days``
            (``days`` may be ``inf``: ever before ``as_of``).
        last_age_days: group -> days since its latest event (NaN: never), for the groups
            in ``spec.recency``.
    """

    counts: dict[tuple[str, float], np.ndarray]
    last_age_days: dict[str, np.ndarray]


def _needed_days(spec: FeatureSpec) -> dict[str, set[float]]:
    """Which window lengths each group is counted over."""
    needed: dict[str, set[float]] = {g: set(spec.group_windows(g)) for g in spec.groups}
    for trend in spec.trends:
        needed[trend.group] |= {trend.recent_days, trend.recent_days + trend.baseline_days}
    for group in spec.flags.values():
        needed[group].add(np.inf)
    if spec.engagement_group:
        needed[spec.engagement_group] |= set(spec.account_windows)
    return needed


def group_aggregates(events: Events, spec: FeatureSpec) -> GroupAggregates:
    """Count and date every group of ``spec`` over ``events`` (one mask per group)."""
    counts: dict[tuple[str, float], np.ndarray] = {}
    last: dict[str, np.ndarray] = {}
    recency = set(spec.recency)
    for group, days in _needed_days(spec).items():
        if not days and group not in recency:
            continue
        mask = events.mask(spec.groups[group].match)
        if days:
            ordered = sorted(days)
            table = window_counts(events, mask, ordered)
            for k, d in enumerate(ordered):
                counts[(group, d)] = table[:, k]
        if group in recency:
            last[group] = last_age_days(events, mask)
    return GroupAggregates(counts, last)


def count_features(agg: GroupAggregates, spec: FeatureSpec, index: pd.Index) -> pd.DataFrame:
    """``{group}_{w}d``: number of the group's activities in the last ``w`` days."""
    columns = {
        f"{group}_{w}d": agg.counts[(group, w)].astype(COUNT_DTYPE)
        for group in spec.groups
        for w in spec.group_windows(group)
    }
    return pd.DataFrame(columns, index=index)


def trend_features(agg: GroupAggregates, spec: FeatureSpec, index: pd.Index) -> pd.DataFrame:
    """``{group}_trend_{r}v{b}d``: daily rate over the last ``r`` days minus the daily rate
    over the ``b`` days before them (positive: speeding up)."""
    columns = {}
    for t in spec.trends:
        recent = agg.counts[(t.group, t.recent_days)]
        older = agg.counts[(t.group, t.recent_days + t.baseline_days)] - recent
        columns[t.name] = recent / t.recent_days - older / t.baseline_days
    return pd.DataFrame(columns, index=index, dtype="float64")


def flag_features(agg: GroupAggregates, spec: FeatureSpec, index: pd.Index) -> pd.DataFrame:
    """Named flags (``demo_requested``, ``unsubscribed``, ...): 1.0 when the group ever
    happened before ``as_of``, else 0.0."""
    columns = {
        name: (agg.counts[(group, np.inf)] > 0).astype(COUNT_DTYPE)
        for name, group in spec.flags.items()
    }
    return pd.DataFrame(columns, index=index)


def frequency_features(events: Events, spec: FeatureSpec, index: pd.Index) -> pd.DataFrame:
    """``active_days_{w}d``: distinct days with engagement among the last ``w`` days.

    Days are 24-hour periods counted back from ``as_of`` (day 0 is the last 24 hours), so
    the feature does not depend on the time zone of a calendar.
    """
    columns = {}
    if spec.frequency_windows and spec.engagement_group:
        mask = events.mask(spec.groups[spec.engagement_group].match)
        for w in spec.frequency_windows:
            seen = np.zeros(events.n_contacts * w, dtype=bool)
            for part in chunks(len(mask)):
                hit = mask[part]
                contact, age = events.contact[part][hit], events.age_ns[part][hit]
                day = (age - 1) // DAY_NS  # age in (0, 1 day] is day 0: w days span w slots
                inside = day < w
                seen[contact[inside].astype(np.int64) * w + day[inside]] = True
            columns[f"active_days_{w}d"] = seen.reshape(events.n_contacts, w).sum(axis=1)
    return pd.DataFrame(columns, index=index, dtype=COUNT_DTYPE)


def recency_features(agg: GroupAggregates, spec: FeatureSpec, index: pd.Index) -> pd.DataFrame:
    """``days_since_last_{group}`` for every group in ``spec.recency`` (fractional days)."""
    columns = {f"days_since_last_{g}": agg.last_age_days[g] for g in spec.recency}
    return pd.DataFrame(columns, index=index, dtype="float64")


def max_form_stage(events: Events, index: pd.Index) -> pd.Series:
    """``max_form_stage``: 0 = no staged form, 1 = TOFU, 2 = MOFU, 3 = BOFU.

    Reads ``form_submit`` events that carry a ``form_stage``; the stage order is the
    order of :data:`features.schema.FORM_STAGES`.
    """
    best = np.zeros(events.n_contacts, dtype=np.int8)
    if "form_stage" in events.columns:
        hit = events.mask(_STAGED_FORMS)
        ranks = {stage: rank for rank, stage in enumerate(FORM_STAGES, start=1)}
        stage = events.columns["form_stage"][hit].astype("object").map(ranks)
        np.maximum.at(best, events.contact[hit], stage.to_numpy(dtype=np.int8))
    return pd.Series(best.astype(np.float32), index=index, name="max_form_stage")


def account_features(
    account_id: pd.Series, agg: GroupAggregates, spec: FeatureSpec
) -> pd.DataFrame:
    """Per contact, over the contacts known at ``as_of`` that share its account:

    * ``account_engaged_contacts_{w}d``: how many *other* contacts engaged in the last
      ``w`` days (engagement = ``spec.engagement_group``);
    * ``account_engagement_{w}d``: engagement activities of all its contacts (itself
      included) in the last ``w`` days.

    Contacts without an account get NaN.

    Args:
        account_id: Each contact's account, indexed like the feature frame.
        agg: The group aggregates (must hold the engagement group's account windows).
    """
    columns: dict[str, np.ndarray] = {}
    if not spec.engagement_group or not spec.account_windows:
        return pd.DataFrame(index=account_id.index)
    codes, _ = pd.factorize(account_id, use_na_sentinel=True)
    has_account = codes >= 0
    n_accounts = int(codes.max()) + 1 if has_account.any() else 0
    safe = np.where(has_account, codes, 0)
    for w in spec.account_windows:
        count = agg.counts[(spec.engagement_group, w)]
        engaged = (count > 0).astype(np.float64)
        per_account = np.bincount(
            codes[has_account], weights=engaged[has_account], minlength=max(n_accounts, 1)
        )
        activity = np.bincount(
            codes[has_account], weights=count[has_account], minlength=max(n_accounts, 1)
        )
        others = np.where(has_account, per_account[safe] - engaged, np.nan)
        total = np.where(has_account, activity[safe], np.nan)
        columns[f"account_engaged_contacts_{w}d"] = others.astype(COUNT_DTYPE)
        columns[f"account_engagement_{w}d"] = total.astype(COUNT_DTYPE)
    return pd.DataFrame(columns, index=account_id.index)
