"""Exercise 1: TorchScript. Tracing records one run; scripting compiles the code.

``torch.jit.trace(model, example)`` runs the model once and records the tensor operations that
ran. Python control flow is not recorded, only the path the example took: an ``if`` on a
tensor's value becomes whichever branch the example chose, for every future input. PyTorch
says so with a ``torch.jit.TracerWarning`` ("Converting a tensor to a Python boolean might
cause the trace to be incorrect"), and nothing else: the trace runs, silently wrong on inputs
that would have taken the other branch.

``torch.jit.script(model)`` compiles the Python source of ``forward`` (a typed subset of Python)
instead, so branches and loops survive. Both produce a ``ScriptModule`` that ``torch.jit.save``
writes to one file holding code and weights, loadable by ``torch.jit.load`` in Python or by
LibTorch in C++, without the model's Python class.

TorchScript is deprecated (the PyTorch docs: "TorchScript is deprecated, please use
torch.export instead", exercise 2), but much deployed code still uses it, and the tracing
pitfall is the same one every graph capture faces.

Run the checks with:  make test-lab LAB=2.6 EX=1
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Sequence

import torch
from torch import nn


class GatedHead(nn.Module):
    """A classifier head whose computation depends on the *values* of its input.

    x: (B, d) -> (B, n_classes). When the batch's mean activation is positive the features go
    through ``fc`` directly; otherwise they are rectified first. One Python ``if`` on a tensor value.
    """

    def __init__(self, d: int = 8, n_classes: int = 3):
        super().__init__()
        self.fc = nn.Linear(d, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.mean() > 0:
            return self.fc(x)
        return self.fc(torch.relu(x))


def trace_with_warnings(model: nn.Module, example: torch.Tensor) -> tuple[torch.jit.ScriptModule, list[str]]:
    """Trace ``model`` in eval mode on ``example``; return the trace and the messages of every
    ``torch.jit.TracerWarning`` raised while tracing (in order; other warnings are not returned
    and not swallowed: they still reach the caller).

    Leaves ``model`` in eval mode.
    """
    # BEGIN SOLUTION
    # TODO: warnings.catch_warnings(record=True) with simplefilter("always") inside it, or a warning
    # TODO: raised once before is not recorded again. Keep the TracerWarnings, re-issue the rest
    # TODO: (warnings.warn_explicit with the record's fields).
    model.eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        traced = torch.jit.trace(model, example)
    messages = []
    for w in caught:
        if issubclass(w.category, torch.jit.TracerWarning):
            messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return traced, messages
    # END SOLUTION


def script(model: nn.Module) -> torch.jit.ScriptModule:
    """Compile ``model`` with ``torch.jit.script``, in eval mode (leaves ``model`` in eval mode)."""
    # BEGIN SOLUTION
    # TODO: one line, and the mode.
    return torch.jit.script(model.eval())
    # END SOLUTION


def disagreements(reference: nn.Module, candidate: nn.Module, inputs: Sequence[torch.Tensor],
                  atol: float = 1e-5, rtol: float = 1e-4) -> list[int]:
    """Indices ``i`` of the inputs on which ``candidate(inputs[i])`` differs from ``reference(inputs[i])``.

    Differs: a different shape, or some element outside ``torch.allclose(..., atol, rtol)``.
    Both run in eval mode and without autograd; an exact ``==`` would flag the last-bit rounding
    differences that fused kernels legitimately produce.
    """
    # BEGIN SOLUTION
    # TODO: check every input, not just the first; compare shapes before values.
    reference.eval()
    candidate.eval()
    bad = []
    with torch.no_grad():
        for i, x in enumerate(inputs):
            want, got = reference(x), candidate(x)
            if want.shape != got.shape or not torch.allclose(got, want, atol=atol, rtol=rtol):
                bad.append(i)
    return bad
    # END SOLUTION


def save_and_load(module: torch.jit.ScriptModule, path: str | Path) -> torch.jit.ScriptModule:
    """Write ``module`` to ``path`` with ``torch.jit.save`` and return ``torch.jit.load(path)``, on the CPU."""
    # BEGIN SOLUTION
    # TODO: map_location="cpu" so a file saved on a GPU machine loads anywhere.
    torch.jit.save(module, str(path))
    return torch.jit.load(str(path), map_location="cpu")
    # END SOLUTION
