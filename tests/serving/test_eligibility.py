"""Who a scoring run may score: converted contacts are rejected, a stale as_of is named."""

import logging

import pandas as pd

from serving.eligibility import converted_rejects, stale_as_of, warn_if_stale

AS_OF = pd.Timestamp("2026-03-01", tz="UTC")


def _outcomes(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": pd.Series([r[0] for r in rows], dtype="string"),
            "converted_at": pd.to_datetime([r[1] for r in rows], utc=True),
            "outcome": pd.Series([r[2] for r in rows], dtype="string"),
        }
    )


def test_converted_contacts_are_rejected_by_their_first_conversion():
    outcomes = _outcomes(
        [
            ("a", "2026-02-10", "opportunity"),  # opportunity before as_of: converted
            ("a", "2026-02-20", "won"),
            ("b", "2026-03-01", "won"),  # exactly at as_of: converted (training's rule)
            ("c", "2026-03-02", "won"),  # after as_of: still a lead
            ("d", "2026-01-05", "lost"),  # lost is no conversion
            ("e", "2026-04-01", "opportunity"),  # opportunity later, won never: a lead
            ("x", "2026-01-01", "won"),  # not asked for
        ]
    )
    ids = pd.Series(["e", "d", "c", "b", "a"], dtype="string")
    got = converted_rejects(ids, outcomes, AS_OF)
    assert list(got["contact_id"]) == ["b", "a"]  # in the order asked
    # one reason text for all, so that the run summary counts them together
    assert set(got["reason"]) == {
        "already converted (opportunity or won at or before as_of): not a lead"
    }
    assert converted_rejects(ids, _outcomes([]), AS_OF).empty


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
