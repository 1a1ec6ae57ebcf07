"""Exercise 2: normalisation and regularisation layers by hand. LayerNorm, BatchNorm1d, Dropout,
BatchNorm with a hand-written backward, GroupNorm.

Layers every network uses, written from tensor operations so that they match PyTorch's
``nn.LayerNorm``, ``nn.BatchNorm1d``, ``nn.Dropout`` and ``nn.GroupNorm`` in outputs, gradients,
state_dict keys, running statistics and train/eval behaviour. The grader loads the same
state_dict into yours and into PyTorch's and compares them; ``F.layer_norm``, ``F.batch_norm``,
``F.group_norm`` and ``F.dropout`` (and the ``nn`` modules built on them) are off limits.
``BatchNormFunction`` computes batch normalisation's gradient from its formula, without autograd.

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


class BatchNormFunction(torch.autograd.Function):
    """Training-mode batch normalisation as an autograd Function whose backward is written by hand.

    forward(ctx, x, weight, bias, eps):
        x: (N, C) or (N, C, *spatial), e.g. (N, C, H, W); weight, bias: (C,); eps: a float.
        Per channel, over every dim but 1 (n = x.numel() // C values): mean and BIASED variance var,
        x_hat = (x - mean) / sqrt(var + eps), y = weight * x_hat + bias, shaped like x.
    backward(ctx, dy) -> (dx, dweight, dbias, None), from the formulas, without autograd:
        dbias   = sum(dy),  dweight = sum(dy * x_hat)                 (sums over every dim but 1: (C,))
        dx      = weight / sqrt(var + eps) / n * (n * dy - sum(dy) - x_hat * sum(dy * x_hat))
    with the (C,) quantities broadcast back against x. No running statistics.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: reduce over every dim but 1, keeping dims so that the (C,) statistics broadcast
        # TODO: against x; the variance is the biased one. Save what the backward formula needs
        # TODO: (x_hat, 1 / sqrt(var + eps), weight) and return weight * x_hat + bias.
        dims = (0,) + tuple(range(2, x.dim()))
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean = x.mean(dim=dims, keepdim=True)
        var = x.var(dim=dims, correction=0, keepdim=True)
        rstd = torch.rsqrt(var + eps)
        x_hat = (x - mean) * rstd
        ctx.save_for_backward(x_hat, rstd, weight)
        return x_hat * weight.view(shape) + bias.view(shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, dy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, None]:
        # BEGIN SOLUTION
        # TODO: the class docstring gives all three gradients. Sum over the same dims as the
        # TODO: forward; n is the number of values per channel. eps gets no gradient (None).
        # TODO: Forgetting the x_hat * sum(dy * x_hat) term is the classic mistake: the variance
        # TODO: depends on x too.
        x_hat, rstd, weight = ctx.saved_tensors
        dims = (0,) + tuple(range(2, dy.dim()))
        shape = (1, -1) + (1,) * (dy.dim() - 2)
        n = dy.numel() // dy.shape[1]
        sum_dy = dy.sum(dim=dims, keepdim=True)
        sum_dy_xhat = (dy * x_hat).sum(dim=dims, keepdim=True)
        dx = weight.view(shape) * rstd / n * (n * dy - sum_dy - x_hat * sum_dy_xhat)
        return dx, sum_dy_xhat.view(-1), sum_dy.view(-1), None
        # END SOLUTION


class GroupNorm(nn.Module):
    """Group normalisation (Wu and He, 2018), like nn.GroupNorm.

    The C channels are split into ``num_groups`` G consecutive groups of C // G channels
    (channels 0 .. C/G - 1 form group 0, and so on). Each sample's group is normalised over its
    C // G channels and all positions: mean and BIASED variance, y = (x - mean) / sqrt(var + eps).
    Then a per-CHANNEL affine: parameters ``weight`` (C,) ones and ``bias`` (C,) zeros when
    ``affine``, else both None. x: (N, C, *) -> same shape; no batch statistics, so a sample's
    output does not depend on the rest of the batch. C not divisible by G raises ValueError.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        # BEGIN SOLUTION
        # TODO: as LayerNorm's parameters, but of shape (num_channels,).
        if affine:
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: reshape each sample to (G, everything else) so that a group is one row: the channels
        # TODO: of a group are consecutive, and dim 1 comes before the spatial dims in memory
        # TODO: order. Normalise each row (biased variance), restore x's shape, then the affine
        # TODO: per channel, broadcast as (1, C, 1, ...).
        n = x.shape[0]
        xg = x.reshape(n, self.num_groups, -1)
        mean = xg.mean(dim=-1, keepdim=True)
        var = xg.var(dim=-1, keepdim=True, correction=0)
        y = ((xg - mean) * torch.rsqrt(var + self.eps)).reshape(x.shape)
        if self.weight is not None:
            shape = (1, -1) + (1,) * (x.dim() - 2)
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y
        # END SOLUTION
