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

from shared.devices import describe_machine, get_device, seed_everything  # noqa: E402
from shared.report import output_dir, run_part, run_target, section, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds, gflops  # noqa: E402

from exercise1_devices import host_to_device_bandwidth, to_device, tree_nbytes  # noqa: E402
from exercise2_benchmarking import (  # noqa: E402
    estimate_peak_flops,
    matmul_flops,
    matmul_intensity,
    roofline,
    simd_bits_from_flags,
)
from exercise3_mixed_precision import DynamicLossScaler, autocast_dtype, autocast_train_step, float_format  # noqa: E402
from exercise4_memory import accumulated_gradients, checkpointed_forward, memory_breakdown, saved_tensor_bytes  # noqa: E402
from exercise5_compile import clip_and_squash, clip_and_squash_with_break, compile_benchmark, count_graph_breaks  # noqa: E402


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
    print(f"CPU: {facts['model']} | flags of note: {' '.join(wide) or 'none'}")
    print(f"ESTIMATE (an upper bound from the data sheet formula, not a measurement):")
    print(f"  peak = cores used (torch threads) x clock x FMA units x (SIMD bits / 32) x 2 FLOP per FMA")
    print(f"       = {cores} x {clock / 1e9:.3f} GHz x 2 x ({simd} / 32) x 2 = {peak / 1e9:.1f} GFLOP/s fp32")
    print(f"  all {os.cpu_count()} cores: {estimate_peak_flops(os.cpu_count() or 1, clock, simd) / 1e9:.1f} GFLOP/s")
    print("  (2 FMA units per core is an assumption; a CPU that executes a 512-bit operation as two\n"
          "   256-bit halves reaches at most half of this. The measured fraction below tells.)")
    return peak


def demo_formats() -> None:
    rows = []
    for name, dtype, (e, m) in [("float32", torch.float32, (8, 23)), ("float16", torch.float16, (5, 10)),
                                ("bfloat16", torch.bfloat16, (8, 7)), ("float8_e5m2", torch.float8_e5m2, (5, 2))]:
        info = torch.finfo(dtype)
        mine = float_format(e, m)
        agree = all(abs(mine[k] - v) <= 1e-12 * abs(v) for k, v in
                    [("max", info.max), ("smallest_normal", info.smallest_normal), ("eps", info.eps)])
        rows.append([name, info.bits, e, m, f"{info.max:.4g}", f"{info.smallest_normal:.4g}",
                     f"{mine['smallest_subnormal']:.4g}", f"{info.eps:.4g}", "yes" if agree else "NO"])
    table(["format", "bits", "exp", "mantissa", "max", "smallest normal", "smallest subnormal", "eps",
           f"float_format ({whose()}) agrees"], rows)
    print("  tf32 (Ampere+ tensor-core matmul input): 8 exponent bits and 10 mantissa bits, so float32's range")
    print(f"  with float16's eps: float_format(8, 10) -> max {float_format(8, 10)['max']:.4g}, eps {float_format(8, 10)['eps']:.4g}")


def demo_float_examples() -> None:
    print("\nWORKED EXAMPLE (b): range and precision, float16 versus bfloat16")
    for label, value in [("70000.0 (past float16's max)", 70000.0), ("1e-8 (a small gradient)", 1e-8),
                         ("1 + 2^-8 = 1.00390625", 1 + 2**-8), ("257.0", 257.0)]:
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
        if device.type == "cuda":
            for pinned in (False, True):
                r = host_to_device_bandwidth(nbytes, device, pinned=pinned, repeat=5)
                rows.append([f"cpu -> cuda ({'pinned' if pinned else 'pageable'})", mib(nbytes),
                             format_seconds(r["seconds"]), f"{r['gb_per_s']:.2f}"])
    table(["copy", "size", "median time", "GB/s"], rows)
    if device.type != "cuda":
        print("  (no CUDA device: pinned versus pageable host-to-device copies are measured only with a GPU)")


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
        rows.append([n, format_seconds(res.median), f"{rate:.1f}", f"{100 * rate * 1e9 / peak:.1f}%",
                     f"{intensity:.1f}", bound, f"{bound_rate / 1e9:.0f}"])
    table(["n (n x n @ n x n, fp32)", "median", "GFLOP/s", "of est. peak", "FLOP/byte", "bound", "roofline GFLOP/s"], rows)
    print(f"  threads: {torch.get_num_threads()}; times are medians of repeated calls (shared.timing.benchmark)")
    print("\nWORKED EXAMPLE (a): arithmetic intensity of a 1024 x 1024 fp32 matmul")
    print(f"  FLOPs = 2 * 1024^3 = {matmul_flops(1024, 1024, 1024):,}; bytes = 4 * 3 * 1024^2 = {4 * 3 * 1024 ** 2:,}; "
          f"I = {matmul_intensity(1024, 1024, 1024, 4):.2f} FLOP/byte")
    print(f"  matrix-vector (4096 x 4096 @ 4096, fp32): I = {matmul_intensity(4096, 4096, 1, 4):.3f} FLOP/byte -> "
          f"{roofline(matmul_intensity(4096, 4096, 1, 4), peak, copy_bw)[1]}-bound")
    if device.type == "cuda":
        a, b = torch.randn(4096, 4096, device=device), torch.randn(4096, 4096, device=device)
        t32 = benchmark(lambda: a @ b, warmup=3, repeat=10, device=device).median
        with torch.autocast("cuda", dtype=torch.float16):
            t16 = benchmark(lambda: a @ b, warmup=3, repeat=10, device=device).median
        f = matmul_flops(4096, 4096, 4096)
        print(f"\nCUDA 4096^3 matmul: fp32 {gflops(f, t32):.0f} GFLOP/s, autocast fp16 {gflops(f, t16):.0f} GFLOP/s, "
              f"speed-up {t32 / t16:.2f}x (TF32 allowed: {torch.backends.cuda.matmul.allow_tf32})")
    return sizes, rates


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


def demo_cuda_autocast_speed(device: torch.device) -> None:
    if device.type == "cuda":
        model = nn.Sequential(nn.Linear(4096, 4096), nn.GELU(), nn.Linear(4096, 4096)).to(device)
        xb, yb = torch.randn(512, 4096, device=device), torch.randn(512, 4096, device=device)
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)

        def fp32_step() -> None:
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()

        scaler = torch.amp.GradScaler("cuda")
        t32 = benchmark(fp32_step, warmup=3, repeat=10, device=device).median
        t16 = benchmark(lambda: autocast_train_step(model, opt, xb, yb, F.mse_loss, scaler), warmup=3, repeat=10, device=device).median
        print(f"\nCUDA training step (2 x Linear 4096, batch 512): fp32 {format_seconds(t32)}, autocast fp16 + GradScaler "
              f"{format_seconds(t16)}, speed-up {t32 / t16:.2f}x")


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


def demo_checkpointing() -> None:
    torch.manual_seed(0)
    blocks = nn.ModuleList(nn.Sequential(nn.Linear(256, 1024), nn.GELU(), nn.Linear(1024, 256), nn.Tanh()) for _ in range(4))
    xb = torch.randn(128, 256, requires_grad=True)
    bp = list(blocks.parameters())

    def plain(t: torch.Tensor) -> torch.Tensor:
        for b in blocks:
            t = b(t)
        return t

    plain_bytes = saved_tensor_bytes(plain, xb, exclude=bp)
    ck_bytes = saved_tensor_bytes(lambda t: checkpointed_forward(blocks, t), xb, exclude=bp)
    t_plain = benchmark(lambda: plain(xb).sum().backward(), warmup=1, repeat=3).median
    t_ck = benchmark(lambda: checkpointed_forward(blocks, xb).sum().backward(), warmup=1, repeat=3).median
    print("\nWORKED EXAMPLE (d): activation checkpointing, 4 blocks of Linear(256, 1024) GELU Linear(1024, 256) Tanh, batch 128")
    table(["", "saved activations", "forward + backward"], [
        ["plain", mib(plain_bytes), format_seconds(t_plain)],
        [f"checkpointed per block ({whose()})", mib(ck_bytes), format_seconds(t_ck)],
    ])
    print(f"  saving {100 * (1 - ck_bytes / plain_bytes):.1f}% of activation memory for {t_ck / t_plain:.2f}x the time")


def demo_accumulation() -> None:
    model2 = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 4))
    xa, ya = torch.randn(100, 16), torch.randn(100, 4)
    acc = accumulated_gradients(model2, F.mse_loss, xa, ya, micro_batch=32)
    model2.zero_grad()
    F.mse_loss(model2(xa), ya).backward()
    worst = max((acc[k] - p.grad).abs().max().item() for k, p in model2.named_parameters())
    print(f"gradient accumulation ({whose()}), 100 samples as 32+32+32+4 vs one batch: max |difference| {worst:.1e}")


def demo_cuda_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        big = nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096)).to(device)
        out = big(torch.randn(1024, 4096, device=device)).sum()
        out.backward()
        del out
        print(f"CUDA: allocated {mib(torch.cuda.memory_allocated())}, reserved by the caching allocator "
              f"{mib(torch.cuda.memory_reserved())}, peak allocated {mib(torch.cuda.max_memory_allocated())}")


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
    print(f"tanh-GELU written as 10 elementwise ops on a (256, 1024) tensor, Inductor vs eager ({whose()} compile_benchmark):")
    table(["first call (compiles)", "eager median", "compiled median", "speed-up", "max |difference|"], [
        [format_seconds(res["compile_s"]), format_seconds(res["eager_s"]), format_seconds(res["compiled_s"]),
         f"{res['speedup']:.2f}x", f"{res['max_abs_diff']:.1e}"]])


def save_plot(measured: tuple[list[int], list[float]], peak: float, bandwidth: float) -> None:
    sizes, rates = measured
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = output_dir(LAB_DIR)
    fig, ax = plt.subplots(figsize=(6, 4))
    intens = torch.logspace(-2, 3, 200)
    ax.loglog(intens, [roofline(float(i), peak, bandwidth)[0] / 1e9 for i in intens], "k-", label="roofline (estimated peak, measured copy bandwidth)")
    ax.loglog([matmul_intensity(n, n, n, 4) for n in sizes], rates, "o-", label="measured fp32 matmul (n = 64 .. 1024)")
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("Roofline of this CPU")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "lab5_roofline.png", dpi=120)
    plt.close(fig)
    print(f"\nplot saved: {out_dir / 'lab5_roofline.png'}")


def main() -> None:
    seed_everything(0)
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

    section("Exercise 3: autocast training and dynamic loss scaling")
    run_part(demo_autocast_training)
    run_part(demo_loss_scaler)
    run_part(demo_cuda_autocast_speed, device)

    section("Exercise 4: memory of training")
    run_part(demo_memory_breakdown)
    run_part(demo_checkpointing)
    run_part(demo_accumulation)
    demo_cuda_memory(device)

    section("Exercise 5: torch.compile")
    run_part(demo_graph_breaks)
    run_part(demo_compile_benchmark, device)
    run_part(save_plot, measured, peak, bandwidth)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
