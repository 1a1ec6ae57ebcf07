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
    # BEGIN SOLUTION
    # TODO: pad, then crop: zero-pad by max_shift (F.pad) and take an H x W window per image, placed
    # TODO: by that image's own random shift (drawn from `generator`). max_shift=0 returns a copy.
    # TODO: a loop over the batch works; advanced indexing with per-image index grids is the fast way.
    n, c, h, w = x.shape
    if max_shift == 0:
        return x.clone()
    s = max_shift
    shifts = torch.randint(-s, s + 1, (n, 2), generator=generator, device=x.device)
    padded = F.pad(x, (s, s, s, s))
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + (s - shifts[:, 0]).view(n, 1, 1)).expand(n, h, w)
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + (s - shifts[:, 1]).view(n, 1, 1)).expand(n, h, w)
    batch = torch.arange(n, device=x.device).view(n, 1, 1).expand(n, h, w)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()
    # END SOLUTION


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(num_classes, num_classes) int64 counts: entry [t, p] counts samples of true class t predicted as p.

    preds, targets: (N,) integer class indices in [0, num_classes). Same layout as
    ``sklearn.metrics.confusion_matrix(targets, preds)`` (rows are true classes).
    """
    # BEGIN SOLUTION
    # TODO: give every (true, predicted) cell its own flat index and count all cells in one call
    # TODO: (torch.bincount); classes that never occur still need their rows and columns.
    idx = targets.long() * num_classes + preds.long()
    return torch.bincount(idx.cpu(), minlength=num_classes * num_classes).view(num_classes, num_classes)
    # END SOLUTION


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted classes (N,) int64 on the CPU for images x: (N, C, H, W), with the model in eval mode.

    N may be 0: then the result is an empty (0,) int64 tensor.

    Moves each batch to the model's device; restores the model's train/eval mode afterwards, even
    when the model raises.
    """
    # BEGIN SOLUTION
    # TODO: model.eval() matters: BatchNorm must use its running statistics, not the batch's.
    # TODO: remember model.training first and restore it at the end.
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        out = [model(x[i : i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.int64)
    # END SOLUTION


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of the N images x: (N, C, H, W) whose predicted class equals y: (N,)."""
    # BEGIN SOLUTION
    # TODO: compare predict(...) with y (on the CPU) and average.
    return (predict(model, x, batch_size) == y.cpu()).float().mean().item()
    # END SOLUTION


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
    # BEGIN SOLUTION
    # TODO: the training loop of lab 1.3, with a fresh seeded shuffle each epoch, random_shift on each
    # TODO: batch, AdamW over the trainable parameters and OneCycleLR stepped once per batch.
    # TODO: amp: torch.autocast (float16 on CUDA, bfloat16 elsewhere) around forward and loss, and a
    # TODO: torch.amp.GradScaler around backward and step, enabled only for float16.
    # TODO: after_step runs after every optimizer step; return each epoch's mean loss per sample.
    device = device or next(model.parameters()).device
    model.to(device).train()
    amp = (device.type == "cuda") if amp is None else amp
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    g = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    steps = (len(x) + batch_size - 1) // batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(1, epochs * steps))
    scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype == torch.float16)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        total, count = 0.0, 0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb = random_shift(x[idx], max_shift, generator=g).to(device)
            yb = y[idx].to(device)
            ctx = torch.autocast(device.type, dtype=amp_dtype) if amp else contextlib.nullcontext()
            with ctx:
                loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            if after_step is not None:
                after_step(model)
            total += loss.item() * len(idx)
            count += len(idx)
        history.append(total / count)
    return history
    # END SOLUTION
