# Exercise stub generated from solution/exercise3_functions_and_containers.py by `make stubs` [fingerprint 7abf264c94ab]
"""Exercise 3: custom autograd Functions inside modules, and the containers that compose modules.

A ``torch.autograd.Function`` lets you choose what the forward pass saves and what the backward
pass computes: here a SiLU that saves only its input (half the memory of the composed
``x * sigmoid(x)``, which saves both x and sigmoid(x)), and a straight-through estimator that
rounds in the forward pass and lets the gradient through unchanged. Then ``nn.Sequential``,
``nn.ModuleList`` and ``nn.ModuleDict``: containers that REGISTER their children, which a plain
Python list or dict does not.

Run the checks with:  make test-lab LAB=phase1_foundations/lab2_custom_modules EX=3
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch import nn


class MemoryEfficientSiLU(torch.autograd.Function):
    """silu(x) = x * sigmoid(x), whose graph keeps ONLY the input x for the backward pass.

    d silu / dx = sigmoid(x) * (1 + x * (1 - sigmoid(x))), recomputed in backward from x.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> silu(x), same shape and dtype; saves x and nothing else."""
        # TODO: compute silu and keep only the input for backward (ctx.save_for_backward): saving
        # TODO: sigmoid(x) or the output too is exactly what this Function avoids.
        raise NotImplementedError("Exercise 3.1: implement MemoryEfficientSiLU.forward")

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output: dloss/dsilu(x), shaped like x -> dloss/dx, shaped like x."""
        # TODO: read the input back (ctx.saved_tensors), recompute what was not saved, and multiply
        # TODO: grad_output by the derivative given in the class docstring.
        raise NotImplementedError("Exercise 3.2: implement MemoryEfficientSiLU.backward")


class SiLU(nn.Module):
    """An activation module whose forward goes through :class:`MemoryEfficientSiLU`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: a Function is called with .apply, never by instantiating it.
        raise NotImplementedError("Exercise 3.3: implement SiLU.forward")


class RoundSTE(torch.autograd.Function):
    """Straight-through estimator: forward rounds to the nearest integer (ties to even, as
    torch.round); backward pretends the rounding was the identity and passes the gradient on."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        # TODO: nothing needs saving.
        raise NotImplementedError("Exercise 3.4: implement RoundSTE.forward")

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        # TODO: the true derivative of round is 0 almost everywhere; the estimator uses 1 instead.
        raise NotImplementedError("Exercise 3.5: implement RoundSTE.backward")


class FakeQuantize(nn.Module):
    """Rounds x to the nearest multiple of ``step`` (step * round(x / step)) in the forward pass,
    with straight-through gradients: d output / d x is taken as 1. x: any shape -> same shape."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = step

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: the formula in the docstring, with the rounding done by RoundSTE so that the
        # TODO: gradient passes straight through it.
        raise NotImplementedError("Exercise 3.6: implement FakeQuantize.forward")


def build_mlp(widths: Sequence[int], activation: Callable[[], nn.Module] = nn.ReLU, dropout: float = 0.0) -> nn.Sequential:
    """An MLP as an nn.Sequential: widths [d_0, d_1, ..., d_k] give k nn.Linear layers.

    Layout: Linear(d_0, d_1), activation(), [Dropout(dropout)], Linear(d_1, d_2), ...,
    Linear(d_{k-1}, d_k): an activation (a NEW instance from ``activation()`` each time), then a
    Dropout when dropout > 0, between consecutive Linear layers, and nothing after the last.
    So the state_dict keys are "0.weight", "0.bias", "2.weight", ... (or "3.weight" with dropout).
    Fewer than two widths raise ValueError.
    """
    # TODO: one Linear per consecutive pair of widths; between two Linears (never after the last)
    # TODO: a fresh activation() and, when dropout > 0, a Dropout. Fewer than two widths raise.
    # TODO: The order of the layers fixes the state_dict keys.
    raise NotImplementedError("Exercise 3.7: implement build_mlp")


class ResidualMLP(nn.Module):
    """``depth`` residual blocks x <- x + block(x), kept in an nn.ModuleList named ``blocks``.

    Block i is nn.Sequential(nn.Linear(dim, hidden), SiLU(), nn.Linear(hidden, dim)), so the
    state_dict keys are "blocks.{i}.0.weight", "blocks.{i}.0.bias", "blocks.{i}.2.weight",
    "blocks.{i}.2.bias". x: (N, dim) -> (N, dim).
    """

    def __init__(self, dim: int, hidden: int, depth: int) -> None:
        super().__init__()
        # TODO: a plain Python list of modules is not registered: parameters(), .to() and
        # TODO: state_dict() would not see them. nn.ModuleList is.
        raise NotImplementedError("Exercise 3.8: implement ResidualMLP.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: iterate over self.blocks.
        raise NotImplementedError("Exercise 3.9: implement ResidualMLP.forward")


class MultiTaskHeads(nn.Module):
    """A shared trunk and one linear head per task, kept in an nn.ModuleDict named ``heads``.

    trunk: nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU()) (keys "trunk.0.weight", ...).
    heads: nn.ModuleDict {task: nn.Linear(hidden, n_outputs)} (keys "heads.{task}.weight", ...).
    x: (N, in_features) -> {task: (N, n_outputs of that task)}, tasks in the order given.
    """

    def __init__(self, in_features: int, hidden: int, tasks: Mapping[str, int]) -> None:
        super().__init__()
        # TODO: the trunk as in the class docstring; the heads in a container that registers each
        # TODO: one under its task name (a plain dict would not), in the order given.
        raise NotImplementedError("Exercise 3.10: implement MultiTaskHeads.__init__")

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        # TODO: run the trunk once, then every head on its output.
        raise NotImplementedError("Exercise 3.11: implement MultiTaskHeads.forward")
