# Exercise stub generated from solution/exercise2_block_parts.py by `make stubs` [fingerprint a6e98752f9c2]
"""Exercise 2: the parts of a modern block. RMSNorm, GELU, SwiGLU and where the norm goes.

* ``RMSNorm`` (Zhang & Sennrich 2019): y = x / sqrt(mean(x^2) + eps) * weight, over the last
  dims given by ``normalized_shape``. Unlike LayerNorm (lab 1.2) it does NOT subtract the mean and
  has no bias. It must equal ``torch.nn.RMSNorm`` with the same arguments, including eps=None,
  which means ``torch.finfo(x.dtype).eps``, and its state_dict must load into nn.RMSNorm's.
* ``gelu``: x * Phi(x) exactly (erf), or the tanh approximation of Hendrycks & Gimpel 2016,
  equal to ``F.gelu(x, approximate=...)``.
* ``SwiGLU`` (Shazeer 2020, as in LLaMA): w2(silu(w1 x) * w3 x), three bias-free linears, hidden
  size from ``swiglu_hidden_size`` (2/3 of 4d, so the parameters match a 4d GELU MLP, rounded up).
* ``residual``: pre-norm x + f(norm(x)) (GPT-2, LLaMA) or post-norm norm(x + f(x)) (the 2017
  Transformer, BERT).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab2_transformer_encoder EX=2
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims.

    normalized_shape: int or tuple (the last len(normalized_shape) dims of the input);
    eps: float, or None for torch.finfo(x.dtype).eps (as nn.RMSNorm); elementwise_affine: a
    learned ``weight`` of shape normalized_shape initialised to ones, else no parameter.
    forward(x: (..., *normalized_shape)) -> same shape and dtype. float16 and bfloat16 inputs are
    normalised in float32 (eps=None then means float32's epsilon), as nn.RMSNorm does in torch 2.9.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float | None = None,
                 elementwise_affine: bool = True):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        else:
            self.register_parameter("weight", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: the mean of x^2 over the LAST len(normalized_shape) dims (keepdim), NO mean
        # TODO: subtraction; eps inside the square root (finfo(dtype).eps when self.eps is None);
        # TODO: x * rsqrt(...), then times the weight when there is one. Half-precision inputs are
        # TODO: computed in float32 (and eps is float32's), the result cast back.
        raise NotImplementedError("Exercise 2.1: implement RMSNorm.forward")


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """GELU(x) = x * Phi(x), Phi the standard normal CDF; equal to F.gelu(x, approximate=approximate).

    "none": Phi(x) = (1 + erf(x / sqrt 2)) / 2. "tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2.
    Anything else raises ValueError.
    """
    # TODO: the two formulas above with torch.erf / torch.tanh; do not call F.gelu.
    raise NotImplementedError("Exercise 2.2: implement gelu")


def swiglu_hidden_size(d_model: int, multiple_of: int = 256, ffn_dim_multiplier: float | None = None) -> int:
    """The hidden width of a SwiGLU MLP by LLaMA's rule (Meta's llama/model.py, FeedForward):

    hidden = int(2 * (4 * d_model) / 3); if ffn_dim_multiplier: hidden = int(ffn_dim_multiplier * hidden);
    then round UP to a multiple of ``multiple_of``. LLaMA 7B: d_model 4096, multiple_of 256 -> 11008.
    """
    # TODO: three gated matrices of d x h cost what two of d x 4d cost when h = 8d/3; int() each
    # TODO: step as the reference code does, then ceil to the multiple (integer arithmetic).
    raise NotImplementedError("Exercise 2.3: implement swiglu_hidden_size")


class SwiGLU(nn.Module):
    """The gated MLP of LLaMA: w2(silu(w1(x)) * w3(x)), no biases.

    w1 (the gate) and w3 (the up projection): nn.Linear(d_model, hidden, bias=False); w2 (down):
    nn.Linear(hidden, d_model, bias=False); hidden defaults to swiglu_hidden_size(d_model, multiple_of).
    forward(x: (..., d_model)) -> (..., d_model).
    """

    def __init__(self, d_model: int, hidden: int | None = None, multiple_of: int = 256):
        super().__init__()
        hidden = swiglu_hidden_size(d_model, multiple_of) if hidden is None else hidden
        self.w1 = nn.Linear(d_model, hidden, bias=False)
        self.w3 = nn.Linear(d_model, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: silu is the gate's nonlinearity (silu(z) = z * sigmoid(z)), applied to w1(x) only;
        # TODO: multiply by w3(x) elementwise, then w2.
        raise NotImplementedError("Exercise 2.4: implement SwiGLU.forward")


def residual(x: torch.Tensor, sublayer: Callable[[torch.Tensor], torch.Tensor],
             norm: Callable[[torch.Tensor], torch.Tensor], norm_first: bool) -> torch.Tensor:
    """One residual sub-block. norm_first=True (pre-norm): x + sublayer(norm(x)).
    norm_first=False (post-norm): norm(x + sublayer(x)). x: (..., d) -> (..., d).

    Pre-norm leaves an identity path from input to output through every layer; post-norm puts a
    norm on it (the README shows what that does to the gradient at initialisation).
    """
    # TODO: two lines; in post-norm the norm wraps the SUM, the residual path includes x un-normed.
    raise NotImplementedError("Exercise 2.5: implement residual")
