# Exercise stub generated from solution/exercise1_modules_from_parts.py by `make stubs` [fingerprint 4c255b666fd2]
"""Exercise 1: modules from parts. Parameters, buffers, state_dict, counting and freezing.

An ``nn.Module`` is a container with three registries that ``__setattr__`` fills for you:
``_parameters`` (tensors the optimiser trains), ``_buffers`` (state that is saved and moved with
the module but not trained, such as running statistics) and ``_modules`` (children). Everything
else a module does (``parameters()``, ``state_dict()``, ``.to()``, ``.train()``) walks those
registries. Build a layer from ``nn.Parameter`` and a buffer, then the tools around them.

Run the checks with:  make test-lab LAB=phase1_foundations/lab2_custom_modules EX=1
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import nn


class Linear(nn.Module):
    """y = x W^T + b, the same layer as ``nn.Linear`` with the same parameter names and init.

    Attributes once built:
        weight: nn.Parameter of shape (out_features, in_features)
        bias:   nn.Parameter of shape (out_features,), or None when ``bias=False`` (and then
                "bias" is not a key of the state_dict)
    ``device`` and ``dtype`` say where and in what type the parameters are created, as in
    ``nn.Linear``. A state_dict saved from ``nn.Linear(in_features, out_features, bias)``
    loads into this module with ``strict=True`` and gives the same outputs.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        # TODO: assigning an nn.Parameter to an attribute registers it. Create the weight (and bias)
        # TODO: uninitialised, shaped as the class docstring says, honouring device and dtype, and
        # TODO: let reset_parameters fill them. Without a bias, self.bias must still exist as None
        # TODO: but be neither a parameter nor a state_dict key (register_parameter).
        raise NotImplementedError("Exercise 1.1: implement Linear.__init__")

    def reset_parameters(self) -> None:
        """Re-draw the parameters, in place, from nn.Linear's default distributions.

        weight and bias both ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight's
        distribution is what nn.Linear's ``kaiming_uniform_(weight, a=sqrt(5))`` works out to).
        With in_features == 0 the bias bound is taken as 0.
        """
        # TODO: parameters are leaves that require grad: refill them in place with autograd off
        # TODO: (Tensor.uniform_). The bound is in the docstring; mind in_features == 0 and no bias.
        raise NotImplementedError("Exercise 1.2: implement Linear.reset_parameters")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., in_features) -> (..., out_features). Written with a matmul, not F.linear."""
        # TODO: one matmul with the weight (mind its (out, in) layout) handles any number of leading
        # TODO: dims; the bias may be None.
        raise NotImplementedError("Exercise 1.3: implement Linear.forward")

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class RunningCenter(nn.Module):
    """Subtracts per-feature means, keeping an exponential moving average of them as a BUFFER.

    running_mean: buffer of shape (num_features,), starts at zeros, not a parameter (no
    gradient, not trained), saved in the state_dict, moved and converted by ``.to()``.
    x: (N, num_features) -> (N, num_features):
      * training mode: returns x - mean(x over the batch) (gradients flow through that mean) and
        updates running_mean <- (1 - momentum) * running_mean + momentum * batch mean,
        without recording the update for autograd (the buffer never gets a grad_fn);
      * eval mode: returns x - running_mean and changes nothing.
    """

    def __init__(self, num_features: int, momentum: float = 0.1) -> None:
        super().__init__()
        self.num_features = num_features
        self.momentum = momentum
        # TODO: a plain tensor attribute is invisible to state_dict() and .to(): register
        # TODO: running_mean as a buffer (register_buffer), starting at zeros.
        raise NotImplementedError("Exercise 1.4: implement RunningCenter.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: self.training tells the two modes apart. In training, the output uses the batch mean
        # TODO: (gradients flow through it), but the buffer update happens in place and must not be
        # TODO: recorded by autograd, nor link the buffer to x's graph. Eval mode changes nothing.
        raise NotImplementedError("Exercise 1.5: implement RunningCenter.forward")


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (buffers are not parameters).

    A parameter shared by two submodules (tied weights) counts once. With
    ``trainable_only=True``, count only parameters with ``requires_grad=True``.
    """
    # TODO: which iterator yields every parameter exactly once (tied weights too) and no buffers?
    # TODO: Add up the scalars in each (numel), keeping only trainable ones when asked.
    raise NotImplementedError("Exercise 1.6: implement count_parameters")


def freeze(model: nn.Module, prefixes: Sequence[str]) -> list[str]:
    """Stop training the parameters under the given submodule names; return the names frozen.

    A parameter named ``name`` (as in ``model.named_parameters()``) is frozen when, for some
    prefix p, ``name == p`` or ``name`` starts with ``p + "."``: prefix "1" freezes "1.weight"
    but not "10.weight". Frozen parameters get ``requires_grad=False``; the others are left as
    they are. Returns the frozen names in ``named_parameters()`` order.
    """
    # TODO: walk the named parameters; a prefix matches whole dotted components only ("1" must
    # TODO: not match "10.weight"). requires_grad_ switches a parameter off.
    raise NotImplementedError("Exercise 1.7: implement freeze")


def save_and_reload(model: nn.Module, make_model: Callable[[], nn.Module], path: str | Path) -> nn.Module:
    """Save ``model``'s state_dict to ``path`` and load it into a fresh ``make_model()``.

    The file holds the state_dict only (a dict of tensors that ``torch.load(path,
    weights_only=True)`` can read), not a pickled module. Loading is strict: a fresh model
    whose keys or shapes differ raises the RuntimeError PyTorch raises for that. Returns the new
    model, which holds equal parameters and buffers in memory of its own (nothing shared with
    ``model``) and is in the same train/eval mode as ``model``.
    """
    # TODO: save the state_dict only, not the module; load it (weights_only=True) strictly into a
    # TODO: fresh make_model(), which copies the values into its own tensors. The train/eval mode
    # TODO: is not part of the state_dict.
    raise NotImplementedError("Exercise 1.8: implement save_and_reload")
