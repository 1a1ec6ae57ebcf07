"""Exercise 2: collation of variable-length sequences, and batching by length.

The DataLoader's default ``collate_fn`` stacks the samples of a batch, which needs every sample
to have the same shape. Sequences (sentences, audio, event logs) do not: they are padded to the
longest one in the batch, and the model is told which positions are real (a mask) and how long
each sequence is (lengths). Every padded position costs the same compute as a real one, so how
samples are grouped into batches decides how much of the work is wasted.

Run the checks with:  make test-lab LAB=phase1_foundations/lab4_data_loading EX=2
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch
from torch.utils.data import Sampler


def pad_collate(
    batch: Sequence[tuple[torch.Tensor, int]],
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Collate ``(sequence, label)`` samples of different lengths into padded tensors.

    batch: B >= 1 pairs; sequence i has shape (L_i, *F) (the same trailing dims F and dtype for
    all, L_i may be 0), label i is an int.
    Returns ``(padded, lengths, mask, labels)``:
        padded:  (B, T, *F), T = max L_i, the sequences' dtype; sequence i occupies the first L_i
                 positions of row i with ``padding_side="right"``, the last L_i with "left";
                 every other position holds ``padding_value``. Equal to
                 ``pad_sequence(seqs, batch_first=True, padding_value=..., padding_side=...)``.
        lengths: (B,) int64, the L_i
        mask:    (B, T) bool, True exactly where padded holds a real element
        labels:  (B,) int64
    Raises ValueError for another ``padding_side``.
    """
    # BEGIN SOLUTION
    # TODO: allocate the output once, filled with padding_value in the sequences' dtype, and copy
    # TODO: each sequence into its row, at the front or the back; a length-0 sequence copies nothing.
    # TODO: the mask needs no loop: broadcast a row of positions against a column of lengths.
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    seqs = [s for s, _ in batch]
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.int64)
    T = int(lengths.max()) if len(seqs) else 0
    padded = seqs[0].new_full((len(seqs), T, *seqs[0].shape[1:]), padding_value)
    for i, s in enumerate(seqs):
        if s.shape[0] == 0:
            continue
        if padding_side == "right":
            padded[i, : s.shape[0]] = s
        else:
            padded[i, T - s.shape[0]:] = s
    positions = torch.arange(T)[None, :]
    mask = positions < lengths[:, None] if padding_side == "right" else positions >= (T - lengths)[:, None]
    labels = torch.tensor([int(y) for _, y in batch], dtype=torch.int64)
    return padded, lengths, mask, labels
    # END SOLUTION


def padding_waste(batches: Sequence[Sequence[int]], lengths: Sequence[int] | torch.Tensor) -> float:
    """Fraction of the padded positions that are padding, over all ``batches``.

    A batch of indices b is padded to (|b|, max_{i in b} lengths[i]), so
        waste = 1 - sum_i lengths[i] / sum_b |b| * max_{i in b} lengths[i]   (over all batches).
    0.0 when there is no position at all (no batch, or only empty sequences).
    """
    # BEGIN SOLUTION
    # TODO: add up, over all batches, the real positions and the padded ones (each batch padded to
    # TODO: its longest member); the docstring combines them. Empty batches and no positions at all: 0.0.
    lengths = torch.as_tensor(lengths)
    real, padded = 0, 0
    for b in batches:
        if len(b) == 0:
            continue
        lb = lengths[list(b)]
        real += int(lb.sum())
        padded += len(b) * int(lb.max())
    return 0.0 if padded == 0 else 1.0 - real / padded
    # END SOLUTION


class BucketBatchSampler(Sampler[list[int]]):
    """Batch sampler that puts sequences of similar length in the same batch.

    Use it as ``DataLoader(ds, batch_sampler=BucketBatchSampler(lengths, 32), collate_fn=...)``.
    One epoch, with n = len(lengths):
      1. order the indices: ``torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))``
         when ``shuffle``, else 0..n-1;
      2. cut that order into pools of ``pool_batches * batch_size`` consecutive indices (the
         last pool may be smaller);
      3. inside each pool, sort the indices by length and cut them into batches of
         ``batch_size`` (so only the very last batch of the epoch can be smaller);
      4. with ``drop_last``, drop that last batch when it is smaller than ``batch_size``;
      5. yield the batches (lists of ints), in a random order (drawn from the same generator)
         when ``shuffle``, else in the order made.
    Every index appears exactly once per epoch (except the dropped ones); ``len(sampler)`` is the
    number of batches, the same as ``BatchSampler``'s. ``set_epoch(e)`` selects the epoch.
    """

    def __init__(self, lengths: Sequence[int] | torch.Tensor, batch_size: int, drop_last: bool = False,
                 shuffle: bool = True, pool_batches: int = 50, seed: int = 0) -> None:
        if batch_size < 1 or pool_batches < 1:
            raise ValueError("batch_size and pool_batches must be at least 1")
        self.lengths = torch.as_tensor(lengths, dtype=torch.int64)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.pool_batches = pool_batches
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order ``__iter__`` produces."""
        self.epoch = epoch

    def __len__(self) -> int:
        # BEGIN SOLUTION
        # TODO: as many batches as BatchSampler makes: the full ones, plus a partial one if any index
        # TODO: is left over and drop_last is off.
        n = len(self.lengths)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        # END SOLUTION

    def __iter__(self) -> Iterator[list[int]]:
        # BEGIN SOLUTION
        # TODO: follow the numbered steps of the docstring; one generator draws both the permutation
        # TODO: and the batch order. Sorting a pool by length (torch.argsort, stable) gives positions
        # TODO: within the pool, not dataset indices.
        n = len(self.lengths)
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        pool_size = self.pool_batches * self.batch_size
        batches: list[list[int]] = []
        for start in range(0, n, pool_size):
            pool = order[start:start + pool_size]
            pool = pool[torch.argsort(self.lengths[pool], stable=True)]
            batches.extend(pool[b:b + self.batch_size].tolist() for b in range(0, len(pool), self.batch_size))
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]
        return iter(batches)
        # END SOLUTION
