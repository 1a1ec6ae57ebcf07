# Exercise stub generated from solution/exercise3_onnx.py by `make stubs` [fingerprint c7b522d3a3b6]
"""Exercise 3: ONNX and ONNX Runtime. A file any runtime can load, checked against eager.

ONNX is a file format for computation graphs: a list of nodes (each an operator of a versioned
*opset*, with named inputs and outputs), the weights as initializers, and typed graph inputs and
outputs whose dimensions are numbers or names. A dimension with a name ("batch") is dynamic;
a number is fixed forever. ``torch.onnx.export(..., dynamo=True)`` builds the file from a
``torch.export`` capture (exercise 2) and translates each ATen operator into ONNX operators
with onnxscript; ``dynamic_shapes`` marks the dynamic dimensions exactly as in ``torch.export``.

``onnx.checker.check_model`` validates the file against the ONNX specification (every operator
exists in the declared opset, types agree). ONNX Runtime (``onnxruntime.InferenceSession``)
runs it. At load time the session rewrites the graph: constant folding, eliminating no-op
nodes, and fusing patterns into single kernels (LayerNormalization, Gelu, MatMul+Add into
Gemm or FusedMatMul, attention subgraphs). ``SessionOptions.graph_optimization_level`` chooses how
far it goes, and ``intra_op_num_threads`` how many threads one operator may use.

Run the checks with:  make test-lab LAB=2.6 EX=3
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn
from torch.export import Dim

OPSET = 18  # the opset this lab exports to; ONNX Runtime 1.32 implements opsets up to 23

OPTIMIZATION_LEVELS = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def export_onnx(model: nn.Module, example_ids: torch.Tensor, path: str | Path, max_batch: int, max_seq: int,
                opset: int = OPSET) -> Path:
    """Export ``model`` (in eval mode) to the ONNX file ``path`` with the dynamo-based exporter.

    One input named "ids" with dimensions named "batch" (``Dim`` range 1 … max_batch) and "seq"
    (``Dim`` range 2 … max_seq: with a minimum of 1 the ONNX exporter's capture of this model fails,
    "Constraints violated (seq)", see the README; the file still runs at T = 1, since ONNX keeps
    the names of dimensions, not their ranges), one output named "logits"; opset ``opset``; the
    weights inside the one file (no external data file next to it). example_ids: (B, T) with
    B, T >= 2. Returns ``Path(path)``.
    Leaves ``model`` in eval mode.
    """
    # TODO: the same Dim objects as in exercise 2; torch.onnx.export(model, (example_ids,), path,
    # TODO: dynamo=True, dynamic_shapes=..., input_names=..., output_names=..., opset_version=...,
    # TODO: external_data=False). Without a dynamic batch, the file accepts only the example's batch size.
    raise NotImplementedError("Exercise 3.1: implement export_onnx")


def describe_onnx(path: str | Path) -> dict:
    """Check the file with ``onnx.checker.check_model`` (raises on an invalid file) and describe it.

    Returns ``{"opset": int, "inputs": {name: [dim, ...]}, "outputs": {name: [dim, ...]},
    "ops": Counter}``: the default-domain ("" or "ai.onnx") opset version, each graph input's and
    output's dimensions (an int for a fixed one, the name for a dynamic one), and how many nodes
    of each ``op_type`` the main graph has.
    """
    # TODO: onnx.load; model.opset_import (a list: pick the default domain); graph.input[i].type.tensor_type.shape.dim,
    # TODO: each with dim_value (0 when unset) or dim_param; graph.node[i].op_type.
    raise NotImplementedError("Exercise 3.2: implement describe_onnx")


def make_session(path: str | Path, threads: int = 1, optimization: str = "all",
                 optimized_path: str | Path | None = None) -> ort.InferenceSession:
    """An ONNX Runtime session on the CPU for the file ``path``.

    ``threads``: intra-op threads (one operator's parallelism); inter-op threads 1 and sequential
    execution. ``optimization``: a key of :data:`OPTIMIZATION_LEVELS`. ``optimized_path``: if given,
    the session also writes the graph it optimised there (to inspect what it fused).
    Raises ValueError for an unknown ``optimization``.
    """
    # TODO: ort.SessionOptions(): intra_op_num_threads, inter_op_num_threads, execution_mode,
    # TODO: graph_optimization_level, optimized_model_filepath; providers=["CPUExecutionProvider"].
    raise NotImplementedError("Exercise 3.3: implement make_session")


def run_session(session: ort.InferenceSession, ids: torch.Tensor) -> torch.Tensor:
    """Run ``session`` on ids: (B, T) int64 and return its first output as a torch tensor (B, n_classes).

    The input is fed under the session's own input name (``session.get_inputs()``), not a guessed one.
    """
    # TODO: ONNX Runtime takes and returns numpy arrays: {name: ids.numpy()}; torch.from_numpy back.
    raise NotImplementedError("Exercise 3.4: implement run_session")


def max_abs_error(model: nn.Module, session: ort.InferenceSession, shapes: Iterable[tuple[int, int]],
                  vocab_size: int, seed: int = 0) -> dict[tuple[int, int], float]:
    """max |ORT - eager| over the logits, for one random batch of each (B, T) in ``shapes``.

    Token ids are drawn with ``torch.Generator().manual_seed(seed)`` from 1 … vocab_size - 1 (no
    padding); ``model`` runs in eval mode without autograd. Returns {(B, T): error}.
    """
    # TODO: one generator for all shapes, drawn in the order given; eager and ORT on the same ids.
    raise NotImplementedError("Exercise 3.5: implement max_abs_error")


def strip_debug_metadata(path: str | Path) -> int:
    """Remove the per-node debugging metadata the exporter writes (each node's source stack trace,
    module path and FX node name, under ``metadata_props``) from the file at ``path``, in place.
    The graph and the weights are untouched. Returns how many bytes the file shrank by."""
    path = Path(path)
    before = path.stat().st_size
    proto = onnx.load(str(path))
    for node in proto.graph.node:
        node.ClearField("metadata_props")
    onnx.save(proto, str(path))
    return before - path.stat().st_size


def numpy_logits(session: ort.InferenceSession, ids: np.ndarray) -> np.ndarray:
    """The session's logits for a numpy batch, without a torch round trip (what a server would call)."""
    return session.run(None, {session.get_inputs()[0].name: ids})[0]
