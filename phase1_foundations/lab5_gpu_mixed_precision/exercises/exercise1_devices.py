# Exercise stub generated from solution/exercise1_devices.py by `make stubs` [fingerprint d193b2b36b83]
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
    # TODO: recursion: a tensor is the base case (Tensor.to moves it); a dict, list or tuple is rebuilt
    # TODO: from its moved items as the same type; any other leaf comes back as it is.
    # TODO: a named tuple is a tuple too, but its constructor takes the items differently: check it first.
    raise NotImplementedError("Exercise 1.1: implement to_device")


def tree_nbytes(obj: Any) -> int:
    """Total bytes of all tensors inside ``obj`` (same nesting rules as :func:`to_device`).

    A tensor counts ``numel * element_size`` bytes (what a copy to another device transfers).
    Non-tensor leaves count 0.
    """
    # TODO: the same recursion as to_device, summing instead of rebuilding.
    raise NotImplementedError("Exercise 1.2: implement tree_nbytes")


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
    # TODO: validate the arguments first (the docstring lists the ValueErrors).
    # TODO: allocate both buffers once, outside the timing; only the copies are timed.
    # TODO: a CUDA copy is asynchronous: the clock must not be read while one is still in flight.
    # TODO: summarise with the median, not the mean (one hiccup should not move it).
    raise NotImplementedError("Exercise 1.3: implement host_to_device_bandwidth")
