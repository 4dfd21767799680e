"""Train/validation/test splits: by time when the data has time, stratified random otherwise.

Both return row positions, so callers slice features, labels, manual scores and segment
columns consistently with ``frame.iloc[split.train]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class Split:
    """Row positions of the three slices (disjoint, together all rows)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def _check_fracs(valid_frac: float, test_frac: float) -> None:
    if not (0 < valid_frac < 1 and 0 < test_frac < 1 and valid_frac + test_frac < 1):
        raise ValueError(
            f"valid_frac={valid_frac} and test_frac={test_frac} must be in (0, 1) and sum "
            "to less than 1"
        )


def split_by_time(times: pd.Series, valid_frac: float = 0.15, test_frac: float = 0.15) -> Split:
    """Oldest rows train, newer rows validate, the newest rows test.

    Cut points are the time quantiles; rows sharing a timestamp with a cut go to the newer
    slice, so every validation row is at least as new as every training row, and every test
    row strictly newer than every validation row. ``valid_frac`` (validation and
    calibration) and ``test_frac`` are approximate; ``times`` may hold no missing value.
    """
    _check_fracs(valid_frac, test_frac)
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ValueError(f"times has a missing value at position {row}; cannot split by time")
    ordered = np.sort(times.to_numpy())
    n = len(ordered)
    valid_start = ordered[int(n * (1 - valid_frac - test_frac))]
    test_start = ordered[int(n * (1 - test_frac))]
    values = times.to_numpy()
    test = np.flatnonzero(values >= test_start)
    valid = np.flatnonzero((values >= valid_start) & (values < test_start))
    train = np.flatnonzero(values < valid_start)
    if min(len(train), len(valid), len(test)) == 0:
        raise ValueError(
            "a time split slice is empty (too few distinct timestamps); use more data or "
            "split_random_stratified"
        )
    return Split(train, valid, test)


def split_random_stratified(
    y: np.ndarray, valid_frac: float = 0.2, test_frac: float = 0.2, seed: int = 0
) -> Split:
    """Random split keeping the conversion rate equal across slices (data without time).

    Two calls of scikit-learn's ``train_test_split(stratify=...)``: the test slice first,
    then validation (and calibration) out of the rest. Positions are sorted ascending
    within each slice.
    """
    _check_fracs(valid_frac, test_frac)
    y = np.asarray(y)
    rest, test = train_test_split(
        np.arange(len(y)), test_size=test_frac, stratify=y, random_state=seed
    )
    train, valid = train_test_split(
        rest, test_size=valid_frac / (1 - test_frac), stratify=y[rest], random_state=seed
    )
    return Split(np.sort(train), np.sort(valid), np.sort(test))


def stratified_halves(y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions split into two halves with the same class balance (seeded), each sorted."""
    first, second = train_test_split(
        np.arange(len(y)), test_size=0.5, stratify=y, random_state=seed
    )
    return np.sort(first), np.sort(second)
