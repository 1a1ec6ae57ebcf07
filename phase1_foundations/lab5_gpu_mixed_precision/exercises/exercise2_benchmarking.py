# Exercise stub generated from solution/exercise2_benchmarking.py by `make stubs` [fingerprint 6d52f5b14adb]
"""Exercise 2: benchmarking honestly, and the roofline.

A measurement you can trust needs four things: warm-up calls (the first call pays for memory
allocation, kernel selection, caches, lazy initialisation), synchronisation (a CUDA call returns
as soon as the work is *queued*; reading the clock then times the queueing), repeats (one run is
one sample of a noisy quantity) and a robust summary (the median).

The roofline model then says what the measurement should be compared with. A kernel doing
``F`` floating-point operations while moving ``B`` bytes to and from memory has arithmetic
intensity ``I = F / B`` (FLOP per byte). On a machine with peak compute ``P`` (FLOP/s) and memory
bandwidth ``W`` (byte/s) it can run at most ``min(P, I * W)`` FLOP/s: below the ridge point
``I* = P / W`` it is memory-bound, above it compute-bound.

Run the checks with:  make test-lab LAB=phase1_foundations/lab5_gpu_mixed_precision EX=2
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import torch


def time_fn(
    fn: Callable[[], Any], warmup: int = 3, repeat: int = 10, sync: Callable[[], None] | None = None
) -> list[float]:
    """Seconds taken by each of ``repeat`` timed calls of ``fn()``, after ``warmup`` untimed calls.

    ``sync()`` waits until the device has finished all queued work; it must be called right before
    each timed call starts the clock and right after the call returns, before the clock is read
    again. ``sync=None`` means: synchronise CUDA if this process has initialised it, else do
    nothing. Returns a list of ``repeat`` floats (seconds), in call order.
    """
    # TODO: warm-up calls are not timed; each timed call is measured on its own with time.perf_counter.
    # TODO: work queued before the clock starts must not be counted, work queued by fn must be: where
    # TODO: does sync() go? The default sync touches CUDA only if this process already initialised it.
    raise NotImplementedError("Exercise 2.1: implement time_fn")


def matmul_flops(m: int, k: int, n: int) -> int:
    """Floating-point operations of one (m, k) @ (k, n) matrix product, counting a multiply-add as 2."""
    # TODO: count the output elements and the multiply-adds each one needs; a multiply-add counts
    # TODO: as 2 FLOPs (the convention, though a dot product strictly has one add fewer).
    raise NotImplementedError("Exercise 2.2: implement matmul_flops")


def matmul_intensity(m: int, k: int, n: int, bytes_per_element: int) -> float:
    """Arithmetic intensity (FLOP per byte) of (m, k) @ (k, n), assuming each operand is read once
    from memory and the (m, n) result written once, every element ``bytes_per_element`` bytes."""
    # TODO: FLOPs (reuse matmul_flops) per byte moved, where both operands are read once and the
    # TODO: result written once.
    raise NotImplementedError("Exercise 2.3: implement matmul_intensity")


def roofline(intensity: float, peak_flops: float, bandwidth: float) -> tuple[float, str]:
    """Attainable FLOP/s at arithmetic ``intensity`` (FLOP/byte) on a machine with ``peak_flops``
    (FLOP/s) and memory ``bandwidth`` (byte/s), and the bound: ``"memory"`` below the ridge point,
    ``"compute"`` at or above it. All inputs must be positive (ValueError otherwise)."""
    # TODO: two ceilings: the compute peak, and what the bandwidth can feed at this intensity; the
    # TODO: lower one wins. The ridge point, where they meet, names the bound (exactly at it: compute).
    # TODO: reject non-positive inputs.
    raise NotImplementedError("Exercise 2.4: implement roofline")


def simd_bits_from_flags(flags: Iterable[str]) -> int:
    """Widest floating-point SIMD register width in bits that a CPU's feature ``flags`` announce.

    Flags as in /proc/cpuinfo on x86 (``avx512f`` -> 512, ``avx`` or ``avx2`` -> 256, ``sse2`` -> 128)
    or on ARM (``asimd`` -> 128); 64 (scalar double) when none of these is present.
    """
    # TODO: turn flags into a set, then test from the widest to the narrowest.
    raise NotImplementedError("Exercise 2.5: implement simd_bits_from_flags")


def estimate_peak_flops(
    cores: int, clock_hz: float, simd_bits: int, fma_units_per_core: int = 2, dtype_bits: int = 32
) -> float:
    """Estimated peak FLOP/s of a CPU: every core issuing a fused multiply-add on every FMA unit,
    every lane of a ``simd_bits``-wide register, every cycle at ``clock_hz``. A value wider than the
    register (``dtype_bits > simd_bits``) still takes one lane: the estimate never drops to 0."""
    # TODO: multiply everything that happens in parallel per cycle: cores, FMA units, and the lanes of
    # TODO: one register (how many dtype_bits values fit in simd_bits, at least 1); an FMA is 2 FLOPs.
    raise NotImplementedError("Exercise 2.6: implement estimate_peak_flops")


def cuda_event_times(
    fn: Callable[[], Any], warmup: int = 3, repeat: int = 10, event: Callable[..., Any] | None = None
) -> list[float]:
    """Seconds taken on the GPU by each of ``repeat`` timed calls of ``fn()``, measured with CUDA events.

    A CUDA event is a marker placed in the device's queue: ``e.record()`` enqueues it, the GPU
    stamps the time when it reaches it, ``e.synchronize()`` waits until it has, and
    ``start.elapsed_time(end)`` is the device time between two completed events, in
    **milliseconds**. After ``warmup`` untimed calls, each timed call is bracketed by a start and an
    end event (``event(enable_timing=True)``; ``event=None`` means ``torch.cuda.Event``). Returns a
    list of ``repeat`` floats (seconds), in call order.
    """
    # TODO: warm-up calls are not timed. For each timed call: two events made with enable_timing=True,
    # TODO: record one before fn() and one after it (recording only queues a marker, like a kernel).
    # TODO: elapsed_time needs both events completed: which one do you wait for, and when?
    # TODO: mind the unit elapsed_time returns.
    raise NotImplementedError("Exercise 2.7: implement cuda_event_times")


def profile_top_ops(
    fn: Callable[[], Any],
    k: int = 5,
    warmup: int = 1,
    repeat: int = 1,
    trace_path: str | None = None,
    sort_by: str = "self_cpu",
) -> list[dict[str, Any]]:
    """Profile ``repeat`` calls of ``fn()`` with ``torch.profiler`` and return its ``k`` most expensive operators.

    ``warmup`` calls run first, outside the profiler. The profiler records CPU activity, and CUDA
    activity too when ``torch.cuda.is_available()``. Each returned row describes one operator
    (aggregated over its calls): ``{"name": "aten::mm", "calls": int, "self_cpu_us": float,
    "cpu_total_us": float, "self_device_us": float}``. *Self* time excludes the operators it
    called, *total* time includes them; ``self_device_us`` is 0.0 without a GPU. Rows are sorted by
    ``"self_cpu"`` or ``"self_device"`` time, largest first (any other ``sort_by``: ValueError).
    With a ``trace_path``, the Chrome trace (JSON with a ``traceEvents`` list, for chrome://tracing
    or https://ui.perfetto.dev) is written there.
    """
    # TODO: check sort_by first; run the warm-up calls before the profiler starts.
    # TODO: torch.profiler.profile(activities=[ProfilerActivity.CPU, plus CUDA when available]) as a
    # TODO: context manager around the repeated calls; prof.key_averages() aggregates per operator
    # TODO: (.key, .count, .self_cpu_time_total, .cpu_time_total, .self_device_time_total, in µs).
    # TODO: export_chrome_trace(path) writes the trace.
    raise NotImplementedError("Exercise 2.8: implement profile_top_ops")
