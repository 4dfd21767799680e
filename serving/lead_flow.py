"""The lead flow: how many leads the nightly batch scores per capacity period.

Tiers from capacity are a share of that flow (``capacity_share``) or a number of leads out
of it (``capacity``). It is measured once, on the validation slice, at training:

* ``snapshots``: every run scores the whole pool of eligible leads, so the flow is the
  pool, the rows of one validation snapshot (the mean over several);
* ``first_touch``: each lead is scored once, when it arrives, so the flow is the
  validation leads per ``period_days`` of the days they arrived over;
* ``flat``: an export without time is scored whole: the flow is the export's size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DAY = pd.Timedelta(days=1)


def leads_per_period(
    scored_at: pd.Series, framing: str, period_days: int, export_rows: int | None = None
) -> float:
    """Leads the batch scores per ``period_days``, measured on the validation slice.

    Args:
        scored_at: When each validation row is scored: its snapshot (``snapshots``), its
            first touch plus the delay (``first_touch``); ignored for ``flat``.
        export_rows: The whole export's rows (``flat`` only).

    Returns:
        Leads per period (> 0).

    Raises:
        ValueError: No row to measure, or an unknown framing.
    """
    if framing == "flat":
        if not export_rows:
            raise ValueError("lead flow of a flat export: give its number of rows")
        return float(export_rows)
    times = pd.to_datetime(scored_at, utc=True).dropna()
    if times.empty:
        raise ValueError("lead flow: the validation slice has no dated row")
    if framing == "snapshots":
        return float(len(times) / times.nunique())
    if framing == "first_touch":
        days = np.ceil((times.max() - times.min()) / _DAY) + 1  # the days they arrived over
        return float(len(times) * period_days / days)
    raise ValueError(f"lead flow: unknown framing {framing!r}")
