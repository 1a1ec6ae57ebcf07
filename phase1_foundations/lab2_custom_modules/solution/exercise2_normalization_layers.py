"""Exercise 2: normalisation and regularisation layers by hand. LayerNorm, BatchNorm1d, Dropout.

Three layers every network uses, written from tensor operations so that they match PyTorch's
``nn.LayerNorm``, ``nn.BatchNorm1d`` and ``nn.Dropout`` in outputs, gradients, state_dict keys,
running statistics and train/eval behaviour. The grader loads the same state_dict into yours
and into PyTorch's and compares them; ``F.layer_norm``, ``F.batch_norm`` and ``F.dropout``
(and the ``nn`` modules built on them) are off limits.

Run the checks with:  make test-lab LAB=phase1_foundations/lab2_custom_modules EX=2
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class LayerNorm(nn.Module):
    """Normalise over the trailing ``normalized_shape`` dims of each sample, then scale and shift.

    normalized_shape: an int D (the last dim) or a tuple (D_1, ..., D_k) of the last k dims.
    x: (*, D_1, ..., D_k) -> same shape:
        y = (x - mean) / sqrt(var + eps) * weight + bias
    mean and var over the k trailing dims of each sample, var BIASED (divide by the count).
    With elementwise_affine=True: parameters ``weight`` (ones) and ``bias`` (zeros) of shape
    normalized_shape; with False: no parameters at all (``weight`` and ``bias`` are None).
    ``normalized_shape`` is stored as a tuple, as nn.LayerNorm does.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True) -> None:
        super().__init__()
        # BEGIN SOLUTION
        # TODO: store normalized_shape as a tuple (an int becomes a 1-tuple), and eps. With affine,
        # TODO: weight starts at ones and bias at zeros, Parameters of that shape; without, both
        # TODO: names must exist as None without being parameters.
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
            self.bias = nn.Parameter(torch.zeros(self.normalized_shape))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: reduce over the trailing len(normalized_shape) dims, keeping them so that the
        # TODO: statistics broadcast back against x. The variance is the biased one (divide by the
        # TODO: count), and the affine step happens only when there are parameters.
        dims = tuple(range(-len(self.normalized_shape), 0))
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, keepdim=True, correction=0)
        y = (x - mean) * torch.rsqrt(var + self.eps)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y
        # END SOLUTION


class BatchNorm1d(nn.Module):
    """Batch normalisation over (N, C) or (N, C, L) inputs, per channel C, like nn.BatchNorm1d.

    Parameters: weight (C,) ones, bias (C,) zeros.
    Buffers: running_mean (C,) zeros, running_var (C,) ones, num_batches_tracked () int64 zero.
    Training mode: statistics over every dim but C (n = N or N * L values per channel);
        y = (x - batch_mean) / sqrt(batch_var + eps) * weight + bias with the BIASED batch var;
        then, without autograd: num_batches_tracked += 1 and
        running_mean <- (1 - m) * running_mean + m * batch_mean
        running_var  <- (1 - m) * running_var  + m * batch_var * n / (n - 1)   (UNBIASED)
        where m = momentum, or 1 / num_batches_tracked when momentum is None (cumulative average).
        n == 1 raises ValueError (no variance can be estimated from one value).
    Eval mode: the running statistics replace the batch ones; nothing is updated.
    An input that is not 2-D or 3-D raises ValueError.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        # BEGIN SOLUTION
        # TODO: names, shapes and starting values are in the class docstring: which are parameters,
        # TODO: which are buffers? The counter is a 0-d int64 tensor.
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: check the rank; statistics are per channel over every dim but 1, shaped to broadcast
        # TODO: against x. Normalise with the biased batch variance, but feed the unbiased one into
        # TODO: running_var; n == 1 raises. Updates are in place and unrecorded (momentum None: a
        # TODO: cumulative average); eval uses the running statistics and updates nothing.
        if x.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {x.dim()}D input)")
        dims = (0,) if x.dim() == 2 else (0, 2)
        shape = (1, -1) if x.dim() == 2 else (1, -1, 1)
        if self.training:
            n = x.numel() // x.shape[1]
            if n <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(x.shape)}")
            mean = x.mean(dim=dims)
            var = x.var(dim=dims, correction=0)
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1.0 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1.0 - m).add_(var.detach() * (n / (n - 1)), alpha=m)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        return y * self.weight.view(shape) + self.bias.view(shape)
        # END SOLUTION


class Dropout(nn.Module):
    """Inverted dropout: in training, zero each element independently with probability p and
    scale the survivors by 1 / (1 - p), so E[output] = input; in eval mode, the identity.

    p must lie in [0, 1] (ValueError otherwise); p = 1 gives all zeros (never NaN), p = 0 the
    input unchanged. x: any shape -> same shape and dtype; a fresh mask on every call.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        # BEGIN SOLUTION
        # TODO: validate p, then store it.
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: training only: draw a fresh, independent keep-mask of x's shape on every call (keep
        # TODO: with probability 1 - p) and scale the survivors so the expectation is unchanged.
        # TODO: Eval and p == 0 are the identity; p == 1 must give zeros, not NaN.
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * torch.zeros_like(x)
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"p={self.p}"
