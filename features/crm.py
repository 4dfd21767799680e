"""The four canonical tables travelling together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from features.schema import TABLES


@dataclass(frozen=True)
class CrmTables:
    """Canonical CRM tables (see :mod:`features.schema`) in canonical pandas dtypes.

    Extra columns that a mapping keeps (e.g. X Education's ``total_visits``) stay in the
    frames after the canonical ones. ``accounts``, ``activities`` and ``outcomes`` may be
    empty frames with the canonical columns when a source has no such data.

    ``derived`` keeps what is computed from the frames once per run and read many times
    (:func:`features.customers.customer_since`: every training snapshot, every rule
    scoring and the scorer read it). The frames are never changed in place (pure
    functions return new ones), so a kept value stays true; a new ``CrmTables``, e.g. a
    subset or ``dataclasses.replace``, starts empty.
    """

    contacts: pd.DataFrame
    accounts: pd.DataFrame
    activities: pd.DataFrame
    outcomes: pd.DataFrame
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame:
        """Return the table called ``name`` (one of :data:`features.schema.TABLES`)."""
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; expected one of {sorted(TABLES)}")
        frame: pd.DataFrame = getattr(self, name)
        return frame


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of table ``name``."""
    table = TABLES[name]
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in table.dtypes().items()})
