"""Peak memory of the tensors a block of code creates, on any device, CPU included.

CUDA has ``torch.cuda.max_memory_allocated``; the CPU allocator keeps no such statistic. This
module counts at the dispatcher instead: every tensor an operator returns inside the block is
recorded with the size of its storage, and forgotten when the last tensor using that storage is
freed. The running total is the memory the block's tensors hold; its maximum is the peak::

    with track_tensor_memory() as mem:
        out = attention(q, k, v)
    mem.peak_bytes, mem.largest_bytes        # e.g. 8 MiB and 4 MiB for T = 1024 naive attention

What it sees and what it does not:

* it counts storages, so views (``transpose``, ``view``, slicing) cost nothing and an in-place op
  adds nothing, as in the real allocator;
* tensors that existed before the block (the inputs, a model's weights) are not counted;
* scratch memory a fused kernel allocates internally (the blocks of ``F.scaled_dot_product_attention``'s
  flash kernel) never reaches Python and is not counted; only its output is;
* it is exact in bytes of tensor data, without the allocator's rounding and caching, so the
  numbers are the same on every machine.

Run the block under ``torch.no_grad()`` to measure a forward pass alone: with autograd on, the
tensors saved for backward stay alive, which is a different (also useful) measurement.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

__all__ = ["TensorMemory", "track_tensor_memory"]


@dataclass
class TensorMemory:
    """What :func:`track_tensor_memory` measured: bytes of tensor storage created inside the block."""

    peak_bytes: int = 0
    largest_bytes: int = 0  # the largest single storage created (a T x T score matrix shows up here)
    current_bytes: int = 0  # still alive when read (after the block: what the block's results hold)
    allocations: int = 0
    _live: dict[Any, list[int]] = field(default_factory=dict, repr=False)

    @staticmethod
    def _key(t: torch.Tensor) -> Any:
        ptr = t.untyped_storage().data_ptr()
        return (t.device.type, t.device.index, ptr) if ptr else ("empty", id(t))

    def _add(self, t: torch.Tensor, outside: frozenset = frozenset()) -> None:
        key = self._key(t)
        entry = self._live.get(key)
        if entry is None and key in outside:
            return  # a view of, or an in-place op on, a tensor made before the block: no new memory
        if entry is None:
            storage = t.untyped_storage()
            nbytes = storage.nbytes()
            self._live[key] = [nbytes, 1]
            self.allocations += 1
            self.current_bytes += nbytes
            self.peak_bytes = max(self.peak_bytes, self.current_bytes)
            self.largest_bytes = max(self.largest_bytes, nbytes)
        else:
            entry[1] += 1
        weakref.finalize(t, self._release, key)

    def _release(self, key: Any) -> None:
        entry = self._live.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            self.current_bytes -= entry[0]
            del self._live[key]


class _Counter(TorchDispatchMode):
    def __init__(self, stats: TensorMemory):
        super().__init__()
        self.stats = stats

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        # Storages of the inputs that the block did not create (made before it): an output that
        # shares one of them (a view, an in-place op) allocated nothing.
        outside = frozenset(
            key for key in (self.stats._key(t) for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor))
            if key not in self.stats._live
        )
        out = func(*args, **(kwargs or {}))
        # A view shares its base's storage, so it is recorded as one more user of that storage.
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.stats._add(t, outside)
        return out


class track_tensor_memory:  # noqa: N801 - used as a context manager, like torch.no_grad
    """Context manager that measures the storage bytes of the tensors created inside it."""

    def __init__(self) -> None:
        self.stats = TensorMemory()
        self._mode = _Counter(self.stats)

    def __enter__(self) -> TensorMemory:
        self._mode.__enter__()
        return self.stats

    def __exit__(self, *exc: object) -> None:
        self._mode.__exit__(*exc)
