"""Exercise 5: the benchmark a deployer asks for. One table, every format, measured the same way.

A deployment decision needs, for each candidate format and each batch size that will be served:
the typical latency (p50) and the tail (p99), the size of the artifact on disk, the accuracy on
held-out data, and how far its outputs are from the eager model it replaces (max |Δ|). Each
number has a trap:

* **warm-up**: the first calls of any runtime are slow (lazy initialisation, memory allocation,
  ONNX Runtime's first-run setup, a ``torch.compile`` compilation). Time them and p99 measures
  start-up, not serving;
* **repeats**: one run of 100 calls is one sample of the machine's state; report the median of
  the per-run percentiles over several runs, so one noisy run does not decide the table, and
  interleave the variants' runs, so a slow minute of the machine does not land on one variant;
* **the reference**: |Δ| is measured against the eager model's outputs on the same inputs, and
  accuracy on the same held-out split, for every format.

Run the checks with:  make test-lab LAB=2.6 EX=5
"""
from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import numpy as np
import onnx
import torch
from torch import nn


class Variant(NamedTuple):
    """One deployable format: ``predict(ids) -> logits`` (torch tensors in and out) and its size in bytes."""

    name: str
    predict: Callable[[torch.Tensor], torch.Tensor]
    size_bytes: int


def latency_ms(fn: Callable[[], object], warmup: int = 10, iters: int = 50, runs: int = 5) -> dict[str, float]:
    """p50 and p99 latency of ``fn()`` in milliseconds.

    Calls ``fn`` ``warmup`` times untimed, then ``runs`` runs of ``iters`` calls, each timed alone
    with ``time.perf_counter``. Each run gives its own p50 and p99 (``numpy.percentile``, linear
    interpolation); the result is the median over the runs of each:
    ``{"p50": ..., "p99": ...}``. Calls ``fn`` exactly ``warmup + runs * iters`` times.
    """
    # BEGIN SOLUTION
    # TODO: warm up first; time each call on its own (not the whole loop divided by iters: that
    # TODO: hides the tail); percentiles per run, then the median across runs.
    if iters < 1 or runs < 1 or warmup < 0:
        raise ValueError(f"latency_ms needs iters >= 1, runs >= 1 and warmup >= 0, got {iters}, {runs}, {warmup}")
    for _ in range(warmup):
        fn()
    p50s, p99s = [], []
    for _ in range(runs):
        times = np.empty(iters)
        for i in range(iters):
            start = time.perf_counter()
            fn()
            times[i] = time.perf_counter() - start
        p50, p99 = np.percentile(times * 1e3, [50, 99])
        p50s.append(p50)
        p99s.append(p99)
    return {"p50": float(np.median(p50s)), "p99": float(np.median(p99s))}
    # END SOLUTION


def size_bytes(artifact: nn.Module | torch.jit.ScriptModule | str | Path) -> int:
    """Bytes on disk of a model artifact.

    * a path: the file's size plus that of every external-data file the ONNX file refers to
      (an ``.onnx`` file may keep its weights in a separate file next to it);
    * a ``torch.jit.ScriptModule``: the bytes ``torch.jit.save`` writes into an ``io.BytesIO``;
    * any other ``nn.Module``: the bytes ``torch.save(module.state_dict())`` writes into an ``io.BytesIO``
      (a zip archive records its file name, so the same save into a named file differs by a few bytes).
    """
    # BEGIN SOLUTION
    # TODO: onnx.load(path, load_external_data=False); a tensor in graph.initializer with
    # TODO: data_location == onnx.TensorProto.EXTERNAL names its file in external_data ("location").
    # TODO: ScriptModule is a subclass of nn.Module: test it first.
    if isinstance(artifact, (str, Path)):
        path = Path(artifact)
        total = path.stat().st_size
        if path.suffix == ".onnx":
            proto = onnx.load(str(path), load_external_data=False)
            files = {entry.value for t in proto.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
                     for entry in t.external_data if entry.key == "location"}
            total += sum((path.parent / f).stat().st_size for f in files)
        return total
    buffer = io.BytesIO()
    if isinstance(artifact, torch.jit.ScriptModule):
        torch.jit.save(artifact, buffer)
    else:
        torch.save(artifact.state_dict(), buffer)
    return buffer.getbuffer().nbytes
    # END SOLUTION


def benchmark_table(variants: Sequence[Variant], reference: Callable[[torch.Tensor], torch.Tensor],
                    eval_ids: torch.Tensor, eval_labels: torch.Tensor, batch_sizes: Sequence[int] = (1, 32),
                    warmup: int = 10, iters: int = 50, runs: int = 5) -> list[dict]:
    """One row per (variant, batch size), in the order given: variants outer, batch sizes inner.

    Each row: ``{"variant", "batch", "p50_ms", "p99_ms", "size_mb", "accuracy", "max_abs_diff"}``.

    * Accuracy (a fraction) and max |Δ| (against ``reference``, the eager model, on the same
      inputs) over all of eval_ids, computed in chunks of 256 rows, once per variant, without autograd.
    * Latency of ``predict(eval_ids[:batch])``: ``runs`` rounds; in each round every (variant,
      batch) gets one :func:`latency_ms` run (``warmup`` calls, then ``iters`` timed calls,
      ``runs=1``), so a slow spell of the machine hits every variant alike instead of one. p50 and
      p99 are the medians over the rounds of each round's value.
    * Size in MB = bytes / 1e6.
    """
    # BEGIN SOLUTION
    # TODO: the reference logits once; each variant's logits on the same rows; then the rounds of timings.
    def all_logits(fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([fn(eval_ids[i:i + 256]) for i in range(0, len(eval_ids), 256)])

    want = all_logits(reference)
    quality = {}
    for variant in variants:
        got = all_logits(variant.predict)
        quality[variant.name] = (float((got.argmax(1) == eval_labels).float().mean()), float((got - want).abs().max()))
    samples: dict[tuple[str, int], list[dict[str, float]]] = {(v.name, b): [] for v in variants for b in batch_sizes}
    for _ in range(runs):
        for variant in variants:
            for batch in batch_sizes:
                ids = eval_ids[:batch]
                with torch.no_grad():
                    samples[(variant.name, batch)].append(
                        latency_ms(lambda: variant.predict(ids), warmup=warmup, iters=iters, runs=1))
    rows = []
    for variant in variants:
        for batch in batch_sizes:
            runs_of = samples[(variant.name, batch)]
            rows.append({"variant": variant.name, "batch": batch,
                         "p50_ms": float(np.median([r["p50"] for r in runs_of])),
                         "p99_ms": float(np.median([r["p99"] for r in runs_of])),
                         "size_mb": variant.size_bytes / 1e6,
                         "accuracy": quality[variant.name][0], "max_abs_diff": quality[variant.name][1]})
    return rows
    # END SOLUTION


def format_table(rows: Sequence[dict], machine: str) -> str:
    """The rows as a Markdown table, with a header line naming the machine the timings come from."""
    lines = [f"Timings on {machine}; p50 and p99 are medians over runs.", "",
             "| variant | batch | p50 ms | p99 ms | size MB | accuracy | max abs diff vs eager |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['batch']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['size_mb']:.3f} | "
                     f"{100 * r['accuracy']:.2f} % | {r['max_abs_diff']:.2e} |")
    return "\n".join(lines)
