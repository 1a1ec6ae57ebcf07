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
        # BEGIN SOLUTION
        # TODO: assigning an nn.Parameter to an attribute registers it. Create the weight (and bias)
        # TODO: uninitialised, shaped as the class docstring says, honouring device and dtype, and
        # TODO: let reset_parameters fill them. Without a bias, self.bias must still exist as None
        # TODO: but be neither a parameter nor a state_dict key (register_parameter).
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        # END SOLUTION

    def reset_parameters(self) -> None:
        """Re-draw the parameters, in place, from nn.Linear's default distributions.

        weight and bias both ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight's
        distribution is what nn.Linear's ``kaiming_uniform_(weight, a=sqrt(5))`` works out to).
        With in_features == 0 the bias bound is taken as 0.
        """
        # BEGIN SOLUTION
        # TODO: parameters are leaves that require grad: refill them in place with autograd off
        # TODO: (Tensor.uniform_). The bound is in the docstring; mind in_features == 0 and no bias.
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        with torch.no_grad():
            # nn.Linear draws the weight with kaiming_uniform_(a=sqrt(5)): gain = sqrt(2 / (1 + 5)),
            # bound = sqrt(3) * gain / sqrt(fan_in) = 1 / sqrt(fan_in). Same call order, same RNG use.
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., in_features) -> (..., out_features). Written with a matmul, not F.linear."""
        # BEGIN SOLUTION
        # TODO: one matmul with the weight (mind its (out, in) layout) handles any number of leading
        # TODO: dims; the bias may be None.
        y = x @ self.weight.T
        if self.bias is not None:
            y = y + self.bias
        return y
        # END SOLUTION

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
        # BEGIN SOLUTION
        # TODO: a plain tensor attribute is invisible to state_dict() and .to(): register
        # TODO: running_mean as a buffer (register_buffer), starting at zeros.
        self.register_buffer("running_mean", torch.zeros(num_features))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: self.training tells the two modes apart. In training, the output uses the batch mean
        # TODO: (gradients flow through it), but the buffer update happens in place and must not be
        # TODO: recorded by autograd, nor link the buffer to x's graph. Eval mode changes nothing.
        if not self.training:
            return x - self.running_mean
        mean = x.mean(dim=0)
        with torch.no_grad():
            self.running_mean.mul_(1.0 - self.momentum).add_(mean.detach(), alpha=self.momentum)
        return x - mean
        # END SOLUTION


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (buffers are not parameters).

    A parameter shared by two submodules (tied weights) counts once. With
    ``trainable_only=True``, count only parameters with ``requires_grad=True``.
    """
    # BEGIN SOLUTION
    # TODO: which iterator yields every parameter exactly once (tied weights too) and no buffers?
    # TODO: Add up the scalars in each (numel), keeping only trainable ones when asked.
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    # END SOLUTION


def freeze(model: nn.Module, prefixes: Sequence[str]) -> list[str]:
    """Stop training the parameters under the given submodule names; return the names frozen.

    A parameter named ``name`` (as in ``model.named_parameters()``) is frozen when, for some
    prefix p, ``name == p`` or ``name`` starts with ``p + "."``: prefix "1" freezes "1.weight"
    but not "10.weight". Frozen parameters get ``requires_grad=False``; the others are left as
    they are. Returns the frozen names in ``named_parameters()`` order.
    """
    # BEGIN SOLUTION
    # TODO: walk the named parameters; a prefix matches whole dotted components only ("1" must
    # TODO: not match "10.weight"). requires_grad_ switches a parameter off.
    frozen = []
    for name, p in model.named_parameters():
        if any(name == pre or name.startswith(pre + ".") for pre in prefixes):
            p.requires_grad_(False)
            frozen.append(name)
    return frozen
    # END SOLUTION


def save_and_reload(model: nn.Module, make_model: Callable[[], nn.Module], path: str | Path) -> nn.Module:
    """Save ``model``'s state_dict to ``path`` and load it into a fresh ``make_model()``.

    The file holds the state_dict only (a dict of tensors that ``torch.load(path,
    weights_only=True)`` can read), not a pickled module. Loading is strict: a fresh model
    whose keys or shapes differ raises the RuntimeError PyTorch raises for that. Returns the new
    model, which holds equal parameters and buffers in memory of its own (nothing shared with
    ``model``) and is in the same train/eval mode as ``model``.
    """
    # BEGIN SOLUTION
    # TODO: save the state_dict only, not the module; load it (weights_only=True) strictly into a
    # TODO: fresh make_model(), which copies the values into its own tensors. The train/eval mode
    # TODO: is not part of the state_dict.
    torch.save(model.state_dict(), path)
    fresh = make_model()
    fresh.load_state_dict(torch.load(path, weights_only=True))
    fresh.train(model.training)
    return fresh
    # END SOLUTION
