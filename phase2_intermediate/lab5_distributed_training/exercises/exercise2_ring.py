# Exercise stub generated from solution/exercise2_ring.py by `make stubs` [fingerprint ea6643dbd617]
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
    raise NotImplementedError("Exercise 2.1: implement chunk_bounds")


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
    # TODO: phase 1, N-1 steps: send chunk (rank - s) % N, receive chunk (rank - s - 1) % N, ADD it.
    # TODO: phase 2, N-1 steps: send chunk (rank + 1 - s) % N, receive chunk (rank - s) % N, COPY it.
    # TODO: each step, receive into a fresh buffer the size of the incoming chunk (use _exchange).
    raise NotImplementedError("Exercise 2.2: implement ring_all_reduce")
    with torch.no_grad():
        t.copy_(flat.view_as(t))
    return t


def ring_elements_sent(n: int, world_size: int, rank: int) -> int:
    """How many elements rank ``rank`` (0 … world_size-1) sends during ``ring_all_reduce`` of n elements:
    exactly, chunk by chunk (for n divisible by N it is 2 (N-1) n / N; 0 for N = 1)."""
    # TODO: list the chunk index sent at every step of both phases and add up their lengths.
    raise NotImplementedError("Exercise 2.3: implement ring_elements_sent")


def ring_time(n_bytes: float, world_size: int, alpha: float, beta: float) -> float:
    """The alpha-beta model of a ring all-reduce: 2 (N-1) alpha + 2 (N-1)/N * n_bytes * beta (0 for N = 1)."""
    raise NotImplementedError("Exercise 2.4: implement ring_time")


def fit_alpha_beta(sizes_bytes: list[float] | np.ndarray, seconds: list[float] | np.ndarray) -> tuple[float, float]:
    """Least-squares (alpha, beta) of seconds = alpha + beta * size, over at least two distinct sizes
    (ValueError otherwise, and for sizes and times of different lengths). The straight line through the points that minimises the summed squared
    error of the times, as ``numpy.polyfit(sizes, seconds, 1)`` gives it."""
    # TODO: solve the 2x2 normal equations, or np.linalg.lstsq on the columns [1, size].
    raise NotImplementedError("Exercise 2.5: implement fit_alpha_beta")
