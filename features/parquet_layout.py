"""The layout of canonical Parquet tables: one lead's rows can be read without the rest.

``leadscore explain`` reads one lead's account out of a canonical Parquet folder
(:mod:`serving.lead_rows`): the contact, its account's contacts and their activities and
outcomes. Activities are the big table (about 21 per contact), so they and the outcomes are
written sorted by ``contact_id`` in row groups of :data:`ROW_GROUP_ROWS` rows. Each row
group's statistics then hold a narrow range of ids, and a reader filtering on a few ids
(DuckDB's ``IN``, Arrow dataset filters) skips every other row group: at 1M contacts the
read of one account's activities falls from a scan of 21M rows to a few row groups.

The sort is stable, so a contact's rows keep their order (time order, for generated data)
and the first of two duplicate rows stays first. Contacts and accounts keep their order:
both are keyed by the columns they are looked up by and are a twentieth of the activities.
Every writer of canonical Parquet tables (the synthetic generator and ``validate
--write-accepted``) writes through :func:`write_table`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

LEAD_ORDER: dict[str, str] = {"activities": "contact_id", "outcomes": "contact_id"}
"""Per table, the column its rows are sorted by (tables not named keep their order)."""

ROW_GROUP_ROWS = 100_000
"""Rows per Parquet row group: small enough that one contact's rows are one group of a
large table, large enough that the file's metadata stays small (about 200 groups at 21M
activities)."""


def lead_ordered(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` in the row order of :data:`LEAD_ORDER` (missing keys last; stable).

    Args:
        frame: Rows of the canonical table ``table``.

    Returns:
        A new frame with a fresh index (``frame`` itself when the table keeps its order).
    """
    key = LEAD_ORDER.get(table)
    if key is None or key not in frame.columns:
        return frame
    codes, _ = pd.factorize(frame[key], sort=True)  # integer codes in sorted key order
    codes = np.where(codes < 0, np.iinfo(codes.dtype).max, codes)
    order = np.argsort(codes, kind="stable")
    return frame.take(order).reset_index(drop=True)


def write_table(frame: pd.DataFrame, table: str, path: Path) -> None:
    """Write one canonical table as Parquet in the lead layout (see the module docstring).

    Args:
        table: The table's name (``contacts``, ``activities``, ...).
        path: The file to write (callers pass a temporary name, see
            :func:`features.files.atomic_write`).
    """
    lead_ordered(frame, table).to_parquet(path, index=False, row_group_size=ROW_GROUP_ROWS)
