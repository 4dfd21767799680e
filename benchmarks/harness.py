"""Shared timing and memory measurement for the benchmark suite.

Every benchmark measures *ours* against a *reference* implementation in the same process,
on the same data, and reports the ratio reference/ours (higher is better). Data generation
is never timed. A benchmark module ``benchmarks/bench_<name>.py`` exposes::

    SIZES = {"quick": [...], "full": [...]}      # sizes (e.g. number of contacts)

    def bench(size: int, repeats: int) -> list[BenchResult]: ...

and uses :func:`measure` for both sides.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import psutil


@dataclass(frozen=True)
class Timing:
    """Median wall-clock seconds over ``repeats`` runs and the peak RSS seen meanwhile."""

    median_s: float
    runs_s: tuple[float, ...]
    peak_rss_mb: float
    result: Any = None


@dataclass(frozen=True)
class BenchResult:
    """One row of ``benchmarks/results.json``."""

    name: str
    size: int
    ours_s: float
    ref_s: float | None
    peak_mem_mb: float
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """reference seconds / our seconds: > 1 means we are faster."""
        if self.ref_s is None or self.ours_s <= 0:
            return None
        return self.ref_s / self.ours_s

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["ratio"] = self.ratio
        return row


class _PeakRss:
    """Samples this process's resident set size every few milliseconds in a thread."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self._proc = psutil.Process()
        self._interval = interval_s
        self._stop = threading.Event()
        self.peak = self._proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(self._interval)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def measure(fn: Callable[[], Any], repeats: int = 3) -> Timing:
    """Run ``fn`` ``repeats`` times; return the median seconds, peak RSS and last result."""
    runs: list[float] = []
    result: Any = None
    with _PeakRss() as rss:
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            result = fn()
            runs.append(time.perf_counter() - start)
    return Timing(statistics.median(runs), tuple(runs), rss.peak / 2**20, result)
