"""A flat export (one row per lead, the outcome a column): its label, its scoring time and
the tables its rules are scored on.

Training (:func:`pipelines.training_data.flat_slices`), the scorer's manual scores
(:mod:`serving.scorer_training`), ``fit-table`` and ``compare`` read both from here, so a
flat export's held-out rows are labelled and scored in ``compare`` exactly as training
labelled and scored its test rows. The rules of a flat export are always scored on
:func:`flat_rule_tables` (the outcomes removed), never on the tables holding the label.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from features.crm import CrmTables, empty_table
from features.customers import first_positive
from features.schema import POSITIVE_OUTCOMES


def flat_labels(tables: CrmTables) -> pd.Series:
    """The training label of a flat export: 1 for a contact with a positive outcome
    (:func:`features.customers.first_positive`).

    Returns:
        0/1 (``int64``) per contact, in the order of ``tables.contacts`` (its index).
    """
    converted = first_positive(tables.outcomes, POSITIVE_OUTCOMES).index
    ids = tables.contacts["contact_id"].astype("object")
    return ids.isin(converted).astype("int64").rename("converted")


def flat_as_of(contacts: pd.DataFrame) -> pd.Timestamp:
    """When a flat export is scored: the day after its last creation time, so that every
    row of the export is a known contact (the export's dates are not a period)."""
    return pd.to_datetime(contacts["created_at"], utc=True).max() + pd.Timedelta(days=1)


def flat_rule_tables(tables: CrmTables) -> CrmTables:
    """The tables a flat export's rules (and scorer) read: ``tables`` without its outcomes.

    A flat export's outcome column is the training label, not a CRM event dated before
    :func:`flat_as_of`: scored with it, a rule reading outcomes (``is_customer`` from a won
    deal, a converted exclusion, a stage dated by an outcome) would read the label. Training,
    ``score`` of a flat export (``fit-table``) and ``compare`` all score on these tables, so
    the manual score training calibrates and blends is the one scoring computes.
    """
    return replace(tables, outcomes=empty_table("outcomes"))
