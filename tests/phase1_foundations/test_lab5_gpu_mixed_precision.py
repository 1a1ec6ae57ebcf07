"""Grader of lab 1.5 (devices, benchmarking, mixed precision, memory, torch.compile).

Every test names the behaviour it checks and compares your code with PyTorch's own machinery
wherever it exists (torch.finfo, torch.autocast, torch.amp.GradScaler, saved_tensors_hooks,
torch._dynamo.explain). Run it on your exercises with

    make test-lab LAB=phase1_foundations/lab5_gpu_mixed_precision          (EX=3 for exercise 3 only)

CUDA-only checks skip with their reason on a machine without a GPU and run where there is one.
"""
from __future__ import annotations

import collections
import copy
import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from shared.grading import Lab, close, forbid

lab = Lab("phase1_foundations/lab5_gpu_mixed_precision")

NEEDS_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU; this machine has none")


class FakeClock:
    """A clock that moves only when the test says so: ``time.perf_counter`` (and its relatives) read it.

    Measuring functions are graded with it: the test scripts how long each operation "takes", so
    the value a timer must report is known exactly (a median, not a mean; the copies, not the
    allocation; the device work, not the queueing).
    """

    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def install(self, monkeypatch: pytest.MonkeyPatch, *modules) -> None:
        fake = {"perf_counter": lambda: self.now, "monotonic": lambda: self.now, "time": lambda: self.now,
                "perf_counter_ns": lambda: int(self.now * 1e9), "monotonic_ns": lambda: int(self.now * 1e9)}
        for name, f in fake.items():
            monkeypatch.setattr(time, name, f)
            for mod in modules:  # `from time import perf_counter` in the learner's file
                if getattr(mod, name, None) is not None and getattr(mod, name) is not time:
                    monkeypatch.setattr(mod, name, f)


def scripted_copies(clock: FakeClock, copy_seconds: list[float], alloc_seconds: float):
    """A dispatch mode under which every tensor copy (aten.copy_, whatever Python path led there) takes
    the next of ``copy_seconds`` on ``clock`` (the last value repeats), and every allocation
    ``alloc_seconds``. Returns (mode, log of "copy"/"alloc" events)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    log: list[str] = []
    allocs = {"empty", "empty_like", "empty_strided", "zeros", "zeros_like", "ones", "ones_like", "full",
              "full_like", "_to_copy", "clone", "new_empty", "new_zeros", "randint", "rand", "randn"}

    class Mode(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            name = func.overloadpacket.__name__
            if name == "copy_":
                n = sum(e == "copy" for e in log)
                clock.advance(copy_seconds[min(n, len(copy_seconds) - 1)])
                log.append("copy")
            elif name in allocs:
                clock.advance(alloc_seconds)
                log.append("alloc")
            return func(*args, **(kwargs or {}))

    return Mode(), log


class ScriptedGPU:
    """A fake GPU for grading CUDA-event timers: ``launch(seconds)`` queues work and returns at once;
    ``Event(enable_timing=True)`` makes events whose ``record()`` queues a marker. The queue runs (and
    its clock moves) only when an event is synchronised; ``elapsed_time`` between two completed
    events is in milliseconds and raises, as CUDA does, when an event has not completed."""

    hint = ("elapsed_time needs both events completed: record the end event after fn(), then end.synchronize() "
            "before reading it, and make the events with enable_timing=True")

    def __init__(self) -> None:
        self.queue: list = []
        self.clock = 0.0
        self.waited = False
        gpu = self

        class Event:
            def __init__(self, enable_timing: bool = False, **kwargs) -> None:
                self.timing, self.stamp = enable_timing, None

            def record(self, stream=None) -> None:
                self.stamp = None
                gpu.queue.append(self)

            def synchronize(self) -> None:
                gpu.waited = True
                while self in gpu.queue:
                    item = gpu.queue.pop(0)
                    if isinstance(item, float):
                        gpu.clock += item
                    else:
                        item.stamp = gpu.clock

            def query(self) -> bool:
                return self not in gpu.queue

            def elapsed_time(self, end) -> float:
                if not (self.timing and end.timing):
                    raise RuntimeError("Both events must be created with enable_timing=True")
                if self.stamp is None or end.stamp is None:
                    raise RuntimeError("elapsed_time on an event that has not completed (the GPU has not reached it)")
                return (end.stamp - self.stamp) * 1e3

        self.Event = Event

    def launch(self, seconds: float) -> None:
        self.queue.append(float(seconds))


# ---------------------------------------------------------------------------------------------
# Exercise 1: devices and transfers
# ---------------------------------------------------------------------------------------------

Pair = collections.namedtuple("Pair", ["inputs", "target"])


def nested_batch() -> dict:
    return {
        "x": torch.randn(2, 3),
        "ids": torch.arange(4),
        "pairs": [(torch.ones(2, dtype=torch.float16), "label"), Pair(torch.zeros(1), torch.tensor(True))],
        "meta": {"n": 3, "name": "batch", "none": None, "arr": np.zeros(2)},
        "empty": (),
    }


@pytest.mark.exercise(1)
class TestDevices:
    def test_to_device_moves_every_tensor_and_keeps_container_types(self):
        ex = lab.exercise(1)
        batch = nested_batch()
        # The "meta" device exists on every machine: a tensor there has a shape and dtype but no data.
        got = ex.to_device(batch, "meta")
        assert isinstance(got, dict) and list(got) == list(batch), (
            f"to_device(dict, 'meta') returned {type(got).__name__} with keys {list(got) if isinstance(got, dict) else '-'}; "
            f"expected a dict with keys {list(batch)} in that order"
        )
        assert got["x"].device.type == "meta" and got["x"].shape == (2, 3), f"batch['x'] came back as {got['x']!r}; expected a (2, 3) tensor on meta"
        assert got["ids"].device.type == "meta" and got["ids"].dtype == torch.int64, f"batch['ids'] came back as {got['ids']!r}"
        pairs = got["pairs"]
        assert isinstance(pairs, list), f"batch['pairs'] is a list; it came back as {type(pairs).__name__}"
        assert type(pairs[0]) is tuple and pairs[0][0].device.type == "meta" and pairs[0][0].dtype == torch.float16 and pairs[0][1] == "label", (
            f"batch['pairs'][0] = (float16 tensor, 'label') came back as {pairs[0]!r}; expected a tuple with the tensor on meta, still float16"
        )
        assert type(pairs[1]) is Pair, f"a named tuple Pair came back as {type(pairs[1]).__name__}; it must keep its class"
        assert pairs[1].inputs.device.type == "meta" and pairs[1].target.device.type == "meta", f"the tensors inside the Pair were not moved: {pairs[1]!r}"
        meta = got["meta"]
        assert meta["n"] == 3 and meta["name"] == "batch" and meta["none"] is None and meta["arr"] is batch["meta"]["arr"], (
            f"non-tensor leaves must come back unchanged; batch['meta'] came back as {meta!r}"
        )
        assert got["empty"] == () and type(got["empty"]) is tuple, f"an empty tuple came back as {got['empty']!r}"
        originals = [batch["x"], batch["ids"], batch["pairs"][0][0], batch["pairs"][1].inputs, batch["pairs"][1].target]
        assert all(t.device.type == "cpu" for t in originals) and isinstance(batch["pairs"][1], Pair), (
            "to_device changed the structure it was given (a tensor inside it is no longer the CPU original); it must build "
            "a new structure and leave the input as it was"
        )

    def test_to_device_same_device_and_plain_tensor(self):
        ex = lab.exercise(1)
        t = torch.randn(3)
        got = ex.to_device(t, "cpu")
        assert isinstance(got, torch.Tensor) and torch.equal(got, t), f"to_device(tensor, 'cpu') returned {got!r}; expected the same values"
        lst = ex.to_device([t, [t]], torch.device("meta"))
        assert isinstance(lst[1], list) and lst[1][0].device.type == "meta", f"to_device([t, [t]], meta) returned {lst!r}"

    def test_tree_nbytes_counts_every_tensor(self):
        ex = lab.exercise(1)
        batch = nested_batch()
        expected = 2 * 3 * 4 + 4 * 8 + 2 * 2 + 1 * 4 + 1 * 1
        got = ex.tree_nbytes(batch)
        assert got == expected, f"tree_nbytes(nested batch) returned {got}; expected {expected} (float32 2x3 + int64 4 + float16 2 + float32 1 + bool 1)"
        assert ex.tree_nbytes({"a": 1, "b": [None, "x"]}) == 0, "a structure without tensors holds 0 tensor bytes"

    def test_to_device_keeps_dict_subclasses_and_leaves_the_input_alone(self):
        ex = lab.exercise(1)
        od = collections.OrderedDict([("b", torch.ones(2)), ("a", [torch.zeros(1)])])
        got = ex.to_device(od, "meta")
        assert type(got) is collections.OrderedDict and list(got) == ["b", "a"], (
            f"to_device(OrderedDict) returned a {type(got).__name__} with keys {list(got)}; a dict subclass must keep its type "
            f"(rebuild with type(obj)(...), not a dict literal) and its key order"
        )
        assert got["b"].device.type == "meta" and got["a"][0].device.type == "meta", f"the tensors inside the OrderedDict were not moved: {got!r}"
        assert got is not od and od["b"].device.type == "cpu" and od["a"][0].device.type == "cpu", (
            "to_device changed the structure it was given; it must build a new one and leave the input as it was"
        )

    def test_to_device_passes_non_blocking_to_every_move(self):
        ex = lab.exercise(1)
        seen: list[bool] = []
        original = torch.Tensor.to

        def spy(self, *args, **kwargs):
            seen.append(bool(kwargs.get("non_blocking", False)) or any(a is True for a in args))
            return original(self, *args, **kwargs)

        batch = {"x": torch.randn(2), "pairs": [(torch.ones(1), 3)]}
        torch.Tensor.to = spy
        try:
            ex.to_device(batch, "meta", non_blocking=True)
            with_flag = list(seen)
            seen.clear()
            ex.to_device(batch, "meta")
            without_flag = list(seen)
        finally:
            del torch.Tensor.to  # the original lives on torch's C base class
        assert len(with_flag) == 2 and all(with_flag), (
            f"to_device(batch of 2 tensors, 'meta', non_blocking=True) called Tensor.to {len(with_flag)} time(s) with "
            f"non_blocking={with_flag}; every tensor's move must get non_blocking=True (it lets a pinned copy overlap compute)"
        )
        assert not any(without_flag), f"to_device(batch) without non_blocking moved tensors with non_blocking={without_flag}; the default is False"

    def test_tree_nbytes_counts_the_elements_of_views_not_their_storage(self):
        ex = lab.exercise(1)
        big = torch.zeros(1000)
        views = [big[:10], big[::100], torch.zeros(3, 4).t(), torch.zeros(()).expand(5), torch.empty(0, 7)]
        got = ex.tree_nbytes(views)
        want = 10 * 4 + 10 * 4 + 12 * 4 + 5 * 4 + 0
        assert got == want, (
            f"tree_nbytes([big[:10], big[::100], a transposed 3x4, a 0-d tensor expanded to 5, an empty (0, 7)]) returned {got}; "
            f"expected {want}: a tensor counts numel * element_size (what a copy transfers), not the storage it is a view of"
        )

    def test_bandwidth_contract_on_cpu(self):
        ex = lab.exercise(1)
        res = ex.host_to_device_bandwidth(1 << 20, "cpu", pinned=False, repeat=3)
        assert set(res) >= {"nbytes", "seconds", "gb_per_s"}, f"host_to_device_bandwidth returned keys {sorted(res)}; expected nbytes, seconds, gb_per_s"
        assert res["nbytes"] == 1 << 20, f"nbytes came back as {res['nbytes']}; expected {1 << 20}"
        assert 0 < res["seconds"] < 1.0, f"copying 1 MiB in host memory took {res['seconds']} s per copy?"
        assert math.isclose(res["gb_per_s"], (1 << 20) / res["seconds"] / 1e9, rel_tol=1e-6), (
            f"gb_per_s = {res['gb_per_s']} is not nbytes / seconds / 1e9 = {(1 << 20) / res['seconds'] / 1e9}"
        )

    def test_bandwidth_reports_the_median_of_the_timed_copies_only(self, monkeypatch):
        ex = lab.exercise(1)
        clock = FakeClock()
        clock.install(monkeypatch, ex)
        # A scripted machine: the warm-up copy takes 500 s, the timed copies 2, 3, 4, 100 and 1 s,
        # and every allocation 7 s. Only the copies may be timed, the warm-up not, and the summary
        # is their median, 3 s (the mean would be 22; timing the warm-up instead of the last copy
        # gives 4; allocating inside the timed interval adds 7).
        mode, log = scripted_copies(clock, [500.0, 2.0, 3.0, 4.0, 100.0, 1.0], alloc_seconds=7.0)
        with mode:
            res = ex.host_to_device_bandwidth(4096, "cpu", pinned=False, repeat=5)
        copies = log.count("copy")
        assert copies == 6, (
            f"host_to_device_bandwidth(repeat=5) made {copies} copies; expected 1 untimed warm-up copy and 5 timed ones "
            f"(allocate both buffers once, then copy_ into the destination)"
        )
        assert res["seconds"] == 3.0, (
            f"on a scripted machine (warm-up copy 500 s, timed copies 2, 3, 4, 100, 1 s, allocations 7 s) seconds came back "
            f"as {res['seconds']}; expected 3.0, the median of the timed copies (22.0 is the mean; 4.0 means the warm-up was "
            f"timed; +7 means an allocation was inside the timed interval)"
        )
        assert res["gb_per_s"] == 4096 / 3.0 / 1e9, f"gb_per_s = {res['gb_per_s']}; expected nbytes / median seconds / 1e9 = {4096 / 3.0 / 1e9}"

    def test_bandwidth_rejects_bad_arguments(self):
        ex = lab.exercise(1)
        with pytest.raises(ValueError):
            ex.host_to_device_bandwidth(0, "cpu", pinned=False)
        with pytest.raises(ValueError):
            ex.host_to_device_bandwidth(1024, "cpu", pinned=False, repeat=0)
        if not torch.cuda.is_available():
            with pytest.raises(ValueError, match="(?i)cuda"):
                ex.host_to_device_bandwidth(1024, "cpu", pinned=True)

    @NEEDS_CUDA
    @pytest.mark.gpu
    def test_pinned_copies_are_faster_than_pageable_on_cuda(self):
        ex = lab.exercise(1)
        pageable = ex.host_to_device_bandwidth(64 << 20, "cuda", pinned=False, repeat=5)
        pinned = ex.host_to_device_bandwidth(64 << 20, "cuda", pinned=True, repeat=5)
        assert pinned["gb_per_s"] > pageable["gb_per_s"], (
            f"64 MiB host-to-device: pinned {pinned['gb_per_s']:.1f} GB/s is not faster than pageable {pageable['gb_per_s']:.1f} GB/s"
        )

    @NEEDS_CUDA
    @pytest.mark.gpu
    def test_to_device_cuda_non_blocking(self):
        ex = lab.exercise(1)
        got = ex.to_device({"a": torch.randn(4).pin_memory()}, "cuda", non_blocking=True)
        assert got["a"].is_cuda, f"to_device(..., 'cuda') left the tensor on {got['a'].device}"


# ---------------------------------------------------------------------------------------------
# Exercise 2: benchmarking and the roofline
# ---------------------------------------------------------------------------------------------


@pytest.mark.exercise(2)
class TestBenchmarking:
    def test_time_fn_warms_up_and_synchronises_around_each_timed_call(self):
        ex = lab.exercise(2)
        log: list[str] = []
        times = ex.time_fn(lambda: log.append("fn"), warmup=2, repeat=3, sync=lambda: log.append("sync"))
        assert isinstance(times, list) and len(times) == 3, f"time_fn(warmup=2, repeat=3) returned {times!r}; expected a list of 3 floats"
        calls = [i for i, e in enumerate(log) if e == "fn"]
        assert len(calls) == 5, f"fn was called {len(calls)} times; expected 2 warm-up + 3 timed = 5"
        for i in calls[2:]:
            assert i > 0 and log[i - 1] == "sync" and i + 1 < len(log) and log[i + 1] == "sync", (
                f"each timed call must be preceded and followed by sync(); the call order was {log}"
            )

    def test_time_fn_measures_the_device_work_not_the_queueing(self):
        ex = lab.exercise(2)
        # A fake asynchronous device: fn returns at once, the work finishes only when sync() waits.
        pending = []
        times = ex.time_fn(lambda: pending.append(0.01), warmup=1, repeat=3,
                           sync=lambda: (time.sleep(sum(pending)), pending.clear()))
        assert all(t >= 0.009 for t in times), (
            f"fn queues 10 ms of device work that sync() waits for; time_fn reported {times} s: the clock was read before synchronising"
        )
        times = ex.time_fn(lambda: time.sleep(0.002), warmup=0, repeat=3)
        assert all(0.0019 <= t < 0.2 for t in times), f"time_fn(sleep 2 ms) reported {times}"

    def test_time_fn_times_exactly_each_call_on_a_scripted_device(self, monkeypatch):
        ex = lab.exercise(2)
        clock = FakeClock()
        clock.install(monkeypatch, ex)
        # A fake asynchronous device on a fake clock: fn queues work and returns at once, sync() runs the
        # queue (the clock advances by the queued seconds). Warm-up calls queue 1000 s each, the timed
        # calls 5, 1, 3 and 2 s; the times must be exactly those, in call order.
        queued: list[float] = []
        script = iter([1000.0, 1000.0, 5.0, 1.0, 3.0, 2.0])

        def fn() -> None:
            queued.append(next(script))

        def sync() -> None:
            clock.advance(sum(queued))
            queued.clear()

        times = ex.time_fn(fn, warmup=2, repeat=4, sync=sync)
        assert [float(t) for t in times] == [5.0, 1.0, 3.0, 2.0], (
            f"on a scripted device (warm-up calls queue 1000 s of work each, the 4 timed calls 5, 1, 3, 2 s) time_fn "
            f"returned {times}; expected [5.0, 1.0, 3.0, 2.0]. Work queued before a timed call must be waited for before the "
            f"clock starts (sync, then read the clock), the call's own work after it (sync, then read the clock again), "
            f"and each call is timed on its own"
        )
        # A synchronous fn whose own duration is the whole story; sync() has nothing to wait for.
        durations = iter([0.5, 0.25, 4.0])
        times = ex.time_fn(lambda: clock.advance(next(durations)), warmup=0, repeat=3, sync=lambda: None)
        assert [float(t) for t in times] == [0.5, 0.25, 4.0], f"timed calls that take 0.5, 0.25 and 4 s were reported as {times}"

    def test_flops_and_intensity(self):
        ex = lab.exercise(2)
        for m, k, n in [(1, 1, 1), (64, 32, 16), (7, 300, 5)]:
            assert ex.matmul_flops(m, k, n) == 2 * m * k * n, f"matmul_flops({m}, {k}, {n}) returned {ex.matmul_flops(m, k, n)}; expected {2 * m * k * n}"
        got = ex.matmul_intensity(1024, 1024, 1024, 4)
        want = 2 * 1024**3 / (4 * 3 * 1024**2)
        assert math.isclose(got, want, rel_tol=1e-9), f"matmul_intensity(1024, 1024, 1024, 4 bytes) returned {got}; expected {want:.4f} FLOP/byte"
        got = ex.matmul_intensity(4096, 4096, 1, 2)  # matrix-vector: about 1 FLOP per byte in fp16
        want = 2 * 4096 * 4096 / (2 * (4096 * 4096 + 4096 + 4096))
        assert math.isclose(got, want, rel_tol=1e-9), f"matmul_intensity(4096, 4096, 1, 2) returned {got}; expected {want:.4f}"

    def test_roofline_classifies_both_sides_of_the_ridge(self):
        ex = lab.exercise(2)
        peak, bw = 1e12, 1e11  # ridge at 10 FLOP/byte
        for intensity, want in [(0.5, (5e10, "memory")), (9.99, (9.99e11, "memory")), (10.0, (1e12, "compute")), (100.0, (1e12, "compute"))]:
            got = ex.roofline(intensity, peak, bw)
            assert got[1] == want[1] and math.isclose(got[0], want[0], rel_tol=1e-9), (
                f"roofline({intensity}, peak 1e12, bandwidth 1e11) returned {got}; expected {want}"
            )
        for bad in [(0.0, peak, bw), (-1.0, peak, bw), (1.0, 0.0, bw), (1.0, peak, -5.0)]:
            with pytest.raises(ValueError):
                ex.roofline(*bad)
                pytest.fail(f"roofline{bad} returned instead of raising ValueError: intensity, peak and bandwidth must all be positive")

    def test_peak_estimate_from_cpu_flags(self):
        ex = lab.exercise(2)
        cases = [(["fpu", "sse2", "avx", "avx2", "fma", "avx512f"], 512), (["sse2", "avx2", "fma"], 256),
                 (["fpu", "sse", "sse2", "ssse3", "sse4_1", "sse4_2", "avx"], 256),  # Sandy Bridge: AVX without AVX2
                 (["fpu", "sse", "sse2"], 128), (["fp", "asimd"], 128), (["fpu"], 64), ([], 64)]
        for flags, want in cases:
            got = ex.simd_bits_from_flags(flags)
            assert got == want, f"simd_bits_from_flags({flags}) returned {got}; expected {want} (avx alone already means 256-bit registers)"
        got = ex.estimate_peak_flops(cores=2, clock_hz=2.5e9, simd_bits=512, fma_units_per_core=2)
        assert math.isclose(got, 2 * 2.5e9 * 2 * 16 * 2), f"estimate_peak_flops(2 cores, 2.5 GHz, 512-bit, 2 FMA units) returned {got}; expected 3.2e11"
        got = ex.estimate_peak_flops(cores=1, clock_hz=1e9, simd_bits=256, fma_units_per_core=1, dtype_bits=64)
        assert math.isclose(got, 8e9), f"estimate_peak_flops(1 core, 1 GHz, 256-bit, 1 FMA unit, float64) returned {got}; expected 8e9"
        got = ex.estimate_peak_flops(cores=1, clock_hz=1e9, simd_bits=64, fma_units_per_core=1, dtype_bits=128)
        assert math.isclose(got, 2e9), (
            f"estimate_peak_flops(1 core, 1 GHz, 64-bit registers, 1 FMA unit, 128-bit values) returned {got}; expected 2e9: "
            "a value wider than the register still takes one lane (at least 1), it does not make the machine do 0 FLOP/s"
        )

    # -- CUDA events, graded on a scripted device ------------------------------------------------

    def test_cuda_event_times_on_a_scripted_device(self):
        ex = lab.exercise(2)
        device = ScriptedGPU()
        # Warm-up calls queue 1000 s of GPU work each, the timed calls 5, 1 and 3 ms. Events stamp the
        # device clock when the GPU reaches them; elapsed_time is in milliseconds, as torch.cuda.Event's.
        script = iter([1000.0, 1000.0, 0.005, 0.001, 0.003])
        try:
            times = ex.cuda_event_times(lambda: device.launch(next(script)), warmup=2, repeat=3, event=device.Event)
        except RuntimeError as err:
            pytest.fail(f"cuda_event_times raised {err}: {device.hint}")
        assert isinstance(times, list) and len(times) == 3, f"cuda_event_times(warmup=2, repeat=3) returned {times!r}; expected a list of 3 floats"
        want = [0.005, 0.001, 0.003]
        assert all(math.isclose(float(t), w, rel_tol=1e-9) for t, w in zip(times, want)), (
            f"on a scripted GPU (warm-up calls 1000 s each, timed calls 5, 1, 3 ms) cuda_event_times returned {times}; "
            f"expected {want} seconds: one start and one end event around each timed call, none around the warm-up, and "
            f"elapsed_time's milliseconds converted to seconds"
        )
        assert device.waited, "cuda_event_times never waited for an event (end.synchronize()) before reading elapsed_time"

    @NEEDS_CUDA
    @pytest.mark.gpu
    def test_cuda_event_times_agree_with_a_synchronised_clock(self):
        ex = lab.exercise(2)
        a = torch.randn(2048, 2048, device="cuda")
        events = ex.cuda_event_times(lambda: a @ a, warmup=3, repeat=10)
        wall = lab.reference(2).time_fn(lambda: a @ a, warmup=3, repeat=10, sync=torch.cuda.synchronize)
        med_e, med_w = sorted(events)[5], sorted(wall)[5]
        assert all(t > 0 for t in events) and med_e < 3 * med_w and med_w < 3 * med_e, (
            f"a 2048^3 matmul: CUDA-event median {med_e * 1e3:.3f} ms, synchronised wall-clock median {med_w * 1e3:.3f} ms; "
            f"they should agree within a factor 3"
        )

    # -- torch.profiler ---------------------------------------------------------------------------

    def test_profile_top_ops_finds_the_matmul_and_writes_a_chrome_trace(self, tmp_path):
        ex = lab.exercise(2)
        a, b = torch.randn(256, 256), torch.randn(256, 256)
        trace = tmp_path / "trace.json"
        rows = ex.profile_top_ops(lambda: a @ b, k=3, warmup=1, repeat=4, trace_path=str(trace))
        assert isinstance(rows, list) and 1 <= len(rows) <= 3, f"profile_top_ops(k=3) returned {rows!r}; expected a list of at most 3 rows"
        keys = {"name", "calls", "self_cpu_us", "cpu_total_us", "self_device_us"}
        assert all(isinstance(r, dict) and set(r) >= keys for r in rows), f"each row needs the keys {sorted(keys)}; got {rows}"
        names = [r["name"] for r in rows]
        assert "aten::mm" in names, f"profiling a @ b, the top 3 operators by self CPU time were {names}; aten::mm does the work and must be among them"
        mm = rows[names.index("aten::mm")]
        assert mm["calls"] == 4, f"fn() was profiled repeat=4 times; aten::mm was counted {mm['calls']} time(s) (warm-up calls stay outside the profiler)"
        selfs = [r["self_cpu_us"] for r in rows]
        assert selfs == sorted(selfs, reverse=True) and rows[0]["name"] == "aten::mm", (
            f"rows must be sorted by self CPU time, largest first; got {[(r['name'], r['self_cpu_us'], r['cpu_total_us']) for r in rows]} "
            f"(aten::matmul only calls aten::mm: its total time is larger, its self time small)"
        )
        assert all(r["self_cpu_us"] <= r["cpu_total_us"] + 1e-6 for r in rows), f"self time can never exceed total time: {rows}"
        if not torch.cuda.is_available():
            assert all(r["self_device_us"] == 0.0 for r in rows), f"without a GPU self_device_us must be 0.0: {rows}"
        import json

        assert trace.exists(), f"profile_top_ops(trace_path={str(trace)!r}) wrote no file there"
        data = json.loads(trace.read_text())
        events = data.get("traceEvents") if isinstance(data, dict) else None
        assert isinstance(events, list) and any(e.get("name") == "aten::mm" for e in events), (
            "the trace file must be a Chrome trace: JSON with a 'traceEvents' list holding the aten::mm events (prof.export_chrome_trace)"
        )

    def test_profile_top_ops_leaves_the_warm_up_out(self):
        ex = lab.exercise(2)
        a = torch.randn(64, 64)
        calls = {"n": 0}

        def fn():  # the first call does one-off work (a cumulative sum), every call a matmul
            calls["n"] += 1
            if calls["n"] == 1:
                torch.cumsum(a, 0)
            return a @ a

        rows = ex.profile_top_ops(fn, k=50, warmup=1, repeat=2)
        names = [r["name"] for r in rows]
        assert calls["n"] == 3, f"profile_top_ops(warmup=1, repeat=2) called fn {calls['n']} times; expected 3"
        assert "aten::cumsum" not in names, (
            f"the one-off work of the first (warm-up) call shows up in the profile: {names}; run the warm-up before the profiler starts"
        )
        with pytest.raises(ValueError):
            ex.profile_top_ops(fn, sort_by="total")
            pytest.fail("profile_top_ops(sort_by='total') returned; only 'self_cpu' and 'self_device' are allowed")

    @NEEDS_CUDA
    @pytest.mark.gpu
    def test_profile_top_ops_reports_gpu_time_on_cuda(self):
        ex = lab.exercise(2)
        a = torch.randn(2048, 2048, device="cuda")
        rows = ex.profile_top_ops(lambda: a @ a, k=5, warmup=2, repeat=3, sort_by="self_device")
        assert rows and rows[0]["self_device_us"] > 0, f"profiling a CUDA matmul sorted by self device time gave {rows}; the top row must carry GPU time"


# ---------------------------------------------------------------------------------------------
# Exercise 3: mixed precision
# ---------------------------------------------------------------------------------------------

FORMATS = {torch.float16: (5, 10), torch.bfloat16: (8, 7), torch.float32: (8, 23), torch.float64: (11, 52),
           torch.float8_e5m2: (5, 2)}
INT_OF_SAME_WIDTH = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def smallest_subnormal(dtype: torch.dtype) -> float:
    """The value of the bit pattern 0...01 read as ``dtype``."""
    width = torch.finfo(dtype).bits // 8
    return torch.tensor([1], dtype=INT_OF_SAME_WIDTH[width]).view(dtype).double().item()


def tiny_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))


def compare_with_gradscaler(ex, pattern: list, settings: dict) -> None:
    """Drive the learner's DynamicLossScaler and torch.amp.GradScaler("cpu") through the same steps,
    with an inf or NaN written into one gradient where ``pattern`` says, and compare them."""
    runs = {}
    for name, make in [("yours", lambda: ex.DynamicLossScaler(**settings)), ("torch", lambda: torch.amp.GradScaler("cpu", **settings))]:
        torch.manual_seed(0)
        w = nn.Parameter(torch.randn(3))
        b = nn.Parameter(torch.randn(1))
        opt = torch.optim.SGD([w, b], lr=0.1)
        scaler = make()
        scales, moved, grads = [], [], []
        for bad in pattern:
            opt.zero_grad()
            scaler.scale((w * torch.arange(1.0, 4.0)).sum() + 3 * b.sum()).backward()
            if bad:
                w.grad[1] = float(bad)
            before = w.detach().clone()
            stepped = scaler.step(opt)
            scaler.update()
            scales.append(float(scaler.get_scale()))
            moved.append(not torch.equal(before, w.detach()))
            grads.append(b.grad.item())
            if name == "yours":
                assert stepped is moved[-1], (
                    f"DynamicLossScaler.step() returned {stepped!r} on a step where the optimizer {'did' if moved[-1] else 'did not'} "
                    f"step; it must return True when it stepped and False when it skipped (inf/NaN gradients)"
                )
        runs[name] = (scales, moved, w.detach().clone(), grads)
    (s1, m1, w1, g1), (s2, m2, w2, g2) = runs["yours"], runs["torch"]
    args = ", ".join(f"{k}={v}" for k, v in settings.items())
    assert m1 == m2, f"DynamicLossScaler({args}), steps taken (True) or skipped (False) on the pattern {pattern}: yours {m1}, GradScaler {m2}"
    assert s1 == s2, (
        f"DynamicLossScaler({args}), scale after each update() on the pattern {pattern}: yours {s1}, GradScaler {s2} "
        f"(back off by backoff_factor after an overflow and restart the count; grow by growth_factor after exactly "
        f"growth_interval clean steps in a row)"
    )
    assert g1 == g2, (
        f"DynamicLossScaler({args}), unscaled gradient of b (true value 3) after each step: yours {g1}, GradScaler {g2} "
        f"(every gradient is unscaled, also when another one overflowed)"
    )
    close(w1, w2, f"DynamicLossScaler({args}): final weights after the scripted pattern differ from GradScaler's")


@pytest.mark.exercise(3)
class TestMixedPrecision:
    def test_float_format_matches_torch_finfo(self):
        ex = lab.exercise(3)
        for dtype, (e, m) in FORMATS.items():
            with forbid("torch.finfo", why="Exercise 3.1 asks you to derive the facts from the bit layout"):
                got = ex.float_format(e, m)
            info = torch.finfo(dtype)
            want = {"bits": info.bits, "max": info.max, "smallest_normal": info.smallest_normal,
                    "smallest_subnormal": smallest_subnormal(dtype), "eps": info.eps}
            for key, value in want.items():
                assert key in got and math.isclose(got[key], value, rel_tol=1e-12), (
                    f"float_format({e}, {m}) [{dtype}] gave {key} = {got.get(key)!r}; torch says {value!r}"
                )

    def test_autocast_dtype(self):
        ex = lab.exercise(3)
        assert ex.autocast_dtype("cpu") == torch.bfloat16, f"autocast_dtype('cpu') returned {ex.autocast_dtype('cpu')}; expected bfloat16"
        with pytest.raises(ValueError):
            ex.autocast_dtype("tpu")
            pytest.fail("autocast_dtype('tpu') returned instead of raising ValueError")

    def test_float_format_finite_only_matches_float8_e4m3fn(self):
        ex = lab.exercise(3)
        with forbid("torch.finfo", why="Exercise 3.1 asks you to derive the facts from the bit layout"):
            fn = ex.float_format(4, 3, finite_only=True)
            ieee = ex.float_format(4, 3)
        info = torch.finfo(torch.float8_e4m3fn)
        want = {"bits": 8, "max": info.max, "smallest_normal": info.smallest_normal,
                "smallest_subnormal": smallest_subnormal(torch.float8_e4m3fn), "eps": info.eps}
        for key, value in want.items():
            assert key in fn and math.isclose(fn[key], value, rel_tol=1e-12), (
                f"float_format(4, 3, finite_only=True) [float8_e4m3fn] gave {key} = {fn.get(key)!r}; torch says {value!r} "
                f"(no infinities: the all-ones exponent holds numbers, only its all-ones mantissa is NaN)"
            )
        assert math.isclose(ieee["max"], 240.0), (
            f"float_format(4, 3) with the IEEE layout gave max {ieee.get('max')!r}; expected 240 (the all-ones exponent "
            f"reserved for inf/NaN): finite_only must change the result only when it is True"
        )

    def test_autocast_dtype_follows_the_gpus_bfloat16_support(self, monkeypatch):
        ex = lab.exercise(3)
        asked: list = []

        def ampere(*args, **kwargs):  # compute capability 8.0+: native bfloat16
            asked.append(kwargs.get("including_emulation", args[0] if args else True))
            return True

        def volta(including_emulation: bool = True):  # bfloat16 only emulated (slowly)
            asked.append(including_emulation)
            return including_emulation

        monkeypatch.setattr(torch.cuda, "is_bf16_supported", ampere)
        got = ex.autocast_dtype("cuda")
        assert got == torch.bfloat16, f"autocast_dtype('cuda') on a GPU with native bfloat16 returned {got}; expected torch.bfloat16 (no GradScaler needed)"
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", volta)
        got = ex.autocast_dtype("cuda")
        assert got == torch.float16, (
            f"autocast_dtype('cuda') on a GPU that only emulates bfloat16 returned {got}; expected torch.float16: ask "
            f"torch.cuda.is_bf16_supported(including_emulation=False) (emulated bfloat16 is slow)"
        )
        assert asked, "autocast_dtype('cuda') never asked torch.cuda.is_bf16_supported"
        for supported in (ampere, volta):
            monkeypatch.setattr(torch.cuda, "is_bf16_supported", supported)
            assert ex.autocast_dtype("cpu") == torch.bfloat16, f"autocast_dtype('cpu') returned {ex.autocast_dtype('cpu')}; CPU autocast uses bfloat16"

    def test_pad_to_multiple(self):
        ex = lab.exercise(3)
        for args, want in [((4095,), 4096), ((4096,), 4096), ((0,), 0), ((1,), 8), ((9,), 16), ((10, 4), 12), ((7, 1), 7), ((17, 16), 32)]:
            got = ex.pad_to_multiple(*args)
            assert got == want, f"pad_to_multiple{args} returned {got!r}; expected {want} (the smallest multiple that is at least n)"
        for bad in [(-1,), (8, 0), (8, -8)]:
            with pytest.raises(ValueError):
                ex.pad_to_multiple(*bad)
                pytest.fail(f"pad_to_multiple{bad} returned instead of raising ValueError")

    def test_tensor_core_friendly_uses_16_bytes_per_dimension(self):
        ex = lab.exercise(3)
        cases = [((4096, 4096, 4096, torch.float16), True), ((4095, 4096, 4096, torch.float16), False),
                 ((4096, 4095, 4096, torch.bfloat16), False), ((4096, 4096, 4095, torch.bfloat16), False),
                 ((12, 8, 4, torch.float32), True), ((12, 8, 4, torch.float16), False), ((6, 8, 8, torch.float32), False),
                 ((16, 32, 48, torch.int8), True), ((8, 16, 16, torch.int8), False), ((16, 16, 16, torch.float8_e4m3fn), True),
                 ((16, 24, 16, torch.float8_e5m2), False), ((2, 4, 6, torch.float64), True), ((3, 4, 6, torch.float64), False)]
        for (m, k, n, dtype), want in cases:
            got = ex.tensor_core_friendly(m, k, n, dtype)
            assert got is want or got == want, (
                f"tensor_core_friendly({m}, {k}, {n}, {dtype}) returned {got!r}; expected {want}: each of m, k, n must be a "
                f"multiple of 16 bytes of {dtype} ({16 // dtype.itemsize} elements)"
            )

    def test_autocast_train_step_matches_torch_autocast(self):
        ex = lab.exercise(3)
        model = tiny_model()
        ref = copy.deepcopy(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
        x, y = torch.randn(32, 8), torch.randn(32, 1)
        seen = []
        model[0].register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
        loss = ex.autocast_train_step(model, opt, x, y, F.mse_loss)
        assert seen == [torch.bfloat16], f"the first Linear's output had dtype {seen}; under CPU autocast it must be bfloat16"
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ref_loss = F.mse_loss(ref(x), y)
        ref_loss.backward()
        ref_opt.step()
        assert isinstance(loss, float) and math.isclose(loss, ref_loss.item(), rel_tol=1e-6), (
            f"autocast_train_step returned loss {loss!r}; torch.autocast gives {ref_loss.item()}"
        )
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            assert p.dtype == torch.float32, f"parameter {name} became {p.dtype}; weights stay float32 under autocast"
            close(p, q, f"after one autocast step, parameter {name} differs from torch.autocast + SGD's", atol=1e-6, rtol=1e-5)

    def test_autocast_train_step_uses_the_scaler(self):
        ex = lab.exercise(3)
        model, x, y = tiny_model(), torch.randn(16, 8), torch.randn(16, 1)
        ref = copy.deepcopy(model)
        for p in model.parameters():  # stale gradients from an earlier step: the step must clear them
            p.grad = torch.full_like(p, 7.0)
        scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=1)
        loss = ex.autocast_train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), x, y, F.mse_loss, scaler=scaler)
        assert scaler.get_scale() == 2048.0, f"after one clean step with growth_interval=1 the GradScaler's scale is {scaler.get_scale()}; expected 2048 (scaler.update() not called?)"
        ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            ref_loss = F.mse_loss(ref(x), y)
        ref_loss.backward()
        ref_opt.step()
        assert isinstance(loss, float) and math.isclose(loss, ref_loss.item(), rel_tol=1e-5), (
            f"with a scaler, autocast_train_step returned {loss!r}; it should return the unscaled loss, {ref_loss.item():.6g}"
        )
        for p, q in zip(model.parameters(), ref.parameters()):
            close(p, q, "a scaled step must update the weights as an unscaled one does (starting from zeroed gradients)",
                  atol=1e-5, rtol=1e-4)

    def test_loss_scaler_follows_gradscaler_on_a_scripted_overflow_pattern(self):
        ex = lab.exercise(3)
        pattern = [None, None, None, "inf", None, "nan", "inf", None, None, None, None, "inf", None]
        settings = dict(init_scale=8.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=2)
        compare_with_gradscaler(ex, pattern, settings)

    def test_loss_scaler_uses_its_constructor_arguments(self):
        ex = lab.exercise(3)
        pattern = [None, None, None, None, "inf", None, None, None, "nan", None, None, None, None]
        settings = dict(init_scale=1024.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
        compare_with_gradscaler(ex, pattern, settings)

    def test_loss_scaler_ignores_parameters_without_gradient(self):
        ex = lab.exercise(3)
        used, unused = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([used, unused], lr=1.0)
        scaler = ex.DynamicLossScaler(init_scale=4.0, growth_interval=1)
        scaler.scale(used.sum()).backward()
        stepped = scaler.step(opt)
        scaler.update()
        assert stepped is True, f"step() returned {stepped!r} for finite gradients; expected True"
        close(used.detach(), torch.zeros(2), "with scale 4, the unscaled gradient 1 and lr 1 must move the weight from 1 to 0")
        assert scaler.get_scale() == 8.0, f"after one clean step with growth_interval=1 the scale is {scaler.get_scale()}; expected 8"

    def test_loss_scaler_checks_every_parameter_group(self):
        ex = lab.exercise(3)
        a, b = nn.Parameter(torch.ones(2)), nn.Parameter(torch.ones(3))
        opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=1.0)
        scaler = ex.DynamicLossScaler(init_scale=8.0, growth_interval=100)
        scaler.scale(a.sum() + 2 * b.sum()).backward()
        b.grad[0] = float("inf")  # the overflow is in the second parameter group
        stepped = scaler.step(opt)
        scaler.update()
        assert not stepped and torch.equal(a.detach(), torch.ones(2)), (
            f"an inf gradient in the optimizer's second parameter group: step() returned {stepped!r} and the first group's "
            f"weight became {a.detach().tolist()}; every group in optimizer.param_groups must be checked, and the step skipped"
        )
        assert scaler.get_scale() == 4.0, f"after that overflow the scale is {scaler.get_scale()}; expected 8 * 0.5 = 4"
        close(a.grad, torch.ones(2), "the first group's gradient must be unscaled (8 / 8 = 1) even though the step was skipped")
        close(b.grad[1:], torch.full((2,), 2.0), "the second group's finite gradients must be unscaled too (16 / 8 = 2)")

    @NEEDS_CUDA
    @pytest.mark.gpu
    def test_autocast_train_step_on_cuda(self):
        ex = lab.exercise(3)
        want = torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16
        got = ex.autocast_dtype("cuda")
        assert got == want, f"autocast_dtype('cuda') on {torch.cuda.get_device_name()} returned {got}; expected {want}"
        model = tiny_model().cuda()
        seen = []
        model[0].register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
        scaler = torch.amp.GradScaler("cuda") if want == torch.float16 else None
        ex.autocast_train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.randn(8, 8, device="cuda"),
                               torch.randn(8, 1, device="cuda"), F.mse_loss, scaler=scaler)
        assert seen == [want], f"under CUDA autocast the first Linear's output must be {want}; got {seen}"
        assert all(p.dtype == torch.float32 for p in model.parameters()), "the weights must stay float32 under CUDA autocast"


# ---------------------------------------------------------------------------------------------
# Exercise 4: memory
# ---------------------------------------------------------------------------------------------


def hook_bytes(fn, *args, exclude=()) -> int:
    """Bytes of distinct storages autograd saves while fn runs (the test's own count)."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen = {}

    def pack(t):
        if t.untyped_storage().data_ptr() not in skip:
            seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(seen.values())


class FakeCudaMemory:
    """A stand-in for ``torch.cuda`` that scripts the caching allocator's statistics and records the calls."""

    def __init__(self, allocated: int, lifetime_peak: int, reserved: int) -> None:
        self.allocated, self.peak, self.reserved = allocated, lifetime_peak, reserved
        self.log: list[tuple] = []
        self.recording = False
        outer = self

        class Memory:
            @staticmethod
            def _record_memory_history(enabled="all", *args, max_entries=None, **kwargs):
                outer.log.append(("record", enabled, max_entries))
                outer.recording = enabled not in (None, False)

            @staticmethod
            def _dump_snapshot(filename="dump_snapshot.pickle"):
                outer.log.append(("dump", filename))

        self.memory = Memory()

    def alloc(self, nbytes: int) -> None:
        self.allocated += nbytes
        self.peak = max(self.peak, self.allocated)

    def reset_peak_memory_stats(self, device=None) -> None:
        self.log.append(("reset",))
        self.peak = self.allocated

    def synchronize(self, device=None) -> None:
        self.log.append(("sync",))

    def max_memory_allocated(self, device=None) -> int:
        return self.peak

    def memory_allocated(self, device=None) -> int:
        return self.allocated

    def memory_reserved(self, device=None) -> int:
        return self.reserved


def blocks(n: int = 3, width: int = 32) -> nn.ModuleList:
    return nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Linear(width, width), nn.GELU()) for _ in range(n))


@pytest.mark.exercise(4)
class TestMemory:
    def test_memory_breakdown_params_grads_and_adam_state(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 10))
        model.add_module("frozen", nn.Linear(4, 4))
        model.frozen.requires_grad_(False)
        n_params = sum(p.numel() for p in model.parameters())
        got = ex.memory_breakdown(model)
        want = {"params": 4 * n_params, "grads": 0, "optimizer_state": 0, "total": 4 * n_params}
        assert got == want, f"memory_breakdown(fresh model, no optimizer) returned {got}; expected {want}"
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        model[:3](torch.randn(5, 10)).sum().backward()
        opt.step()
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        state = sum(v.numel() * v.element_size() for s in opt.state.values() for v in s.values() if torch.is_tensor(v))
        got = ex.memory_breakdown(model, opt)
        want = {"params": 4 * n_params, "grads": 4 * trainable, "optimizer_state": state,
                "total": 4 * n_params + 4 * trainable + state}
        assert got == want, f"memory_breakdown after one Adam step returned {got}; expected {want} (Adam keeps exp_avg, exp_avg_sq and a step tensor per parameter)"

    def test_memory_breakdown_counts_parameters_not_buffers_and_sgd_momentum(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
        n_params = sum(p.numel() for p in model.parameters())
        got = ex.memory_breakdown(model)["params"]
        assert got == 4 * n_params, (
            f"params of Linear, BatchNorm1d, Linear: {got} bytes; expected {4 * n_params}: the parameters only, not BatchNorm's "
            f"running_mean / running_var / num_batches_tracked buffers (model.parameters(), not state_dict())"
        )
        for momentum, per_param in [(0.9, 4), (0.0, 0)]:
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
            model(torch.randn(4, 6)).sum().backward()
            opt.step()
            got = ex.memory_breakdown(model, opt)["optimizer_state"]
            assert got == per_param * n_params, (
                f"optimizer_state after one SGD(momentum={momentum}) step: {got} bytes; expected {per_param * n_params} "
                f"(one momentum buffer per parameter with momentum, none without; non-tensor state counts 0)"
            )
            model.zero_grad()

    def test_memory_breakdown_counts_tied_and_half_parameters_once(self):
        ex = lab.exercise(4)
        emb = nn.Embedding(50, 8)
        head = nn.Linear(8, 50, bias=False)
        head.weight = emb.weight  # weight tying
        model = nn.ModuleDict({"emb": emb, "head": head, "fp16": nn.Linear(3, 3).half()})
        got = ex.memory_breakdown(model)["params"]
        want = 50 * 8 * 4 + (9 + 3) * 2
        assert got == want, f"params of a model with a tied embedding and a float16 layer: {got} bytes; expected {want}"

    def test_saved_tensor_bytes_on_hand_checked_cases(self):
        ex = lab.exercise(4)
        x = torch.randn(100, requires_grad=True)
        cases = [
            ("torch.exp(x) saves its output", lambda t: torch.exp(t), 400),
            ("x * x saves x (twice: one piece of memory)", lambda t: t * t, 400),
            ("(x * 2).sum() saves nothing", lambda t: (t * 2).sum(), 0),
            ("torch.tanh(x.view(10, 10)) saves its output", lambda t: torch.tanh(t.view(10, 10)), 400),
            ("(x * 1.0)[:10].sin() saves a 10-element view, which keeps all 400 bytes of its storage alive",
             lambda t: (t * 1.0)[:10].sin(), 400),
            ("y = x * 1.0; y[:50] * y[50:] saves two views at different offsets of one 400-byte storage",
             lambda t: (lambda y: y[:50] * y[50:])(t * 1.0), 400),
        ]
        for what, fn, want in cases:
            got = ex.saved_tensor_bytes(fn, x)
            assert got == want, f"saved_tensor_bytes for {what} (x: 100 float32) returned {got}; expected {want}"

    def test_saved_tensor_bytes_matches_the_hooks_on_a_model_and_excludes_parameters(self):
        ex = lab.exercise(4)
        model = nn.Sequential(*blocks(2, 16))
        x = torch.randn(8, 16)
        params = list(model.parameters())
        got = ex.saved_tensor_bytes(model, x, exclude=params)
        want = hook_bytes(model, x, exclude=params)
        assert got == want, f"saved_tensor_bytes(model, x, exclude=params) returned {got}; saved_tensors_hooks see {want} bytes of activations"
        with_params = hook_bytes(model, x)
        got = ex.saved_tensor_bytes(model, x)
        assert got == with_params, f"saved_tensor_bytes(model, x) without exclude returned {got}; expected {with_params} (activations and weights)"

    def test_checkpointed_forward_same_result_less_saved_memory(self):
        ex = lab.exercise(4)
        mods = blocks(3, 32)
        x = torch.randn(16, 32, requires_grad=True)
        x2 = x.detach().clone().requires_grad_(True)
        ref = copy.deepcopy(mods)
        out = ex.checkpointed_forward(mods, x)
        h = x2
        for b in ref:
            h = b(h)
        close(out, h, "checkpointed_forward's output differs from running the blocks one after another")
        out.pow(2).sum().backward()
        h.pow(2).sum().backward()
        close(x.grad, x2.grad, "gradient with respect to the input differs with checkpointing")
        for (name, p), q in zip(mods.named_parameters(), ref.parameters()):
            close(p.grad, q.grad, f"gradient of {name} differs with checkpointing")
        params = list(mods.parameters())
        plain = hook_bytes(lambda t: [t := b(t) for b in mods], x.detach().requires_grad_(True), exclude=params)
        ck = hook_bytes(lambda t: ex.checkpointed_forward(mods, t), x.detach().requires_grad_(True), exclude=params)
        assert ck == 3 * 16 * 32 * 4 < plain, (
            f"with checkpointing autograd keeps {ck} bytes of activations (plain: {plain}); expected exactly the 3 block "
            f"inputs, {3 * 16 * 32 * 4} bytes: checkpoint each block on its own (one checkpoint around the whole chain "
            f"keeps only the first input, and its backward recomputes every block at once)"
        )

    def test_checkpointed_forward_trains_the_blocks_when_the_input_needs_no_grad(self):
        ex = lab.exercise(4)
        mods = blocks(2, 16)
        ref = copy.deepcopy(mods)
        x = torch.randn(4, 16)  # a batch of data: no requires_grad
        out = ex.checkpointed_forward(mods, x)
        assert out.requires_grad, (
            "checkpointed_forward(blocks, x) with an input that does not require grad returned an output with no autograd "
            "graph, so the blocks' parameters get no gradient: the reentrant checkpoint (use_reentrant=True) does that; "
            "use use_reentrant=False"
        )
        out.sum().backward()
        h = x
        for b in ref:
            h = b(h)
        h.sum().backward()
        for (name, p), q in zip(mods.named_parameters(), ref.parameters()):
            assert p.grad is not None, (
                f"after checkpointed_forward(blocks, x).sum().backward() with an input that does not require grad, {name} has "
                f"no gradient: the reentrant checkpoint (use_reentrant=True) drops the parameters' gradients then; use "
                f"use_reentrant=False"
            )
            close(p.grad, q.grad, f"gradient of {name} with checkpointing, input without requires_grad")

    def test_accumulated_gradients_equal_the_full_batch_gradient(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 2))
        x, y = torch.randn(23, 5), torch.randn(23, 2)
        for p in model.parameters():
            p.grad = torch.full_like(p, 99.0)  # stale gradients that must not leak in
        got = ex.accumulated_gradients(model, F.mse_loss, x, y, micro_batch=5)  # 5+5+5+5+3
        ref = copy.deepcopy(model)
        ref.zero_grad()
        F.mse_loss(ref(x), y).backward()
        assert set(got) == {n for n, _ in model.named_parameters()}, f"accumulated_gradients returned keys {sorted(got)}"
        for name, p in ref.named_parameters():
            close(got[name], p.grad, f"accumulated gradient of {name} over micro-batches of 5 (23 samples) differs from the full-batch gradient")

    def test_accumulated_gradients_skip_frozen_parameters_and_any_micro_batch_size(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
        model[0].requires_grad_(False)
        x, y = torch.randn(10, 4), torch.randn(10, 3)
        ref = copy.deepcopy(model)
        F.mse_loss(ref(x), y).backward()
        for micro in (1, 3, 10, 64):
            got = ex.accumulated_gradients(model, F.mse_loss, x, y, micro_batch=micro)
            assert set(got) == {"2.weight", "2.bias"}, (
                f"accumulated_gradients with model[0] frozen returned keys {sorted(got)}; expected only the parameters that require grad"
            )
            for name, p in ref.named_parameters():
                if p.requires_grad:
                    close(got[name], p.grad, f"accumulated gradient of {name} with micro_batch={micro} (10 samples) differs from the full-batch gradient")

    def test_largest_batch_that_fits_bisects_on_out_of_memory(self):
        ex = lab.exercise(4)
        for lo, hi, limit in [(1, 1000, 37), (1, 1000, 1000), (1, 1000, 1), (1, 1000, 0), (8, 8, 8), (8, 8, 5), (3, 1024, 600)]:
            calls: list[int] = []

            def try_fn(n: int, limit: int = limit) -> None:  # "fits" up to `limit` samples, like a GPU with that much memory
                calls.append(n)
                if n > limit:
                    raise torch.cuda.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {n} MiB")

            want = max(lo - 1, min(limit, hi))
            got = ex.largest_batch_that_fits(try_fn, lo, hi)
            assert got == want, (
                f"largest_batch_that_fits(try_fn, lo={lo}, hi={hi}) returned {got}, where try_fn(n) raises OutOfMemoryError "
                f"for n > {limit}; expected {want} (the largest size that fits, or lo - 1 when none does)"
            )
            bound = math.ceil(math.log2(hi - lo + 2))
            assert len(calls) <= bound and all(lo <= n <= hi for n in calls), (
                f"largest_batch_that_fits(try_fn, {lo}, {hi}) called try_fn {len(calls)} times ({calls[:12]}...); a bisection "
                f"needs at most {bound} calls, each with a size in [lo, hi]"
            )

    def test_largest_batch_that_fits_lets_other_errors_through_and_checks_its_range(self):
        ex = lab.exercise(4)

        def broken(n: int) -> None:
            if n > 10:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory")
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x6)")

        with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
            got = ex.largest_batch_that_fits(broken, 1, 100)
            pytest.fail(f"largest_batch_that_fits returned {got} although try_fn raised a shape error, not an "
                        f"out-of-memory error: catch torch.cuda.OutOfMemoryError only, or a bug looks like 'does not fit'")
        for lo, hi in [(5, 4), (0, 10)]:
            with pytest.raises(ValueError):
                ex.largest_batch_that_fits(lambda n: None, lo, hi)
                pytest.fail(f"largest_batch_that_fits(try_fn, lo={lo}, hi={hi}) must raise ValueError (need 1 <= lo <= hi)")

    def test_profile_cuda_memory_resets_the_peak_and_records_around_fn(self):
        ex = lab.exercise(4)
        fake = FakeCudaMemory(allocated=5000, lifetime_peak=10**9, reserved=1 << 20)
        log = fake.log

        def work() -> None:  # allocates 1000 bytes, then frees 600 of them
            log.append(("fn",))
            fake.alloc(1000)
            fake.alloc(-600)

        got = ex.profile_cuda_memory(work, "snap.pickle", max_entries=123, cuda=fake)
        want = {"peak_allocated": 6000, "allocated": 5400, "reserved": 1 << 20}
        assert got == want, (
            f"profile_cuda_memory on a scripted allocator (5000 bytes held before, fn allocates 1000 then frees 600, a "
            f"program-wide peak of 1e9 before the call) returned {got}; expected {want}: reset the peak statistic before fn, "
            f"or the peak is the whole program's"
        )
        kinds = [e[0] for e in log]
        assert "record" in kinds and "dump" in kinds, f"with a snapshot path, history must be recorded and dumped; calls seen: {log}"
        first_record, fn_at, dump_at = kinds.index("record"), kinds.index("fn"), kinds.index("dump")
        assert log[first_record][1] not in (None, False) and log[first_record][2] == 123 and first_record < fn_at < dump_at, (
            f"calls seen: {log}; expected _record_memory_history(max_entries=123) before fn, _dump_snapshot('snap.pickle') after it"
        )
        assert log[dump_at][1] == "snap.pickle", f"the snapshot went to {log[dump_at][1]!r}, not to the path given, 'snap.pickle'"
        assert log[-1][:2] == ("record", None) or any(e[:2] == ("record", None) for e in log[dump_at:]), (
            f"calls seen: {log}; recording must be switched off after the dump (_record_memory_history(enabled=None))"
        )

        fake2 = FakeCudaMemory(allocated=0, lifetime_peak=0, reserved=0)

        def fails() -> None:
            raise ValueError("a bug inside fn")

        with pytest.raises(ValueError, match="a bug inside fn"):
            ex.profile_cuda_memory(fails, "snap.pickle", cuda=fake2)
        assert fake2.recording is False, (
            f"fn raised, and profile_cuda_memory left the allocator recording its history (calls: {fake2.log}); stop "
            f"it in a finally block, or every later allocation of the program is recorded"
        )
        fake3 = FakeCudaMemory(allocated=0, lifetime_peak=0, reserved=0)
        ex.profile_cuda_memory(lambda: None, None, cuda=fake3)
        assert not any(e[0] in ("record", "dump") for e in fake3.log), (
            f"without a snapshot path no history is recorded or saved; calls seen: {fake3.log}"
        )

    @NEEDS_CUDA
    @pytest.mark.gpu
    def test_profile_and_largest_batch_on_cuda(self, tmp_path):
        import pickle

        ex = lab.exercise(4)
        path = tmp_path / "snapshot.pickle"

        def work() -> None:
            a = torch.empty(64 << 20, dtype=torch.uint8, device="cuda")  # 64 MiB
            b = a.float()  # 256 MiB, while a is alive
            del a, b

        got = ex.profile_cuda_memory(work, str(path), max_entries=10_000)
        assert got["peak_allocated"] >= (64 + 256) << 20, f"peak_allocated {got['peak_allocated']} bytes; fn held 320 MiB at once"
        assert got["reserved"] >= got["allocated"], f"reserved {got['reserved']} < allocated {got['allocated']}"
        snap = pickle.loads(path.read_bytes())
        assert "segments" in snap and "device_traces" in snap, f"the snapshot file has keys {sorted(snap)}; expected a memory snapshot"
        total = torch.cuda.get_device_properties(0).total_memory
        frac = min(1.0, (4 << 30) / total)  # cap this process at about 4 GiB: a real OutOfMemoryError, quickly
        torch.cuda.empty_cache()
        torch.cuda.set_per_process_memory_fraction(frac)
        try:
            n = ex.largest_batch_that_fits(lambda mib: torch.empty(mib << 20, dtype=torch.uint8, device="cuda"), 1, 1 << 17)
        finally:
            torch.cuda.set_per_process_memory_fraction(1.0)
            torch.cuda.empty_cache()
        cap = frac * total / 2**20
        assert 0.25 * cap <= n <= cap, f"largest allocation that fits under a {cap:.0f} MiB cap: {n} MiB"


# ---------------------------------------------------------------------------------------------
# Exercise 5: torch.compile
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_dynamo(tmp_path, monkeypatch):
    """A clean TorchDynamo cache, and Inductor's compile cache under tmp_path, not in the repository."""
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    import torch._inductor.config as inductor_config

    # Compile in this process: starting a pool of compile workers costs seconds on a 2-core machine.
    torch._dynamo.reset()
    with inductor_config.patch(compile_threads=1):
        yield
    torch._dynamo.reset()


def with_print_break(x: torch.Tensor) -> torch.Tensor:
    y = torch.sin(x) * 2
    print("", end="")  # a graph break
    return torch.cos(y) + 1


@pytest.mark.exercise(5)
@pytest.mark.usefixtures("fresh_dynamo")
class TestCompile:
    def test_count_graph_breaks_matches_dynamo_explain(self):
        ex = lab.exercise(5)
        x = torch.randn(8)
        cases = [(lambda t: torch.sin(t) + 1, 0), (with_print_break, 1), (lab.reference(5).clip_and_squash_with_break, 1)]
        for fn, want in cases:
            got = ex.count_graph_breaks(fn, x)
            assert got == want, f"count_graph_breaks({getattr(fn, '__name__', fn)}) returned {got!r}; torch._dynamo.explain counts {want}"

    def test_clip_and_squash_has_no_graph_break_and_same_values(self):
        ex = lab.exercise(5)
        ref = lab.reference(5).clip_and_squash_with_break
        for x in [torch.randn(50) * 5, torch.rand(50) * 0.5, torch.tensor([1.0, -0.3]), torch.tensor([-3.0]), torch.zeros(5),
                  torch.randn(4, 6, dtype=torch.float64) * 3]:
            got = ex.clip_and_squash(x)
            assert got.shape == x.shape and got.dtype == x.dtype, f"clip_and_squash of a {x.dtype} {tuple(x.shape)} tensor returned {got.dtype} {tuple(got.shape)}"
            close(got, ref(x), f"clip_and_squash({x.flatten().tolist()[:4]}...) differs from the eager version (all zeros must stay 0, not NaN)")
        torch._dynamo.reset()
        explained = torch._dynamo.explain(ex.clip_and_squash)(torch.randn(16))
        assert explained.graph_break_count == 0, (
            f"clip_and_squash still breaks the graph {explained.graph_break_count} time(s): "
            f"{[r.reason.splitlines()[0] for r in explained.break_reasons]}"
        )

    def test_compile_benchmark_really_compiles_and_times(self):
        ex = lab.exercise(5)
        graphs = []

        def recording_backend(gm, example_inputs):  # a backend that records the graph and runs it as is
            graphs.append(gm)
            return gm.forward

        model = nn.Sequential(nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 4))
        x = torch.randn(8, 16)
        res = ex.compile_benchmark(model, (x,), backend=recording_backend, warmup=1, repeat=3)
        assert len(graphs) >= 1, "compile_benchmark never called the backend: torch.compile(fn, backend=backend) was not used"
        assert set(res) >= {"compile_s", "eager_s", "compiled_s", "speedup", "max_abs_diff"}, f"compile_benchmark returned keys {sorted(res)}"
        kinds = {k: type(v).__name__ for k, v in res.items()}
        assert all(isinstance(v, float) for v in res.values()), f"compile_benchmark must return Python floats; got types {kinds}"
        assert res["compile_s"] > res["compiled_s"] > 0 and res["eager_s"] > 0, (
            f"compile_s {res['compile_s']}, compiled_s {res['compiled_s']}, eager_s {res['eager_s']}: the first (compiling) call must take longer than a steady one"
        )
        assert math.isclose(res["speedup"], res["eager_s"] / res["compiled_s"], rel_tol=1e-9), f"speedup {res['speedup']} is not eager_s / compiled_s"
        assert res["max_abs_diff"] == 0.0, f"the recording backend runs the very same graph; max_abs_diff should be 0, got {res['max_abs_diff']}"

    def test_compile_benchmark_starts_from_a_clean_cache(self):
        ex = lab.exercise(5)
        graphs = []

        def recording_backend(gm, example_inputs):
            graphs.append(gm)
            return gm.forward

        def fn(t):
            return torch.sin(t) * 2 + 1

        x = torch.randn(8)
        torch.compile(fn, backend=recording_backend)(x)  # compiled once before: Dynamo caches it
        before = len(graphs)
        res = ex.compile_benchmark(fn, (x,), backend=recording_backend, warmup=1, repeat=2)
        assert len(graphs) > before, (
            "fn had been compiled before compile_benchmark ran, and compile_benchmark did not compile it again: without "
            "torch._dynamo.reset() the cached code is reused and compile_s times an ordinary call"
        )
        assert res["max_abs_diff"] == 0.0, f"max_abs_diff {res['max_abs_diff']} for a backend that runs the same graph; expected 0"

    def test_compile_benchmark_times_the_compiling_call_and_medians_on_a_scripted_clock(self, monkeypatch):
        ex = lab.exercise(5)
        clock = FakeClock()
        # The fake clock moves only when work "happens": compiling (inside the backend) takes 100 s.
        # Eager calls take 1 s, but the first two 1000 s (lazy initialisation, what warm-up calls absorb)
        # and every 4th 50 s. Compiled calls take 0.5 s, but the first three 20 s (the compiling call and
        # its warm-ups) and every 4th 20 s. With warmup=2 and repeat=5 the medians are exactly 1 and
        # 0.5 s; a mean is pulled up by the slow calls, and timing without the warm-up gives 50 and 20.
        state = {"compiled": False, "eager_calls": 0, "compiled_calls": 0}

        @torch._dynamo.disable
        def tick() -> None:
            if state["compiled"]:
                state["compiled"] = False
                state["compiled_calls"] += 1
                k = state["compiled_calls"]
                clock.advance(20.0 if k <= 3 or k % 4 == 0 else 0.5)
            else:
                state["eager_calls"] += 1
                k = state["eager_calls"]
                clock.advance(1000.0 if k <= 2 else 50.0 if k % 4 == 0 else 1.0)

        def fn(t):
            y = torch.sin(t) + 1
            tick()
            return y

        def slow_backend(gm, example_inputs):  # also off by 0.25 in its outputs, so max_abs_diff is known
            clock.advance(100.0)

            def run(*args):
                state["compiled"] = True
                out = gm.forward(*args)
                return type(out)(o + 0.25 for o in out) if isinstance(out, (tuple, list)) else out + 0.25

            return run

        x = torch.randn(8)
        clock.install(monkeypatch, ex)
        res = ex.compile_benchmark(fn, (x,), backend=slow_backend, warmup=2, repeat=5)
        assert res["eager_s"] == 1.0 and res["compiled_s"] == 0.5, (
            f"on a scripted clock (eager calls 1 s, compiled calls 0.5 s; the first calls slow, as before a warm-up, and one "
            f"call in 4 slow) compile_benchmark reported eager_s {res['eager_s']} and compiled_s {res['compiled_s']}; expected "
            f"the medians 1.0 and 0.5 of repeat=5 timed calls each, made after warmup=2 untimed calls (a mean gives about "
            f"10.8 and 8.3; timing without the warm-up calls gives 50 and 20)"
        )
        assert res["speedup"] == 2.0, f"speedup {res['speedup']}; expected eager_s / compiled_s = 2.0"
        spans = {k: res.get(k) for k in ("eager_min_s", "eager_max_s", "compiled_min_s", "compiled_max_s")}
        assert spans == {"eager_min_s": 1.0, "eager_max_s": 50.0, "compiled_min_s": 0.5, "compiled_max_s": 20.0}, (
            f"the spread of the timed calls came back as {spans}; on this clock the 5 timed eager calls take 1, 50, 1, 1, 1 s "
            f"and the 5 timed compiled calls 20, 0.5, 0.5, 0.5, 20 s, so min/max are 1/50 and 0.5/20"
        )
        assert math.isclose(res["max_abs_diff"], 0.25, abs_tol=1e-6), (
            f"the scripted backend's outputs are eager's + 0.25; max_abs_diff came back as {res['max_abs_diff']}: it must be "
            f"max |compiled output - eager output|"
        )
        assert 100.0 <= res["compile_s"] <= 121.0, (
            f"compile_s came back as {res['compile_s']} s; compiling takes 100 s on this scripted clock and happens inside "
            f"the first call of the compiled function (torch.compile itself is lazy), so compile_s must time that first call"
        )

    def test_count_compilations_follows_the_guards(self):
        ex = lab.exercise(5)

        def f(t):
            return torch.sin(t) * 2 + 1

        sizes = [torch.randn(n) for n in (2, 3, 4, 5)]
        cases = [
            ("sizes 2, 3, 4, 5 with dynamic=False: every new size fails the shape guard", sizes, False, 4),
            ("sizes 2, 3, 4, 5 with the default dynamic=None: the first graph is for size 2; after the size changes, "
             "Dynamo recompiles once with a symbolic size that serves 3, 4 and 5", sizes, None, 2),
            ("sizes 2, 3, 4, 5 with dynamic=True: one graph with a symbolic size", sizes, True, 1),
            ("float32, float64, float32 of size 4: the dtype is guarded, the first graph serves the third call",
             [torch.randn(4), torch.randn(4, dtype=torch.float64), torch.randn(4)], None, 2),
        ]
        for what, inputs, dynamic, want in cases:
            got = ex.count_compilations(f, inputs, dynamic=dynamic)
            assert got == want, (
                f"count_compilations(f, ...) for {what}: returned {got}, expected {want} compiled graphs (count at the "
                f"backend; reset Dynamo first, or the graphs and size history of the previous call are reused)"
            )

    @pytest.mark.slow
    @pytest.mark.timeout(120)  # the first Inductor compile on a CPU takes 10-25 s (a C++ compiler runs)
    def test_compile_benchmark_with_inductor(self):
        ex = lab.exercise(5)
        res = ex.compile_benchmark(lambda t: torch.tanh(t * 2 + 1) * t, (torch.randn(64),), warmup=1, repeat=3)
        assert res["max_abs_diff"] < 1e-5, f"Inductor's output differs from eager by {res['max_abs_diff']}"
        assert res["compile_s"] > res["compiled_s"], f"compile_s {res['compile_s']} should exceed a steady call {res['compiled_s']}"
