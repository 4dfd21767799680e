"""The lead flow per capacity period, measured on the validation slice (hand-counted)."""

from __future__ import annotations

import pandas as pd
import pytest

from serving.lead_flow import leads_per_period


def _stamps(*days: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(days), utc=True))


def test_first_touch_flow_is_leads_per_period_of_the_days_they_arrived_over() -> None:
    # 6 leads arriving over 3 days (the 1st to the 3rd): 2 a day, 14 a week
    days = _stamps("2026-03-01", "2026-03-01", "2026-03-02", "2026-03-03", "2026-03-03",
                   "2026-03-03")  # fmt: skip
    assert leads_per_period(days, "first_touch", 7) == pytest.approx(14.0)
    assert leads_per_period(days, "first_touch", 1) == pytest.approx(2.0)


def test_snapshot_flow_is_the_pool_of_one_snapshot() -> None:
    # two validation snapshots of 3 and 5 eligible leads: each run scores about 4
    days = _stamps(*["2026-03-01"] * 3, *["2026-04-01"] * 5)
    assert leads_per_period(days, "snapshots", 7) == pytest.approx(4.0)


def test_flat_flow_is_the_whole_export() -> None:
    assert leads_per_period(pd.Series([pd.NaT] * 3), "flat", 7, export_rows=9_240) == 9_240.0


def test_unusable_input_names_the_problem() -> None:
    with pytest.raises(ValueError, match="no dated row"):
        leads_per_period(pd.Series([pd.NaT]), "first_touch", 7)
    with pytest.raises(ValueError, match="number of rows"):
        leads_per_period(pd.Series([], dtype="datetime64[ns, UTC]"), "flat", 7)
    with pytest.raises(ValueError, match="unknown framing"):
        leads_per_period(_stamps("2026-03-01"), "weekly", 7)
