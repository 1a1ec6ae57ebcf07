"""Timing that tells the truth: synchronise the device, warm up, repeat, report percentiles.

CUDA kernels run asynchronously: ``time.perf_counter()`` around a CUDA call measures how long it
took to *queue* the work, not to do it. :func:`synchronize` waits for the device, and both
:class:`Timer` and :func:`benchmark` call it before reading the clock.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch


def synchronize(device: str | torch.device | None = None) -> None:
    """Wait until queued work on ``device`` has finished (no-op on the CPU).

    With ``device=None``, synchronise CUDA and MPS if they have been used in this process.
    """
    kind = torch.device(device).type if device is not None else None
    if kind in (None, "cuda") and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize(device if kind == "cuda" else None)
    mps = getattr(torch, "mps", None)
    if kind in (None, "mps") and mps is not None and torch.backends.mps.is_available():
        mps.synchronize()


class Timer:
    """Context manager measuring wall time in seconds, synchronising the device at both ends.

    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.elapsed >= 0
    True
    """

    def __init__(self, device: str | torch.device | None = None):
        self.device = device
        self.elapsed: float = float("nan")
        self._start = 0.0

    def __enter__(self) -> "Timer":
        synchronize(self.device)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        synchronize(self.device)
        self.elapsed = time.perf_counter() - self._start


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (same convention as ``numpy.percentile``'s default)."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass(frozen=True)
class BenchmarkResult:
    """Seconds per call over ``repeat`` timed calls (after ``warmup`` untimed ones)."""

    times: tuple[float, ...]
    warmup: int

    @property
    def repeat(self) -> int:
        return len(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def median(self) -> float:
        return _percentile(sorted(self.times), 50)

    @property
    def p90(self) -> float:
        return _percentile(sorted(self.times), 90)

    @property
    def p99(self) -> float:
        return _percentile(sorted(self.times), 99)

    def summary(self) -> dict[str, float]:
        return {"min": self.min, "median": self.median, "p90": self.p90, "p99": self.p99, "max": self.max}

    def __str__(self) -> str:
        return (
            f"median {format_seconds(self.median)} (min {format_seconds(self.min)}, "
            f"p90 {format_seconds(self.p90)}, max {format_seconds(self.max)}, n={self.repeat})"
        )


def benchmark(
    fn: Callable[[], Any],
    warmup: int = 3,
    repeat: int = 20,
    device: str | torch.device | None = None,
) -> BenchmarkResult:
    """Call ``fn()`` ``warmup`` times untimed, then time ``repeat`` calls one by one.

    Report the median, not the mean: a single descheduling or garbage collection inflates the
    mean, while the median is what a call typically costs. Look at p90/p99 for the tail.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        with Timer(device) as t:
            fn()
        times.append(t.elapsed)
    return BenchmarkResult(tuple(times), warmup)


def throughput(items: float, seconds: float) -> float:
    """Items per second; ``inf`` for a zero duration."""
    if seconds < 0:
        raise ValueError("seconds must be non-negative")
    return float("inf") if seconds == 0 else items / seconds


def gflops(flops: float, seconds: float) -> float:
    """Floating-point operations per second, in units of 1e9."""
    return throughput(flops, seconds) / 1e9


def format_seconds(seconds: float) -> str:
    """Human-readable duration: ``1.23 s``, ``4.56 ms``, ``7.89 µs``, ``12 ns``."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def format_rate(items_per_second: float, unit: str = "items") -> str:
    """``12.3 k items/s`` style."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if items_per_second >= scale:
            return f"{items_per_second / scale:.1f} {prefix}{unit}/s"
    return f"{items_per_second:.1f} {unit}/s"
