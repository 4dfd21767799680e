"""Allocation advice for the scorer's large, short-lived arrays.

NumPy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every large
array. Where the kernel answers such a request by compacting memory on the spot (THP
``defrag`` = ``madvise``, a common default), a long-running process whose memory is
fragmented stalls on each new huge page. Measured on the 2-core benchmark machine, rules
at 1M contacts: assembling the 17M-row breakdown took 1.6-1.8 s with the advice and 0.46 s
without, with the same result. :func:`small_pages` turns the advice off around such
allocations and restores it after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np


def _setter() -> Callable[[bool], bool] | None:
    # private but stable since NumPy 1.20 (``np.core`` before 2.0); absent: do nothing
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter: Callable[[bool], bool] | None = getattr(
        getattr(core, "multiarray", None), "_set_madvise_hugepage", None
    )
    return setter


@contextmanager
def small_pages() -> Iterator[None]:
    """Allocate NumPy arrays without asking for huge pages inside the block.

    The switch is process-wide; the previous setting comes back on exit, also on errors.
    """
    setter = _setter()
    if setter is None:
        yield
        return
    previous = setter(False)
    try:
        yield
    finally:
        setter(previous)
