"""Exercise 2: ring all-reduce from point-to-point messages, and its cost model.

N ranks in a ring: rank r sends to r+1 and receives from r-1 (mod N). The vector of n elements is
cut into N chunks (``chunk_bounds``: as ``torch.tensor_split`` does, the first n mod N chunks one
element longer). Two phases of N-1 steps each:

* reduce-scatter: at step s (0 … N-2) rank r sends its chunk (r - s) mod N to the right and
  receives chunk (r - s - 1) mod N from the left, which it ADDS into its own copy. After N-1
  steps rank r holds the complete sum of chunk (r + 1) mod N;
* all-gather: at step s rank r sends chunk (r + 1 - s) mod N, whose sum it has, and receives
  chunk (r - s) mod N, which it COPIES over its own. After N-1 steps every rank has every sum.

Every step each rank sends one chunk and receives one, about n/N elements, so each rank sends
2 (N-1) n / N elements in all: for large N nearly 2n, whatever N is. With a message of m bytes
costing alpha + beta m (alpha: the latency of one message, beta: seconds per byte, 1/bandwidth),
a ring all-reduce of n bytes costs

    T_ring(n, N) = 2 (N - 1) alpha + 2 (N - 1) / N * n * beta.

``fit_alpha_beta`` recovers alpha and beta from measured (message size, time) pairs by least
squares; the runner measures them here and compares the prediction with both rings.

Sends and receives must pair up: a blocking ``dist.send`` to the right while the right neighbour
also sends waits forever if neither posts its receive. Post both with ``dist.isend``/``dist.irecv``
and wait on both handles.

Run the checks with:  make test-lab LAB=2.5 EX=2
"""
from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist


def chunk_bounds(n: int, world_size: int) -> list[tuple[int, int]]:
    """``world_size`` (start, stop) ranges that cut 0 … n-1 into consecutive chunks, the first
    ``n % world_size`` one element longer than the rest (the split of ``torch.tensor_split``).
    Chunks are empty when n < world_size. Raises ValueError for world_size < 1 or n < 0."""
    # BEGIN SOLUTION
    if world_size < 1 or n < 0:
        raise ValueError(f"chunk_bounds needs world_size >= 1 and n >= 0, got n={n}, world_size={world_size}")
    base, extra = divmod(n, world_size)
    bounds, start = [], 0
    for i in range(world_size):
        stop = start + base + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds
    # END SOLUTION


def _exchange(send: torch.Tensor, recv: torch.Tensor, right: int, left: int) -> None:
    """Send ``send`` to rank ``right`` while receiving ``recv`` from rank ``left``; empty tensors are skipped."""
    handles = []
    if send.numel():
        handles.append(dist.isend(send, right))
    if recv.numel():
        handles.append(dist.irecv(recv, left))
    for handle in handles:
        handle.wait()


def ring_all_reduce(t: torch.Tensor) -> torch.Tensor:
    """SUM over ranks of ``t`` (any shape and length, contiguous or not), in place, by a ring of
    point-to-point messages: the same result as ``dist.all_reduce(t)``. Returns ``t``.

    Only ``dist.isend``/``dist.irecv`` (or ``send``/``recv``) may move data: no collective.
    """
    world, rank = dist.get_world_size(), dist.get_rank()
    if world == 1:
        return t
    flat = t.detach().reshape(-1).clone()  # a contiguous working copy, written back at the end
    bounds = chunk_bounds(flat.numel(), world)
    right, left = (rank + 1) % world, (rank - 1) % world
    # BEGIN SOLUTION
    # TODO: phase 1, N-1 steps: send chunk (rank - s) % N, receive chunk (rank - s - 1) % N, ADD it.
    # TODO: phase 2, N-1 steps: send chunk (rank + 1 - s) % N, receive chunk (rank - s) % N, COPY it.
    # TODO: each step, receive into a fresh buffer the size of the incoming chunk (use _exchange).
    for step in range(world - 1):
        (a, b), (c, d) = bounds[(rank - step) % world], bounds[(rank - step - 1) % world]
        incoming = torch.empty(d - c, dtype=flat.dtype)
        _exchange(flat[a:b], incoming, right, left)
        flat[c:d] += incoming
    for step in range(world - 1):
        (a, b), (c, d) = bounds[(rank + 1 - step) % world], bounds[(rank - step) % world]
        incoming = torch.empty(d - c, dtype=flat.dtype)
        _exchange(flat[a:b], incoming, right, left)
        flat[c:d] = incoming
    # END SOLUTION
    with torch.no_grad():
        t.copy_(flat.view_as(t))
    return t


def ring_elements_sent(n: int, world_size: int, rank: int) -> int:
    """How many elements rank ``rank`` (0 … world_size-1) sends during ``ring_all_reduce`` of n elements:
    exactly, chunk by chunk (for n divisible by N it is 2 (N-1) n / N; 0 for N = 1)."""
    # BEGIN SOLUTION
    # TODO: list the chunk index sent at every step of both phases and add up their lengths.
    bounds = chunk_bounds(n, world_size)
    sent = 0
    for step in range(world_size - 1):
        a, b = bounds[(rank - step) % world_size]
        c, d = bounds[(rank + 1 - step) % world_size]
        sent += (b - a) + (d - c)
    return sent
    # END SOLUTION


def ring_time(n_bytes: float, world_size: int, alpha: float, beta: float) -> float:
    """The alpha-beta model of a ring all-reduce: 2 (N-1) alpha + 2 (N-1)/N * n_bytes * beta (0 for N = 1)."""
    # BEGIN SOLUTION
    return 2 * (world_size - 1) * alpha + 2 * (world_size - 1) / world_size * n_bytes * beta
    # END SOLUTION


def fit_alpha_beta(sizes_bytes: list[float] | np.ndarray, seconds: list[float] | np.ndarray) -> tuple[float, float]:
    """Least-squares (alpha, beta) of seconds = alpha + beta * size, over at least two distinct sizes
    (ValueError otherwise, and for sizes and times of different lengths). The straight line through the points that minimises the summed squared
    error of the times, as ``numpy.polyfit(sizes, seconds, 1)`` gives it."""
    # BEGIN SOLUTION
    # TODO: solve the 2x2 normal equations, or np.linalg.lstsq on the columns [1, size].
    x = np.asarray(sizes_bytes, dtype=np.float64)
    y = np.asarray(seconds, dtype=np.float64)
    if x.shape != y.shape or len(np.unique(x)) < 2:
        raise ValueError("fit_alpha_beta needs matching sizes and times over at least two distinct sizes")
    design = np.stack([np.ones_like(x), x], axis=1)
    (alpha, beta), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(alpha), float(beta)
    # END SOLUTION
