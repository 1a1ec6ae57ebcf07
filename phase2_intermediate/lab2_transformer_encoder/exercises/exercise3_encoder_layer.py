# Exercise stub generated from solution/exercise3_encoder_layer.py by `make stubs` [fingerprint 9b5841875f1f]
"""Exercise 3: the encoder layer, parameter for parameter equal to nn.TransformerEncoderLayer.

Your ``EncoderLayer`` has the same submodules and parameter names as
``torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
batch_first=True, norm_first=...)``, so ``layer.load_state_dict(torch_layer.state_dict())``
works and the outputs then agree:

    self_attn.in_proj_weight (3d, d)  self_attn.in_proj_bias (3d,)   [W_q; W_k; W_v] stacked
    self_attn.out_proj       Linear(d, d)
    linear1 Linear(d, f)   linear2 Linear(f, d)   norm1, norm2 LayerNorm(d, eps=layer_norm_eps)

Conventions of PyTorch's masks (NOT those of F.scaled_dot_product_attention, see lab 2.1):
``src_key_padding_mask`` (B, T) bool is True at PADDING positions (keys to ignore);
a bool ``src_mask`` (T, T) is True where attention is NOT allowed; a float ``src_mask`` is added
to the scores. Attention itself may call F.scaled_dot_product_attention (lab 2.1 built it).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab2_transformer_encoder EX=3
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    """Multi-head self-attention with nn.MultiheadAttention's parameter layout (batch_first).

    forward(x: (B, T, d), attn_mask: (T, T) bool/float or None, key_padding_mask: (B, T) bool or
    None) -> (B, T, d). Heads: d = n_heads * head_dim; q, k, v = the three row blocks of
    in_proj_weight applied to x (plus in_proj_bias), split into heads, attended, merged, out_proj.
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model = {d_model} is not a multiple of n_heads = {n_heads}")
        self.d_model, self.n_heads = d_model, n_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model)) if bias else None
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None = None,
                key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # TODO: qkv = F.linear(x, in_proj_weight, in_proj_bias), chunk into q, k, v along the last
        # TODO: dim; each (B, T, d) -> (B, H, T, head_dim). Build ONE mask for F.sdpa, whose bool
        # TODO: convention is True = attend: invert PyTorch's (True = masked) bool masks, turn a float
        # TODO: src_mask into an additive term, and combine with the padding mask (B, 1, 1, T).
        # TODO: Merge the heads back to (B, T, d) and apply out_proj.
        raise NotImplementedError("Exercise 3.1: implement SelfAttention.forward")


class EncoderLayer(nn.Module):
    """One encoder layer: self-attention and a feed-forward block, each with a residual and a LayerNorm.

    norm_first=False (post-norm, the 2017 paper and BERT): x = norm1(x + sa(x)); x = norm2(x + ff(x)).
    norm_first=True (pre-norm): x = x + sa(norm1(x)); x = x + ff(norm2(x)).
    ff(x) = linear2(dropout(act(linear1(x)))), act "relu" or "gelu" (exact); dropout after the
    attention, inside ff and after it, as in PyTorch (p = ``dropout``; the tests use 0).
    forward(src: (B, T, d), src_mask=None, src_key_padding_mask=None) -> (B, T, d).
    """

    def __init__(self, d_model: int, n_heads: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 bias: bool = True):
        super().__init__()
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        self.self_attn = SelfAttention(d_model, n_heads, bias=bias)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout, self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.activation = F.relu if activation == "relu" else F.gelu
        self.norm_first = norm_first

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # TODO: sa(x) = dropout1(self_attn(x, src_mask, src_key_padding_mask));
        # TODO: ff(x) = dropout2(linear2(dropout(activation(linear1(x))))). Then the two orders of the
        # TODO: docstring: where the norm sits decides which path carries the un-normalised x.
        raise NotImplementedError("Exercise 3.2: implement EncoderLayer.forward")


class Encoder(nn.Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer`` and an optional final ``norm``,
    as nn.TransformerEncoder(encoder_layer, num_layers, norm): parameters ``layers.<i>.*`` and
    ``norm.*``, so its state_dict loads from and into nn.TransformerEncoder's.

    forward(src: (B, T, d), mask=None, src_key_padding_mask=None) -> (B, T, d): each layer in
    turn with the same masks, then ``norm`` when there is one (pre-norm stacks need it: their last
    layer's output is not normalised).
    """

    def __init__(self, encoder_layer: nn.Module, num_layers: int, norm: nn.Module | None = None):
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.norm = norm

    def forward(self, src: torch.Tensor, mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        # TODO: loop over self.layers passing both masks; the final norm once, after the loop.
        raise NotImplementedError("Exercise 3.3: implement Encoder.forward")


def encoder_layer_param_count(d_model: int, dim_feedforward: int, bias: bool = True) -> int:
    """Parameters of one encoder layer, by formula (the README derives it):

    attention 4 d^2 (+ 4d biases), feed-forward 2 d f (+ f + d), two LayerNorms 2d each (d without bias).
    With bias: 4d^2 + 2df + 9d + f. Equal to sum(p.numel()) of nn.TransformerEncoderLayer.
    """
    # TODO: count each weight matrix and vector of the docstring's list; biases only when bias.
    raise NotImplementedError("Exercise 3.4: implement encoder_layer_param_count")


def encoder_layer_flops(seq_len: int, d_model: int, dim_feedforward: int) -> int:
    """Forward FLOPs of the matrix products of one layer on ONE sequence of length T (2 per
    multiply-add; left out: norms, biases and activations, O(T d), and the softmax, O(H T^2)):

    q, k, v projections 6 T d^2, scores Q K^T 2 T^2 d, weights @ V 2 T^2 d, output projection
    2 T d^2, feed-forward 4 T d f. Total 8 T d^2 + 4 T^2 d + 4 T d f, independent of the head count.
    Equal to what torch.utils.flop_counter.FlopCounterMode counts for a forward with B = 1 when
    attention runs on the MATH backend of F.sdpa (its fused CPU kernel is not counted).
    """
    # TODO: a (m x k) @ (k x n) product costs 2 m k n FLOPs; add the five products above.
    raise NotImplementedError("Exercise 3.5: implement encoder_layer_flops")
