"""Exercise 3: data parallelism by hand: shards, bucketed gradient averaging, accumulation.

Data parallelism keeps a full copy of the model on every rank and gives each rank a different
slice of every global batch. With a loss that is a mean over the batch,

    grad L(B) = (1/|B|) sum_{i in B} grad l_i = (1/N) sum_r [ (1/|B_r|) sum_{i in B_r} grad l_i ]

when the N shards B_r have equal sizes: averaging the ranks' gradients (an all-reduce and a
division by N) gives exactly the full-batch gradient, and since every rank started from the same
parameters (a broadcast from rank 0) and applies the same update, they stay identical.

DDP does not all-reduce one tensor per parameter: it packs gradients into BUCKETS of about
``bucket_cap_mb`` (25 MiB by default) and all-reduces one flat bucket at a time, in reverse order
of the parameters, because backward produces the last layer's gradients first. A bucket can be
sent as soon as all its gradients exist, while backward still computes the earlier layers:
communication overlaps computation. Here each parameter's ``register_post_accumulate_grad_hook``
says when its gradient is ready.

With gradient ACCUMULATION (k micro-batches per optimizer step), only the last backward needs to
communicate: the first k-1 run under ``no_sync()``, their gradients summing locally in ``.grad``.

Which samples a rank sees comes from ``torch.utils.data.DistributedSampler`` (lab 1.4 builds
one by hand): every rank must shuffle with the SAME seed and call ``set_epoch(epoch)``, or the
ranks' shards overlap and the epochs repeat one order.

Run the checks with:  make test-lab LAB=2.5 EX=3
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler


def shard_loader(dataset: Dataset, batch_size: int, rank: int, world_size: int, epoch: int,
                 seed: int = 0, drop_last: bool = False) -> DataLoader:
    """The DataLoader rank ``rank`` of ``world_size`` reads in epoch ``epoch``: a shuffled
    ``DistributedSampler`` share of ``dataset`` in batches of ``batch_size``.

    Every rank passes the same ``seed`` (so together the ranks cover one permutation: each sample
    once, plus, without ``drop_last``, the first few of the permutation again to fill the last
    round) and the epoch selects that epoch's permutation. ``drop_last`` is the sampler's (it cuts
    the permutation's tail so every rank gets the same count); the DataLoader keeps its last,
    shorter batch.
    """
    # BEGIN SOLUTION
    # TODO: DistributedSampler(dataset, num_replicas=..., rank=..., shuffle=True, seed=..., drop_last=...)
    # TODO: then sampler.set_epoch(epoch) before the loader iterates.
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed,
                                 drop_last=drop_last)
    sampler.set_epoch(epoch)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    # END SOLUTION


def bucket_assignment(params: list[torch.Tensor], bucket_bytes: int) -> list[list[int]]:
    """Indices into ``params``, grouped in buckets, in REVERSE order (the last parameter first).

    Walk the parameters from the last to the first; add each to the current bucket unless that
    would take the bucket past ``bucket_bytes`` (``numel * element_size``; a bucket may reach
    exactly ``bucket_bytes``), in which case it opens a new bucket. A parameter larger than ``bucket_bytes`` gets a bucket of its own. Raises
    ValueError for bucket_bytes < 1.
    """
    # BEGIN SOLUTION
    if bucket_bytes < 1:
        raise ValueError(f"bucket_bytes must be at least 1, got {bucket_bytes}")
    buckets: list[list[int]] = []
    size = 0
    for i in reversed(range(len(params))):
        nbytes = params[i].numel() * params[i].element_size()
        if buckets and size + nbytes <= bucket_bytes:
            buckets[-1].append(i)
            size += nbytes
        else:
            buckets.append([i])
            size = nbytes
    return buckets
    # END SOLUTION


class HandDDP(nn.Module):
    """Data-parallel wrapper by hand: what ``DistributedDataParallel`` does, in Python.

    * At construction, rank 0's parameters and buffers are broadcast to every rank.
    * During backward, each parameter's post-accumulate-grad hook marks it ready; when every
      parameter of a bucket is ready, the bucket's gradients are flattened into one tensor, divided
      by the world size and all-reduced with ``async_op=True`` (communication overlapping the rest
      of backward). When the last bucket is launched, every handle is waited on and the averaged
      values are copied back into each ``p.grad``. ``self.launch_order`` lists the bucket indices in
      the order they were sent during the last synchronised backward.
    * A forward run inside ``no_sync()`` makes its backward communicate nothing (gradients sum locally).

    Every parameter that requires grad must receive a gradient in each backward (no unused parameters).
    """

    def __init__(self, module: nn.Module, bucket_bytes: int = 25 * 2**20):
        super().__init__()
        self.module = module
        self.params = [p for p in module.parameters() if p.requires_grad]
        self.buckets = bucket_assignment(self.params, bucket_bytes)
        self.launch_order: list[int] = []
        self._sync_enabled = True
        self._sync_this_backward = True
        # BEGIN SOLUTION
        # TODO: broadcast rank 0's parameters and buffers; map each parameter to its bucket;
        # TODO: register one post-accumulate-grad hook per parameter (self._hook(i) makes it).
        with torch.no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                dist.broadcast(tensor.data, 0)
        self._bucket_of = {i: b for b, bucket in enumerate(self.buckets) for i in bucket}
        self._ready = [0] * len(self.buckets)
        self._pending: list[tuple[int, torch.Tensor, dist.Work]] = []
        for i, p in enumerate(self.params):
            p.register_post_accumulate_grad_hook(self._hook(i))
        # END SOLUTION

    def forward(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        # Like DDP, whether the coming backward communicates is decided at forward time.
        self._sync_this_backward = self._sync_enabled
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forwards (and their backwards) inside this block do not communicate."""
        # BEGIN SOLUTION
        previous = self._sync_enabled
        self._sync_enabled = False
        try:
            yield
        finally:
            self._sync_enabled = previous
        # END SOLUTION

    def _hook(self, index: int) -> Callable[[torch.Tensor], None]:
        """The hook of parameter ``index``: called with the parameter once its .grad is accumulated."""
        def hook(param: torch.Tensor) -> None:
            # BEGIN SOLUTION
            # TODO: nothing to do unless this backward synchronises. Count the parameter ready in its
            # TODO: bucket; a full bucket is flattened, divided by the world size and all-reduced
            # TODO: asynchronously; after the last bucket, wait for all and copy back into the grads.
            if not self._sync_this_backward:
                return
            b = self._bucket_of[index]
            self._ready[b] += 1
            if self._ready[b] < len(self.buckets[b]):
                return
            flat = torch.cat([self.params[i].grad.reshape(-1) for i in self.buckets[b]])
            flat /= dist.get_world_size()
            self._pending.append((b, flat, dist.all_reduce(flat, async_op=True)))
            if len(self._pending) == len(self.buckets):
                self._finish()
            # END SOLUTION

        return hook

    def _finish(self) -> None:
        """Wait for every launched bucket and copy its averaged values back into the parameters' .grad."""
        # BEGIN SOLUTION
        # TODO: record self.launch_order; wait on each handle; unflatten each bucket into its grads (in
        # TODO: the bucket's parameter order); reset the per-backward state for the next backward.
        self.launch_order = [b for b, _, _ in self._pending]
        for b, flat, handle in self._pending:
            handle.wait()
            offset = 0
            for i in self.buckets[b]:
                grad = self.params[i].grad
                grad.copy_(flat[offset:offset + grad.numel()].view_as(grad))
                offset += grad.numel()
        self._pending = []
        self._ready = [0] * len(self.buckets)
        # END SOLUTION


def train_accumulated(model: nn.Module, optimizer: torch.optim.Optimizer,
                      micro_batches: list[tuple[torch.Tensor, torch.Tensor]],
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> float:
    """One optimizer step over ``micro_batches`` [(x, y), …] of equal sizes: the gradient of the mean loss over all of them.

    Each micro-batch's loss (a mean over its samples) is divided by the number of micro-batches
    before its backward, so the summed gradients are the mean. Every backward but the last runs
    inside ``model.no_sync()`` when the model has one (``HandDDP`` and ``DistributedDataParallel``
    do), so only the last communicates. Zeroes the gradients first; returns the mean of the
    micro-batches' losses (a float: the sum of the divided losses).
    """
    # BEGIN SOLUTION
    # TODO: zero_grad; for every micro-batch but the last: with model.no_sync(): forward, backward;
    # TODO: the last one outside; then optimizer.step().
    optimizer.zero_grad(set_to_none=True)
    k = len(micro_batches)
    total = 0.0
    for j, (x, y) in enumerate(micro_batches):
        context = model.no_sync() if (j < k - 1 and hasattr(model, "no_sync")) else contextlib.nullcontext()
        with context:
            loss = loss_fn(model(x), y) / k
            loss.backward()
        total += loss.item()
    optimizer.step()
    return total
    # END SOLUTION
