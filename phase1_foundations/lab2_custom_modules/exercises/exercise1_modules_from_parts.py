# Exercise stub generated from solution/exercise1_modules_from_parts.py by `make stubs` [fingerprint 73964ed149ba]
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
        # TODO: wrap a torch.empty(...) tensor of the right shape in nn.Parameter and assign it to
        # TODO: self.weight: assigning a Parameter to an attribute registers it.
        # TODO: without a bias, call self.register_parameter("bias", None) so that self.bias exists
        # TODO: (as None) but is neither a parameter nor a state_dict key. End with reset_parameters().
        raise NotImplementedError("Exercise 1.1: implement Linear.__init__")

    def reset_parameters(self) -> None:
        """Re-draw the parameters, in place, from nn.Linear's default distributions.

        weight and bias both ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight's
        distribution is what nn.Linear's ``kaiming_uniform_(weight, a=sqrt(5))`` works out to).
        With in_features == 0 the bias bound is taken as 0.
        """
        # TODO: a parameter is a leaf that requires grad: change it in place inside torch.no_grad().
        # TODO: Tensor.uniform_(low, high) fills a tensor in place; the bound is 1 / sqrt(fan_in).
        raise NotImplementedError("Exercise 1.2: implement Linear.reset_parameters")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., in_features) -> (..., out_features). Written with a matmul, not F.linear."""
        # TODO: x @ W^T works for any number of leading dims; add the bias when there is one.
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
        # TODO: a plain tensor attribute is invisible to state_dict() and .to(); register it with
        # TODO: self.register_buffer("running_mean", torch.zeros(num_features)).
        raise NotImplementedError("Exercise 1.4: implement RunningCenter.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: self.training tells the two modes apart (model.train() / model.eval() set it).
        # TODO: update the buffer in place under torch.no_grad() (mul_ and add_ with alpha=...);
        # TODO: use the batch mean detached from the graph for the update.
        raise NotImplementedError("Exercise 1.5: implement RunningCenter.forward")


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (buffers are not parameters).

    A parameter shared by two submodules (tied weights) counts once. With
    ``trainable_only=True``, count only parameters with ``requires_grad=True``.
    """
    # TODO: model.parameters() yields each Parameter once, even when it is registered twice.
    # TODO: p.numel() is the number of scalars in p. (Summing over state_dict() would count
    # TODO: buffers, and tied weights twice.)
    raise NotImplementedError("Exercise 1.6: implement count_parameters")


def freeze(model: nn.Module, prefixes: Sequence[str]) -> list[str]:
    """Stop training the parameters under the given submodule names; return the names frozen.

    A parameter named ``name`` (as in ``model.named_parameters()``) is frozen when, for some
    prefix p, ``name == p`` or ``name`` starts with ``p + "."``: prefix "1" freezes "1.weight"
    but not "10.weight". Frozen parameters get ``requires_grad=False``; the others are left as
    they are. Returns the frozen names in ``named_parameters()`` order.
    """
    # TODO: walk model.named_parameters(); compare whole dotted components, not raw string prefixes.
    # TODO: p.requires_grad_(False) turns off gradient tracking for that parameter.
    raise NotImplementedError("Exercise 1.7: implement freeze")


def save_and_reload(model: nn.Module, make_model: Callable[[], nn.Module], path: str | Path) -> nn.Module:
    """Save ``model``'s state_dict to ``path`` and load it into a fresh ``make_model()``.

    The file holds the state_dict only (a dict of tensors that ``torch.load(path,
    weights_only=True)`` can read), not a pickled module. Loading is strict: a fresh model
    whose keys or shapes differ raises the RuntimeError PyTorch raises for that. Returns the new
    model, which holds equal parameters and buffers in memory of its own (nothing shared with
    ``model``) and is in the same train/eval mode as ``model``.
    """
    # TODO: torch.save(model.state_dict(), path); then torch.load(path, weights_only=True) and
    # TODO: fresh.load_state_dict(...), which copies the values into the fresh model's own tensors.
    # TODO: train/eval mode is not part of the state_dict: set it with fresh.train(model.training).
    raise NotImplementedError("Exercise 1.8: implement save_and_reload")
