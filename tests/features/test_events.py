"""Per-contact event aggregates over more events than one chunk, against plain numpy."""

import numpy as np
import pandas as pd

from features.events import CHUNK, Events, last_age_days, window_counts
from features.measures import DAY_NS


def _events(n_contacts: int, n_events: int) -> Events:
    rng = np.random.default_rng(11)
    contact = rng.integers(0, n_contacts, n_events).astype(np.int32)
    age = rng.integers(1, 120 * DAY_NS, n_events, dtype=np.int64)
    return Events(n_contacts, contact, age, {})


def test_window_counts_over_several_chunks_match_a_bincount_per_window():
    events = _events(5_000, CHUNK * 2 + 12_345)  # three chunks, the last one partial
    mask = np.random.default_rng(12).random(events.contact.size) < 0.3
    windows = [7.0, 30.0, float("inf")]
    got = window_counts(events, mask, windows)
    for k, w in enumerate(windows):
        within = mask & (events.age_ns <= w * DAY_NS)
        expected = np.bincount(events.contact[within], minlength=events.n_contacts)
        np.testing.assert_array_equal(got[:, k], expected)


def test_last_age_days_matches_a_group_by():
    events = _events(300, 10_000)
    mask = np.random.default_rng(13).random(events.contact.size) < 0.05
    got = last_age_days(events, mask)
    youngest = pd.Series(events.age_ns[mask]).groupby(events.contact[mask]).min()
    expected = (youngest / DAY_NS).reindex(range(events.n_contacts)).to_numpy()
    np.testing.assert_allclose(got, expected)
    assert np.isnan(got).sum() == np.isnan(expected).sum() > 0
