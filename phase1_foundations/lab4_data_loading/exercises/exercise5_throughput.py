# Exercise stub generated from solution/exercise5_throughput.py by `make stubs` [fingerprint 6daf1d1141a1]
"""Exercise 5: loader throughput, and data larger than memory.

A training step waits for its batch. If the loader delivers fewer samples per second than the
model consumes, the accelerator idles, and no change to the model fixes that. What the loader
can deliver depends on where ``__getitem__`` spends its time: waiting on storage (more workers
help, even beyond the CPU count), decoding on the CPU (more workers help up to the number of free
cores), or almost nothing (then the per-sample cost of the loader machinery itself, IPC and
collation, dominates, and workers can make it slower).

Run the checks with:  make test-lab LAB=phase1_foundations/lab4_data_loading EX=5
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class ExpensiveDataset(Dataset):
    """Synthetic images whose ``__getitem__`` costs what you ask it to.

    Sample i is ``(x, i % num_classes)`` with
    ``x = torch.randn(sample_shape, generator=torch.Generator().manual_seed(seed + i))``.
    Before returning, the item waits ``io_seconds`` (``time.sleep``: simulated storage latency,
    the CPU is free meanwhile) and runs ``cpu_ops`` iterations of a pure-Python loop (simulated
    decoding: holds one core and Python's GIL).
    """

    def __init__(self, n: int, sample_shape: tuple[int, ...] = (3, 32, 32), num_classes: int = 10,
                 io_seconds: float = 0.0, cpu_ops: int = 0, seed: int = 0) -> None:
        self.n = n
        self.sample_shape = tuple(sample_shape)
        self.num_classes = num_classes
        self.io_seconds = io_seconds
        self.cpu_ops = cpu_ops
        self.seed = seed

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        # TODO: reject an index outside [0, n) with IndexError, spend the two costs of the docstring
        # TODO: (the CPU one is any arithmetic in pure Python), then build the sample as it says.
        raise NotImplementedError("Exercise 5.1: implement ExpensiveDataset.__getitem__")


@dataclass
class ThroughputResult:
    """What one loader configuration delivered. Times are wall-clock seconds."""

    num_workers: int
    batch_size: int
    pin_memory: bool
    persistent_workers: bool
    samples_per_epoch: int
    epoch_seconds: list[float] = field(default_factory=list)
    first_batch_seconds: float = float("nan")

    @property
    def samples_per_s(self) -> float:
        """Steady-state rate: samples per second of the last epoch."""
        return self.samples_per_epoch / self.epoch_seconds[-1]


def _num_samples(batch: Any) -> int:
    """Leading size of the first tensor in a (possibly nested) batch."""
    if isinstance(batch, torch.Tensor):
        return batch.shape[0]
    if isinstance(batch, dict):
        return _num_samples(next(iter(batch.values())))
    return _num_samples(batch[0])


def _to_device(batch: Any, device: torch.device, non_blocking: bool) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(b, device, non_blocking) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_device(v, device, non_blocking) for k, v in batch.items()}
    return batch


def measure_throughput(dataset: Dataset, batch_size: int, num_workers: int, pin_memory: bool = False,
                       persistent_workers: bool = False, epochs: int = 2, prefetch_factor: int | None = None,
                       collate_fn: Callable | None = None, device: str | torch.device | None = None) -> ThroughputResult:
    """Time ``epochs`` full passes of one DataLoader over ``dataset`` (in order, no shuffling).

    One ``DataLoader(dataset, batch_size=..., num_workers=..., pin_memory=..., collate_fn=...)``
    serves all epochs; ``persistent_workers`` and ``prefetch_factor`` are passed only when
    ``num_workers > 0`` (the DataLoader refuses them otherwise; there they are ignored).
    Every batch is consumed; with ``device``, each tensor of the batch is copied there
    (``non_blocking=pin_memory``) and the device is synchronised before each epoch's clock stops.
    Returns a :class:`ThroughputResult`: ``samples_per_epoch`` counts the samples the first epoch
    delivered (the leading size of each batch's first tensor, summed); ``epoch_seconds[e]`` runs
    from asking for epoch e's iterator to its last batch (so worker start-up counts);
    ``first_batch_seconds`` from the first epoch's start to its first batch.
    """
    # TODO: one DataLoader for all epochs; options that need workers must be left out without them.
    # TODO: time each epoch as the docstring says (time.perf_counter), counting samples, not batches.
    # TODO: copies to a GPU are asynchronous: wait for the device before stopping the clock.
    raise NotImplementedError("Exercise 5.2: implement measure_throughput")


def write_memmap(path: str | os.PathLike[str], chunks: Iterable[np.ndarray]) -> tuple[int, ...]:
    """Write arrays one after the other into a raw binary file, never holding more than one chunk.

    chunks: an iterable (a generator, say) of arrays (n_k, *S) with the same dtype and the same
    trailing shape S. The file holds their rows back to back in C order, no header: its bytes
    equal ``np.concatenate(list(chunks)).tobytes()``. Returns the total shape (sum n_k, *S).
    Raises ValueError when a chunk's dtype or trailing shape differs from the first chunk's, and
    when there is no chunk at all.
    """
    # TODO: stream: open the file once and, chunk by chunk, check it against the first one and write
    # TODO: its raw bytes in C order, counting rows as you go.
    # TODO: the iterable may be a generator: one pass, no len(). No chunk at all is an error too.
    raise NotImplementedError("Exercise 5.3: implement write_memmap")


class MemmapDataset(Dataset):
    """Map-style dataset over a raw binary file of equal-sized samples, read through ``np.memmap``.

    The file (as :func:`write_memmap` writes it) holds N samples of shape ``sample_shape`` and
    dtype ``dtype``, back to back; N comes from the file size (ValueError when the size is not a
    whole number of samples). Items are tensors of shape ``sample_shape`` that own their memory
    (writable, no view into the file). Only the pages of the samples asked for are read.

    The dataset stays small when pickled (a spawned worker receives a pickled copy): the open
    memmap is never part of its pickled state, even after items were read.
    """

    def __init__(self, path: str | os.PathLike[str], sample_shape: tuple[int, ...], dtype: Any = np.float32) -> None:
        self.path = str(path)
        self.sample_shape = tuple(sample_shape)
        self.dtype = np.dtype(dtype)
        # TODO: N follows from the file's size and the bytes one sample takes (its shape and dtype);
        # TODO: a remainder means a ValueError.
        # TODO: do not open the memmap here: open it on first use, in the process that reads.
        raise NotImplementedError("Exercise 5.4: implement MemmapDataset.__init__")

    def _array(self) -> np.memmap:
        """The file as a read-only (N, *sample_shape) memmap, opened on first use in this process."""
        # TODO: open the file read-only with np.memmap, shaped as the docstring says, only on the first
        # TODO: call in this process; keep it for the next ones.
        raise NotImplementedError("Exercise 5.5: implement MemmapDataset._array")

    def __len__(self) -> int:
        # TODO: the N found in __init__.
        raise NotImplementedError("Exercise 5.6: implement MemmapDataset.__len__")

    def __getitem__(self, index: int) -> torch.Tensor:
        # TODO: the memmap is read-only: a tensor that views it cannot be written (torch.from_numpy
        # TODO: warns that the array is not writable; the first write crashes the process).
        # TODO: so give the item its own copy of the row.
        raise NotImplementedError("Exercise 5.7: implement MemmapDataset.__getitem__")

    def __getitems__(self, indices: list[int]) -> list[torch.Tensor]:
        """The items at ``indices`` in one read: what the DataLoader calls for a whole batch when a
        dataset defines it. Same tensors as ``[self[i] for i in indices]``."""
        # TODO: one read for the whole batch (NumPy fancy indexing returns a copy), then split the
        # TODO: block into one tensor per index.
        raise NotImplementedError("Exercise 5.8: implement MemmapDataset.__getitems__")

    def __getstate__(self) -> dict[str, Any]:
        """What pickling stores: everything but the open memmap."""
        # TODO: return the instance's attributes without the open memmap (the copy reopens it lazily);
        # TODO: do not change self, which may still be reading.
        raise NotImplementedError("Exercise 5.9: implement MemmapDataset.__getstate__")
