"""A flat export (one row per lead, the outcome a column): its label and its scoring time.

Training (:func:`pipelines.training_data.flat_slices`), the scorer's manual scores
(:mod:`serving.scorer_training`), ``fit-table`` and ``compare`` read both from here, so a
flat export's held-out rows are labelled and scored in ``compare`` exactly as training
labelled and scored its test rows.
"""

from __future__ import annotations

import pandas as pd

from features.crm import CrmTables
from features.schema import POSITIVE_OUTCOMES


def flat_labels(
    tables: CrmTables, positive_outcomes: tuple[str, ...] = POSITIVE_OUTCOMES
) -> pd.Series:
    """The training label of a flat export: 1 for a contact with a positive outcome.

    Returns:
        0/1 (``int64``) per contact, in the order of ``tables.contacts`` (its index).
    """
    outcomes = tables.outcomes
    positive = outcomes.loc[
        outcomes["outcome"].astype("string").isin(positive_outcomes), "contact_id"
    ]
    ids = tables.contacts["contact_id"].astype("string")
    return ids.isin(set(positive.astype("string"))).astype("int64").rename("converted")


def flat_as_of(contacts: pd.DataFrame) -> pd.Timestamp:
    """When a flat export is scored: the day after its last creation time, so that every
    row of the export is a known contact (the export's dates are not a period)."""
    return pd.to_datetime(contacts["created_at"], utc=True).max() + pd.Timedelta(days=1)
