"""Exercise 2: broadcasting, and selecting with gather / where / masks, without Python loops.

Broadcasting lines shapes up from the RIGHT. Two sizes in the same position are compatible when
they are equal or one of them is 1; a missing dim counts as 1. The result takes the size that is
not 1 (a size 1 stretches to match, even to 0, so "take the larger" is wrong). That one rule lets
you write "for every pair" or "for every row" computations as single tensor expressions.

Run the checks with:  make test-lab LAB=phase1_foundations/lab1_tensors
"""
from __future__ import annotations

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
    # BEGIN SOLUTION
    # TODO: the result has as many dims as the longest shape. Align the shapes on the right
    # TODO: (pad the shorter ones with 1s on the left), then decide each position on its own.
    # TODO: per position: keep a running size, starting at 1; a size 1 changes nothing, a running
    # TODO: 1 takes the other size, equal sizes agree, anything else is a ValueError.
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        padded = (1,) * (ndim - len(shape)) + tuple(shape)
        for i, size in enumerate(padded):
            if size == 1 or size == result[i]:
                continue
            if result[i] != 1:
                raise ValueError(
                    f"shapes {shapes} are not broadcastable: sizes {result[i]} and {size} "
                    f"in dim {i - ndim} differ and neither is 1"
                )
            result[i] = size
    return tuple(result)
    # END SOLUTION


def pairwise_distances(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Euclidean distance between every row of ``x`` and every row of ``y``, without loops.

    x: (N, D), y: (M, D)  ->  (N, M) with out[i, j] = ||x[i] - y[j]||_2, same dtype as x.
    Every entry is >= 0 and finite (no NaN), including exact zeros where x[i] == y[j].
    N or M may be 0. Same values as ``torch.cdist(x, y)``, which you may not call.
    Gradients are not graded: where x[i] == y[j] the derivative of the square root at 0 is
    infinite, so backward through a zero distance gives NaN (see Common Pitfalls).
    """
    # BEGIN SOLUTION
    # TODO: give x a new axis so it is (N, 1, D) and y one so it is (1, M, D). Their difference
    # TODO: broadcasts to (N, M, D); square, sum over the last dim, take the square root.
    # TODO: (The memory-lean alternative expands ||x - y||^2 = ||x||^2 - 2 x.y + ||y||^2 with one
    # TODO: matmul; rounding can make it slightly negative, so clamp at 0 before sqrt.)
    diff = x[:, None, :] - y[None, :, :]  # (N, M, D)
    return diff.pow(2).sum(dim=-1).sqrt()
    # END SOLUTION


def gather_target_scores(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """For every row i, the score of its target class: ``out[i] = scores[i, target[i]]``.

    scores: (N, C) float, target: (N,) int64 with values in [0, C)  ->  (N,) same dtype as scores.
    No Python loop; gradients must flow back into ``scores`` (only into the picked entries).
    This is the core of cross-entropy: the loss reads one logit per sample.
    """
    # BEGIN SOLUTION
    # TODO: torch.gather(scores, dim=1, index=...) reads scores[i, index[i, k]]; index must have
    # TODO: the same number of dims as scores, so make target (N, 1) and drop that dim afterwards.
    # TODO: (Equivalent: advanced indexing scores[torch.arange(N), target].)
    return scores.gather(1, target.long().unsqueeze(1)).squeeze(1)
    # END SOLUTION


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of ``x`` along ``dim`` over the entries where ``mask`` is True only.

    x: any shape, float. mask: bool, same shape as x or broadcastable to it (e.g. (N, 1)).
    Returns x's shape with ``dim`` removed. Where no entry along ``dim`` is selected the result
    is 0 (not NaN). Entries where mask is False are ignored even if they hold inf or NaN, both in
    the result and in the gradient (think padded positions in a batch of sequences).
    """
    # BEGIN SOLUTION
    # TODO: x * mask is tempting but inf * 0 = NaN. torch.where(mask, x, 0) replaces the ignored
    # TODO: entries outright, and its gradient to them is 0.
    # TODO: divide the masked sum by the count of True entries along dim; clamp the count to at
    # TODO: least 1 so an empty row gives 0 / 1 = 0 instead of 0 / 0 = NaN.
    mask = mask.expand_as(x)
    total = torch.where(mask, x, torch.zeros_like(x)).sum(dim)
    count = mask.sum(dim).clamp_min(1).to(x.dtype)
    return total / count
    # END SOLUTION
