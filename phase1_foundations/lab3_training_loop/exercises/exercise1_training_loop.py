# Exercise stub generated from solution/exercise1_training_loop.py by `make stubs` [fingerprint f7ff80a052af]
"""Exercise 1: the training loop. One epoch of training, one pass of evaluation, and ``fit``.

Every training script, however large, has this skeleton: put the model in training mode, and
for each batch clear the old gradients, run forward, compute the loss, backpropagate, update
(and move the learning-rate schedule on); then switch to evaluation mode and measure, without
recording a graph. The mistakes this exercise guards against are silent ones: a forgotten
``zero_grad`` (gradients add up), a forgotten ``eval()`` (dropout still on, batch-norm
statistics still moving), and an epoch loss averaged over batches when the last batch is short.

Run the checks with:  make test-lab LAB=phase1_foundations/lab3_training_loop EX=1
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Optional

import torch
from torch import nn

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MetricFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def accuracy(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Fraction of rows whose largest score is at the target class.

    output: (B, C) scores, target: (B,) int64 class indices  ->  0-d float tensor in [0, 1].
    """
    return (output.argmax(dim=1) == target).float().mean()


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    scheduler: Optional[torch.optim.lr_scheduler.LRScheduler] = None,
    device: Optional[torch.device | str] = None,
) -> float:
    """One pass over ``loader`` in training mode, one optimizer step per batch.

    loader: yields (x, y) batches; x: (B, ...) inputs, y: (B, ...) targets; B may vary (the last
        batch is often shorter).
    loss_fn(output, y) returns the MEAN loss over the batch (a 0-d tensor).
    scheduler: if given, stepped once after every optimizer step (a per-step schedule).
    device: where each batch is moved before the forward pass; default, the device of the
        model's parameters.
    Whatever mode the model was in and whatever ``.grad`` its parameters held before the call,
    each update uses only the gradient of the current batch's loss.
    Returns the epoch's mean loss PER SAMPLE, as a Python float: the batch losses computed in
    the forward passes (before each batch's update), weighted by batch size.
    """
    # TODO: put the model in training mode whatever mode it arrived in (dropout, batch norm).
    # TODO: per batch, on the device: each update must use only this batch's gradient (stale .grad
    # TODO: may be waiting), and a scheduler moves once per optimizer step, after it.
    # TODO: the result is a mean per SAMPLE: a plain mean of batch means over-weights a short last batch.
    raise NotImplementedError("Exercise 1.1: implement train_one_epoch")


def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: LossFn,
    metrics: Optional[Mapping[str, MetricFn]] = None,
    device: Optional[torch.device | str] = None,
) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader``, in evaluation mode, recording no graph.

    loader, loss_fn, device: as in :func:`train_one_epoch`.
    metrics: name -> fn(output, y) returning the batch MEAN of the metric (a 0-d tensor), for
        instance :func:`accuracy`.
    Changes no parameter and no ``.grad``.
    Returns {"loss": mean loss per sample, name: mean metric per sample for each metric}, as
    Python floats, each batch weighted by its size (the same numbers one batch holding the
    whole data set would give).
    """
    # TODO: two separate switches are needed: one changes how layers behave (dropout, batch-norm
    # TODO: statistics), the other stops autograd from recording; neither implies the other.
    # TODO: weight the loss and every metric by batch size, as in train_one_epoch.
    raise NotImplementedError("Exercise 1.2: implement evaluate")


def fit(
    model: nn.Module,
    train_loader: Iterable[Batch],
    val_loader: Iterable[Batch],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    scheduler: Optional[torch.optim.lr_scheduler.LRScheduler] = None,
    metrics: Optional[Mapping[str, MetricFn]] = None,
    device: Optional[torch.device | str] = None,
) -> dict[str, list[float]]:
    """Train for ``epochs`` epochs, evaluating on ``val_loader`` after each one.

    scheduler: stepped after every optimizer step, as in :func:`train_one_epoch`.
    Returns the history, one entry per epoch in each list:
        "lr":         learning rate of the optimizer's first param group when the epoch began,
        "train_loss": what :func:`train_one_epoch` returned,
        "val_loss":   the "loss" of :func:`evaluate`,
        "val_<name>": the metric <name> of :func:`evaluate`, for every metric given.
    """
    # TODO: one list per key of the docstring (a "val_<name>" list for every metric), one entry per epoch.
    # TODO: "lr" is the value when the epoch BEGINS: a per-step scheduler changes it during training.
    raise NotImplementedError("Exercise 1.3: implement fit")
