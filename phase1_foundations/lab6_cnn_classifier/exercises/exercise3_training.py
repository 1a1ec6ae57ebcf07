# Exercise stub generated from solution/exercise3_training.py by `make stubs` [fingerprint ae593db2fab8]
"""Exercise 3: training a CNN on real images. Augmentation, a training loop, evaluation, confusion matrix.

The data are scikit-learn's 1,797 handwritten digits (8x8 grey images, offline); the same
functions train on MNIST, Fashion-MNIST or CIFAR-10 when their files are present. With so few
images, augmentation matters: shifting each training image by up to one pixel, differently every
epoch, tells the network that a digit moved by a pixel is the same digit.

Run the checks with:  make test-lab LAB=phase1_foundations/lab6_cnn_classifier EX=3
"""
from __future__ import annotations

import contextlib
from typing import Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


def random_shift(x: torch.Tensor, max_shift: int = 1, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Translate every image of the batch by its own random (dy, dx), each in [-max_shift, max_shift].

    x: (N, C, H, W). Returns a new tensor of the same shape: ``out[i, :, r, c] == x[i, :, r - dy_i, c - dx_i]``
    where that pixel exists, 0 where the shift brought in pixels from outside the image. All channels
    of one image move together. ``max_shift=0`` returns an unchanged copy. Random draws come from
    ``generator`` (on x's device) when given.
    """
    # TODO: pad, then crop: zero-pad by max_shift (F.pad) and take an H x W window per image, placed
    # TODO: by that image's own random shift (drawn from `generator`). max_shift=0 returns a copy.
    # TODO: a loop over the batch works; advanced indexing with per-image index grids is the fast way.
    raise NotImplementedError("Exercise 3.1: implement random_shift")


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(num_classes, num_classes) int64 counts: entry [t, p] counts samples of true class t predicted as p.

    preds, targets: (N,) integer class indices in [0, num_classes). Same layout as
    ``sklearn.metrics.confusion_matrix(targets, preds)`` (rows are true classes).
    """
    # TODO: give every (true, predicted) cell its own flat index and count all cells in one call
    # TODO: (torch.bincount); classes that never occur still need their rows and columns.
    raise NotImplementedError("Exercise 3.2: implement confusion_matrix")


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted classes (N,) int64 on the CPU for images x: (N, C, H, W), with the model in eval mode.

    N may be 0: then the result is an empty (0,) int64 tensor.

    Moves each batch to the model's device; restores the model's train/eval mode afterwards, even
    when the model raises.
    """
    # TODO: model.eval() matters: BatchNorm must use its running statistics, not the batch's.
    # TODO: remember model.training first and restore it at the end.
    raise NotImplementedError("Exercise 3.3: implement predict")


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of the N images x: (N, C, H, W) whose predicted class equals y: (N,)."""
    # TODO: compare predict(...) with y (on the CPU) and average.
    raise NotImplementedError("Exercise 3.4: implement accuracy")


def train_classifier(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 3e-3,
    weight_decay: float = 5e-4,
    max_shift: int = 1,
    seed: int = 0,
    device: Optional[torch.device] = None,
    amp: Optional[bool] = None,
    after_step: Optional[Callable[[nn.Module], None]] = None,
) -> list[float]:
    """Train ``model`` in place on images x: (N, C, H, W) with labels y: (N,); return the mean loss per epoch.

    Each epoch's loss is the mean over its samples (each batch's loss weighted by its size).

    Cross-entropy, AdamW(lr, weight_decay) with a one-cycle learning-rate schedule over all steps,
    a fresh shuffle every epoch from a generator seeded with ``seed``, ``random_shift(max_shift)`` on
    every training batch (``max_shift=0``: no augmentation), the last incomplete batch kept.
    ``device``: where to train (default: the model's device); x and y are moved batch by batch.
    ``amp``: mixed precision (default: on exactly when the device is CUDA). On CUDA, autocast to float16
    with a gradient scaler; on any other device, autocast to bfloat16 without one (bfloat16 keeps
    float32's exponent range, so small gradients do not underflow). Parameters stay float32 either way.
    ``after_step(model)``, if given, runs after every optimizer step (exercise 4 re-applies pruning masks there).
    Trains in train mode (even when the model arrives in eval mode) and leaves it there; only
    parameters with requires_grad are optimised.
    """
    # TODO: the training loop of lab 1.3, with a fresh seeded shuffle each epoch, random_shift on each
    # TODO: batch, AdamW over the trainable parameters and OneCycleLR stepped once per batch.
    # TODO: amp: torch.autocast (float16 on CUDA, bfloat16 elsewhere) around forward and loss, and a
    # TODO: torch.amp.GradScaler around backward and step, enabled only for float16.
    # TODO: after_step runs after every optimizer step; return each epoch's mean loss per sample.
    raise NotImplementedError("Exercise 3.5: implement train_classifier")
