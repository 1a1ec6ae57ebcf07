# Exercise stub generated from solution/exercise5_benchmark.py by `make stubs` [fingerprint 6f48522541af]
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
    # TODO: warm up first; time each call on its own (not the whole loop divided by iters: that
    # TODO: hides the tail); percentiles per run, then the median across runs.
    raise NotImplementedError("Exercise 5.1: implement latency_ms")


def size_bytes(artifact: nn.Module | torch.jit.ScriptModule | str | Path) -> int:
    """Bytes on disk of a model artifact.

    * a path: the file's size plus that of every external-data file the ONNX file refers to
      (an ``.onnx`` file may keep its weights in a separate file next to it);
    * a ``torch.jit.ScriptModule``: the bytes ``torch.jit.save`` writes into an ``io.BytesIO``;
    * any other ``nn.Module``: the bytes ``torch.save(module.state_dict())`` writes into an ``io.BytesIO``
      (a zip archive records its file name, so the same save into a named file differs by a few bytes).
    """
    # TODO: onnx.load(path, load_external_data=False); a tensor in graph.initializer with
    # TODO: data_location == onnx.TensorProto.EXTERNAL names its file in external_data ("location").
    # TODO: ScriptModule is a subclass of nn.Module: test it first.
    raise NotImplementedError("Exercise 5.2: implement size_bytes")


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
    # TODO: the reference logits once; each variant's logits on the same rows; then the rounds of timings.
    raise NotImplementedError("Exercise 5.3: implement benchmark_table")


def format_table(rows: Sequence[dict], machine: str) -> str:
    """The rows as a Markdown table, with a header line naming the machine the timings come from."""
    lines = [f"Timings on {machine}; p50 and p99 are medians over runs.", "",
             "| variant | batch | p50 ms | p99 ms | size MB | accuracy | max abs diff vs eager |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['batch']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['size_mb']:.3f} | "
                     f"{100 * r['accuracy']:.2f} % | {r['max_abs_diff']:.2e} |")
    return "\n".join(lines)
