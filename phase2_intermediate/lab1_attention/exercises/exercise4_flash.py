# Exercise stub generated from solution/exercise4_flash.py by `make stubs` [fingerprint e34ea1d86c62]
"""Exercise 4: flash-style attention: the online softmax, a tiled forward, and a backward by recomputation.

Naive attention builds the (T_q, T_k) score matrix S and its softmax P: O(T^2) memory per head.
The tiled forward walks over blocks of queries and, for each, over blocks of keys, keeping per
query row only a running maximum m, a running sum l and an unnormalised output acc (the online
softmax, Milakov & Gimelshein 2018; Dao et al. 2022). Memory: O(T * D) plus one block of scores.

For a new block of scores s (rows: queries, columns: this block's keys) and values v_blk:

    m'   = max(m, rowmax(s))
    l'   = exp(m - m') * l   + rowsum(exp(s - m'))
    acc' = exp(m - m') * acc + exp(s - m') @ v_blk

and at the end O = acc / l and the log-sum-exp L = m + log(l) (the backward needs only L, not P).

Shapes: q (..., T_q, D), k (..., T_k, D), v (..., T_k, D_v); m, l, L (..., T_q); acc (..., T_q, D_v).
``is_causal`` is F.sdpa's (key j <= query i, top-left aligned).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab1_attention EX=4
"""
from __future__ import annotations

import math

import torch


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False,
                    scale: float | None = None) -> torch.Tensor:
    """The baseline (given, not an exercise): builds the full (..., T_q, T_k) scores and weights."""
    scale = 1.0 / math.sqrt(q.size(-1)) if scale is None else scale
    s = (q @ k.transpose(-2, -1)) * scale
    if is_causal:
        s = s.masked_fill(~torch.ones(q.size(-2), k.size(-2), dtype=torch.bool, device=q.device).tril(), float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def online_softmax_update(m: torch.Tensor, l: torch.Tensor, acc: torch.Tensor, s: torch.Tensor,
                          v_blk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of the recurrence in the module docstring.

    m, l: (..., R) running max and sum (start: -inf and 0); acc: (..., R, D_v) (start: 0);
    s: (..., R, C) scores of this key block, -inf where masked; v_blk: (..., C, D_v).
    Returns (m', l', acc'). A row whose scores so far are all -inf keeps m = -inf, l = 0, acc = 0
    (no NaN: exp(-inf - (-inf)) is NaN, so use 0 as the shift for such rows).
    """
    # TODO: m' from m and the block's row max; the correction factor exp(m - m') rescales BOTH the
    # TODO: old sum and the old accumulator (forgetting either is the classic bug); the block's
    # TODO: probabilities exp(s - m') are unnormalised. Guard rows where m' is still -inf.
    raise NotImplementedError("Exercise 4.1: implement online_softmax_update")


def _block_scores(q_blk: torch.Tensor, k_blk: torch.Tensor, scale: float, is_causal: bool,
                  q0: int, k0: int) -> torch.Tensor:
    """Scores of one (query block, key block) pair, causal-masked by absolute positions (given)."""
    s = (q_blk @ k_blk.transpose(-2, -1)) * scale
    if is_causal:
        i = torch.arange(q0, q0 + q_blk.size(-2), device=s.device).unsqueeze(1)
        j = torch.arange(k0, k0 + k_blk.size(-2), device=s.device).unsqueeze(0)
        s = s.masked_fill(j > i, float("-inf"))
    return s


def flash_attention_forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False,
                            scale: float | None = None, block_q: int = 64, block_k: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiled attention: (out (..., T_q, D_v), lse (..., T_q)), equal to naive attention for ANY block sizes.

    Never creates a tensor larger than (..., block_q, block_k) for the scores. With is_causal, key
    blocks that lie entirely after a query block are skipped (their scores would all be -inf).
    lse = log(sum_j exp(s_ij)), -inf for a row that sees no key (its output is 0).
    """
    # TODO: for each block of queries, start m = -inf, l = 0, acc = 0 and fold in every block of
    # TODO: keys with online_softmax_update (use _block_scores for the masked scores). Then
    # TODO: out = acc / l (0 where l == 0) and lse = m + log(l).
    raise NotImplementedError("Exercise 4.2: implement flash_attention_forward")


def flash_attention_backward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, out: torch.Tensor,
                             lse: torch.Tensor, grad_out: torch.Tensor, is_causal: bool = False,
                             scale: float | None = None, block_q: int = 64,
                             block_k: int = 64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """dq, dk, dv of attention by RECOMPUTATION, block by block, from the saved lse (never the full P).

    With P_ij = exp(s_ij - lse_i) recomputed per block and D_i = sum_d dO_id * O_id:

        dV_j += P^T dO      dP = dO V_j^T      dS = P * (dP - D)      dQ_i += dS K_j * scale
        dK_j += dS^T Q_i * scale

    q, k, v as in the forward (same leading shape); out, lse from the forward; grad_out like out.
    """
    # TODO: D = (grad_out * out).sum(-1) once. Then the same double loop as the forward; for every
    # TODO: block pair recompute s (with its mask) and P = exp(s - lse_rows) (0 where lse is -inf),
    # TODO: and accumulate the four formulas above into dq, dk, dv slices.
    raise NotImplementedError("Exercise 4.3: implement flash_attention_backward")


class FlashAttention(torch.autograd.Function):
    """Autograd Function: forward by :func:`flash_attention_forward`, backward by :func:`flash_attention_backward`.

    Saves q, k, v, out and lse (O(T * D)), never the (T_q, T_k) weights. q, k, v must share their
    leading shape (B, H).
    """

    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False,  # noqa: ANN001
                scale: float | None = None, block_q: int = 64, block_k: int = 64) -> torch.Tensor:
        # TODO: run the tiled forward, save what the backward needs (tensors with
        # TODO: ctx.save_for_backward, the rest as attributes of ctx), return out.
        raise NotImplementedError("Exercise 4.4: implement FlashAttention.forward")

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):  # noqa: ANN001, ANN205
        # TODO: one gradient per forward input, None for the four non-tensor arguments.
        raise NotImplementedError("Exercise 4.5: implement FlashAttention.backward")


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False,
                    scale: float | None = None, block_q: int = 64, block_k: int = 64) -> torch.Tensor:
    """Differentiable tiled attention (given): ``FlashAttention.apply`` with the arguments by position."""
    return FlashAttention.apply(q, k, v, is_causal, scale, block_q, block_k)
