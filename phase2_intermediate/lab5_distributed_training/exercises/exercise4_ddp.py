# Exercise stub generated from solution/exercise4_ddp.py by `make stubs` [fingerprint a0fd51b31f0f]
"""Exercise 4: the real DistributedDataParallel, its communication hooks, and the overlap of buckets with backward.

``DistributedDataParallel(module)`` does what exercise 3's ``HandDDP`` does, in C++: it broadcasts
rank 0's state at construction, groups the gradients into buckets of ``bucket_cap_mb``, and
all-reduces (then divides by the world size) each bucket from an autograd hook as soon as its
gradients are ready, while backward goes on with the earlier layers.

What a bucket's communication does can be replaced: ``ddp.register_comm_hook(state, hook)`` makes
DDP call ``hook(state, bucket)`` for every bucket, where ``bucket.buffer()`` is the flat tensor of
that bucket's gradients (summed locally, NOT yet divided) and ``bucket.index()`` its number; the
hook returns a ``torch.futures.Future`` whose value is the tensor DDP copies back into the
gradients. ``torch.distributed.algorithms.ddp_comm_hooks`` ships hooks that trade accuracy for
bytes: ``default_hooks.fp16_compress_hook`` (half the bytes: each bucket sent in float16) and
``powerSGD_hook.powerSGD_hook`` (Vogels et al. 2019: each gradient matrix sent as a rank-r
factorisation, P Q^T, with the error fed back into the next step).

The future of an async all-reduce: ``dist.all_reduce(t, async_op=True).get_future()``; its
``.then(fn)`` runs ``fn(fut)`` when the all-reduce is done (``fut.value()`` is a list holding ``t``)
and returns a new future of ``fn``'s result.

Run the checks with:  make test-lab LAB=2.5 EX=4
"""
# No `from __future__ import annotations` here: DDP checks a hook's annotations against the real
# types (dist.GradBucket, torch.futures.Future[torch.Tensor]), and that import turns them into strings.
import time
from typing import Callable

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def make_ddp(module: nn.Module, bucket_cap_mb: float = 25.0) -> DistributedDataParallel:
    """``module`` wrapped in DDP with buckets of ``bucket_cap_mb`` megabytes (MiB, 2**20 bytes).

    On CUDA (module on a GPU), DDP is told this process's device (``device_ids=[LOCAL_RANK's device]``);
    on CPU it gets no device_ids.
    """
    # TODO: device_ids only for a module on a CUDA device: [that device's index].
    raise NotImplementedError("Exercise 4.1: implement make_ddp")


def fp16_compress_hook(state: object, bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:
    """A DDP communication hook: the bucket averaged over ranks, sent in float16.

    Casts the bucket's flat buffer to float16, divides it by the world size (BEFORE the sum, so the
    sum stays in float16's range), all-reduces it asynchronously, and when that is done casts the
    result back to the buffer's dtype and copies it into the buffer, which the future returns.
    The same arithmetic as ``default_hooks.fp16_compress_hook``. ``state`` is unused (None).
    """
    # TODO: compressed = buffer.to(float16).div_(world); fut = all_reduce(compressed, async_op=True).get_future()
    # TODO: return fut.then(decompress), where decompress copies fut.value()[0] into the buffer and returns it.
    raise NotImplementedError("Exercise 4.2: implement fp16_compress_hook")


def timed_allreduce_hook(launches: list[tuple[int, float, int]], bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:
    """A DDP communication hook that averages like DDP's default and records when each bucket is sent.

    Registered as ``ddp.register_comm_hook(launches, timed_allreduce_hook)``: the state DDP passes
    back is the list ``launches``, to which the hook appends ``(bucket.index(), time.perf_counter()
    at launch, number of elements)`` for every bucket. It divides the buffer by the world size and
    returns the future of its async all-reduce (whose value is the averaged buffer).
    """
    raise NotImplementedError("Exercise 4.3: implement timed_allreduce_hook")


def gradient_error(exact: list[torch.Tensor], approx: list[torch.Tensor]) -> float:
    """Relative error of a set of gradients: ||approx - exact|| / ||exact||, both flattened into one
    vector (the norm of all parameters' gradients together). Raises ValueError if the lists differ
    in length or any shapes differ."""
    raise NotImplementedError("Exercise 4.4: implement gradient_error")


def hooked_gradients(make_model: Callable[[], nn.Module], x: torch.Tensor, y: torch.Tensor,
                     loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                     hook: Callable | None = None, state: object = None, steps: int = 1,
                     bucket_cap_mb: float = 25.0) -> list[torch.Tensor]:
    """The gradients DDP gives after ``steps`` backward passes on this rank's (x, y), with ``hook``.

    Builds ``make_model()`` in a DDP (``make_ddp``), registers ``hook`` with ``state`` when one is
    given, and runs ``steps`` times: zero the gradients, forward, loss, backward (no optimizer step,
    so every pass sees the same parameters; hooks with memory, PowerSGD's error feedback, need
    several). Returns copies of the parameters' gradients after the last pass.
    """
    raise NotImplementedError("Exercise 4.5: implement hooked_gradients")
