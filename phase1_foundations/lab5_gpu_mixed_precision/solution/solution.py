"""Lab 1.5 runner: devices, honest benchmarks, mixed precision, memory, torch.compile.

    cd phase1_foundations/lab5_gpu_mixed_precision && python solution/solution.py   (or: make run LAB=1.5)

Prints the machine, the floating-point formats, the matmul GFLOP/s table against this CPU's
estimated peak, the precision demonstrations, the memory breakdown and eager-versus-compiled
timings; with a CUDA GPU it also reports pinned-versus-pageable copies, fp32 versus autocast speed
and GPU memory allocated versus reserved. Saves the matmul/roofline plot under $LAB_OUTPUT_DIR
(default: outputs/ in the lab folder). Worked examples the README quotes are marked WORKED EXAMPLE.
"""
from __future__ import annotations

import copy
import logging
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.devices import cpu_name, describe_machine, get_device, seed_everything  # noqa: E402
from shared.report import output_dir, run_part, run_target, runner_parser, section, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds, gflops  # noqa: E402

from exercise1_devices import host_to_device_bandwidth, to_device, tree_nbytes  # noqa: E402
from exercise2_benchmarking import (  # noqa: E402
    cuda_event_times,
    estimate_peak_flops,
    matmul_flops,
    matmul_intensity,
    profile_top_ops,
    roofline,
    simd_bits_from_flags,
    time_fn,
)
from exercise3_mixed_precision import (  # noqa: E402
    DynamicLossScaler,
    autocast_dtype,
    autocast_train_step,
    float_format,
    pad_to_multiple,
    tensor_core_friendly,
)
from exercise4_memory import (  # noqa: E402
    accumulated_gradients,
    checkpointed_forward,
    largest_batch_that_fits,
    memory_breakdown,
    profile_cuda_memory,
    saved_tensor_bytes,
)
from exercise5_compile import (  # noqa: E402
    clip_and_squash,
    clip_and_squash_with_break,
    compile_benchmark,
    count_compilations,
    count_graph_breaks,
)


def mib(n: float) -> str:
    return f"{n / 2**20:.3f} MiB"


def cpu_facts() -> dict[str, object]:
    """Model name, clock (MHz) and feature flags from /proc/cpuinfo (Linux); empty values elsewhere."""
    facts: dict[str, object] = {"model": "unknown", "mhz": 0.0, "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return facts
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and facts["model"] == "unknown":
            facts["model"] = value
        elif key == "cpu MHz" and not facts["mhz"]:
            facts["mhz"] = float(value)
        elif key in ("flags", "Features") and not facts["flags"]:
            facts["flags"] = value.split()
    return facts


# ---------------------------------------------------------------------------------------------


def demo_machine() -> float:
    facts = cpu_facts()
    cores = torch.get_num_threads()  # the cores the matmuls below may use (one per thread)
    simd = simd_bits_from_flags(facts["flags"])  # type: ignore[arg-type]
    clock = float(facts["mhz"]) * 1e6 or 2.0e9  # 2 GHz when /proc/cpuinfo has no clock
    peak = estimate_peak_flops(cores, clock, simd, fma_units_per_core=2, dtype_bits=32)
    wide = [f for f in ("avx512f", "avx2", "avx", "fma", "avx512_bf16", "amx_bf16", "asimd") if f in facts["flags"]]  # type: ignore[operator]
    print(f"CPU: {cpu_name()} | flags of note: {' '.join(wide) or 'none'}")
    print(f"ESTIMATE for this machine (an upper bound from the data sheet formula, not a measurement):")
    print(f"  peak = cores used (torch threads) x clock x FMA units x (SIMD bits / 32) x 2 FLOP per FMA")
    print(f"       = {cores} x {clock / 1e9:.3f} GHz x 2 x ({simd} / 32) x 2 = {peak / 1e9:.1f} GFLOP/s fp32")
    print(f"  all {os.cpu_count()} cores: {estimate_peak_flops(os.cpu_count() or 1, clock, simd) / 1e9:.1f} GFLOP/s")
    print("  (2 FMA units per core is an assumption; a CPU that executes a 512-bit operation as two\n"
          "   256-bit halves reaches at most half of this. The measured fraction below tells.)")
    print("  The clock, SIMD width and core count are read from this machine, so the estimate is this machine's\n"
          "  only; on yours read the same line with your CPU's numbers (see the CPU line above).")
    return peak


def demo_formats() -> None:
    rows = []
    for name, dtype, (e, m) in [("float32", torch.float32, (8, 23)), ("float16", torch.float16, (5, 10)),
                                ("bfloat16", torch.bfloat16, (8, 7)), ("float8_e5m2", torch.float8_e5m2, (5, 2)),
                                ("float8_e4m3fn", torch.float8_e4m3fn, (4, 3))]:
        info = torch.finfo(dtype)
        mine = float_format(e, m, finite_only=name.endswith("fn"))
        agree = all(abs(mine[k] - v) <= 1e-12 * abs(v) for k, v in
                    [("max", info.max), ("smallest_normal", info.smallest_normal), ("eps", info.eps)])
        rows.append([name, info.bits, e, m, f"{info.max:.4g}", f"{info.smallest_normal:.4g}",
                     f"{mine['smallest_subnormal']:.4g}", f"{info.eps:.4g}", "yes" if agree else "NO"])
    table(["format", "bits", "exp", "mantissa", "max", "smallest normal", "smallest subnormal", "eps",
           f"float_format ({whose()}) agrees"], rows)
    print(f"  float8_e4m3fn has no inf: float_format(4, 3, finite_only=True) -> max {float_format(4, 3, finite_only=True)['max']:g}; "
          f"the IEEE rule, float_format(4, 3), would give {float_format(4, 3)['max']:g}")
    print("  tf32 (Ampere+ tensor-core matmul input): 8 exponent bits and 10 mantissa bits, so float32's range")
    print(f"  with float16's eps: float_format(8, 10) -> max {float_format(8, 10)['max']:.4g}, eps {float_format(8, 10)['eps']:.4g}")


def demo_float_examples() -> None:
    print("\nWORKED EXAMPLE (b): range and precision, float16 versus bfloat16")
    for label, value in [("70000.0 (past float16's max)", 70000.0), ("1e-8 (a small gradient)", 1e-8),
                         ("1 + 2^-8 = 1.00390625", 1 + 2**-8), ("1 + 2^-11 = 1.00048828125", 1 + 2**-11), ("257.0", 257.0)]:
        t = torch.tensor(value)
        print(f"  {label:32s} float16 -> {t.half().item():<12.8g} bfloat16 -> {t.bfloat16().item():<12.8g}")
    g = torch.tensor(1e-8)
    print(f"  loss scaling: (1e-8 * 65536) in float16 = {(g * 65536).half().item():.6g}; / 65536 in float32 = "
          f"{((g * 65536).half().float() / 65536).item():.6g} (rescued, instead of 0)")


def demo_devices(device: torch.device) -> None:
    batch = {"x": torch.randn(64, 3, 32, 32), "y": torch.randint(0, 10, (64,)), "meta": [("ids", torch.arange(64))]}
    moved = to_device(batch, device)
    print(f"to_device(batch, {device}) ({whose()}): x on {moved['x'].device}, meta[0] = ('ids', tensor on {moved['meta'][0][1].device}); "
          f"tree_nbytes = {tree_nbytes(batch)} bytes")
    rows = []
    for nbytes in (1 << 20, 64 << 20):
        r = host_to_device_bandwidth(nbytes, "cpu", pinned=False, repeat=5)
        rows.append(["cpu -> cpu (memcpy)", mib(nbytes), format_seconds(r["seconds"]), f"{r['gb_per_s']:.2f}"])
    table(["copy", "size", "median time (of 5)", "GB/s"], rows)
    print("  (pinned versus pageable host-to-device copies: the GPU section, which runs only with a CUDA device)")


def measure_copy_bandwidth() -> float:
    """Memory bandwidth for the roofline: a 64 MiB host copy reads and writes each byte."""
    return host_to_device_bandwidth(64 << 20, "cpu", pinned=False, repeat=5)["gb_per_s"] * 1e9 * 2


def demo_benchmark(peak: float, copy_bw: float, device: torch.device) -> tuple[list[int], list[float]]:
    print(f"memory bandwidth for the roofline: a 64 MiB copy reads and writes each byte: {copy_bw / 1e9:.2f} GB/s "
          f"(measured, {whose()} host_to_device_bandwidth) -> ridge point {peak / copy_bw:.1f} FLOP/byte")
    sizes, rates, rows = [64, 128, 256, 512, 1024], [], []
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        res = benchmark(lambda: a @ b, warmup=2, repeat=5 if n >= 512 else 10)
        rate = gflops(matmul_flops(n, n, n), res.median)
        rates.append(rate)
        intensity = matmul_intensity(n, n, n, 4)
        bound_rate, bound = roofline(intensity, peak, copy_bw)
        spread_rate = f"{gflops(matmul_flops(n, n, n), res.max):.1f}–{gflops(matmul_flops(n, n, n), res.min):.1f}"
        rows.append([n, f"{format_seconds(res.median)} (n={res.repeat})", f"{rate:.1f}", spread_rate,
                     f"{100 * rate * 1e9 / peak:.1f}%", f"{intensity:.1f}", bound, f"{bound_rate / 1e9:.0f}"])
    table(["n (n x n @ n x n, fp32)", "median time", "GFLOP/s (median)", "GFLOP/s min–max", "of est. peak", "FLOP/byte",
           "bound", "roofline GFLOP/s"], rows)
    print(f"  measured on {cpu_name()}, torch threads: {torch.get_num_threads()}; medians of repeated calls "
          f"(shared.timing.benchmark); they vary by machine and with its load")
    print("\nWORKED EXAMPLE (a): arithmetic intensity of a 1024 x 1024 fp32 matmul")
    print(f"  FLOPs = 2 * 1024^3 = {matmul_flops(1024, 1024, 1024):,}; bytes = 4 * 3 * 1024^2 = {4 * 3 * 1024 ** 2:,}; "
          f"I = {matmul_intensity(1024, 1024, 1024, 4):.2f} FLOP/byte")
    print(f"  matrix-vector (4096 x 4096 @ 4096, fp32): I = {matmul_intensity(4096, 4096, 1, 4):.3f} FLOP/byte -> "
          f"{roofline(matmul_intensity(4096, 4096, 1, 4), peak, copy_bw)[1]}-bound")
    return sizes, rates


# Datasheet numbers (dense, i.e. without 2:4 structured sparsity), FLOP/s and byte/s.
# NVIDIA A100 Tensor Core GPU datasheet, A100 80GB SXM column: FP32 19.5 TFLOPS, TF32 Tensor Core 156
# (312 with sparsity), BF16 Tensor Core 312 (624 with sparsity), GPU memory bandwidth 2,039 GB/s.
# NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: FP32 67 TFLOPS, TF32 Tensor Core 989 and
# BF16 Tensor Core 1,979 TFLOPS "shown with sparsity" (dense: half), GPU memory bandwidth 3.35 TB/s.
GPU_DATASHEETS = {
    "A100 SXM 80GB": ({"FP32": 19.5e12, "TF32 tensor core": 156e12, "BF16 tensor core": 312e12}, 2.039e12),
    "H100 SXM": ({"FP32": 67e12, "TF32 tensor core": 989e12 / 2, "BF16 tensor core": 1979e12 / 2}, 3.35e12),
}


def demo_gpu_datasheet_rooflines(peak: float, copy_bw: float) -> None:
    print("Rooflines from datasheet numbers (dense), beside this CPU's (estimated peak, measured copy bandwidth):")
    square_bf16 = matmul_intensity(4096, 4096, 4096, 2)
    matvec_bf16 = matmul_intensity(4096, 4096, 1, 2)
    rows = [[f"this CPU ({cpu_name()[:28]}...)", "FP32 (estimate)", f"{peak / 1e12:.4f}", f"{copy_bw / 1e12:.4f}",
             f"{peak / copy_bw:.1f}", roofline(square_bf16, peak, copy_bw)[1], roofline(matvec_bf16, peak, copy_bw)[1]]]
    for gpu, (peaks, bw) in GPU_DATASHEETS.items():
        for precision, p in peaks.items():
            rows.append([f"NVIDIA {gpu}", precision, f"{p / 1e12:g}", f"{bw / 1e12:g}", f"{p / bw:.1f}",
                         roofline(square_bf16, p, bw)[1], roofline(matvec_bf16, p, bw)[1]])
    table(["machine", "precision", "peak TFLOP/s", "bandwidth TB/s", "ridge FLOP/byte",
           f"4096^3 matmul (I={square_bf16:.0f})", f"4096^2 matvec (I={matvec_bf16:.2f})"], rows)
    print("  (the intensities use 2-byte elements; the CPU row is this machine's and varies by machine)")


def demo_timers() -> None:
    import statistics

    import torch.utils.benchmark as tbench

    a, b = torch.randn(256, 256), torch.randn(256, 256)
    mine = time_fn(lambda: a @ b, warmup=3, repeat=20)
    m = tbench.Timer(stmt="a @ b", globals={"a": a, "b": b}, num_threads=torch.get_num_threads()).blocked_autorange(min_run_time=0.3)
    print(f"A 256^3 fp32 matmul, two timers ({whose()} time_fn: 20 calls timed one by one; torch.utils.benchmark.Timer."
          f"blocked_autorange: blocks of {m.number_per_run} calls, {len(m.times)} blocks):")
    table(["timer", "median per call", "spread"], [
        ["time_fn", format_seconds(statistics.median(mine)), f"{format_seconds(min(mine))}–{format_seconds(max(mine))}"],
        ["torch.utils.benchmark", format_seconds(m.median), f"IQR {format_seconds(m.iqr)}"],
    ])
    print(f"  ({cpu_name()}, {torch.get_num_threads()} thread(s); both vary with the machine and its load)")


def demo_profiler() -> None:
    os.environ.setdefault("KINETO_LOG_LEVEL", "5")  # without a GPU, Kineto logs a harmless "gpuGetDeviceCount failed"
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(512, 1024), nn.GELU(), nn.Linear(1024, 512))
    x = torch.randn(64, 512)
    trace = output_dir(LAB_DIR) / "lab5_trace.json"
    with torch.no_grad():
        rows = profile_top_ops(lambda: model(x), k=5, warmup=2, repeat=5, trace_path=str(trace))
    print(f"torch.profiler on 5 forward passes of Linear(512, 1024) GELU Linear(1024, 512), batch 64 ({whose()} profile_top_ops):")
    table(["operator", "calls", "self CPU", "total CPU"], [
        [r["name"], r["calls"], format_seconds(r["self_cpu_us"] * 1e-6), format_seconds(r["cpu_total_us"] * 1e-6)] for r in rows])
    print(f"  Chrome trace: {trace} (open in https://ui.perfetto.dev or chrome://tracing); times vary by machine")


def demo_tensor_core_shapes() -> None:
    rows = []
    for m, k, n, dtype in [(4096, 4096, 4096, torch.float16), (4095, 4096, 4096, torch.float16),
                           (4096, 4096, 4095, torch.bfloat16), (4092, 4092, 4092, torch.float32), (4092, 4092, 4092, torch.float16)]:
        rows.append([f"({m}, {k}) @ ({k}, {n})", str(dtype).removeprefix("torch."), tensor_core_friendly(m, k, n, dtype),
                     f"({pad_to_multiple(m, 16 // dtype.itemsize)}, {pad_to_multiple(k, 16 // dtype.itemsize)}) @ "
                     f"({pad_to_multiple(k, 16 // dtype.itemsize)}, {pad_to_multiple(n, 16 // dtype.itemsize)})"])
    print(f"Tensor-core alignment (multiples of 16 bytes per dimension; {whose()} tensor_core_friendly and pad_to_multiple):")
    table(["matmul", "dtype", "aligned", "padded to"], rows)


def demo_autocast_training() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 16, generator=g)
    y = torch.sin(x[:, :1]) + 0.1 * x[:, 1:2]
    torch.manual_seed(0)
    base = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 1))
    rows = []
    for label, amp in [("float32", False), (f"autocast {autocast_dtype('cpu')} ({whose()})", True)]:
        model = copy.deepcopy(base)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for step in range(150):
            if amp:
                loss = autocast_train_step(model, opt, x, y, F.mse_loss)
            else:
                opt.zero_grad()
                loss_t = F.mse_loss(model(x), y)
                loss_t.backward()
                opt.step()
                loss = loss_t.item()
        rows.append([label, f"{loss:.5f}", str(next(model.parameters()).dtype)])
    table(["CPU training, 150 Adam steps", "final train MSE", "weights"], rows)


def demo_loss_scaler() -> None:
    pattern = [None, None, None, "inf", None, "nan", "inf", None, None, None]
    settings = dict(init_scale=8.0, growth_factor=2.0, backoff_factor=0.5, growth_interval=2)
    out = {}
    for name, make in [(f"DynamicLossScaler ({whose()})", lambda: DynamicLossScaler(**settings)),
                       ("GradScaler", lambda: torch.amp.GradScaler("cpu", **settings))]:
        w = nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([w], lr=0.1)
        scaler, seq = make(), []
        for bad in pattern:
            opt.zero_grad()
            scaler.scale(w.sum()).backward()
            if bad:
                w.grad[0] = float(bad)
            before = w.detach().clone()
            scaler.step(opt)
            scaler.update()
            seq.append(f"{scaler.get_scale():g}{'' if not torch.equal(before, w.detach()) else '(skip)'}")
        out[name] = seq
    print("\nWORKED EXAMPLE (c): DynamicLossScaler vs torch.amp.GradScaler('cpu'), init_scale 8, growth_interval 2")
    table(["scale after update(), step"] + [str(i) for i in range(len(pattern))],
          [["overflow"] + [b or "-" for b in pattern]] + [[k] + v for k, v in out.items()])


# ---------------------------------------------------------------------------------------------
# GPU sections of exercises 1-3: run with a CUDA device, and alone with --gpu-only.


def gpu_median(times: list[float]) -> str:
    ordered = sorted(times)
    return f"{format_seconds(ordered[len(ordered) // 2])} ({format_seconds(ordered[0])}–{format_seconds(ordered[-1])}, n={len(times)})"


def gpu_transfers() -> None:
    rows = []
    for nbytes in (1 << 20, 64 << 20):
        for pinned in (False, True):
            r = host_to_device_bandwidth(nbytes, "cuda", pinned=pinned, repeat=5)
            rows.append([f"cpu -> cuda ({'pinned' if pinned else 'pageable'})", mib(nbytes), format_seconds(r["seconds"]),
                         f"{r['gb_per_s']:.2f}"])
    print(f"Host-to-device copies ({whose()} host_to_device_bandwidth, medians of 5):")
    table(["copy", "size", "median time", "GB/s"], rows)


def gpu_event_timing() -> None:
    a = torch.randn(4096, 4096, device="cuda")
    f = matmul_flops(4096, 4096, 4096)
    for _ in range(3):
        a @ a
    torch.cuda.synchronize()
    launch = []
    for _ in range(10):  # the wrong way: the clock is read while the kernel is still queued or running
        t0 = time.perf_counter()
        a @ a
        launch.append(time.perf_counter() - t0)
    torch.cuda.synchronize()
    wall = time_fn(lambda: a @ a, warmup=3, repeat=10, sync=torch.cuda.synchronize)
    events = cuda_event_times(lambda: a @ a, warmup=3, repeat=10)
    print(f"A 4096^3 fp32 matmul on {torch.cuda.get_device_name()}, three ways to time it (median (min–max, n)):")
    table(["timer", "per call", "TFLOP/s at the median"], [
        ["perf_counter, no synchronize (measures the launch)", gpu_median(launch), f"{f / sorted(launch)[5] / 1e12:.1f} (not real)"],
        [f"time_fn with torch.cuda.synchronize ({whose()})", gpu_median(wall), f"{f / sorted(wall)[5] / 1e12:.1f}"],
        [f"cuda_event_times ({whose()})", gpu_median(events), f"{f / sorted(events)[5] / 1e12:.1f}"],
    ])


def gpu_matmul_precisions() -> None:
    n = 4096
    f = matmul_flops(n, n, n)
    a32, b32 = torch.randn(n, n, device="cuda"), torch.randn(n, n, device="cuda")
    a16, b16 = a32.half(), b32.half()  # cast once, before timing: a benchmark must never time the cast
    abf, bbf = a32.bfloat16(), b32.bfloat16()
    before = torch.get_float32_matmul_precision()
    rows = []
    try:
        for label, precision, (x, y) in [("FP32 (TF32 off)", "highest", (a32, b32)), ("TF32 (float32 inputs)", "high", (a32, b32)),
                                         ("BF16", before, (abf, bbf)), ("FP16", before, (a16, b16))]:
            torch.set_float32_matmul_precision(precision)
            times = cuda_event_times(lambda: x @ y, warmup=3, repeat=10)
            rows.append([label, f"allow_tf32={torch.backends.cuda.matmul.allow_tf32}", gpu_median(times),
                         f"{f / sorted(times)[5] / 1e12:.1f}"])
    finally:
        torch.set_float32_matmul_precision(before)
    print(f"{n}^3 matmul by input precision on {torch.cuda.get_device_name()} (inputs cast beforehand; CUDA events):")
    table(["precision", "setting", "per call", "TFLOP/s at the median"], rows)
    print("  compare with the datasheet rows of the roofline table above (dense peaks)")


def gpu_tensor_core_shapes() -> None:
    n, padded = 4095, pad_to_multiple(4095)
    a, b = torch.randn(n, n, device="cuda", dtype=torch.float16), torch.randn(n, n, device="cuda", dtype=torch.float16)
    a_pad = torch.zeros(padded, padded, device="cuda", dtype=torch.float16)
    b_pad = torch.zeros_like(a_pad)
    a_pad[:n, :n], b_pad[:n, :n] = a, b  # zero padding: the top-left n x n block of the product is a @ b
    c, d = torch.randn_like(a_pad), torch.randn_like(a_pad)
    rows = []
    for label, (x, y), useful in [(f"{n} (not aligned)", (a, b), n), (f"{padded} (aligned)", (c, d), padded),
                                  (f"{n} zero-padded to {padded}", (a_pad, b_pad), n)]:
        times = cuda_event_times(lambda: x @ y, warmup=3, repeat=10)
        rows.append([label, tensor_core_friendly(*x.shape, y.shape[1], torch.float16), gpu_median(times),
                     f"{matmul_flops(useful, useful, useful) / sorted(times)[5] / 1e12:.1f}"])
    print("FP16 square matmuls, aligned versus not (useful TFLOP/s: the 4095^3 work for the 4095 rows):")
    table(["n", "tensor_core_friendly", "per call", "useful TFLOP/s at the median"], rows)


def gpu_autocast_training() -> None:
    dtype = autocast_dtype("cuda")
    model = nn.Sequential(nn.Linear(4096, 4096), nn.GELU(), nn.Linear(4096, 4096)).cuda()
    xb, yb = torch.randn(512, 4096, device="cuda"), torch.randn(512, 4096, device="cuda")
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def fp32_step() -> None:
        opt.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        opt.step()

    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("highest")
    try:
        t32 = cuda_event_times(fp32_step, warmup=3, repeat=10)
    finally:
        torch.set_float32_matmul_precision(before)
    tlow = cuda_event_times(lambda: autocast_train_step(model, opt, xb, yb, F.mse_loss, scaler), warmup=3, repeat=10)
    label = f"autocast {str(dtype).removeprefix('torch.')}" + (" + GradScaler" if scaler is not None else " (no scaler needed)")
    print(f"CUDA training step, 2 x Linear(4096, 4096), batch 512 ({whose()} autocast_dtype -> {dtype}):")
    table(["step", "per step"], [["FP32 (TF32 off)", gpu_median(t32)], [label, gpu_median(tlow)]])


def gpu_profiler() -> None:
    a = torch.randn(2048, 2048, device="cuda")
    rows = profile_top_ops(lambda: torch.relu(a @ a), k=5, warmup=2, repeat=5, sort_by="self_device",
                           trace_path=str(output_dir(LAB_DIR) / "lab5_trace_cuda.json"))
    print(f"torch.profiler on 5 x relu(a @ a), a: 2048 x 2048 on CUDA ({whose()} profile_top_ops, by self GPU time):")
    table(["operator", "calls", "self GPU", "self CPU"], [
        [r["name"][:60], r["calls"], format_seconds(r["self_device_us"] * 1e-6), format_seconds(r["self_cpu_us"] * 1e-6)] for r in rows])


def gpu_sections_a() -> None:
    """The CUDA-only parts of exercises 1-3; `--gpu-only` runs them too."""
    section(f"GPU: exercises 1-3 on {torch.cuda.get_device_name()}")
    run_part(gpu_transfers)
    run_part(gpu_event_timing)
    run_part(gpu_matmul_precisions)
    run_part(gpu_tensor_core_shapes)
    run_part(gpu_autocast_training)
    run_part(gpu_profiler)



def demo_memory_breakdown() -> None:
    torch.manual_seed(0)
    widths, batch = [512, 1024, 1024, 10], 64
    layers: list[nn.Module] = []
    for i in range(len(widths) - 1):
        layers += [nn.Linear(widths[i], widths[i + 1]), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    x, y = torch.randn(batch, widths[0]), torch.randint(0, 10, (batch,))
    params = list(model.parameters())
    act = saved_tensor_bytes(lambda: F.cross_entropy(model(x), y), exclude=params)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    mb = memory_breakdown(model, opt)
    n = sum(p.numel() for p in params)
    print(f"MLP {widths}, batch {batch}, fp32, Adam: {n:,} parameters (counted by {whose()} memory_breakdown and saved_tensor_bytes)")
    table(["what", "bytes", "MiB", "formula"], [
        ["parameters", mb["params"], mib(mb["params"]), "4 N"],
        ["gradients", mb["grads"], mib(mb["grads"]), "4 N"],
        ["Adam state", mb["optimizer_state"], mib(mb["optimizer_state"]), "8 N + 4 per tensor (step)"],
        ["saved activations", act, mib(act), "grows with batch x depth x width"],
        ["total", mb["total"] + act, mib(mb["total"] + act), "16 N + activations"],
    ])


def demo_memory_layouts() -> None:
    """Bytes per parameter of the two mixed-precision layouts, and measured saved activations fp32 vs bf16."""
    n = 1_585_162  # the MLP above
    print(f"\nBytes per parameter with Adam, two layouts (exact; N = {n:,}, the MLP above; Adam's step counters left out):")
    rows = []
    for name, parts in [("fp32, or torch.autocast (fp32 weights + grads; bf16/fp16 casts transient)", (4, 4, 0, 8)),
                        ("fp16 weights + fp32 master (Apex O2, ZeRO's accounting)", (2, 2, 4, 8))]:
        w, g, master, adam = parts
        per = w + g + master + adam
        rows.append([name, w, g, master, adam, per, f"{per * n:,}"])
    table(["layout", "weights", "grads", "fp32 master", "Adam m + v", "bytes / param", "bytes for N"], rows)
    torch.manual_seed(0)
    widths, batch = [512, 1024, 1024, 10], 64
    model = nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    x, y = torch.randn(batch, widths[0]), torch.randint(0, 10, (batch,))
    params = list(model.parameters())
    fp32 = saved_tensor_bytes(lambda: F.cross_entropy(model(x), y), exclude=params)

    def bf16_forward() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            F.cross_entropy(model(x), y)

    bf16 = saved_tensor_bytes(bf16_forward, exclude=params)
    # The first Linear's input needs no gradient, so its bf16 weight copy is not saved; the others are.
    casts = 2 * sum(m.weight.numel() for m in list(model)[1:] if isinstance(m, nn.Linear))
    print(f"MEASURED saved tensors of one forward pass, batch {batch} ({whose()} saved_tensor_bytes, parameters excluded):")
    table(["forward", "saved bytes", "MiB"], [
        ["fp32", fp32, mib(fp32)],
        ["autocast bf16 (CPU)", bf16, mib(bf16)],
        ["  of which bf16 copies of Linear 2 and 3's weights (2 bytes each)", casts, mib(casts)],
        ["  the rest: activations", bf16 - casts, mib(bf16 - casts)],
    ])


def demo_checkpointing() -> None:
    """No checkpointing vs a checkpoint per block vs sqrt(L) segments (torch.utils.checkpoint.checkpoint_sequential)."""
    from torch.utils.checkpoint import checkpoint_sequential

    torch.manual_seed(0)
    depth, width, batch = 16, 128, 64
    blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width), nn.Tanh())
                           for _ in range(depth))
    seq = nn.Sequential(*blocks)
    xb = torch.randn(batch, width, requires_grad=True)
    bp = list(blocks.parameters())
    segments = int(round(depth ** 0.5))
    variants = [
        ("none", lambda t: seq(t)),
        (f"every block: {depth} segments of 1 ({whose()} checkpointed_forward)", lambda t: checkpointed_forward(blocks, t)),
        (f"sqrt(L): {segments} segments of {depth // segments} (checkpoint_sequential)",
         lambda t: checkpoint_sequential(seq, segments, t, use_reentrant=False)),
    ]
    print(f"\nWORKED EXAMPLE (d): activation checkpointing, L = {depth} blocks of Linear({width}, {4 * width}) GELU "
          f"Linear({4 * width}, {width}) Tanh, batch {batch}")
    rows, base = [], None
    for name, fwd in variants:
        saved = saved_tensor_bytes(fwd, xb, exclude=bp)
        res = benchmark(lambda: fwd(xb).sum().backward(), warmup=1, repeat=5)
        base = base or res.median
        rows.append([name, saved, mib(saved), str(res), f"{res.median / base:.2f}x"])
    table(["checkpointing", "saved bytes (forward)", "MiB", "forward + backward", "time / none"], rows)
    print(f"  {cpu_name()}, {torch.get_num_threads()} thread(s); times vary by machine and load")


def demo_accumulation() -> None:
    model2 = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 4))
    xa, ya = torch.randn(100, 16), torch.randn(100, 4)
    acc = accumulated_gradients(model2, F.mse_loss, xa, ya, micro_batch=32)
    model2.zero_grad()
    F.mse_loss(model2(xa), ya).backward()
    worst = max((acc[k] - p.grad).abs().max().item() for k, p in model2.named_parameters())
    print(f"gradient accumulation ({whose()}), 100 samples as 32+32+32+4 vs one batch: max |difference| {worst:.1e}")
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    params = list(mlp.parameters())
    x, y = torch.randn(256, 512), torch.randint(0, 10, (256,))
    rows = []
    for micro in (256, 128, 64, 32):
        saved = saved_tensor_bytes(lambda: F.cross_entropy(mlp(x[:micro]), y[:micro]), exclude=params)
        rows.append([micro, 256 // micro, saved, mib(saved)])
    print("accumulating a batch of 256 on the MLP [512, 1024, 1024, 10], fp32: activation memory of one micro-batch")
    table(["micro-batch", "backward passes", "saved bytes", "MiB"], rows)


def demo_optimizer_kernels() -> None:
    """AdamW's three implementations on many small parameters: a Python loop, foreach, fused."""
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(64, 64) for _ in range(50)])  # 100 parameter tensors of 4096 or 64 elements
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    rows = []
    for name, kw in [("for-loop (foreach=False)", dict(foreach=False)), ("foreach=True", dict(foreach=True)),
                     ("fused=True", dict(fused=True))]:
        try:
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3, **kw)
        except RuntimeError as err:  # fused needs a device with fused kernels (CPU has them since torch 2.4)
            rows.append([name, f"not available: {str(err).splitlines()[0]}"])
            continue
        rows.append([name, str(benchmark(opt.step, warmup=2, repeat=7))])
    print(f"\nAdamW.step() on 100 parameter tensors (50 x Linear(64, 64)), {cpu_name()}, {torch.get_num_threads()} thread(s):")
    table(["implementation", "time per step"], rows)


def demo_channels_last() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(32, 32, 3, padding=1)
    x = torch.randn(8, 32, 32, 32)
    rows = []
    with torch.no_grad():
        for name, c, t in [("NCHW (contiguous)", conv, x),
                           ("NHWC (channels_last)", copy.deepcopy(conv).to(memory_format=torch.channels_last),
                            x.to(memory_format=torch.channels_last))]:
            rows.append([name, str(tuple(t.stride())), str(benchmark(lambda: c(t), warmup=2, repeat=7))])
    print(f"\nConv2d(32, 32, 3) on (8, 32, 32, 32), {cpu_name()}, {torch.get_num_threads()} thread(s):")
    table(["memory format", "strides of x", "forward"], rows)


def gpu_memory() -> None:
    """Allocated vs reserved, a memory snapshot, and the largest batch that fits (CUDA only)."""
    device = torch.device("cuda")
    model = nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step(n: int) -> None:
        try:
            x = torch.randn(n, 4096, device=device)
            model(x).pow(2).mean().backward()
            opt.step()
        finally:  # an out-of-memory error in backward must not leave gradients behind
            opt.zero_grad(set_to_none=True)

    step(256)  # Adam's state exists from here on
    path = output_dir(LAB_DIR) / "lab5_memory_snapshot.pickle"
    stats = profile_cuda_memory(lambda: step(1024), str(path), max_entries=100_000)
    print(f"one AdamW step, 2 x Linear(4096, 4096), batch 1024 ({whose()} profile_cuda_memory): peak allocated "
          f"{mib(stats['peak_allocated'])}, allocated after {mib(stats['allocated'])}, reserved {mib(stats['reserved'])}")
    print(f"  snapshot saved: {path} (open it at https://pytorch.org/memory_viz)")
    total = torch.cuda.get_device_properties(0).total_memory
    frac = min(1.0, (8 << 30) / total)
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(frac)
    try:
        n = largest_batch_that_fits(step, 1, 1 << 20)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    print(f"  largest batch that fits under a {frac * total / 2**30:.1f} GiB cap (set_per_process_memory_fraction, "
          f"{whose()} largest_batch_that_fits): {n:,}")


def gpu_cudnn_benchmark() -> None:
    device = torch.device("cuda")
    conv = nn.Conv2d(64, 64, 3, padding=1).to(device)
    rows = []
    with torch.no_grad():
        conv(torch.randn(2, 64, 8, 8, device=device))  # cuDNN's start-up, so no row below pays for it
        torch.cuda.synchronize()
        for fmt in (torch.contiguous_format, torch.channels_last):
            c = copy.deepcopy(conv).to(memory_format=fmt)
            x = torch.randn(32, 64, 56, 56, device=device).to(memory_format=fmt)
            for bench in (False, True):
                torch.backends.cudnn.benchmark = bench
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                c(x[:31])  # a shape not seen before: with benchmark=True, cuDNN autotunes here
                torch.cuda.synchronize()
                first = time.perf_counter() - t0
                res = benchmark(lambda: c(x), warmup=3, repeat=20, device=device)
                rows.append([str(fmt).replace("torch.", ""), bench, format_seconds(first), str(res)])
    torch.backends.cudnn.benchmark = False
    print(f"\nConv2d(64, 64, 3), batch 32, 56 x 56, on {torch.cuda.get_device_name()}:")
    table(["memory format", "cudnn.benchmark", "first call, new shape", "steady forward"], rows)


def gpu_sections_b() -> None:
    """The GPU sections of exercises 4 and 5 (make gpu-check runs them through --gpu-only)."""
    section(f"GPU: exercises 4-5 on {torch.cuda.get_device_name()}")
    run_part(gpu_memory)
    run_part(gpu_cudnn_benchmark)
    run_part(gpu_compile_modes)


def demo_graph_breaks() -> None:
    x = torch.randn(1024)
    print(f"graph breaks ({whose()} count_graph_breaks): clip_and_squash_with_break {count_graph_breaks(clip_and_squash_with_break, x)}, "
          f"clip_and_squash ({whose()}) {count_graph_breaks(clip_and_squash, x)}; same values: "
          f"{torch.allclose(clip_and_squash(x * 5), clip_and_squash_with_break(x * 5))}")


def demo_compile_benchmark(device: torch.device) -> None:
    def gelu_mlp_tail(t: torch.Tensor) -> torch.Tensor:  # a chain of elementwise ops Inductor fuses into one loop
        return (0.5 * t * (1.0 + torch.tanh(0.7978845608 * (t + 0.044715 * t * t * t)))) * 1.5 + 0.25

    args = (torch.randn(256, 1024, device=device),)
    import torch._inductor.config as inductor_config

    with inductor_config.patch(compile_threads=1):
        res = compile_benchmark(gelu_mlp_tail, args, warmup=2, repeat=10)
    print(f"tanh-GELU written as 11 elementwise ops on a (256, 1024) tensor, Inductor vs eager ({whose()} compile_benchmark):")

    def spread_of(key: str) -> str:
        low, high = res.get(f"{key}_min_s"), res.get(f"{key}_max_s")
        span = f" ({format_seconds(low)}–{format_seconds(high)})" if low is not None and high is not None else ""
        return format_seconds(res[f"{key}_s"]) + span

    table(["first call (compiles)", "eager median (min–max)", "compiled median (min–max)", "speed-up", "max |difference|"], [
        [format_seconds(res["compile_s"]), spread_of("eager"), spread_of("compiled"),
         f"{res['speedup']:.2f}x", f"{res['max_abs_diff']:.1e}"]])
    print(f"  medians of 10 calls each, on {cpu_name() if device.type == 'cpu' else torch.cuda.get_device_name(device)}; timings vary by machine")


def demo_recompilations() -> None:
    def f(t: torch.Tensor) -> torch.Tensor:
        return torch.sin(t) * 2 + 1

    sizes = [torch.randn(n) for n in (2, 3, 4, 5)]
    rows = [
        ["sizes 2, 3, 4, 5", "False", count_compilations(f, sizes, dynamic=False)],
        ["sizes 2, 3, 4, 5", "None (default)", count_compilations(f, sizes)],
        ["sizes 2, 3, 4, 5", "True", count_compilations(f, sizes, dynamic=True)],
        ["float32, float64, float32 (size 4)", "None (default)",
         count_compilations(f, [torch.randn(4), torch.randn(4, dtype=torch.float64), torch.randn(4)])],
    ]
    print(f"graphs compiled by torch.compile(f, dynamic=...) for f(t) = sin(t) * 2 + 1 ({whose()} count_compilations):")
    table(["calls with", "dynamic", "graphs compiled"], rows)
    torch._dynamo.reset()


def gpu_compile_modes() -> None:
    """torch.compile's modes on a small MLP forward pass (CUDA only): compile time and steady time."""
    device = torch.device("cuda")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1024, 1024), nn.GELU(), nn.Linear(1024, 1024)).to(device).eval()
    x = torch.randn(64, 1024, device=device)
    rows = []
    with torch.no_grad():
        ref = model(x)
        eager = benchmark(lambda: model(x), warmup=3, repeat=20, device=device)
        rows.append(["eager", "-", str(eager), "0"])
        for mode in ("default", "reduce-overhead", "max-autotune"):
            torch._dynamo.reset()
            compiled = torch.compile(model, mode=mode)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = compiled(x)
            torch.cuda.synchronize()
            first = time.perf_counter() - t0
            diff = (out - ref).abs().max().item()  # now: a CUDA-graph replay reuses (overwrites) the output buffer
            del out
            res = benchmark(lambda: compiled(x), warmup=3, repeat=20, device=device)
            rows.append([mode, format_seconds(first), str(res), f"{diff:.1e}"])
    torch._dynamo.reset()
    print(f"\nMLP 2 x Linear(1024, 1024), batch 64, inference, on {torch.cuda.get_device_name()}:")
    table(["torch.compile mode", "first call (compiles)", "steady call", "max |diff| vs eager"], rows)


def save_plot(measured: tuple[list[int], list[float]], peak: float, bandwidth: float) -> None:
    sizes, rates = measured
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = output_dir(LAB_DIR)
    fig, ax = plt.subplots(figsize=(9, 5))
    intens = torch.logspace(-2, 4, 300)
    ax.loglog(intens, [roofline(float(i), peak, bandwidth)[0] / 1e9 for i in intens], "k-",
              label=f"this CPU: estimated FP32 peak, measured copy bandwidth ({peak / bandwidth:.0f} FLOP/B ridge)")
    ax.loglog([matmul_intensity(n, n, n, 4) for n in sizes], rates, "ko", label="this CPU: measured FP32 matmul (n = 64 .. 1024)")
    styles = {"A100 SXM 80GB": "tab:blue", "H100 SXM": "tab:green"}
    for gpu, (peaks, bw) in GPU_DATASHEETS.items():
        for precision, ls in (("FP32", ":"), ("BF16 tensor core", "-")):
            p = peaks[precision]
            ax.loglog(intens, [roofline(float(i), p, bw)[0] / 1e9 for i in intens], color=styles[gpu], linestyle=ls,
                      label=f"NVIDIA {gpu} {precision} (datasheet, dense; ridge {p / bw:.0f} FLOP/B)")
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel("attainable GFLOP/s")
    ax.set_title(f"Rooflines: this CPU ({cpu_name()[:40]}) and two datasheet GPUs", fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(out_dir / "lab5_roofline.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"\nplot saved: {out_dir / 'lab5_roofline.png'}")


def main() -> None:
    parser = runner_parser("Lab 1.5 runner: devices, benchmarking, mixed precision, memory, torch.compile")
    parser.add_argument("--gpu-only", action="store_true", help="run only the sections that need a CUDA GPU")
    args = parser.parse_args()
    seed_everything(0)
    if args.gpu_only:
        if not torch.cuda.is_available():
            print("--gpu-only: this machine has no CUDA GPU (torch.cuda.is_available() is False); nothing to run")
            return
        start = time.perf_counter()
        print(f"Lab 1.5 GPU sections | {describe_machine()}")
        gpu_sections_a()
        gpu_sections_b()
        print(f"done in {time.perf_counter() - start:.1f} s")
        return
    # One thread: this lab's CPU tensors are small, and a second thread on a 2-core machine that
    # other processes keep busy turns every call into a wait for the scheduler (tens of ms).
    # The peak estimate below is computed for the same number of cores.
    if get_device().type == "cpu":
        torch.set_num_threads(1)
    torch._logging.set_logs(dynamo=logging.ERROR)  # the graph-break warning is the lesson, printed below
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # "No CUDA runtime" note of Inductor
    start = time.perf_counter()
    device = get_device()
    print(f"Lab 1.5 devices and mixed precision | {describe_machine()} | device: {device}")
    folder = "exercises/" if run_target() == "exercises" else "solution/"
    print(f"code that runs: {whose()} (the exercise files of {folder})")

    section("Machine and this CPU's estimated FP32 peak")
    peak = run_part(demo_machine)

    section("Floating-point formats (torch.finfo, and float_format from the bit layout)")
    run_part(demo_formats)
    demo_float_examples()

    section("Exercise 1: devices and transfers")
    run_part(demo_devices, device)

    section("Exercise 2: matmul GFLOP/s against the estimated peak, and the roofline")
    bandwidth = run_part(measure_copy_bandwidth)
    measured = run_part(demo_benchmark, peak, bandwidth, device)
    run_part(demo_gpu_datasheet_rooflines, peak, bandwidth)
    run_part(demo_timers)
    run_part(demo_profiler)

    section("Exercise 3: autocast training and dynamic loss scaling")
    run_part(demo_autocast_training)
    run_part(demo_loss_scaler)
    run_part(demo_tensor_core_shapes)

    section("Exercise 4: memory of training")
    run_part(demo_memory_breakdown)
    run_part(demo_memory_layouts)
    run_part(demo_checkpointing)
    run_part(demo_accumulation)
    run_part(demo_optimizer_kernels)
    run_part(demo_channels_last)

    section("Exercise 5: torch.compile")
    run_part(demo_graph_breaks)
    run_part(demo_compile_benchmark, device)
    run_part(demo_recompilations)
    run_part(save_plot, measured, peak, bandwidth)
    if torch.cuda.is_available():
        gpu_sections_a()
        gpu_sections_b()
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
