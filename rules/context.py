"""The scoring context: build the activity index at one ``as_of`` date, match ids fast.

Everything is positional: contact ``i`` is row ``i`` of the contacts frame, and every
activity carries the position of its contact (:class:`rules.activities.ActivityIndex`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features.events import positions_of
from rules.activities import ActivityIndex

log = logging.getLogger(__name__)


def build_activity_index(
    activities: pd.DataFrame, contact_ids: pd.Index, as_of: pd.Timestamp
) -> ActivityIndex:
    """Index activities for scoring at ``as_of`` (only ``occurred_at < as_of`` counts), with
    ``contact_ids`` in scoring order; rows of unknown contacts are logged and left out."""
    pos = positions_of(activities["contact_id"], contact_ids)
    unknown = int((pos < 0).sum())
    if unknown:
        # validation quarantines true orphans; what is left here belongs to contacts the
        # caller left out (e.g. created after as_of), so this is information, not a problem
        log.info("%d activity rows belong to contacts not being scored; skipped", unknown)
    occurred = activities["occurred_at"]
    time_ns = occurred.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").view(np.int64)
    as_of_ns = int(as_of.value)
    valid = (pos >= 0) & (time_ns < as_of_ns)
    return ActivityIndex(activities, pos, time_ns, valid, len(contact_ids), as_of_ns)
