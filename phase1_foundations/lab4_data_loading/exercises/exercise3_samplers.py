# Exercise stub generated from solution/exercise3_samplers.py by `make stubs` [fingerprint 0eccb65da0f4]
"""Exercise 3: samplers, which decide what a model sees and how often.

A sampler yields dataset indices; the DataLoader batches them and the workers fetch them. Two
jobs a sampler does in practice:
  * rebalance classes: a long-tailed dataset seen in its natural frequencies teaches the model
    mostly the head classes; ``WeightedRandomSampler`` draws index i with probability
    proportional to a weight w_i you choose;
  * shard for distributed training: each of N processes must see a different slice of the same
    epoch's permutation, all slices the same length (a collective op waits for every process,
    so one process with an extra batch hangs the job).

Run the checks with:  make test-lab LAB=phase1_foundations/lab4_data_loading EX=3
"""
from __future__ import annotations

import math
from typing import Iterator

import torch
from torch.utils.data import Sampler, WeightedRandomSampler


def class_sampling_weights(labels: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Per-sample weights that make class c drawn with probability proportional to n_c^(1 - alpha).

    labels: (N,) int64, values >= 0 (classes absent from labels are fine). n_c is the number of
    samples of class c. Sample i gets w_i = n_{labels[i]}^(-alpha), and the weights are
    normalised to sum to 1. Returns (N,) float64.
    alpha = 0: every sample equally likely (classes at their natural frequency);
    alpha = 1: every class equally likely (class-balanced);
    alpha = 0.5: "square-root" sampling, in between.
    """
    # TODO: a sample's weight depends only on the size of its class: count the classes once
    # TODO: (torch.bincount), in float64, and look each sample's count up by its label.
    # TODO: why it works: class c holds n_c samples of weight n_c^(-alpha) each, total n_c^(1-alpha).
    raise NotImplementedError("Exercise 3.1: implement class_sampling_weights")


def balanced_sampler(labels: torch.Tensor, alpha: float = 1.0, num_samples: int | None = None,
                     generator: torch.Generator | None = None) -> WeightedRandomSampler:
    """A ``WeightedRandomSampler`` over ``labels`` with :func:`class_sampling_weights`' weights.

    Draws ``num_samples`` indices (default: N, one epoch's worth) with replacement, using
    ``generator`` for its randomness.
    """
    # TODO: without replacement, a rare class runs out of samples after n_c draws and the
    # TODO: balance is lost; with it, rare samples repeat within an epoch (that is the point).
    raise NotImplementedError("Exercise 3.2: implement balanced_sampler")


class ShardingSampler(Sampler[int]):
    """The indices that process ``rank`` of ``num_replicas`` reads in one epoch.

    Yields exactly what ``torch.utils.data.DistributedSampler(range(dataset_len), num_replicas,
    rank, shuffle, seed, drop_last)`` yields after ``set_epoch(epoch)``:
      1. order: ``torch.randperm(dataset_len, generator=torch.Generator().manual_seed(seed + epoch))``
         when ``shuffle``, else 0..dataset_len-1 (as a list);
      2. make the length a multiple of ``num_replicas``: with ``drop_last`` cut the tail off;
         otherwise append indices taken again from the start of the order (cycling through it
         more than once if it is shorter than the padding needed);
      3. this rank reads positions rank, rank + num_replicas, rank + 2 * num_replicas, ...
    ``len(sampler)`` is the number of indices each rank yields. Raises ValueError unless
    0 <= rank < num_replicas.
    """

    def __init__(self, dataset_len: int, num_replicas: int, rank: int, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas < 1:
            raise ValueError(f"num_replicas must be at least 1, got {num_replicas}")
        self.dataset_len = dataset_len
        self.num_replicas = num_replicas
        self.rank = rank
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        # TODO: check the rank, then fix how many indices each rank gets (every rank the same):
        # TODO: drop_last rounds the share down (the tail is cut), otherwise it rounds up (padding).
        raise NotImplementedError("Exercise 3.3: implement ShardingSampler.__init__")

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch: every rank must call it with the same value before iterating."""
        self.epoch = epoch

    def __len__(self) -> int:
        # TODO: the per-rank count decided in __init__.
        raise NotImplementedError("Exercise 3.4: implement ShardingSampler.__len__")

    def __iter__(self) -> Iterator[int]:
        # TODO: build the whole epoch's list first, identical on every rank, padded or cut to ranks
        # TODO: times the per-rank count; then take this rank's strided share.
        # TODO: padding reuses indices from the start; a list shorter than the padding needed must
        # TODO: wrap around more than once.
        raise NotImplementedError("Exercise 3.5: implement ShardingSampler.__iter__")
