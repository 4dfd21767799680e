"""Recency and funnel depth: how long ago a contact acted, and how far down the funnel.

A contact who never did the activity gets NaN (unknown, not "0 days"): tree models route
missing values on their own and explanations read "never ...".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.engagement import GroupAggregates
from features.events import Events
from features.schema import FORM_STAGES
from features.spec import ActivityFilter, FeatureSpec

AGE_FEATURE = "days_since_created"  # grows with time by construction (see drift reports)
_STAGED_FORMS = ActivityFilter(activity_type=("form_submit",), form_stage=FORM_STAGES)


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
