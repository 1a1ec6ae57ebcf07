"""Exercise 1: where a token is. Sinusoidal and learned positions, RoPE in both layouts, ALiBi.

Self-attention is permutation-equivariant: shuffle the tokens and the outputs shuffle the same
way. Order enters only through positional information, added to the input (sinusoidal, learned),
applied to q and k (RoPE, a rotation) or added to the scores (ALiBi, a bias). Conventions:

* ``sinusoidal_encoding``: Vaswani et al. 2017, section 3.5, exactly:
  PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(pos / base^(2i/d)), base = 10000.
* RoPE (Su et al. 2021) rotates each PAIR of features of q and k by the angle pos * theta_i with
  theta_i = base^(-2i/D), i = 0 .. D/2 - 1. Two codebases pair the features differently:
  - "interleaved" (the paper, GPT-J, Meta's original LLaMA code): pairs (x[2i], x[2i+1]);
  - "half" (GPT-NeoX, Hugging Face's LLaMA, ``rotate_half``): pairs (x[i], x[i + D/2]).
  Both use frequency theta_i for pair i. They are the same rotation up to a fixed permutation of
  the features, which is why converting a checkpoint between codebases permutes the rows of W_q
  and W_k.
* ALiBi (Press et al. 2022) adds -m_h * |i - j| to head h's scores, with slopes m_h from
  ``alibi_slopes`` (a geometric sequence; the paper's rule for head counts that are not powers of 2).

Run the checks with:  make test-lab LAB=phase2_intermediate/lab2_transformer_encoder EX=1
"""
from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0,
                        dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The table PE: (max_len, d_model), PE[pos, 2i] = sin(pos * w_i), PE[pos, 2i+1] = cos(pos * w_i).

    w_i = base^(-2i / d_model) for i = 0 .. d_model/2 - 1: sin in the EVEN columns, cos in the ODD
    ones, frequencies falling from 1 (column 0) to about 1/base. Compute in float64 and return
    ``dtype`` (positions of a few thousand times w_0 = 1 lose digits in float32 otherwise).
    Raises ValueError when d_model is odd.
    """
    # BEGIN SOLUTION
    # TODO: positions pos = 0 .. max_len-1 as a column (max_len, 1); the frequencies w_i for
    # TODO: i = 0 .. d/2-1 as a row (1, d/2); their product is the (max_len, d/2) angle table.
    # TODO: Even columns get sin(angle), odd columns cos(angle) (slicing pe[:, 0::2], pe[:, 1::2]).
    if d_model % 2:
        raise ValueError(f"sinusoidal_encoding needs an even d_model (sin/cos pairs); got {d_model}")
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    i = torch.arange(d_model // 2, dtype=torch.float64)[None, :]
    angle = pos * base ** (-2.0 * i / d_model)
    pe = torch.empty(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle)
    return pe.to(dtype)
    # END SOLUTION


def sinusoidal_offset_matrix(offset: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The linear map M_k: (d_model, d_model), float64, with PE[pos + k] = M_k @ PE[pos] for EVERY pos.

    Vaswani et al.'s reason for sinusoids: a fixed offset k is a linear function of the encoding.
    For pair i, (sin(a + b), cos(a + b)) = [[cos b, sin b], [-sin b, cos b]] @ (sin a, cos a) with
    a = pos * w_i, b = k * w_i, so M_k is block diagonal with that 2x2 block in rows/columns
    (2i, 2i+1). It does not depend on pos (the README derives it). Raises ValueError when d_model is odd.
    """
    # BEGIN SOLUTION
    # TODO: one 2x2 block per pair i, angle b = offset * w_i, placed at rows/cols 2i, 2i+1 of a
    # TODO: zero (d, d) matrix. Mind the signs: the block acts on (sin, cos), in that order.
    if d_model % 2:
        raise ValueError(f"sinusoidal_offset_matrix needs an even d_model; got {d_model}")
    i = torch.arange(d_model // 2, dtype=torch.float64)
    b = offset * base ** (-2.0 * i / d_model)
    m = torch.zeros(d_model, d_model, dtype=torch.float64)
    ev, od = 2 * torch.arange(d_model // 2), 2 * torch.arange(d_model // 2) + 1
    m[ev, ev] = torch.cos(b)
    m[ev, od] = torch.sin(b)
    m[od, ev] = -torch.sin(b)
    m[od, od] = torch.cos(b)
    return m
    # END SOLUTION


class LearnedPositionalEmbedding(nn.Module):
    """x + P[0:T]: one trained vector per position, as in BERT and GPT-2.

    ``self.weight``: (max_len, d_model) parameter, initialised N(0, 0.02^2) (BERT's choice; GPT-2's
    code used 0.01).
    forward(x: (B, T, d_model)) -> (B, T, d_model). Raises ValueError when T > max_len: a learned
    table has no row for a position it never saw (the sinusoid has; whether it helps is another matter).
    """

    def __init__(self, max_len: int, d_model: int):
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: T = x.size(1); refuse T > max_len with a message; add weight[:T], which broadcasts
        # TODO: over the batch dimension.
        t = x.size(1)
        if t > self.max_len:
            raise ValueError(f"sequence of {t} positions, but the table has only max_len = {self.max_len}")
        return x + self.weight[:t]
        # END SOLUTION


def rope_frequencies(head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """theta: (head_dim/2,) float64, theta_i = base^(-2i / head_dim) for i = 0 .. head_dim/2 - 1.

    Raises ValueError when head_dim is odd.
    """
    # BEGIN SOLUTION
    # TODO: i runs over PAIRS, 0 .. D/2 - 1, and the exponent is -2i/D (not -i/D): theta_0 = 1 and
    # TODO: the last theta is base^(-(D-2)/D).
    if head_dim % 2:
        raise ValueError(f"RoPE rotates pairs of features: head_dim must be even, got {head_dim}")
    i = torch.arange(head_dim // 2, dtype=torch.float64)
    return base ** (-2.0 * i / head_dim)
    # END SOLUTION


def _angles(x: torch.Tensor, positions: torch.Tensor | None, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of pos * theta_i: (T, D/2) each, in x's dtype (positions default to 0 .. T-1)."""
    t, d = x.size(-2), x.size(-1)
    pos = torch.arange(t, dtype=torch.float64) if positions is None else positions.to(torch.float64)
    ang = pos[:, None] * rope_frequencies(d, base)[None, :]
    return torch.cos(ang).to(x.dtype), torch.sin(ang).to(x.dtype)


def apply_rope_interleaved(x: torch.Tensor, positions: torch.Tensor | None = None,
                           base: float = 10000.0) -> torch.Tensor:
    """Rotate the pairs (x[..., 2i], x[..., 2i+1]) by the angle pos * theta_i.

    x: (..., T, D) (queries or keys, e.g. (B, H, T, D)); positions: (T,) integers, default
    0 .. T-1 -> (..., T, D) in x's dtype. For each pair (a, b) = (x[2i], x[2i+1]):
    a' = a cos - b sin, b' = a sin + b cos (a counter-clockwise rotation).
    """
    # BEGIN SOLUTION
    # TODO: cos, sin: (T, D/2) from _angles(x, positions, base). a = x[..., 0::2], b = x[..., 1::2];
    # TODO: build the rotated pairs and interleave them back (torch.stack(..., dim=-1).flatten(-2)).
    cos, sin = _angles(x, positions, base)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)
    # END SOLUTION


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x1, x2) -> (-x2, x1) with x1 = x[..., :D/2], x2 = x[..., D/2:] (GPT-NeoX / Hugging Face)."""
    # BEGIN SOLUTION
    # TODO: split the last dim in two halves and concatenate (-second, first).
    h = x.size(-1) // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)
    # END SOLUTION


def apply_rope_half(x: torch.Tensor, positions: torch.Tensor | None = None,
                    base: float = 10000.0) -> torch.Tensor:
    """Rotate the pairs (x[..., i], x[..., i + D/2]) by pos * theta_i: x * cos + rotate_half(x) * sin.

    Same shapes and dtype as :func:`apply_rope_interleaved`; cos and sin are the (T, D/2) tables
    repeated to (T, D) as [table, table] (half layout), not interleaved.
    """
    # BEGIN SOLUTION
    # TODO: cos, sin from _angles, each concatenated with itself along the last dim to (T, D);
    # TODO: then x * cos + rotate_half(x) * sin.
    cos, sin = _angles(x, positions, base)
    cos, sin = torch.cat((cos, cos), dim=-1), torch.cat((sin, sin), dim=-1)
    return x * cos + rotate_half(x) * sin
    # END SOLUTION


def interleaved_to_half_permutation(head_dim: int) -> torch.Tensor:
    """perm: (head_dim,) long with apply_rope_half(x[..., perm]) == apply_rope_interleaved(x)[..., perm].

    The half layout wants pair i at features (i, i + D/2); the interleaved one has it at (2i, 2i+1).
    So perm lists the even features first, then the odd ones: [0, 2, 4, ..., 1, 3, 5, ...]. Applied to
    the output rows of W_q and W_k of every head, it converts a checkpoint between the two layouts.
    """
    # BEGIN SOLUTION
    # TODO: the even indices, then the odd ones (torch.cat of two aranges with step 2).
    return torch.cat((torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)))
    # END SOLUTION


def rope_rotation_matrix(position: int, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """R_pos: (head_dim, head_dim) float64, with apply_rope_interleaved(x)[pos] == R_pos @ x[pos].

    Block diagonal: block i (rows/columns 2i, 2i+1) is [[cos, -sin], [sin, cos]] of pos * theta_i.
    R_m^T R_n = R_(n-m), which is why (R_m q) . (R_n k) = q^T R_(n-m) k depends on n - m only.
    """
    # BEGIN SOLUTION
    # TODO: angles position * theta; a zero (D, D) float64 matrix; fill the four entries of each
    # TODO: 2x2 block (indices 2i and 2i+1).
    ang = position * rope_frequencies(head_dim, base)
    r = torch.zeros(head_dim, head_dim, dtype=torch.float64)
    ev, od = 2 * torch.arange(head_dim // 2), 2 * torch.arange(head_dim // 2) + 1
    r[ev, ev] = torch.cos(ang)
    r[ev, od] = -torch.sin(ang)
    r[od, ev] = torch.sin(ang)
    r[od, od] = torch.cos(ang)
    return r
    # END SOLUTION


def alibi_slopes(n_heads: int) -> torch.Tensor:
    """ALiBi's head slopes m: (n_heads,) float64 (Press et al. 2022, section 3 and their code).

    For n a power of 2: m_h = 2^(-8h/n), h = 1 .. n (n = 8: 1/2, 1/4, ..., 1/256). Otherwise, with
    p = the largest power of 2 below n: the p slopes for p heads, then the slopes for 2p heads at
    odd h (every other one, starting with the first: 2^(-8*1/2p), 2^(-8*3/2p), ...), as many as
    needed to reach n. Raises ValueError for n_heads < 1.
    """
    # BEGIN SOLUTION
    # TODO: a helper slopes(p) = [2^(-8h/p) for h = 1..p]; if n is a power of 2 return slopes(n);
    # TODO: else p = 2^floor(log2 n) and append slopes(2p)[0::2][: n - p] (the ODD h of 2p).
    if n_heads < 1:
        raise ValueError(f"n_heads must be at least 1, got {n_heads}")

    def power_of_two(p: int) -> list[float]:
        return [2.0 ** (-8.0 * h / p) for h in range(1, p + 1)]

    p = 2 ** math.floor(math.log2(n_heads))
    slopes = power_of_two(p)
    if p < n_heads:
        slopes += power_of_two(2 * p)[0::2][: n_heads - p]
    return torch.tensor(slopes, dtype=torch.float64)
    # END SOLUTION


def alibi_bias(n_heads: int, t_q: int, t_k: int | None = None) -> torch.Tensor:
    """The ALiBi score bias: (n_heads, T_q, T_k) float64, bias[h, i, j] = -m_h * |i - j|.

    Added to the scores before the softmax (a float attn_mask of F.sdpa). For j <= i it equals the
    paper's causal bias m_h * (j - i); an encoder uses the symmetric form. t_k defaults to t_q.
    """
    # BEGIN SOLUTION
    # TODO: the distance table |i - j|: (T_q, T_k) from two aranges; times -slopes[:, None, None].
    t_k = t_q if t_k is None else t_k
    dist = (torch.arange(t_q)[:, None] - torch.arange(t_k)[None, :]).abs().to(torch.float64)
    return -alibi_slopes(n_heads)[:, None, None] * dist
    # END SOLUTION
