"""Point-in-time features: one row per contact known at ``as_of``.

:func:`build_features` is a pure function of the canonical tables, a cut-off and the
feature spec. Only what was known before ``as_of`` is read: contacts created before it,
activities with ``occurred_at < as_of``, the contact and account properties as exported
(the tables carry no property history), and never the outcomes table or the
``lifecycle_stage`` column, which are written after the fact. The one exported property
that is dated is the account's ``is_customer`` flag, read as it stood at ``as_of``
(:func:`features.customers.accounts_at`: its first won deal dates it).

Window convention: the ``w``-day window holds activities with
``as_of - w days <= occurred_at < as_of``; an activity exactly ``w`` days old is inside,
one exactly at ``as_of`` is not counted anywhere.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features.crm import CrmTables
from features.customers import accounts_at, reads_dated_flag
from features.engagement import (
    account_features,
    count_features,
    flag_features,
    frequency_features,
    group_aggregates,
    max_form_stage,
    recency_features,
    trend_features,
)
from features.events import events_before, utc_timestamp
from features.fit import fit_features
from features.measures import AGE_FEATURE, days_since_created, epoch_ns
from features.spec import FeatureSpec

logger = logging.getLogger(__name__)


def contacts_known_at(contacts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The contacts created strictly before ``as_of``, indexed by ``contact_id``.

    Raises:
        ValueError: ``contact_id`` is duplicated (the message names a duplicate).
    """
    created = epoch_ns(contacts["created_at"], "contacts.created_at")
    known = contacts.loc[(created != np.iinfo(np.int64).min) & (created < as_of.value)]
    known = known.set_index("contact_id", drop=False)
    known.index.name = "contact_id"
    if known.index.has_duplicates:
        dup = known.index[known.index.duplicated()][0]
        raise ValueError(f"contacts.contact_id: duplicate id {dup!r}; validate the tables first")
    return known


def _rule_score(rule_scores: pd.Series | None, spec: FeatureSpec, index: pd.Index) -> pd.DataFrame:
    if not spec.include_rule_score:
        return pd.DataFrame(index=index)
    if rule_scores is None:
        raise ValueError(
            "the feature spec has include_rule_score: true but no rule_scores were passed; "
            "pass the rule scores indexed by contact_id or switch the feature off"
        )
    aligned = rule_scores.astype("float64").reindex(index)
    return pd.DataFrame({"rule_score": aligned.to_numpy()}, index=index)


def build_features(
    tables: CrmTables,
    as_of: pd.Timestamp | str,
    spec: FeatureSpec,
    *,
    rule_scores: pd.Series | None = None,
    fit: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the feature frame at ``as_of``.

    Args:
        as_of: Cut-off; naive timestamps are read as UTC.
        spec: The feature spec (see :func:`features.spec.load_feature_spec`).
        rule_scores: The manual rule score per ``contact_id`` as of ``as_of``; required
            when ``spec.include_rule_score`` is true, ignored otherwise.
        fit: The fit features (:func:`features.fit.fit_features`), built beforehand,
            indexed by ``contact_id`` and holding every contact known at ``as_of``: they
            read no date, so a caller building many dates over the same contacts builds
            them once (:func:`features.first_touch.first_touch_features`). None: built here.

    Returns:
        One row per contact created before ``as_of``, indexed by ``contact_id`` in the
        order of ``tables.contacts``; float32/float64 and ``category`` columns only, in a
        column order fixed by the spec (fit, counts, frequency, trends, recency, funnel,
        flags, account, rule score).
    """
    cutoff = utc_timestamp(as_of)
    contacts = contacts_known_at(tables.contacts, cutoff)
    index = contacts.index
    filtered = {c for g in spec.groups.values() for c in g.match.conditions()}
    columns = frozenset(filtered | {"activity_type", "form_stage"})  # max_form_stage reads both
    events = events_before(tables.activities, index, cutoff, columns)
    agg = group_aggregates(events, spec)
    if fit is None:
        # the export's is_customer flag as it stood at as_of (an account won later was none)
        dated = reads_dated_flag(spec.fit.account_flags)
        fit = fit_features(
            contacts, accounts_at(tables, cutoff) if dated else tables.accounts, spec.fit
        )
    else:
        fit = fit.loc[index]
    parts = [
        fit,
        count_features(agg, spec, index),
        frequency_features(events, spec, index),
        trend_features(agg, spec, index),
        recency_features(agg, spec, index),
        pd.DataFrame({AGE_FEATURE: days_since_created(contacts["created_at"], cutoff)}, index),
        max_form_stage(events, index).to_frame(),
        flag_features(agg, spec, index),
        account_features(contacts.get("account_id", pd.Series(pd.NA, index=index)), agg, spec),
        _rule_score(rule_scores, spec, index),
    ]
    features = pd.concat(parts, axis=1)
    logger.info(
        "built %d features for %d contacts from %d activities before %s",
        features.shape[1],
        len(features),
        len(events.contact),
        cutoff.isoformat(),
    )
    return features
