# Exercise stub generated from solution/exercise1_collectives.py by `make stubs` [fingerprint ff630019f08a]
"""Exercise 1: a process group from torchrun's environment, and the collectives.

``torchrun --nproc-per-node N script.py`` starts N copies of ``script.py`` and gives each one its
place in the job through environment variables: ``RANK`` (0 … WORLD_SIZE-1, unique in the whole
job), ``WORLD_SIZE`` (how many processes in all), ``LOCAL_RANK`` (0 … LOCAL_WORLD_SIZE-1, unique on
this machine: the GPU index to use), ``LOCAL_WORLD_SIZE``, and ``MASTER_ADDR``/``MASTER_PORT``, where
rank 0's key-value store listens. ``dist.init_process_group(backend)`` reads them (``init_method
="env://"``), meets the other processes at the store, and builds the default process group:
``gloo`` on CPU tensors, ``nccl`` on CUDA tensors.

A collective is called by EVERY rank of the group, in the same order, with tensors of matching
shapes and dtypes; it returns when this rank's part is done:

* ``dist.broadcast(t, src)``: every rank's ``t`` becomes rank ``src``'s (in place);
* ``dist.all_reduce(t, op)``: every rank's ``t`` becomes the elementwise SUM (MAX, MIN, PRODUCT)
  over ranks (in place). A mean is the sum divided by the world size;
* ``dist.all_gather(list_of_N_tensors, t)``: slot r of every rank's list receives rank r's ``t``.
  Every rank's ``t`` must have the SAME shape;
* ``dist.reduce_scatter_tensor(out, t)``: ``t`` is N equal chunks along dim 0; rank r's ``out``
  receives the sum over ranks of chunk r. (all_reduce = reduce_scatter + all_gather, exercise 2);
* ``dist.barrier()``: returns on each rank once every rank has called it.

Each also takes ``async_op=True``: it returns a ``Work`` handle at once, and ``handle.wait()``
blocks until the result is in the tensor. Launching several before waiting lets them proceed
together (exercise 4's DDP overlaps gradient communication with backward this way).

Run the checks with:  make test-lab LAB=2.5 EX=1
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class WorldInfo:
    """Where this process sits in the job."""

    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    backend: str


def init_from_env(backend: str | None = None, timeout_s: float = 60.0) -> WorldInfo:
    """Join the default process group, with this process's place read from torchrun's variables.

    Reads RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE (WORLD_SIZE when unset: one machine),
    MASTER_ADDR and MASTER_PORT. ``backend=None`` picks ``"nccl"`` when CUDA is available (and
    then first makes GPU ``LOCAL_RANK`` this process's current device), else ``"gloo"``.
    Collectives that wait longer than ``timeout_s`` fail instead of hanging. Raises RuntimeError
    naming every missing variable (and saying to start the script with torchrun) when any of the
    five required ones is not set. Returns the group's view of this process.
    """
    # TODO: collect the missing variables first and raise one RuntimeError that names them all.
    # TODO: RANK is the place in the whole job; LOCAL_RANK only on this machine (the GPU to use).
    raise NotImplementedError("Exercise 1.1: implement init_from_env")


def all_reduce_mean(t: torch.Tensor) -> torch.Tensor:
    """The elementwise mean over ranks of ``t`` (floating point, any shape), on every rank.

    A new tensor: ``t`` itself is left as it was. Built from a SUM all-reduce and a division by the
    world size (``ReduceOp.AVG`` exists only in some backends' builds).
    """
    # TODO: all_reduce works in place: reduce a copy.
    raise NotImplementedError("Exercise 1.2: implement all_reduce_mean")


def broadcast_module(module: nn.Module, src: int = 0) -> None:
    """Make every rank's parameters AND buffers (BatchNorm's running statistics) equal to rank ``src``'s, in place."""
    # TODO: broadcast each tensor's .data (parameters require grad: in-place ops on them need no autograd).
    raise NotImplementedError("Exercise 1.3: implement broadcast_module")


def all_gather_cat(t: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Every rank's ``t`` (the same shape on every rank) concatenated along ``dim`` in rank order."""
    raise NotImplementedError("Exercise 1.4: implement all_gather_cat")


def all_gather_varying(t: torch.Tensor) -> list[torch.Tensor]:
    """Every rank's ``t`` of shape (n_r, *rest), where n_r may differ between ranks (even be 0), in rank order.

    ``all_gather`` needs one shape on every rank: first gather the lengths, then pad every ``t`` to
    the longest with zeros, gather, and cut each rank's padding off again. ``rest`` and the dtype
    are the same on every rank.
    """
    # TODO: two all_gathers: one of the lengths (a 1-element tensor each), one of the padded tensors.
    raise NotImplementedError("Exercise 1.5: implement all_gather_varying")


def reduce_scatter_sum(t: torch.Tensor) -> torch.Tensor:
    """Rank r's share of the sum over ranks: chunk r of ``sum_ranks t``, with ``t`` cut in world-size
    equal chunks along dim 0. Raises ValueError unless ``t.shape[0]`` is a multiple of the world size."""
    raise NotImplementedError("Exercise 1.6: implement reduce_scatter_sum")


def all_reduce_many(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """The SUM over ranks of each tensor, in place, the all-reduces run concurrently.

    Launches every all-reduce with ``async_op=True`` first, then waits on every handle, so none
    waits for the one before it to finish. Returns ``tensors``.
    """
    # TODO: one loop that launches (keep the handles), a second that waits.
    raise NotImplementedError("Exercise 1.7: implement all_reduce_many")


def append_in_rank_order(path: str | Path, line: str) -> None:
    """Append ``line`` to the file ``path`` (shared by every rank), rank 0's line first, then rank 1's, …

    Every rank takes its turn between barriers: a rank writes only when every rank before it has
    written. On return, every rank's line is in the file.
    """
    # TODO: world_size rounds; in round r only rank r writes; a barrier ends each round.
    raise NotImplementedError("Exercise 1.8: implement append_in_rank_order")
