# Exercise stub generated from solution/exercise1_sdpa.py by `make stubs` [fingerprint c14b269f14a8]
"""Exercise 1: a numerically stable softmax and scaled dot-product attention, by hand.

    attention(Q, K, V) = softmax(Q K^T / sqrt(D) + M) V

with Q: (..., T_q, D), K: (..., T_k, D), V: (..., T_k, D_v) and M a mask that is 0 where a query
may look at a key and -inf where it may not. Your ``scaled_dot_product_attention`` must equal
``torch.nn.functional.scaled_dot_product_attention`` (called F.sdpa below) argument for argument,
including its conventions, which the tests check one by one:

* a BOOLEAN mask is True where the query may ATTEND (the opposite of nn.MultiheadAttention's masks);
* a FLOAT mask is ADDED to the scores;
* masks broadcast against the scores' shape (..., T_q, T_k);
* ``is_causal=True`` keeps key j for query i when j <= i, aligned at the TOP-LEFT corner even when
  T_q != T_k (so with T_q < T_k the last keys are never seen; see the README);
* ``is_causal=True`` together with an ``attn_mask`` is an error (ValueError here; F.sdpa's math
  path raises RuntimeError, while some of its fused CPU kernels silently AND the two: fold the
  causal mask into attn_mask yourself when you need both);
* a query row whose keys are ALL masked gets an output of zeros (PyTorch 2.9's choice), not NaN.

Run the checks with:  make test-lab LAB=phase2_intermediate/lab1_attention EX=1
"""
from __future__ import annotations

import math

import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j) along ``dim``, equal to ``torch.softmax(x, dim)``.

    Stable for any input torch.softmax handles: subtract the maximum along ``dim`` first, so the
    largest exponent is exp(0) = 1 and nothing overflows (inputs of +-1e4 must work). A slice that is
    entirely -inf gives NaN, as torch.softmax does. x: any shape -> same shape and dtype.
    """
    # TODO: m = the max along dim, kept as a dimension so it broadcasts (keepdim=True). Shifting by
    # TODO: a constant does not change softmax; exp(x - m) then never overflows.
    raise NotImplementedError("Exercise 1.1: implement softmax")


def attention_scores(q: torch.Tensor, k: torch.Tensor, attn_mask: torch.Tensor | None = None,
                     is_causal: bool = False, scale: float | None = None) -> torch.Tensor:
    """The masked, scaled scores S = Q K^T * scale + M, before the softmax.

    q: (..., T_q, D), k: (..., T_k, D) -> (..., T_q, T_k) in q's dtype. ``scale`` defaults to
    1 / sqrt(D). Masked positions hold -inf: from a boolean ``attn_mask`` where it is False, from
    ``is_causal`` where key j > query i (top-left aligned: ``torch.ones(T_q, T_k).tril()``). A float
    ``attn_mask`` is added. Both kinds broadcast against (..., T_q, T_k). (This helper applies
    both when both are given; scaled_dot_product_attention refuses that combination.)
    """
    # TODO: scores = q @ k^T (transpose the LAST two dims of k) times the scale; the default scale
    # TODO: is 1/sqrt(D) with D = q.size(-1) (see the README for why the square root). A boolean
    # TODO: mask becomes -inf where it is False (masked_fill with ~mask); a float mask is added;
    # TODO: the causal mask is a lower-triangular (T_q, T_k) boolean with the diagonal kept.
    raise NotImplementedError("Exercise 1.2: implement attention_scores")


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 attn_mask: torch.Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 generator: torch.Generator | None = None) -> torch.Tensor:
    """softmax(Q K^T * scale + M) V, equal to F.sdpa with the same arguments (same order as F.sdpa).

    q: (..., T_q, D), k: (..., T_k, D), v: (..., T_k, D_v) -> (..., T_q, D_v); any number of
    leading dims (B, H, ...), which must broadcast. Conventions: see the module docstring. A row
    with every key masked returns zeros. ``dropout_p`` > 0 zeroes each attention weight with
    probability p and scales the kept ones by 1 / (1 - p) (inverted dropout, as F.sdpa does),
    drawing from ``generator`` when one is given; dropout_p = 0 is deterministic.
    """
    # TODO: the scores (attention_scores), your softmax over the KEY axis (the last one), then
    # TODO: dropout on the weights, then weights @ v. A row whose scores are all -inf has a NaN
    # TODO: softmax (0/0): give those rows zero weights, without letting NaN into the backward.
    # TODO: is_causal together with attn_mask raises ValueError. Do not call
    # TODO: F.scaled_dot_product_attention or torch.softmax.
    raise NotImplementedError("Exercise 1.3: implement scaled_dot_product_attention")


def attention_by_hand_3_tokens() -> dict[str, torch.Tensor]:
    """The README's worked example: 3 tokens, D = 2, causal, computed step by step in float64.

    Returns the intermediate tensors the README prints: ``scores`` (Q K^T / sqrt(2), masked),
    ``weights`` (its softmax) and ``out`` (weights @ V), for Q, K, V given below.
    """
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    k = torch.tensor([[1.0, 1.0], [1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    v = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]], dtype=torch.float64)
    scores = attention_scores(q, k, is_causal=True)
    weights = softmax(scores, dim=-1)
    return {"q": q, "k": k, "v": v, "scores": scores, "weights": weights, "out": weights @ v}
