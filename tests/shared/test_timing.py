"""shared.timing: the timer, the benchmark's statistics and the formatting helpers."""
import time

import numpy as np
import pytest
import torch

from shared import timing


def test_timer_measures_a_known_sleep():
    with timing.Timer() as t:
        time.sleep(0.02)
    assert 0.018 <= t.elapsed < 0.5


def test_benchmark_runs_warmup_then_repeat_calls():
    calls = []
    result = timing.benchmark(lambda: calls.append(1), warmup=2, repeat=5)
    assert len(calls) == 7 and result.repeat == 5 and result.warmup == 2


def test_benchmark_statistics_are_ordered_and_match_numpy():
    result = timing.benchmark(lambda: sum(range(2000)), warmup=1, repeat=25)
    s = result.summary()
    assert s["min"] <= s["median"] <= s["p90"] <= s["p99"] <= s["max"]
    for q, value in ((50, result.median), (90, result.p90), (99, result.p99)):
        assert value == pytest.approx(float(np.percentile(result.times, q)))


def test_benchmark_rejects_zero_repeats():
    with pytest.raises(ValueError):
        timing.benchmark(lambda: None, repeat=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device to check synchronisation")
def test_timer_waits_for_cuda_kernels():
    x = torch.randn(2048, 2048, device="cuda")
    x @ x  # warm up cuBLAS
    with timing.Timer("cuda") as synced:
        for _ in range(10):
            x @ x
    assert synced.elapsed > 1e-4, "ten 2048^3 matmuls cannot finish in 0.1 ms: the timer did not synchronise"


def test_throughput_and_formatting():
    assert timing.throughput(1000, 2.0) == 500.0
    assert timing.throughput(1, 0) == float("inf")
    assert timing.gflops(4e9, 2.0) == 2.0
    assert timing.format_seconds(1.5) == "1.50 s"
    assert timing.format_seconds(0.0042) == "4.20 ms"
    assert timing.format_seconds(3e-6) == "3.00 µs"
    assert timing.format_rate(12_300, "img") == "12.3 kimg/s"
