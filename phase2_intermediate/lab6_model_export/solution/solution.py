"""Lab 2.6 runner: TorchScript, torch.export, ONNX with ONNX Runtime, INT8 and pruning, one benchmark.

    cd phase2_intermediate/lab6_model_export && python solution/solution.py     (or: make run LAB=2.6)
    make run LAB=2.6 TARGET=exercises          (the same runner on YOUR exercises/; a part whose
                                                exercise is not written yet is skipped, and says so)
    python solution/solution.py --full         (adds the session-options timings, torch.compile and the digits
                                                CNN to the benchmark, 5 timing rounds instead of 3, and the
                                                INT8 accuracy drop over training seeds 0..4)

Trains the two models it exports: the lab's transformer encoder classifier (exercise 2's
EncoderClassifier) on generated marker sequences, and lab 1.6's digits CNN (its reference
SmallResNet and train_classifier). Prints what it computed, section by section (the README quotes
the parts marked WORKED EXAMPLE), writes the exported files and the benchmark table
(benchmark.md) under $LAB_OUTPUT_DIR (default: outputs/ in the lab folder). CPU only: every
timing is of one process with torch and ONNX Runtime limited to the threads stated.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import sys
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.datasets import load_digits, make_marker_sequences  # noqa: E402
from shared.devices import describe_machine, seed_everything  # noqa: E402
from shared.report import is_skipped, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402

from exercise1_torchscript import GatedHead, disagreements, save_and_load, script, trace_with_warnings  # noqa: E402
from exercise2_torch_export import EncoderClassifier, decompose_to_core, export_dynamic, guard_failure, op_counts  # noqa: E402
from exercise3_onnx import describe_onnx, export_onnx, make_session, max_abs_error, run_session, strip_debug_metadata  # noqa: E402
from exercise4_compress import (  # noqa: E402
    make_permanent, prune_linears, quantize_and_compare, shrink_ffn, weight_sparsity,
)
from exercise5_benchmark import Variant, benchmark_table, format_table, latency_ms, size_bytes  # noqa: E402

# Lab 1.6's reference digits CNN and its training loop, imported from that lab (not copied).
from shared.labcode.solution__phase1_foundations__lab6_cnn_classifier__exercise2_architectures import SmallResNet  # noqa: E402
from shared.labcode.solution__phase1_foundations__lab6_cnn_classifier__exercise3_training import train_classifier  # noqa: E402

SEED = 0
THREADS = 2  # torch and ONNX Runtime intra-op threads for every timing
VOCAB, CLASSES, MAX_LEN = 16, 4, 64
TRAIN_N, TEST_N, SEQ = 2400, 2000, 32  # marker sequences of 8 … 32 tokens
MAX_BATCH = 256
ITERS = 30  # timed calls per run in the benchmark


# ---------------------------------------------------------------------------------------------
# The two models
# ---------------------------------------------------------------------------------------------


def marker_data() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Train and test splits of generated marker sequences, padded to SEQ tokens (different seeds)."""
    train = make_marker_sequences(TRAIN_N, VOCAB, CLASSES, min_len=8, max_len=SEQ, seed=0)
    test = make_marker_sequences(TEST_N, VOCAB, CLASSES, min_len=8, max_len=SEQ, seed=1)
    return {"train": train, "test": test}


def train_encoder(data: dict, seed: int = SEED, epochs: int = 2) -> EncoderClassifier:
    """AdamW (lr 2e-3, weight decay 0.01) with a one-cycle schedule, batches of 64, cross-entropy."""
    seed_everything(seed)
    model = EncoderClassifier(VOCAB, CLASSES, d_model=128, n_heads=4, n_layers=2, d_ff=512, max_len=MAX_LEN)
    ids, labels = data["train"]
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    steps = epochs * -(-len(ids) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(ids), generator=g).split(64):
            loss = F.cross_entropy(model(ids[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


def train_cnn(seed: int = SEED) -> tuple[nn.Module, dict]:
    """Lab 1.6's digits model: SmallResNet(1, 10, (16, 32)), 12 epochs, lr 5e-3, shifts of 1 pixel."""
    seed_everything(seed)
    xtr, ytr = load_digits("train")
    xte, yte = load_digits("test")
    model = SmallResNet(1, 10, (16, 32))
    train_classifier(model, xtr, ytr, epochs=12, lr=5e-3, max_shift=1, seed=seed)
    return model.eval(), {"train": (xtr, ytr), "test": (xte, yte)}


def accuracy_of(fn, ids: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return float((torch.cat([fn(ids[i:i + 256]) for i in range(0, len(ids), 256)]).argmax(1) == labels).float().mean())


# ---------------------------------------------------------------------------------------------
# Exercise 1
# ---------------------------------------------------------------------------------------------


def part_tracing_pitfall() -> None:
    torch.manual_seed(SEED)
    head = GatedHead(8, 3).eval()
    positive, negative = torch.randn(4, 8) + 1.0, torch.randn(4, 8) - 1.0
    traced, messages = trace_with_warnings(head, positive)
    scripted = script(head)
    print(f"  WORKED EXAMPLE (tracing): traced on a batch with mean {positive.mean().item():+.2f}; "
          f"{len(messages)} TracerWarning(s), the first: {messages[0][:74] if messages else '-'}…")
    table(["module", "wrong on [positive batch, negative batch]"],
          [["torch.jit.trace", disagreements(head, traced, [positive, negative])],
           ["torch.jit.script", disagreements(head, scripted, [positive, negative])]])
    print("  the traced forward, as TorchScript code (one branch, no `if`):")
    print("    " + traced.code.strip().replace("\n", "\n    "))


def part_trace_encoder(model: nn.Module, out: Path) -> torch.jit.ScriptModule:
    example = torch.randint(1, VOCAB, (2, SEQ))
    traced, messages = trace_with_warnings(model, example)
    reloaded = save_and_load(traced, out / "encoder_traced.pt")
    shapes = [(1, 8), (3, 17), (32, SEQ), (5, MAX_LEN)]
    g = torch.Generator().manual_seed(SEED)
    inputs = [torch.randint(1, VOCAB, s, generator=g) for s in shapes]
    print(f"  encoder traced on (2, {SEQ}): {len(messages)} TracerWarning(s); saved to {size_bytes(out / 'encoder_traced.pt'):,} "
          f"bytes and reloaded; disagrees with eager on shapes {[shapes[i] for i in disagreements(model, reloaded, inputs)]} "
          f"of {shapes}")
    return reloaded


# ---------------------------------------------------------------------------------------------
# Exercise 2
# ---------------------------------------------------------------------------------------------


def part_export(model: nn.Module):
    example = torch.randint(1, VOCAB, (2, SEQ))
    start = time.perf_counter()
    program = export_dynamic(model, example, MAX_BATCH, MAX_LEN)
    took = time.perf_counter() - start
    counts = op_counts(program)
    print(f"  WORKED EXAMPLE (torch.export): exported in {took:.1f} s; {sum(counts.values())} operator calls, "
          f"{len(counts)} distinct; the most frequent:")
    table(["operator", "calls"], [[k, v] for k, v in counts.most_common(8)])
    print(f"  range constraints: {dict((str(k), str(v)) for k, v in program.range_constraints.items())}")
    g = torch.Generator().manual_seed(SEED)
    rows = []
    for shape in [(1, 1), (7, 20), (MAX_BATCH, MAX_LEN), (2, MAX_LEN + 1), (MAX_BATCH + 1, 8)]:
        ids = torch.randint(1, VOCAB, shape, generator=g)
        failure = guard_failure(program, ids)
        if failure is None:
            with torch.no_grad():
                diff = (program.module()(ids) - model(ids)).abs().max().item()
            rows.append([shape, f"runs, max |program - eager| = {diff:.1e}"])
        else:
            rows.append([shape, failure.splitlines()[0]])
    table(["input shape", "result"], rows)
    try:
        export_dynamic(model, example, MAX_BATCH, MAX_LEN + 1)
        print("  a seq range beyond max_len exported (unexpected)")
    except Exception as err:  # noqa: BLE001 - the message is what this part shows
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        print(f"  export with Dim('seq', max={MAX_LEN + 1}) (the position table has {MAX_LEN} rows) fails: "
              f"{type(err).__name__}: {lines[0]}")
        print(f"    {lines[1]}")
    start = time.perf_counter()
    core, leftover = decompose_to_core(program)
    core_counts = op_counts(core)
    print(f"  run_decompositions() in {time.perf_counter() - start:.1f} s: {sum(core_counts.values())} calls, "
          f"{len(core_counts)} distinct; not Core ATen: {leftover or 'none'}")
    table(["operator before", "after"], [
        ["aten.linear.default", f"{core_counts['aten.addmm.default']} aten.addmm + {core_counts['aten.permute.default']} aten.permute "
                                f"(linear was {counts['aten.linear.default']})"],
        ["aten.layer_norm.default", f"{core_counts['aten.native_layer_norm.default']} aten.native_layer_norm"],
        ["aten.matmul.default", f"{core_counts['aten.bmm.default']} aten.bmm (+ expand/view)"],
        ["aten.softmax.int", f"{core_counts['aten._softmax.default']} aten._softmax"],
        ["aten.dropout.default (eval)", f"{core_counts['aten.clone.default']} aten.clone (no dropout left)"],
    ])
    return program


# ---------------------------------------------------------------------------------------------
# Exercise 3
# ---------------------------------------------------------------------------------------------


def part_onnx(model: nn.Module, path: Path, name: str, example: torch.Tensor, max_seq: int):
    start = time.perf_counter()
    with contextlib.redirect_stdout(None):  # the exporter prints its progress
        export_onnx(model, example, path, MAX_BATCH, max_seq)
    took = time.perf_counter() - start
    info = describe_onnx(path)
    exported = size_bytes(path)
    stripped = strip_debug_metadata(path)
    print(f"  {name}: exported in {took:.1f} s to {path.name}, onnx.checker passed; opset {info['opset']}; "
          f"inputs {info['inputs']}; outputs {info['outputs']}; {sum(info['ops'].values())} nodes; "
          f"{exported:,} bytes, of which {stripped:,} were per-node debug metadata (stripped: {size_bytes(path):,} bytes)")
    return path


def export_cnn(model: nn.Module, path: Path) -> Path:
    """The digits CNN to ONNX with a dynamic batch (input "ids" so every helper feeds it alike: (N, 1, 8, 8) floats)."""
    model.eval()
    with contextlib.redirect_stdout(None):
        torch.onnx.export(model, (torch.zeros(2, 1, 8, 8),), str(path), dynamo=True,
                          dynamic_shapes={"x": {0: torch.export.Dim("batch", min=1, max=MAX_BATCH)}},
                          input_names=["ids"], output_names=["logits"], opset_version=18, external_data=False)
    stripped = strip_debug_metadata(path)
    info = describe_onnx(path)
    print(f"  cnn: exported to {path.name}: opset {info['opset']}; inputs {info['inputs']}; {sum(info['ops'].values())} nodes "
          f"({', '.join(f'{k} {v}' for k, v in info['ops'].most_common(4))}); {size_bytes(path):,} bytes after "
          f"stripping {stripped:,} bytes of debug metadata")
    return path


def part_onnx_checks(model: nn.Module, path: Path, out: Path) -> None:
    session = make_session(path, threads=THREADS)
    shapes = [(1, 1), (1, 8), (2, 5), (7, 20), (32, SEQ), (MAX_BATCH, MAX_LEN)]
    errors = max_abs_error(model, session, shapes, VOCAB, seed=SEED)
    print("  WORKED EXAMPLE (ONNX Runtime vs eager): max |logits difference| per (batch, seq):")
    table(["(B, T)", "max |ORT - eager|"], [[k, f"{v:.1e}"] for k, v in errors.items()])
    rows, original = [], describe_onnx(path)["ops"]
    for level in ("disable", "basic", "extended"):
        optimized = out / f"encoder_opt_{level}.onnx"
        make_session(path, threads=1, optimization=level, optimized_path=optimized)
        ops = describe_onnx(optimized)["ops"]
        changed = {k: ops.get(k, 0) - original.get(k, 0) for k in sorted(set(ops) | set(original))}
        rows.append([level, sum(ops.values()), ", ".join(f"{k} {v:+d}" for k, v in changed.items() if v) or "-"])
    print(f"  graph optimisation levels: nodes after the session's rewrite (the exported file has {sum(original.values())}; "
          f"level 'all' adds machine-specific layout changes and is not saved here)")
    table(["level", "nodes", "change per operator type"], rows)


def part_session_options(path: Path, repeats: int) -> None:
    g = torch.Generator().manual_seed(SEED)
    rows = []
    for batch in (1, 32):
        ids = torch.randint(1, VOCAB, (batch, SEQ), generator=g).numpy()
        for threads in (1, 2):
            for level in ("disable", "all"):
                session = make_session(path, threads=threads, optimization=level)
                feed = {session.get_inputs()[0].name: ids}
                lat = latency_ms(lambda: session.run(None, feed), warmup=10, iters=30 if batch == 1 else 15, runs=repeats)
                rows.append([batch, threads, level, f"{lat['p50']:.3f}", f"{lat['p99']:.3f}"])
    print(f"  session options (encoder, T = {SEQ}; medians over {repeats} runs of 30 calls at batch 1, 15 at batch 32):")
    table(["batch", "threads", "optimisation", "p50 ms", "p99 ms"], rows)


# ---------------------------------------------------------------------------------------------
# Exercise 4
# ---------------------------------------------------------------------------------------------


def part_quantize(fp32: Path, data: dict, out: Path, name: str, modes: tuple[str, ...]) -> dict:
    reports = {}
    rows = []
    for mode in modes:
        report = quantize_and_compare(fp32, out / f"{name}_int8_{mode}.onnx", data["train"], data["test"], mode=mode, seed=SEED)
        reports[mode] = report
        rows.append([mode, f"{report.fp32_bytes:,}", f"{report.int8_bytes:,}", f"{report.size_ratio:.2f}x",
                     f"{100 * report.fp32_accuracy:.2f}", f"{100 * report.int8_accuracy:.2f}",
                     f"{report.accuracy_drop_points:+.2f}", f"{100 * report.agreement:.2f}", f"{report.max_abs_diff:.3f}"])
    note = None
    if "static" in modes and name == "encoder":
        row, note = every_operator_static(fp32, data, out / f"{name}_int8_static_all_ops.onnx", reports["static"])
        rows.append(row)
    print(f"  {name}: INT8 vs FP32 on the test split ({len(data['test'][1])} inputs)")
    table(["INT8 mode", "FP32 bytes", "INT8 bytes", "smaller", "FP32 acc %", "INT8 acc %", "drop (points)",
           "same class %", "max |dlogit|"], rows)
    if note:
        print(note)
    return reports


def every_operator_static(fp32: Path, data: dict, path: Path, like) -> list:
    """Static QDQ quantization of EVERY operator (ONNX Runtime's default op list): the pitfall row."""
    import numpy as np
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    train_ids = data["train"][0]
    rows = torch.randperm(len(train_ids), generator=torch.Generator().manual_seed(SEED))[:256]
    batches = iter([{"ids": train_ids[rows[i:i + 32]].numpy()} for i in range(0, len(rows), 32)])

    class Reader(CalibrationDataReader):
        def get_next(self):
            return next(batches, None)

    prepared = path.with_suffix(".prepared.onnx")
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    logging.disable(logging.WARNING)  # per-channel warnings for LayerNorm weights, which this row quantizes too
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_static(str(prepared), str(path), Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, per_channel=True)
    logging.disable(logging.NOTSET)
    prepared.unlink()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    test_ids, test_labels = data["test"]
    logits = torch.cat([torch.from_numpy(session.run(None, {"ids": test_ids[i:i + 256].numpy()})[0]) for i in range(0, len(test_ids), 256)])
    acc = float((logits.argmax(1) == test_labels).float().mean())
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(path))
    scales = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    producer = {o: n.op_type for n in proto.graph.node for o in n.output}
    infinite = [f"{n.input[0]} (from {producer.get(n.input[0], 'an input')})" for n in proto.graph.node
                if n.op_type == "QuantizeLinear" and n.input[1] in scales and not np.isfinite(scales[n.input[1]]).all()]
    quantized = sum(n.op_type == "QuantizeLinear" for n in proto.graph.node)
    note = (f"  static, every operator: {quantized} QuantizeLinear nodes; {len(infinite)} of them have an infinite scale: "
            f"{', '.join(infinite)}")
    return ["static, every operator", f"{like.fp32_bytes:,}", f"{path.stat().st_size:,}", f"{like.fp32_bytes / path.stat().st_size:.2f}x",
            f"{100 * like.fp32_accuracy:.2f}", f"{100 * acc:.2f}", f"{100 * (like.fp32_accuracy - acc):+.2f}", "-",
            "nan" if torch.isnan(logits).any() else "-"], note


def part_pruning(model: nn.Module, data: dict, repeats: int) -> None:
    test_ids, test_labels = data["test"]
    ids1 = test_ids[:32]
    rows = []

    def timed(m: nn.Module) -> str:
        with torch.inference_mode():
            lat = latency_ms(lambda: m(ids1), warmup=5, iters=20, runs=repeats)
        return f"{lat['p50']:.3f}"

    base = timed(model)
    rows.append(["none (dense)", "0.0", f"{100 * accuracy_of(model, test_ids, test_labels):.2f}", base, sum(p.numel() for p in model.parameters())])
    unstructured = prune_linears(copy.deepcopy(model), 0.5)
    sparsity = weight_sparsity(unstructured)
    naive = sum(int((p == 0).sum()) for p in unstructured.parameters()) / sum(p.numel() for p in unstructured.parameters())
    make_permanent(unstructured)
    rows.append(["l1_unstructured 50 %", f"{100 * sparsity:.1f}", f"{100 * accuracy_of(unstructured, test_ids, test_labels):.2f}",
                 timed(unstructured), sum(p.numel() for p in unstructured.parameters())])
    structured = copy.deepcopy(model)
    for block in structured.blocks:
        prune_linears(block, 0.5, structured=True, skip=("qkv", "proj", "ff2"))
    make_permanent(structured)
    rows.append(["ln_structured 50 % of ff1 rows", f"{100 * weight_sparsity(structured):.1f}",
                 f"{100 * accuracy_of(structured, test_ids, test_labels):.2f}", timed(structured),
                 sum(p.numel() for p in structured.parameters())])
    shrunk = copy.deepcopy(structured)
    for block in shrunk.blocks:
        block.ff1, block.ff2 = shrink_ffn(block.ff1, block.ff2)
    with torch.no_grad():
        same = (shrunk(test_ids[:256]) - structured(test_ids[:256])).abs().max().item()
    rows.append([f"  then shrink_ffn (d_ff {model.blocks[0].ff1.out_features} -> {shrunk.blocks[0].ff1.out_features})",
                 f"{100 * weight_sparsity(shrunk):.1f}", f"{100 * accuracy_of(shrunk, test_ids, test_labels):.2f}", timed(shrunk),
                 sum(p.numel() for p in shrunk.parameters())])
    print(f"  WORKED EXAMPLE (pruning, no fine-tuning): eager encoder, batch 32, T = {SEQ}, {THREADS} threads, "
          f"median p50 of {repeats} runs")
    table(["pruning", "weight sparsity %", "test acc %", "p50 ms", "parameters"], rows)
    print(f"  counting zeros in model.parameters() while the masks are on gives {100 * naive:.1f} % "
          f"(it sees weight_orig, which is dense); shrunk vs pruned max |diff| = {same:.1e}")


# ---------------------------------------------------------------------------------------------
# Exercise 5
# ---------------------------------------------------------------------------------------------


def ort_variant(name: str, path: Path) -> Variant:
    session = make_session(path, threads=THREADS)
    return Variant(name, lambda ids: run_session(session, ids), size_bytes(path))


def part_benchmark(model: nn.Module, traced, files: dict, data: dict, repeats: int, full: bool,
                   title: str, out: Path) -> list[dict]:
    def eager(ids: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return model(ids)

    variants = [Variant("eager", eager, size_bytes(model))]
    if traced is not None:
        variants.append(Variant("TorchScript (trace)", lambda ids: traced(ids), size_bytes(traced)))
    if full:
        compiled = torch.compile(model, dynamic=True)  # one graph for every batch size (static shapes would compile 4 times)

        def run_compiled(ids: torch.Tensor) -> torch.Tensor:
            with torch.inference_mode():
                return compiled(ids)

        variants.append(Variant("torch.compile (inductor)", run_compiled, size_bytes(model)))
    for label, path in files.items():
        variants.append(ort_variant(label, path))
    test_ids, test_labels = data["test"]
    start = time.perf_counter()
    rows = benchmark_table(variants, eager, test_ids, test_labels, batch_sizes=(1, 32), warmup=10, iters=ITERS, runs=repeats)
    print(f"  WORKED EXAMPLE (benchmark, {title}): {len(test_labels)} test inputs; {THREADS} threads; "
          f"p50/p99 = medians over {repeats} interleaved rounds of {ITERS} calls (each after 10 warm-up calls); took {time.perf_counter() - start:.0f} s")
    table(["variant", "batch", "p50 ms", "p99 ms", "size MB", "accuracy %", "max |d| vs eager"],
          [[r["variant"], r["batch"], f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}", f"{r['size_mb']:.3f}",
            f"{100 * r['accuracy']:.2f}", f"{r['max_abs_diff']:.1e}"] for r in rows])
    return rows


def headline(rows: list[dict], int8_name: str, int8_report) -> None:
    p50 = {(r["variant"], r["batch"]): r["p50_ms"] for r in rows}
    size = {r["variant"]: r["size_mb"] for r in rows}
    goals = [
        ["ORT FP32 vs eager, batch 1", f"{p50[('eager', 1)] / p50[('ORT FP32', 1)]:.2f}x faster", ">= 1.5x"],
        ["ORT FP32 vs eager, batch 32", f"{p50[('eager', 32)] / p50[('ORT FP32', 32)]:.2f}x faster", "-"],
        [f"{int8_name} vs ORT FP32, size", f"{size['ORT FP32'] / size[int8_name]:.2f}x smaller", ">= 3.5x"],
        [f"{int8_name} vs ORT FP32, batch 1", f"{p50[('ORT FP32', 1)] / p50[(int8_name, 1)]:.2f}x faster", ">= 1.8x"],
        [f"{int8_name} vs ORT FP32, batch 32", f"{p50[('ORT FP32', 32)] / p50[(int8_name, 32)]:.2f}x faster", ">= 1.8x"],
        [f"{int8_name} accuracy loss", f"{int8_report.accuracy_drop_points:+.2f} points", "<= 1 point"],
    ]
    table(["headline", "measured", "goal"], goals)


def part_int8_seeds(seeds: int, out: Path) -> None:
    """INT8 accuracy drop of the encoder over training seeds (dynamic and static)."""
    data = marker_data()
    drops = {"dynamic": [], "static": []}
    for seed in range(seeds):
        model = train_encoder(data, seed=seed)
        path = out / f"encoder_seed{seed}.onnx"
        with contextlib.redirect_stdout(None):
            export_onnx(model, data["train"][0][:2], path, MAX_BATCH, MAX_LEN)
        for mode in drops:
            drops[mode].append(quantize_and_compare(path, out / f"encoder_seed{seed}_{mode}.onnx", data["train"], data["test"],
                                                    mode=mode, seed=seed).accuracy_drop_points)
    table(["INT8 mode", f"accuracy drop in points over seeds 0..{seeds - 1}"], [[m, spread(v, ".2f")] for m, v in drops.items()])


def main() -> None:
    args = runner_parser(__doc__.splitlines()[0]).parse_args()
    repeats = 5 if args.full else 3
    torch.set_num_threads(THREADS)
    warnings.filterwarnings("ignore", message=".*Please consider to run pre-processing.*")
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # inductor's "No CUDA runtime is found"
    out = output_dir(LAB_DIR)
    print(f"Lab 2.6 on {describe_machine()}; running {whose()} code")

    section("Exercise 1: TorchScript (trace vs script)")
    run_part(part_tracing_pitfall)

    section("Training the encoder classifier (marker sequences)")
    start = time.perf_counter()
    data = marker_data()
    model = train_encoder(data)
    print(f"  EncoderClassifier d_model 128, 4 heads, 2 layers, d_ff 512: {sum(p.numel() for p in model.parameters()):,} "
          f"parameters; {TRAIN_N} training sequences of 8..{SEQ} tokens, 2 epochs in {time.perf_counter() - start:.1f} s; "
          f"test accuracy {100 * accuracy_of(model, *data['test']):.2f} % on {TEST_N} (best possible 100 %, "
          f"majority class {100 * torch.bincount(data['test'][1]).max().item() / TEST_N:.1f} %)")
    traced = run_part(part_trace_encoder, model, out)

    section("Exercise 2: torch.export (dynamic shapes, guards, decompositions)")
    run_part(part_export, model)

    section("Exercise 3: ONNX and ONNX Runtime")
    fp32 = run_part(part_onnx, model, out / "encoder.onnx", "encoder", torch.randint(1, VOCAB, (2, SEQ)), MAX_LEN)
    run_part(part_onnx_checks, model, fp32, out)
    if args.full:
        run_part(part_session_options, fp32, repeats)

    section("Exercise 4: INT8 quantization and pruning")
    reports = run_part(part_quantize, fp32, data, out, "encoder", ("dynamic", "static"))
    run_part(part_pruning, model, data, repeats)

    section("Exercise 5: the benchmark")
    files = {}
    if not is_skipped(fp32):
        files = {"ORT FP32": fp32, "ORT INT8 (dynamic)": out / "encoder_int8_dynamic.onnx"}
        files = {k: v for k, v in files.items() if v.is_file()}
    rows = run_part(part_benchmark, model, None if is_skipped(traced) else traced, files, data, repeats, args.full,
                    "encoder", out)
    if not is_skipped(rows) and not is_skipped(reports) and "ORT INT8 (dynamic)" in files:
        (out / "benchmark.md").write_text(format_table(rows, describe_machine()) + "\n")
        headline(rows, "ORT INT8 (dynamic)", reports["dynamic"])

    if args.full:
        section("Full run: the digits CNN of lab 1.6")
        start = time.perf_counter()
        cnn, digits = train_cnn()
        print(f"  SmallResNet(1, 10, (16, 32)) trained in {time.perf_counter() - start:.1f} s; "
              f"test accuracy {100 * accuracy_of(cnn, *digits['test']):.2f} % on {len(digits['test'][1])} images")
        cnn_fp32 = export_cnn(cnn, out / "cnn.onnx")
        cnn_reports = run_part(part_quantize, cnn_fp32, digits, out, "cnn", ("dynamic", "static"))
        cnn_traced = torch.jit.trace(cnn, digits["train"][0][:2])
        cnn_files = {"ORT FP32": cnn_fp32, "ORT INT8 (static)": out / "cnn_int8_static.onnx"}
        cnn_rows = run_part(part_benchmark, cnn, cnn_traced, cnn_files, digits, repeats, True, "digits CNN", out)
        if not is_skipped(cnn_rows) and not is_skipped(cnn_reports):
            headline(cnn_rows, "ORT INT8 (static)", cnn_reports["static"])
        section(f"Full run: encoder INT8 accuracy over seeds 0..{args.seeds - 1}")
        run_part(part_int8_seeds, args.seeds, out)


if __name__ == "__main__":
    main()
