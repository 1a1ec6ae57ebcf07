# Exercise stub generated from solution/exercise2_broadcasting.py by `make stubs` [fingerprint d80640e29b8a]
"""Exercise 2: broadcasting, selecting with gather / where / masks, and einsum, without Python loops.

Broadcasting lines shapes up from the RIGHT. Two sizes in the same position are compatible when
they are equal or one of them is 1; a missing dim counts as 1. The result takes the size that is
not 1 (a size 1 stretches to match, even to 0, so "take the larger" is wrong). That one rule lets
you write "for every pair" or "for every row" computations as single tensor expressions.

Run the checks with:  make test-lab LAB=phase1_foundations/lab1_tensors
"""
from __future__ import annotations

import math

import torch


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that tensors of the given ``shapes`` broadcast to, computed by hand.

    Same result as ``torch.broadcast_shapes(*shapes)``:
        broadcast_shape((8, 1, 6, 1), (7, 1, 5)) == (8, 7, 6, 5)
        broadcast_shape((3,), ())                == (3,)     a scalar () broadcasts with anything
        broadcast_shape((0, 1), (1, 4))          == (0, 4)   1 stretches to 0, too
        broadcast_shape()                        == ()
    Any number of shapes. Raises ValueError, naming the sizes and the dim, when two sizes in the
    same position (counted from the right) differ and neither is 1, e.g. (2, 3) with (3, 1).
    """
    # TODO: align the shapes on the right (a missing leading dim counts as 1) and decide each
    # TODO: position on its own: sizes must be equal or 1, and the result takes the one that is
    # TODO: not 1 (1 with 0 gives 0). The ValueError names both sizes and the dim counted from
    # TODO: the right.
    raise NotImplementedError("Exercise 2.1: implement broadcast_shape")


def pairwise_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Euclidean distance between every row of ``x`` and every row of ``y``, without loops.

    x: (N, D), y: (M, D)  ->  (N, M) with out[i, j] = ||x[i] - y[j]||_2, same dtype as x.
    Every entry is >= 0 and finite (no NaN), including exact zeros where x[i] == y[j].
    N or M may be 0. Same values as ``torch.cdist(x, y)``, which you may not call.
    Gradients are not graded: where x[i] == y[j] the derivative of the square root at 0 is
    infinite, so backward through a zero distance gives NaN (see Common Pitfalls).
    """
    # TODO: broadcasting forms every difference x[i] - y[j] at once: which shapes must x and y
    # TODO: take for it to be (N, M, D)? Then reduce over the feature dim. Exact zeros where
    # TODO: x[i] == y[j], never NaN: expanding the squared norm into a matmul instead can round
    # TODO: below 0 just before the square root.
    raise NotImplementedError("Exercise 2.2: implement pairwise_distances")


def gather_target_scores(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """For every row i, the score of its target class: ``out[i] = scores[i, target[i]]``.

    scores: (N, C) float, target: (N,) int64 with values in [0, C)  ->  (N,) same dtype as scores.
    No Python loop; gradients must flow back into ``scores`` (only into the picked entries).
    This is the core of cross-entropy: the loss reads one logit per sample.
    """
    # TODO: one score per row, chosen by target: torch.gather along the class dim does that (so
    # TODO: does advanced indexing). gather's index needs as many dims as scores; return (N,).
    raise NotImplementedError("Exercise 2.3: implement gather_target_scores")


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of ``x`` along ``dim`` over the entries where ``mask`` is True only.

    x: any shape, float. mask: bool, same shape as x or broadcastable to it (e.g. (N, 1)).
    Returns x's shape with ``dim`` removed. Where no entry along ``dim`` is selected the result
    is 0 (not NaN). Entries where mask is False are ignored even if they hold inf or NaN, both in
    the result and in the gradient (think padded positions in a batch of sequences).
    """
    # TODO: x * mask is tempting but inf * 0 = NaN: select with torch.where, which also gives the
    # TODO: ignored entries gradient 0. Divide by how many entries were selected along dim (the
    # TODO: mask may broadcast, e.g. (N, 1)); a row with none selected gives 0, not 0 / 0 = NaN.
    raise NotImplementedError("Exercise 2.4: implement masked_mean")


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Scaled dot products of every query with every key, as ONE ``torch.einsum`` call.

    q: (B, H, T, D) queries, k: (B, H, S, D) keys  ->  (B, H, T, S) with
        out[b, h, t, s] = sum_d q[b, h, t, d] * k[b, h, s, d] / sqrt(D).
    Same values as ``q @ k.transpose(-2, -1) / math.sqrt(D)``; T and S may differ. Write the
    product with torch.einsum (no matmul, ``@`` or bmm), then scale.
    """
    # TODO: give every dim a letter. A letter that appears in both inputs but not in the output is
    # TODO: summed over; letters in the output keep their dims, in the order you write them.
    # TODO: Which letter is summed here, and in which order must the output's letters come?
    # TODO: Then scale by 1 / sqrt(D), D the size of the last dim.
    raise NotImplementedError("Exercise 2.5: implement attention_scores")
