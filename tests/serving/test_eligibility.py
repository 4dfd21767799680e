"""A scoring time too far after the data is named."""

import logging

import pandas as pd

from serving.eligibility import stale_as_of, warn_if_stale

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")


def _activities(*when: str) -> pd.DataFrame:
    return pd.DataFrame({"occurred_at": pd.to_datetime(list(when), utc=True)})


def test_as_of_more_than_the_horizon_after_the_last_activity_is_named():
    acts = _activities("2025-10-01T00:00", "2025-12-01T12:00")
    # 2025-12-01 12:00 + 90 days = 2026-03-01 12:00: as_of 2026-03-01 is inside the horizon
    assert stale_as_of(acts, AS_OF, 90) is None
    message = stale_as_of(acts, AS_OF, 30)
    assert message is not None
    assert "89 days after the data's last activity (2025-12-01)" in message
    assert "30-day horizon" in message and "--as-of" in message and "2025-12-02" in message
    assert stale_as_of(_activities(), AS_OF, 30) is None  # a flat export: no history


def test_the_stale_warning_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="serving.eligibility"):
        warn_if_stale(_activities("2025-01-01"), AS_OF, 90)
        warn_if_stale(_activities("2026-02-01"), AS_OF, 90)
    assert len(caplog.records) == 1 and "424 days" in caplog.records[0].getMessage()
