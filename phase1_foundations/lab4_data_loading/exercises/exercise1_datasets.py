# Exercise stub generated from solution/exercise1_datasets.py by `make stubs` [fingerprint a0eb727ee32e]
"""Exercise 1: datasets, the two kinds a DataLoader understands, and randomness inside workers.

A map-style ``Dataset`` answers ``len(ds)`` and ``ds[i]``: the DataLoader's sampler decides the
order, and each worker process is sent lists of indices to fetch. An ``IterableDataset`` answers
only ``iter(ds)``: there are no indices, so when a DataLoader starts ``num_workers`` processes,
EVERY worker runs ``__iter__`` on its own copy of the dataset. Unless ``__iter__`` asks
``torch.utils.data.get_worker_info()`` which worker it is and yields only its share, each sample
comes out ``num_workers`` times per epoch, silently.

Workers are separate processes (forked on Linux): whatever random state the dataset holds is
copied into every worker, and identical copies produce identical "random" augmentations unless
each worker reseeds.

Run the checks with:  make test-lab LAB=phase1_foundations/lab4_data_loading EX=1
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info


class FolderDataset(Dataset):
    """Map-style dataset over arrays stored one per file, in one sub-folder per class.

    Layout: ``root/<class name>/<file>``, e.g. ``root/cat/001.npy``. Only files directly inside a
    class folder whose name ends with ``extension`` (compared case-insensitively, so ``A.NPY``
    counts) are samples; other files are ignored, and so are nested sub-folders (which
    ``DatasetFolder`` would search too).

    Attributes, the same as ``torchvision.datasets.DatasetFolder(root, loader=np.load,
    extensions=(extension,))`` would have for such a flat layout:
        classes:       list[str], the class folder names, sorted
        class_to_idx:  dict[str, int], class name -> its position in ``classes``
        samples:       list[tuple[str, int]], (file path, class index), classes in ``classes``
                       order and, inside a class, files sorted by name

    Creating the dataset only lists the folders: no file is read until an item is asked for.
    Raises FileNotFoundError when ``root`` holds no class folder, or when a class folder holds no
    file with the extension.
    """

    def __init__(self, root: str | os.PathLike[str], extension: str = ".npy",
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self.root = Path(root)
        self.extension = extension
        self.transform = transform
        # TODO: the classes are the sub-folders of root (directories only, os.scandir), sorted.
        # TODO: samples: class by class, the files directly in each folder with the extension, matched
        # TODO: case-insensitively and sorted by name as strings (as DatasetFolder does).
        # TODO: only list here, never open a file: reading happens in __getitem__, in the worker.
        raise NotImplementedError("Exercise 1.1: implement FolderDataset.__init__")

    def __len__(self) -> int:
        """Number of samples (files) found."""
        # TODO: one sample per listed file.
        raise NotImplementedError("Exercise 1.2: implement FolderDataset.__len__")

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        """``(x, label)`` for sample ``index``: x is the file's array as a tensor (same shape and
        dtype as stored; ``transform(x)`` when a transform was given), label the class index."""
        # TODO: only now read this one file (NumPy can load it) into a tensor of the stored dtype and
        # TODO: shape, without converting it; apply the transform if there is one.
        raise NotImplementedError("Exercise 1.3: implement FolderDataset.__getitem__")


class ShardedRecordStream(IterableDataset):
    """A stream of records read from a list of ``.npy`` files, split across readers.

    Each file holds a 2-D array (n_i, D); every row is one record, yielded as a tensor of shape
    (D,) with the file's dtype. Within one reader the records come in file order, then row order.

    Readers: ``world_size`` processes of a distributed job (this copy runs in process ``rank``),
    each with a DataLoader of ``num_workers`` workers (0 meaning the process itself reads).
    Whole files are dealt out round-robin over all readers, so that across all ranks and all
    workers every record is yielded exactly once per epoch, whatever ``num_workers`` is. With
    ``num_workers=0``, ``world_size=1`` the stream is every row of every file, in order.
    """

    def __init__(self, paths: Sequence[str | os.PathLike[str]], rank: int = 0, world_size: int = 1) -> None:
        super().__init__()
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size={world_size}); got {rank}")
        self.paths = [str(p) for p in paths]
        self.rank = rank
        self.world_size = world_size

    def __iter__(self) -> Iterator[torch.Tensor]:
        # TODO: get_worker_info() says which worker this copy runs in (None in the main process).
        # TODO: count every reader of the job (all ranks, all workers; a rank without workers is one
        # TODO: reader) and give this one a unique number; deal whole files round-robin by that number.
        raise NotImplementedError("Exercise 1.4: implement ShardedRecordStream.__iter__")


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for a DataLoader: give each worker its own, reproducible random streams.

    Inside a worker, ``torch.initial_seed()`` is already distinct per worker (the loader sets it to
    base_seed + worker_id, base_seed drawn from the loader's ``generator``). From it, seed:
      * Python's ``random`` with ``torch.initial_seed() % 2**32``;
      * NumPy's global RNG (``np.random.seed``) with ``torch.initial_seed() % 2**32``;
      * the worker's copy of the dataset: when it has an attribute ``rng`` holding a
        ``np.random.Generator``, replace it with ``np.random.default_rng(torch.initial_seed())``.
    Outside a worker (``get_worker_info()`` is None) it only seeds ``random`` and NumPy.
    """
    # TODO: the first two items are the recipe of PyTorch's reproducibility notes. The third
    # TODO: matters because a Generator created in the dataset's __init__ is copied, state and
    # TODO: all, into every worker: get_worker_info().dataset is this worker's copy.
    raise NotImplementedError("Exercise 1.5: implement seed_worker")
