"""Timing figures with the standard library only: ``time.perf_counter`` and ``statistics``."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (0 < q < 1) of the values, interpolated (``statistics.quantiles``, inclusive)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(q * 100) - 1]


@dataclass
class Sample:
    """Durations of one measured thing, in milliseconds."""

    name: str
    values_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # CPU time of the whole process (all threads)

    def add(self, milliseconds: float) -> None:
        self.values_ms.append(milliseconds)

    def time(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` once; record its wall time and the process CPU time it used.

        Wall time is the figure; CPU time shows how much of it was this process working rather than
        waiting for a core that other work on the machine had (only meaningful single-threaded).
        """
        cpu_started = time.process_time()
        started = time.perf_counter()
        result = fn()
        self.add((time.perf_counter() - started) * 1000)
        self.cpu_ms.append((time.process_time() - cpu_started) * 1000)
        return result

    @property
    def cpu_p50(self) -> float:
        return quantile(self.cpu_ms, 0.50)

    @property
    def cpu_p95(self) -> float:
        return quantile(self.cpu_ms, 0.95)

    @property
    def n(self) -> int:
        return len(self.values_ms)

    @property
    def p50(self) -> float:
        return quantile(self.values_ms, 0.50)

    @property
    def p95(self) -> float:
        return quantile(self.values_ms, 0.95)

    @property
    def max(self) -> float:
        return max(self.values_ms) if self.values_ms else float("nan")

    @property
    def min(self) -> float:
        return min(self.values_ms) if self.values_ms else float("nan")

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values_ms) if self.values_ms else float("nan")
