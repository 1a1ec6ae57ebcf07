"""Exercise 2: torch.export. A whole-graph capture with dynamic shapes, guards and decompositions.

``torch.export.export(model, args, dynamic_shapes=...)`` runs the model once on example inputs
with *symbolic* sizes and records every ATen operator it calls into an ``ExportedProgram``: a
graph with no Python left in it, plus the constraints ("guards") under which that graph is
valid. A dimension you do not mark dynamic is specialised to its example value: export with a
batch of 2 and the program accepts batch 2 only. A dimension you mark with
``torch.export.Dim(name, min=..., max=...)`` stays symbolic, and the program checks at call
time that the size is in range (``AssertionError: Guard failed: ids.size()[1] <= 64``).

The model code may itself constrain a dimension. :class:`EncoderClassifier` adds a learned
position table of ``max_len`` rows, ``self.pos[:T]``: a sequence longer than ``max_len`` cannot
work, and export refuses a ``Dim`` whose range claims it can ("Constraints violated").

``ExportedProgram.run_decompositions()`` lowers the graph to the *Core ATen* operator set
(about 180 operators that every backend must implement): ``aten.linear`` becomes a
transpose and an ``aten.addmm``, ``aten.gelu`` stays, ``aten.layer_norm`` becomes
``aten.native_layer_norm``, and so on. That is what backends such as the ONNX exporter consume.

The model of this exercise, :class:`EncoderClassifier`, is the lab's transformer: written
out, with attention as explicit matrix products (see the README for why not
``F.scaled_dot_product_attention`` with a mask).

Run the checks with:  make test-lab LAB=2.6 EX=2
"""
from __future__ import annotations

from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn
from torch.export import Dim, ExportedProgram


class EncoderBlock(nn.Module):
    """Pre-norm transformer encoder block: x + attn(LN(x)), then x + FFN(LN(x)).

    x: (B, T, d_model), keep: (B, 1, 1, T) bool, True where a key position is a real token.
    Attention is written out: softmax(q k^T / sqrt(d_head) + bias) v with bias = -inf on padding.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.1):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff1 = nn.Linear(d_model, d_ff)
        self.ff2 = nn.Linear(d_ff, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.n_heads, D // self.n_heads).permute(2, 0, 3, 1, 4)
        bias = torch.zeros(keep.shape, dtype=x.dtype, device=x.device).masked_fill(~keep, float("-inf"))
        att = torch.softmax(q @ k.transpose(-2, -1) * (D // self.n_heads) ** -0.5 + bias, dim=-1)
        x = x + self.drop(self.proj((self.drop(att) @ v).transpose(1, 2).reshape(B, T, D)))
        return x + self.drop(self.ff2(F.gelu(self.ff1(self.ln2(x)))))


class EncoderClassifier(nn.Module):
    """A small transformer encoder classifier over token ids.

    ids: (B, T) int64 with 0 = padding, T <= max_len, every row at least one real token ->
    logits (B, n_classes). Embedding plus a learned position table, ``n_layers`` pre-norm
    :class:`EncoderBlock` s, a final LayerNorm, the mean over the real (non-padding) positions,
    then a linear head. Dropout is active in train mode only.
    """

    def __init__(self, vocab_size: int = 16, n_classes: int = 4, d_model: int = 128, n_heads: int = 4,
                 n_layers: int = 2, d_ff: int = 512, max_len: int = 64, dropout: float = 0.1):
        super().__init__()
        self.max_len = max_len
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        self.blocks = nn.ModuleList([EncoderBlock(d_model, n_heads, d_ff, dropout) for _ in range(n_layers)])
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)
        self.drop = nn.Dropout(dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        T = ids.shape[1]
        real = ids.ne(0)
        x = self.drop(self.embed(ids) + self.pos[:T])
        keep = real[:, None, None, :]
        for block in self.blocks:
            x = block(x, keep)
        x = self.ln(x).masked_fill(~real.unsqueeze(-1), 0.0)
        return self.head(x.sum(1) / real.sum(1, keepdim=True).clamp_min(1))


def export_dynamic(model: nn.Module, example_ids: torch.Tensor, max_batch: int, max_seq: int) -> ExportedProgram:
    """Export ``model`` for inference with a dynamic batch and sequence dimension.

    example_ids: (B, T) example input (B >= 2 and T >= 2: an example size of 1 would be
    specialised). The program must accept any batch 1 … ``max_batch`` and any sequence
    length 1 … ``max_seq``, and give the outputs of ``model`` in eval mode. Name the dimensions
    "batch" and "seq" (the names appear in the guards and, in exercise 3, in the ONNX file).
    Leaves ``model`` in eval mode.
    """
    # BEGIN SOLUTION
    # TODO: an inference export is made in eval mode: in train mode, dropout is recorded in the graph.
    # TODO: torch.export.Dim(name, min=..., max=...) for each dynamic dimension, passed as
    # TODO: dynamic_shapes={"ids": {0: batch_dim, 1: seq_dim}} (the key is forward's argument name).
    model.eval()
    batch = Dim("batch", min=1, max=max_batch)
    seq = Dim("seq", min=1, max=max_seq)
    return torch.export.export(model, (example_ids,), dynamic_shapes={"ids": {0: batch, 1: seq}})
    # END SOLUTION


def op_counts(program: ExportedProgram) -> Counter[str]:
    """How many times each operator is called in ``program``'s graph.

    Keys are the operators' names as ``str(node.target)`` gives them ("aten.linear.default");
    only ``call_function`` nodes count (inputs, parameters and the output node are not operators).
    """
    # BEGIN SOLUTION
    # TODO: program.graph_module.graph.nodes; each node has .op and .target.
    return Counter(str(node.target) for node in program.graph_module.graph.nodes if node.op == "call_function")
    # END SOLUTION


def guard_failure(program: ExportedProgram, *args: torch.Tensor) -> str | None:
    """Call ``program`` on ``args``: None if it runs, else the guard's message (a str).

    An input outside the exported ranges makes the program's module raise an AssertionError
    ("Guard failed: ids.size()[1] <= 64"); return its text. Any other error is not a guard
    failure and propagates.
    """
    # BEGIN SOLUTION
    # TODO: program.module() is the callable; catch only what a guard raises.
    try:
        program.module()(*args)
    except AssertionError as err:
        return str(err)
    return None
    # END SOLUTION


def decompose_to_core(program: ExportedProgram) -> tuple[ExportedProgram, list[str]]:
    """Lower ``program`` to Core ATen; return the new program and the sorted names of the operators
    in it that are *not* Core ATen (an empty list when the lowering is complete).

    An operator is Core ATen when ``torch.Tag.core`` is among its ``tags``.
    """
    # BEGIN SOLUTION
    # TODO: run_decompositions() with no table uses the Core ATen decomposition table.
    # TODO: each call_function node's target is an OpOverload with .tags; operator.getitem is not an ATen op.
    core = program.run_decompositions()
    leftover = set()
    for node in core.graph_module.graph.nodes:
        if node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload):
            if torch.Tag.core not in node.target.tags:
                leftover.add(str(node.target))
    return core, sorted(leftover)
    # END SOLUTION
