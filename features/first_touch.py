"""The ``first_touch`` framing: one row per contact, at its first contact plus a delay.

Inbound leads (marketing-qualified leads, form fills) are judged once, soon after they
arrive: "will this new lead convert within H days?". Each contact gets one row with the
features at ``as_of = midnight (UTC) of the day it was created + delay_days``, so nothing
after ``created_at + delay_days`` is ever read (midnight of the creation day is not after
the creation time). Its label is 1 when its first positive outcome falls in
``(as_of, as_of + H]``. Contacts whose label window ends after the data are left out (too
young to know), as are contacts already converted at ``as_of`` and employees. When the
outcome log starts more than H days after the first contact (no outcome of any kind
during a whole label window, which no working funnel shows), the outcomes were not logged
before it starts, so contacts whose ``as_of`` comes before the first outcome are left out
too: otherwise every one of them would be labelled "never converts" (Olist's closed deals
begin on 2017-12-05, 174 days after its first MQL; Maven's closes on 2017-03-01, 132
days after its first opportunity). Unlike a snapshot, a new contact at a customer account
stays in: it is a new lead (a second deal, a cross-sell), which is what B2B opportunity
exports (Maven) hold.

Pure functions of the canonical tables: the features of each ``as_of`` day are built from
the contacts of that day and the contacts of their accounts (account aggregates see the
same colleagues as in a snapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd

from features.build import build_features, contacts_known_at
from features.crm import CrmTables
from features.customers import (
    employees_of,
    first_positive,
    reads_dated_flag,
    share_customer_since,
    times_of,
)
from features.first_touch_quiet import quiet_contacts, quiet_features
from features.fit import fit_features
from features.measures import AGE_FEATURE
from features.spec import FeatureSpec
from features.training_set import TrainingSet, concat_keeping_categories

OUTCOMES_NOT_LOGGED = "as_of before the first recorded outcome (outcomes not logged yet)"
"""Why a contact older than the outcome log is left out (see the module docstring)."""

RuleScoresAt = Callable[[CrmTables, pd.Timestamp], pd.Series]
"""The manual rule total per ``contact_id`` of a table subset at an ``as_of``."""


def first_touch_as_of(created_at: pd.Series, delay_days: int) -> pd.Series:
    """Each contact's ``as_of``: midnight UTC of its creation day plus ``delay_days``.

    Raises:
        ValueError: ``delay_days`` is below 1 (the contact would not exist yet at
            midnight of its own creation day).
    """
    if delay_days < 1:
        raise ValueError(
            f"first_touch delay must be at least 1 day (got {delay_days}): features are "
            "read at midnight after the first contact at the earliest"
        )
    created = pd.to_datetime(created_at, utc=True)
    return created.dt.floor("D") + pd.Timedelta(days=delay_days)


def outcome_log_start(tables: CrmTables, horizon_days: int) -> pd.Timestamp:
    """When the outcome log starts, if it starts late: its first outcome of any kind when
    that comes more than ``horizon_days`` after the first contact, else the first contact
    (the log covers the whole data). NaT-free: a CRM without outcomes gives the first contact.
    """
    created = pd.to_datetime(tables.contacts["created_at"], utc=True)
    first_contact = created.min()
    logged = pd.to_datetime(tables.outcomes["converted_at"], utc=True)
    if logged.empty or logged.min() - first_contact <= pd.Timedelta(days=horizon_days):
        return first_contact
    return logged.min()


def latest_share_start(as_of: pd.Series, share: float) -> pd.Timestamp:
    """The first ``as_of`` of the latest ``share`` of the rows (ordered by ``as_of``).

    Rows sharing that ``as_of`` all belong to the latest share, so a day never straddles
    two slices. The training plan cuts its valid and test slices with it, and ``compare``
    its held-out period of a ``first_touch`` scorer, so both mean the same rows.
    """
    order = np.sort(pd.to_datetime(as_of, utc=True).to_numpy())
    if not len(order):
        raise ValueError("no row to cut: the as_of series is empty")
    return pd.Timestamp(order[min(len(order) - 1, int(len(order) * (1 - share)))])


def first_touch_labels(
    tables: CrmTables,
    horizon_days: int,
    delay_days: int,
    data_end: pd.Timestamp,
    positive_outcomes: tuple[str, ...],
) -> pd.DataFrame:
    """Which contacts make a first-touch row, their ``as_of`` and label.

    Args:
        delay_days: Days after the creation day's midnight at which features are read.
        data_end: When the data stops (label windows must end by then).

    Returns:
        Indexed by ``contact_id`` in the contacts' order: ``as_of``, ``eligible`` (old
        enough, not converted by ``as_of``, not an employee, ``as_of`` not before a late
        outcome log starts: :func:`outcome_log_start`), ``y`` and ``reason`` (why a
        contact is left out; empty when eligible).
    """
    contacts = tables.contacts
    ids = contacts["contact_id"].astype("object")
    as_of = first_touch_as_of(contacts["created_at"], delay_days)
    as_of_index = pd.DatetimeIndex(as_of)
    first = pd.DatetimeIndex(times_of(ids, first_positive(tables.outcomes, positive_outcomes)))
    is_employee = employees_of(contacts, ids)
    horizon = pd.Timedelta(days=horizon_days)
    young = np.asarray(as_of_index + horizon > data_end)
    converted = np.asarray(first <= as_of_index)
    unlogged = np.asarray(as_of_index < outcome_log_start(tables, horizon_days))
    reason = np.select(
        [young, converted, is_employee, unlogged],
        [
            "label window ends after the data",
            "converted before as_of",
            "employee",
            OUTCOMES_NOT_LOGGED,
        ],
        default="",
    )
    label = np.asarray((first > as_of_index) & (first <= as_of_index + horizon))
    return pd.DataFrame(
        {
            "as_of": as_of.to_numpy(),
            "eligible": reason == "",
            "y": label.astype("int64"),
            "reason": reason,
        },
        index=pd.Index(ids.to_numpy(), name="contact_id"),
    )


def day_tables(tables: CrmTables, ids: pd.Index) -> CrmTables:
    """The contacts ``ids``, their account colleagues, and those contacts' activities and
    outcomes (all of them: each reader cuts at its own ``as_of``), reading ``tables``'
    :func:`features.customers.customer_since` (computed once for every day).

    The outcomes are there for the rules only, which read them to know that a contact did
    something at or after ``as_of`` and so that its export-time ``lifecycle_stage`` is
    unknown then (:func:`rules.scorer.export_stage_at`: a later converter is exported as a
    ``customer``). Features never read outcomes (:func:`features.build.build_features`).
    """
    contacts = tables.contacts
    own = contacts["contact_id"].astype("object").isin(ids)
    accounts = contacts.loc[own, "account_id"].dropna()
    keep = own | contacts["account_id"].isin(accounts)
    sub = contacts.loc[keep]
    activities, outcomes = tables.activities, tables.outcomes
    acts = activities.loc[activities["contact_id"].isin(sub["contact_id"])]
    outs = outcomes.loc[outcomes["contact_id"].isin(sub["contact_id"])]
    return share_customer_since(tables, CrmTables(sub, tables.accounts, acts, outs))


def static_fit_features(
    tables: CrmTables, as_of: pd.Series, spec: FeatureSpec
) -> pd.DataFrame | None:
    """The fit features of every contact some first-touch day's table holds, built once.

    Fit features read no date, so one frame serves every day. It is built on exactly the
    contacts the days' tables hold (:func:`day_tables`, known at their day): each contact
    of ``as_of`` known at its own ``as_of``, and each account colleague created before the
    latest ``as_of`` of that account's contacts. A ``passthrough_categorical`` column's
    categories (the values present) are then those the days' frames stacked would get.

    Args:
        as_of: ``as_of`` per ``contact_id`` (index).

    Returns:
        Indexed by ``contact_id``; None when a fit feature reads a date (the accounts'
        ``is_customer`` flag, :func:`features.customers.accounts_at`) or ``as_of`` repeats
        an id: then each day builds its own.
    """
    if reads_dated_flag(spec.fit.account_flags) or not as_of.index.is_unique:
        return None  # a duplicate id (unvalidated tables) is left to the per-day path's checks
    contacts = tables.contacts
    created = pd.to_datetime(contacts["created_at"], utc=True)
    mine = times_of(contacts["contact_id"], as_of)  # each contact's own as_of (NaT: none)
    own = (mine.notna() & (created < mine)).to_numpy()
    account = contacts["account_id"].astype("object")
    latest = mine.loc[mine.notna().to_numpy()].groupby(account[mine.notna().to_numpy()]).max()
    until = times_of(account, latest)
    colleague = (until.notna() & (created < until)).to_numpy()
    seen = contacts.loc[own | colleague]
    if seen.empty:
        return None
    known = contacts_known_at(seen, created.loc[own | colleague].max() + pd.Timedelta(1, "ns"))
    return fit_features(known, tables.accounts, spec.fit)


def first_touch_features(
    tables: CrmTables,
    as_of: pd.Series,
    spec: FeatureSpec,
    *,
    rule_scores: RuleScoresAt | None = None,
) -> pd.DataFrame:
    """Features of each contact at its own ``as_of``: one :func:`build_features` per
    first-touch day, and one for all quiet contacts
    (:func:`features.first_touch_quiet.quiet_contacts`) together.

    Args:
        as_of: ``as_of`` per ``contact_id`` (index); contacts not in it are not returned.
        rule_scores: Rule totals of a table subset at an ``as_of`` (``include_rule_score``).

    Returns:
        One row per contact of ``as_of``, in its order, indexed by ``contact_id``;
        without ``days_since_created``, which is the delay for every row by construction
        (it would only carry the time of day and daylight saving of the creation).
    """
    if spec.include_rule_score and rule_scores is None:
        raise ValueError(
            "the feature spec has include_rule_score: true, so first_touch features need "
            "the rule scores: pass rule_scores="
        )
    fit = static_fit_features(tables, as_of, spec)
    quiet = (
        quiet_contacts(tables, as_of.index)
        if fit is not None and not spec.include_rule_score
        else np.zeros(len(as_of), dtype=bool)
    )
    frames = []
    if quiet.any():
        batch = quiet_features(tables, as_of.loc[quiet], spec, cast(pd.DataFrame, fit))
        frames += [] if batch is None else [batch]
    for day, group in as_of.loc[~quiet].groupby(as_of.loc[~quiet], sort=True):
        day_ts = pd.Timestamp(day)
        sub = day_tables(tables, pd.Index(group.index))
        scores = rule_scores(sub, day_ts) if spec.include_rule_score and rule_scores else None
        features = build_features(sub, day_ts, spec, rule_scores=scores, fit=fit)
        own = features.loc[features.index.isin(group.index)]
        frames.append(own.drop(columns=[AGE_FEATURE], errors="ignore"))
    if not frames:
        raise ValueError("no contact to build first_touch features for")
    out = concat_keeping_categories([f.reset_index() for f in frames]).set_index("contact_id")
    return out.loc[as_of.index]


def build_first_touch_set(
    tables: CrmTables,
    labels: pd.DataFrame,
    horizon_days: int,
    spec: FeatureSpec,
    *,
    rule_scores: RuleScoresAt | None = None,
) -> TrainingSet:
    """The first-touch training set of the eligible rows of ``labels``, oldest first.

    Args:
        labels: From :func:`first_touch_labels`.
        rule_scores: Rule totals of a table subset at an ``as_of`` (``include_rule_score``).

    Returns:
        Rows sorted by ``as_of`` (the ``snapshot`` column), features, labels, contact ids.
    """
    rows = labels.loc[labels["eligible"]].sort_values("as_of", kind="stable")
    if rows.empty:
        raise ValueError("no contact is eligible for a first_touch row")
    as_of = pd.Series(pd.to_datetime(rows["as_of"], utc=True), index=rows.index)
    X = first_touch_features(tables, as_of, spec, rule_scores=rule_scores)
    return TrainingSet(
        X=X.reset_index(drop=True),
        y=pd.Series(rows["y"].to_numpy(dtype="int64"), name="converted"),
        snapshot=as_of.reset_index(drop=True).rename("snapshot"),
        contact_id=pd.Series(rows.index.to_numpy(), name="contact_id", dtype="string"),
        horizon_days=horizon_days,
    )
