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
    # BEGIN SOLUTION
    # TODO: m' from m and the block's row max; the correction factor exp(m - m') rescales BOTH the
    # TODO: old sum and the old accumulator (forgetting either is the classic bug); the block's
    # TODO: probabilities exp(s - m') are unnormalised. Guard rows where m' is still -inf.
    m_new = torch.maximum(m, s.amax(dim=-1))
    shift = torch.where(torch.isneginf(m_new), torch.zeros_like(m_new), m_new)
    alpha = torch.exp(m - shift)
    p = torch.exp(s - shift.unsqueeze(-1))
    l_new = alpha * l + p.sum(dim=-1)
    acc_new = alpha.unsqueeze(-1) * acc + p @ v_blk
    return m_new, l_new, acc_new
    # END SOLUTION


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
    # BEGIN SOLUTION
    # TODO: for each block of queries, start m = -inf, l = 0, acc = 0 and fold in every block of
    # TODO: keys with online_softmax_update (use _block_scores for the masked scores). Then
    # TODO: out = acc / l (0 where l == 0) and lse = m + log(l).
    scale = 1.0 / math.sqrt(q.size(-1)) if scale is None else scale
    t_q, t_k = q.size(-2), k.size(-2)
    lead = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    out = q.new_empty(*lead, t_q, v.size(-1))
    lse = q.new_empty(*lead, t_q)
    for q0 in range(0, t_q, block_q):
        q_blk = q[..., q0:q0 + block_q, :]
        rows = q_blk.size(-2)
        m = q.new_full((*lead, rows), float("-inf"))
        l = q.new_zeros((*lead, rows))
        acc = q.new_zeros((*lead, rows, v.size(-1)))
        for k0 in range(0, t_k, block_k):
            if is_causal and k0 > q0 + rows - 1:
                break
            s = _block_scores(q_blk, k[..., k0:k0 + block_k, :], scale, is_causal, q0, k0)
            m, l, acc = online_softmax_update(m, l, acc, s, v[..., k0:k0 + block_k, :])
        seen = l > 0
        out[..., q0:q0 + rows, :] = torch.where(seen.unsqueeze(-1), acc / torch.where(seen, l, 1.0).unsqueeze(-1), 0.0)
        lse[..., q0:q0 + rows] = torch.where(seen, m + torch.log(torch.where(seen, l, 1.0)), float("-inf"))
    return out, lse
    # END SOLUTION


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
    # BEGIN SOLUTION
    # TODO: D = (grad_out * out).sum(-1) once. Then the same double loop as the forward; for every
    # TODO: block pair recompute s (with its mask) and P = exp(s - lse_rows) (0 where lse is -inf),
    # TODO: and accumulate the four formulas above into dq, dk, dv slices.
    scale = 1.0 / math.sqrt(q.size(-1)) if scale is None else scale
    t_q, t_k = q.size(-2), k.size(-2)
    dq, dk, dv = torch.zeros_like(q), torch.zeros_like(k), torch.zeros_like(v)
    delta = (grad_out * out).sum(dim=-1)
    safe_lse = torch.where(torch.isneginf(lse), torch.zeros_like(lse), lse)
    for q0 in range(0, t_q, block_q):
        rows = slice(q0, q0 + block_q)
        q_blk, do_blk = q[..., rows, :], grad_out[..., rows, :]
        lse_blk, d_blk = safe_lse[..., rows].unsqueeze(-1), delta[..., rows].unsqueeze(-1)
        n_rows = q_blk.size(-2)
        for k0 in range(0, t_k, block_k):
            if is_causal and k0 > q0 + n_rows - 1:
                break
            cols = slice(k0, k0 + block_k)
            k_blk, v_blk = k[..., cols, :], v[..., cols, :]
            p = torch.exp(_block_scores(q_blk, k_blk, scale, is_causal, q0, k0) - lse_blk)
            dv[..., cols, :] += p.transpose(-2, -1) @ do_blk
            dp = do_blk @ v_blk.transpose(-2, -1)
            ds = p * (dp - d_blk)
            dq[..., rows, :] += (ds @ k_blk) * scale
            dk[..., cols, :] += (ds.transpose(-2, -1) @ q_blk) * scale
    return dq, dk, dv
    # END SOLUTION


class FlashAttention(torch.autograd.Function):
    """Autograd Function: forward by :func:`flash_attention_forward`, backward by :func:`flash_attention_backward`.

    Saves q, k, v, out and lse (O(T * D)), never the (T_q, T_k) weights. q, k, v must share their
    leading shape (B, H).
    """

    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False,  # noqa: ANN001
                scale: float | None = None, block_q: int = 64, block_k: int = 64) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: run the tiled forward, save what the backward needs (tensors with
        # TODO: ctx.save_for_backward, the rest as attributes of ctx), return out.
        out, lse = flash_attention_forward(q, k, v, is_causal, scale, block_q, block_k)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.is_causal, ctx.scale, ctx.block_q, ctx.block_k = is_causal, scale, block_q, block_k
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):  # noqa: ANN001, ANN205
        # BEGIN SOLUTION
        # TODO: one gradient per forward input, None for the four non-tensor arguments.
        q, k, v, out, lse = ctx.saved_tensors
        dq, dk, dv = flash_attention_backward(q, k, v, out, lse, grad_out, ctx.is_causal, ctx.scale,
                                              ctx.block_q, ctx.block_k)
        return dq, dk, dv, None, None, None, None
        # END SOLUTION


def flash_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, is_causal: bool = False,
                    scale: float | None = None, block_q: int = 64, block_k: int = 64) -> torch.Tensor:
    """Differentiable tiled attention (given): ``FlashAttention.apply`` with the arguments by position."""
    return FlashAttention.apply(q, k, v, is_causal, scale, block_q, block_k)
