"""Settings and result types of the synthetic CRM generator."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from features.crm import CrmTables

GENERATOR_VERSION = "1.2.0"
"""Bumped whenever the same arguments would produce different data."""


class DirtConfig(BaseModel):
    """How much dirt to plant in the generated tables (fractions of rows).

    Each rate is turned into an exact row count with ``ceil(rate * rows)``, so any rate
    above zero plants at least one dirty row; the counts actually planted are recorded in
    ``SyntheticCrm.truth_params["dirt"]``. Use :meth:`none` for clean data.

    Attributes:
        duplicate_activity_rate: Activity rows repeated verbatim (same ``activity_id``).
        duplicate_contact_rate: Contact rows repeated verbatim (same ``contact_id``).
        orphan_activity_rate: Extra activities whose ``contact_id`` is in no contact row
            (a deleted contact).
        future_activity_rate: Activities whose year is typed as 2099.
        category_noise_rate: Per category column, values spoiled with stray whitespace or
            wrong case (``"  Pricing"``, ``"BOFU "``, ``"Email_Open"``).
        missing_rate: Per optional field (job_title, phone, country, industry,
            employees, annual_revenue), known values blanked out.
        bad_timestamp_rate: Activities whose ``occurred_at`` is written as an unparseable
            text (``"31/02/2026"``); CSV output only, parquet keeps a datetime column.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    duplicate_activity_rate: float = Field(default=0.002, ge=0.0, le=0.2)
    duplicate_contact_rate: float = Field(default=0.002, ge=0.0, le=0.2)
    orphan_activity_rate: float = Field(default=0.001, ge=0.0, le=0.2)
    future_activity_rate: float = Field(default=0.0003, ge=0.0, le=0.2)
    category_noise_rate: float = Field(default=0.002, ge=0.0, le=0.2)
    missing_rate: float = Field(default=0.03, ge=0.0, le=0.5)
    bad_timestamp_rate: float = Field(default=0.0003, ge=0.0, le=0.2)

    @classmethod
    def none(cls) -> DirtConfig:
        """A configuration that plants no dirt at all."""
        return cls(**{name: 0.0 for name in cls.model_fields})

    def count(self, rate_name: str, rows: int) -> int:
        """Exact number of rows to spoil for ``rate_name`` out of ``rows``."""
        rate = float(getattr(self, rate_name))
        return min(rows, math.ceil(rate * rows)) if rate > 0 else 0


@dataclass(frozen=True)
class SyntheticCrm:
    """A generated CRM: the tables a reader would see plus the hidden truth.

    Attributes:
        tables: The four canonical tables (columns and dtypes of :mod:`features.schema`)
            with the planted dirt.
        truth: One row per contact: ``contact_id``, ``fit_logit``, ``engagement_logit``,
            ``propensity`` (true probability of an opportunity by the end date),
            ``converted`` and ``converted_at`` (first ``opportunity`` outcome).
        truth_params: JSON-serialisable coefficients, settings and planted dirt counts.
        csv_timestamp_typos: Row positions in ``tables.activities`` whose ``occurred_at``
            :func:`write_crm` writes as the given unparseable text in CSV output.
        bot_activities: Ids of the activities bots produced (scanner clicks, proxy opens).
    """

    tables: CrmTables
    truth: pd.DataFrame
    truth_params: dict[str, Any]
    csv_timestamp_typos: pd.Series = field(
        default_factory=lambda: pd.Series(dtype="string", index=pd.Index([], dtype="int64"))
    )
    bot_activities: pd.Series = field(
        default_factory=lambda: pd.Series(dtype="string", name="activity_id")
    )
