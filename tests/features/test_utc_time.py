"""utc_time: ISO 8601 only, offsets honoured, naive means UTC, errors name the option."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from features.parse import utc_time

UTC = "UTC"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09-01", pd.Timestamp("2026-09-01 00:00", tz=UTC)),
        (" 2026-09-01T10:30 ", pd.Timestamp("2026-09-01 10:30", tz=UTC)),
        ("2026-09-01 10:30:15", pd.Timestamp("2026-09-01 10:30:15", tz=UTC)),
        ("2026-09-01T10:00+02:00", pd.Timestamp("2026-09-01 08:00", tz=UTC)),
        ("2026-09-01T10:00Z", pd.Timestamp("2026-09-01 10:00", tz=UTC)),
        (dt.date(2026, 9, 1), pd.Timestamp("2026-09-01", tz=UTC)),
        (
            pd.Timestamp("2026-09-01 12:00", tz="Europe/Paris"),
            pd.Timestamp("2026-09-01 10:00", tz=UTC),
        ),
    ],
)
def test_iso_times_in_utc(value, expected) -> None:
    got = utc_time(value)
    assert got == expected and str(got.tz) == UTC


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("05/09/2026", "--now '05/09/2026' is not an ISO date"),
        ("2026-9-1", "is not an ISO date"),
        ("yesterday", "is not an ISO date"),
        ("2026-09-31", "--now '2026-09-31' is not a real date"),
        ("2026-13-01", "is not a real date"),
    ],
)
def test_other_text_is_refused_naming_the_option(value, message) -> None:
    with pytest.raises(ValueError, match=message):
        utc_time(value, "--now")
