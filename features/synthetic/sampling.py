"""Small vectorised helpers shared by the generator modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class ParallelArrays:
    """A dataclass of parallel arrays, one entry per row: its length is the first field's."""

    def __len__(self) -> int:
        return len(next(iter(vars(self).values())))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise."""
    return 1.0 / (1.0 + np.exp(-x))


def draw_index(
    rng: np.random.Generator, weights: Sequence[float] | np.ndarray, size: int
) -> np.ndarray:
    """``size`` indices into ``weights``, each drawn with probability proportional to it."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int32)


def pick_within(
    rng: np.random.Generator,
    group: np.ndarray,
    group_of_item: Sequence[str] | np.ndarray,
    groups: Sequence[str],
) -> np.ndarray:
    """For each entry of ``group`` (an index into ``groups``), a uniform item of that group.

    Args:
        group: Group index per row.
        group_of_item: Group name of every item, e.g. the page category of every URL.
        groups: Group names in index order.

    Returns:
        Item index per row (-1 where a group has no item).
    """
    labels = np.asarray(group_of_item)
    order = np.concatenate([np.flatnonzero(labels == g) for g in groups]).astype(np.int32)
    sizes = np.array([(labels == g).sum() for g in groups])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    size = sizes[group]
    pos = offsets[group] + np.floor(rng.random(len(group)) * np.maximum(size, 1)).astype(np.int64)
    out = order[np.minimum(pos, len(order) - 1)]
    return np.where(size > 0, out, -1).astype(np.int32)


def ragged_repeat(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row owner and rank within owner for ``counts[i]`` rows per owner ``i``.

    Returns:
        ``(owner, rank)``: ``owner`` repeats ``i`` ``counts[i]`` times; ``rank`` counts
        0, 1, ... within each owner.
    """
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    starts = np.cumsum(counts) - counts
    rank = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return owner, rank


def first_time_per_owner(owner: np.ndarray, t: np.ndarray, n: int, fill: int) -> np.ndarray:
    """Earliest ``t`` per owner (``fill`` where an owner has none)."""
    out = np.full(n, fill, dtype=np.int64)
    np.minimum.at(out, owner, t)
    return out
