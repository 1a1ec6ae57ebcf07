"""Exercise 4: where training memory goes.

Training a model holds, besides the data: the parameters, one gradient per parameter, the
optimizer's state (SGD with momentum: one buffer per parameter; Adam: two, plus a step counter),
and the activations that autograd saved in the forward pass for the backward pass. The last term
grows with the batch size and the depth; activation checkpointing trades it for recomputation,
and gradient accumulation trades batch size for more, smaller passes with the same gradient.

Autograd reports every tensor it saves to ``torch.autograd.graph.saved_tensors_hooks``: the
pack hook receives the tensor when it is saved, the unpack hook returns it in the backward pass.

On a GPU the caching allocator keeps freed blocks for reuse (``memory_reserved`` >=
``memory_allocated``); a request it cannot serve raises ``torch.cuda.OutOfMemoryError``. The last
two functions profile that allocator and find the largest batch that fits by catching the error.

Run the checks with:  make test-lab LAB=phase1_foundations/lab5_gpu_mixed_precision EX=4
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence
from types import ModuleType

import torch
from torch import nn


def memory_breakdown(model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict[str, int]:
    """Bytes held by training state: ``{"params", "grads", "optimizer_state", "total"}``.

    ``params``: every parameter of ``model`` once (tied parameters count once), frozen ones too.
    ``grads``: the ``.grad`` tensors that exist right now. ``optimizer_state``: every tensor in
    ``optimizer.state`` (0 without an optimizer, and before its first step). ``total``: the sum.
    A tensor's bytes are ``numel * element_size``.
    """
    # BEGIN SOLUTION
    # TODO: model.parameters() already yields a tied parameter once.
    # TODO: optimizer.state maps each parameter to a dict of its state; count the values that
    # TODO: are tensors (Adam's "step" is a tensor too; plain numbers are not).
    def nbytes(t: torch.Tensor) -> int:
        return t.numel() * t.element_size()

    params = list(model.parameters())
    out = {
        "params": sum(nbytes(p) for p in params),
        "grads": sum(nbytes(p.grad) for p in params if p.grad is not None),
        "optimizer_state": 0,
    }
    if optimizer is not None:
        for state in optimizer.state.values():
            out["optimizer_state"] += sum(nbytes(v) for v in state.values() if isinstance(v, torch.Tensor))
    out["total"] = out["params"] + out["grads"] + out["optimizer_state"]
    return out
    # END SOLUTION


def saved_tensor_bytes(fn: Callable[..., Any], *args: Any, exclude: Iterable[torch.Tensor] = ()) -> int:
    """Run ``fn(*args)`` and return the bytes of the tensors autograd saved for backward.

    Each distinct piece of memory counts once, even when several saved tensors share it (a tensor
    saved twice, or a view of a saved tensor), and counts in full (the bytes of its storage).
    Tensors sharing memory with one in ``exclude`` (typically the model's parameters, which exist
    anyway) are not counted.
    """
    # BEGIN SOLUTION
    # TODO: run fn under torch.autograd.graph.saved_tensors_hooks: the pack hook sees every tensor
    # TODO: autograd saves, and unpack must give it back in backward.
    # TODO: count distinct memory, not tensors: views and repeats share one storage; how do you
    # TODO: identify a storage? Storages shared with `exclude` are skipped.
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in skip:
            storages[ptr] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(storages.values())
    # END SOLUTION


def checkpointed_forward(blocks: Sequence[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """``blocks[-1](... blocks[1](blocks[0](x)))``, storing only each block's input for backward:
    the activations inside a block are recomputed during the backward pass. Same output and same
    gradients as running the blocks plainly."""
    # BEGIN SOLUTION
    # TODO: run the blocks in turn, each through torch.utils.checkpoint (the non-reentrant variant), so
    # TODO: a block keeps only its input and recomputes its inner activations in backward.
    from torch.utils.checkpoint import checkpoint

    h = x
    for block in blocks:
        h = checkpoint(block, h, use_reentrant=False)
    return h
    # END SOLUTION


def accumulated_gradients(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    micro_batch: int,
) -> dict[str, torch.Tensor]:
    """Gradient of ``loss_fn(model(x), y)`` over the whole batch, computed ``micro_batch`` samples
    at a time (the last micro-batch may be smaller). ``loss_fn`` averages over the samples it sees.

    Returns ``{name: gradient}`` for every parameter that requires grad, equal (up to float
    rounding) to one backward pass on the full batch. Gradients already in ``.grad`` before the
    call must not leak into the result.
    """
    # BEGIN SOLUTION
    # TODO: backward() adds into .grad, so stale gradients must go first.
    # TODO: the full-batch loss is a mean over all samples, a micro-batch's loss a mean over fewer:
    # TODO: weight each one so the accumulated gradients add up to the full-batch gradient.
    model.zero_grad(set_to_none=True)
    n_total = x.shape[0]
    for start in range(0, n_total, micro_batch):
        xb, yb = x[start : start + micro_batch], y[start : start + micro_batch]
        (loss_fn(model(xb), yb) * (xb.shape[0] / n_total)).backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters() if p.requires_grad}
    # END SOLUTION


def largest_batch_that_fits(try_fn: Callable[[int], Any], lo: int, hi: int) -> int:
    """Largest ``n`` in ``[lo, hi]`` for which ``try_fn(n)`` returns without raising
    ``torch.cuda.OutOfMemoryError``; ``lo - 1`` when even ``lo`` does not fit.

    Assumes that whatever fits at ``n`` fits at every smaller size, and calls ``try_fn`` at most
    ``ceil(log2(hi - lo + 2))`` times (a bisection, not a scan). Any other exception (a shape
    error, a bug in ``try_fn``) propagates. Raises ValueError when ``lo > hi`` or ``lo < 1``.
    """
    # BEGIN SOLUTION
    # TODO: keep an interval: the largest size known to fit and the smallest known not to; try the
    # TODO: middle and move one end. Only an out-of-memory error means "does not fit": catch that
    # TODO: class alone, and free the allocator's cached blocks after it (torch.cuda.empty_cache()).
    if lo < 1 or lo > hi:
        raise ValueError(f"need 1 <= lo <= hi, got lo={lo}, hi={hi}")
    fits, fails = lo - 1, hi + 1  # invariant: fits fits (or is lo - 1), fails fails (or is hi + 1)
    while fails - fits > 1:
        mid = (fits + fails) // 2
        try:
            try_fn(mid)
        except torch.cuda.OutOfMemoryError:
            fails = mid
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        else:
            fits = mid
    return fits
    # END SOLUTION


def profile_cuda_memory(
    fn: Callable[[], Any],
    snapshot_path: str | None = None,
    max_entries: int = 100_000,
    cuda: ModuleType = torch.cuda,
) -> dict[str, int]:
    """Run ``fn()`` on the GPU and report the caching allocator's view of it, in bytes:
    ``{"peak_allocated", "allocated", "reserved"}``: the most memory tensors held at once during
    ``fn`` (not since the program started), what they hold after it, and what the allocator keeps
    from the driver (freed blocks included).

    With ``snapshot_path``, records the allocation history while ``fn`` runs (at most
    ``max_entries`` events) and saves it there as a pickle, viewable at https://pytorch.org/memory_viz.
    Recording is switched off again afterwards, also when ``fn`` raises. ``cuda`` is the module
    whose functions are used (``torch.cuda``; the tests pass a recording stand-in).
    """
    # BEGIN SOLUTION
    # TODO: reset the peak statistic first, or the peak is that of the whole program so far.
    # TODO: history: cuda.memory._record_memory_history(max_entries=...) before fn, then
    # TODO: cuda.memory._dump_snapshot(path) after it, and _record_memory_history(enabled=None) to stop,
    # TODO: whatever happens (try/finally). Synchronise before reading the statistics.
    cuda.reset_peak_memory_stats()
    if snapshot_path is not None:
        cuda.memory._record_memory_history(max_entries=max_entries)
    try:
        fn()
        cuda.synchronize()
        if snapshot_path is not None:
            cuda.memory._dump_snapshot(snapshot_path)
    finally:
        if snapshot_path is not None:
            cuda.memory._record_memory_history(enabled=None)
    return {"peak_allocated": int(cuda.max_memory_allocated()), "allocated": int(cuda.memory_allocated()),
            "reserved": int(cuda.memory_reserved())}
    # END SOLUTION
