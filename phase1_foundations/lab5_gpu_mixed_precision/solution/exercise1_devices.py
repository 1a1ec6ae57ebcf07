"""Exercise 1: devices and transfers.

A tensor lives on one device; an operation needs all its operands on the same one. Real batches
are nested structures (a dict of tensors, a list of (input, target) tuples), so moving "the batch"
means walking the structure. Copies from host (CPU) memory to a GPU go over PCIe or NVLink; they
are faster, and can overlap with compute, when the host buffer is *pinned* (page-locked): the GPU's
copy engine reads pinned memory directly, while pageable memory is first staged through a pinned
buffer by the driver.

Run the checks with:  make test-lab LAB=phase1_foundations/lab5_gpu_mixed_precision EX=1
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import torch


def to_device(obj: Any, device: str | torch.device, non_blocking: bool = False) -> Any:
    """``obj`` with every tensor inside it moved to ``device``.

    Walks dicts, lists, tuples and named tuples to any depth and rebuilds each container with
    the same type (a tuple stays a tuple, a named tuple keeps its class and field names, a dict
    keeps its key order). Tensors keep their dtype and shape; anything that is not a tensor or
    one of those containers (ints, strings, None, numpy arrays) is returned as it is.
    ``non_blocking`` is passed on to each tensor's move.
    """
    # BEGIN SOLUTION
    # TODO: recursion: a tensor is the base case (Tensor.to moves it); a dict, list or tuple is rebuilt
    # TODO: from its moved items as the same type; any other leaf comes back as it is.
    # TODO: a named tuple is a tuple too, but its constructor takes the items differently: check it first.
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, dict):
        return type(obj)((k, to_device(v, device, non_blocking)) for k, v in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return type(obj)(*(to_device(v, device, non_blocking) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device, non_blocking) for v in obj)
    return obj
    # END SOLUTION


def tree_nbytes(obj: Any) -> int:
    """Total bytes of all tensors inside ``obj`` (same nesting rules as :func:`to_device`).

    A tensor counts ``numel * element_size`` bytes (what a copy to another device transfers).
    Non-tensor leaves count 0.
    """
    # BEGIN SOLUTION
    # TODO: the same recursion as to_device, summing instead of rebuilding.
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(tree_nbytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(tree_nbytes(v) for v in obj)
    return 0
    # END SOLUTION


def host_to_device_bandwidth(
    nbytes: int, device: str | torch.device, pinned: bool, repeat: int = 5
) -> dict[str, float]:
    """Measure how fast a host buffer of ``nbytes`` bytes copies to ``device``.

    Allocates a uint8 host tensor of ``nbytes`` (page-locked when ``pinned``) and a destination of
    the same size on ``device`` once, copies once untimed (warm-up), then times ``repeat`` copies
    one by one, waiting for the device to finish each copy before reading the clock.
    Returns ``{"nbytes": nbytes, "seconds": median seconds per copy, "gb_per_s": nbytes / seconds / 1e9}``.

    On a CPU ``device`` this measures a host-to-host memory copy. ``pinned=True`` needs CUDA (pinned
    memory is a CUDA driver feature): without it, raise ValueError saying so. ``nbytes`` and
    ``repeat`` must be positive (ValueError otherwise).
    """
    # BEGIN SOLUTION
    # TODO: validate the arguments first (the docstring lists the ValueErrors).
    # TODO: allocate both buffers once, outside the timing; only the copies are timed.
    # TODO: a CUDA copy is asynchronous: the clock must not be read while one is still in flight.
    # TODO: summarise with the median, not the mean (one hiccup should not move it).
    if nbytes < 1 or repeat < 1:
        raise ValueError(f"nbytes and repeat must be positive, got nbytes={nbytes}, repeat={repeat}")
    device = torch.device(device)
    if pinned and not torch.cuda.is_available():
        raise ValueError("pinned=True needs CUDA: page-locked host memory is allocated by the CUDA driver")
    src = torch.empty(nbytes, dtype=torch.uint8, pin_memory=pinned)
    src.fill_(1)
    dst = torch.empty_like(src, device=device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    dst.copy_(src, non_blocking=pinned)
    sync()
    times = []
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        dst.copy_(src, non_blocking=pinned)
        sync()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {"nbytes": float(nbytes), "seconds": seconds, "gb_per_s": nbytes / seconds / 1e9}
    # END SOLUTION
