"""Quiet contacts of the ``first_touch`` framing: found, then built together in one build.

A contact is quiet when neither it nor any contact of its account has an activity (Olist's
MQLs and Maven's opportunities all are). Its features are the same at every ``as_of``
after its creation, so :func:`features.first_touch.first_touch_features` builds all quiet
contacts in one :func:`features.build.build_features` call instead of one per
first-touch day. Pure functions of the canonical tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import build_features
from features.crm import CrmTables
from features.customers import times_of
from features.measures import AGE_FEATURE
from features.spec import FeatureSpec


def quiet_contacts(tables: CrmTables, ids: pd.Index) -> np.ndarray:
    """Which of ``ids`` are quiet: neither they nor any contact of their account has an
    activity (Olist's MQLs and Maven's opportunities all are: those exports log none).

    A quiet contact's features are the same at every ``as_of`` after its creation: fit
    features read no date, activity features of no event are their defaults (counts 0,
    no recency), and its account's engagement counts are 0 whichever colleagues are
    known. So all quiet contacts are built in one :func:`quiet_features` call instead of
    one :func:`build_features` per first-touch day.

    Returns:
        One boolean per id, in ``ids``' order; all False when ``contact_id`` repeats
        (unvalidated tables: each day's build raises the duplicate, as before).
    """
    contacts = tables.contacts
    contact_ids = contacts["contact_id"]
    if contact_ids.duplicated().any():
        return np.zeros(len(ids), dtype=bool)
    active = contact_ids.isin(tables.activities["contact_id"]).to_numpy(dtype=bool)
    account = contacts["account_id"]
    busy = account.loc[active].dropna()
    loud = active | account.isin(busy).to_numpy(dtype=bool)
    loud_ids = contact_ids.loc[loud].astype("object")
    return ~pd.Index(ids).astype("object").isin(loud_ids)


def quiet_features(
    tables: CrmTables, as_of: pd.Series, spec: FeatureSpec, fit: pd.DataFrame
) -> pd.DataFrame | None:
    """Features of quiet contacts (:func:`quiet_contacts`), each known at its ``as_of``,
    in one :func:`build_features` at their latest ``as_of`` (equal to building each at
    its own ``as_of``: see :func:`quiet_contacts`).

    Args:
        as_of: ``as_of`` per quiet ``contact_id`` (index).
        fit: :func:`features.first_touch.static_fit_features` of the first-touch rows.

    Returns:
        Indexed by ``contact_id``, without ``days_since_created``; a contact created at or
        after its ``as_of`` is left out, as its day's build leaves it out (None: all are).
    """
    contacts = tables.contacts
    created = pd.to_datetime(contacts["created_at"], utc=True)
    mine = times_of(contacts["contact_id"], as_of)  # each contact's own as_of (NaT: none)
    own = (mine.notna() & (created < mine)).to_numpy(dtype=bool)
    if not own.any():
        return None
    cutoff = pd.Timestamp(mine.loc[own].max())
    sub = CrmTables(
        contacts.loc[own], tables.accounts, tables.activities.iloc[:0], tables.outcomes.iloc[:0]
    )
    features = build_features(sub, cutoff, spec, fit=fit)
    return features.drop(columns=[AGE_FEATURE], errors="ignore")
