# Exercise stub generated from solution/exercise4_augmentation.py by `make stubs` [fingerprint 7e5fb3b38374]
"""Exercise 4: augmentation on batches, Mixup and CutMix, and test-time augmentation.

Augmentations here work on a whole batch of images (B, C, H, W) at once, as they would on a GPU
after the copy, while every image still gets its own random draw. All randomness comes from an
explicit ``torch.Generator``, so a run can be replayed exactly: two calls with generators seeded
the same way return the same result.

Mixup and CutMix blend two samples and their labels. Labels are probability rows (B, K): one-hot
rows for hard labels, any rows summing to 1 for soft ones.

Run the checks with:  make test-lab LAB=phase1_foundations/lab4_data_loading EX=4
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn


def random_crop_with_padding(images: torch.Tensor, padding: int, generator: torch.Generator,
                             padding_mode: str = "constant") -> torch.Tensor:
    """Pad every image by ``padding`` pixels on each side, then cut a random (H, W) window out.

    images: (B, C, H, W) float. Padding as ``F.pad(images, (p, p, p, p), mode=padding_mode)``
    (zeros for "constant"; "reflect" mirrors the border). Each image gets its own offset
    (dy, dx), drawn uniformly from {0, ..., 2p} x {0, ..., 2p} with ``generator``:
    out[b] = padded[b, :, dy:dy + H, dx:dx + W]. Returns (B, C, H, W); ``images`` is unchanged.
    """
    # TODO: pad the whole batch once, then draw one offset per image and per axis from the generator.
    # TODO: cut each image's window: a loop over B is fine; loop-free, advanced indexing with
    # TODO: broadcast index tensors picks every window at once.
    raise NotImplementedError("Exercise 4.1: implement random_crop_with_padding")


def random_horizontal_flip(images: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``, independently per image.

    images: (B, C, H, W). A flipped image is ``images[b].flip(-1)``. Returns a new (B, C, H, W)
    tensor; ``images`` is unchanged.
    """
    # TODO: one uniform draw per image from the generator decides (probability p); choose between the
    # TODO: image and its mirror with torch.where, the decision shaped to broadcast over C, H, W.
    raise NotImplementedError("Exercise 4.2: implement random_horizontal_flip")


def normalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """Per-channel standardisation: out[..., c, :, :] = (images[..., c, :, :] - mean[c]) / std[c].

    images: (C, H, W) or (B, C, H, W) float; mean, std: C numbers each. Same result as
    ``torchvision.transforms.v2.functional.normalize``, which you may not call. Raises ValueError
    when a std is 0. Returns a new tensor; ``images`` is unchanged.
    """
    # TODO: make mean and std tensors of the images' dtype, shaped so that they broadcast along the
    # TODO: channel dimension of 3-D and 4-D input alike; reject a zero std.
    raise NotImplementedError("Exercise 4.3: implement normalize")


class Compose:
    """Chain transforms: ``Compose([f, g, h])(x) == h(g(f(x)))``; ``Compose([])`` is the identity."""

    def __init__(self, transforms: Sequence[Callable[[torch.Tensor], torch.Tensor]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: apply them in list order, each to the previous one's output.
        raise NotImplementedError("Exercise 4.4: implement Compose.__call__")


def sample_mix_params(batch_size: int, alpha: float, generator: torch.Generator) -> tuple[float, torch.Tensor]:
    """Draw a Mixup/CutMix mixing weight and partner permutation, from ``generator`` only.

    Returns ``(lam, perm)``: lam a Python float drawn from Beta(alpha, alpha), perm a (batch_size,)
    int64 random permutation of 0..batch_size-1 (sample b is mixed with sample perm[b]).
    Raises ValueError unless alpha > 0. (``torch.distributions.Beta`` cannot take a generator.)
    """
    # TODO: if X ~ Gamma(a, 1) and Y ~ Gamma(b, 1) are independent, X / (X + Y) ~ Beta(a, b);
    # TODO: torch._standard_gamma can draw Gammas from a generator. Then the permutation, from the
    # TODO: same generator. Reject alpha <= 0.
    raise NotImplementedError("Exercise 4.5: implement sample_mix_params")


def mixup(images: torch.Tensor, targets: torch.Tensor, lam: float, perm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mixup (Zhang et al., 2017): blend every sample with its partner, inputs and labels alike.

    images: (B, ...) float, targets: (B, K) probability rows, perm: (B,) int64.
    Returns ``(lam * images + (1 - lam) * images[perm], lam * targets + (1 - lam) * targets[perm])``
    as new tensors; the inputs are unchanged.
    """
    # TODO: read images[perm] before writing anything: updating images in place first would mix
    # TODO: some samples with partners that were already mixed.
    raise NotImplementedError("Exercise 4.6: implement mixup")


def cutmix(images: torch.Tensor, targets: torch.Tensor, lam: float, perm: torch.Tensor,
           generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int, int, int], float]:
    """CutMix (Yun et al., 2019): paste a box from each sample's partner; mix labels by area.

    images: (B, C, H, W), targets: (B, K) probability rows, perm: (B,) int64. One box for the
    whole batch: its centre (cy, cx) is drawn uniformly from {0..H-1} x {0..W-1} with
    ``generator``; its half-sizes are hh = int(0.5 * sqrt(1 - lam) * H) and
    hw = int(0.5 * sqrt(1 - lam) * W); it covers rows [y0, y1) = [max(cy - hh, 0), min(cy + hh, H))
    and columns [x0, x1) = [max(cx - hw, 0), min(cx + hw, W)) (clipped at the borders).
    Inside the box out[b] = images[perm[b]], outside out[b] = images[b].
    The labels mix by the area actually pasted: lam_adj = 1 - (y1 - y0) * (x1 - x0) / (H * W) and
    mixed_targets = lam_adj * targets + (1 - lam_adj) * targets[perm].
    Returns ``(mixed_images, mixed_targets, (y0, y1, x0, x1), lam_adj)``; inputs are unchanged.
    """
    # TODO: draw the centre from the generator (cy first, then cx) and clip the box at the borders.
    # TODO: never write into the inputs: paste the partners' box into a copy.
    # TODO: the label weight comes from the clipped box, not from lam: near a border the box is
    # TODO: smaller than asked for, and the labels must say how much was really pasted.
    raise NotImplementedError("Exercise 4.7: implement cutmix")


def tta_predict(model: nn.Module, images: torch.Tensor,
                transforms: Sequence[Callable[[torch.Tensor], torch.Tensor]]) -> torch.Tensor:
    """Test-time augmentation: average the model's class probabilities over several views.

    images: (B, C, H, W); model maps (B, C, H, W) -> logits (B, K); transforms: T >= 1 batch
    transforms (include the identity ``lambda x: x`` to count the plain view).
    Returns (1/T) * sum_t softmax(model(t(images)), dim=1), shape (B, K), computed in eval mode
    without building a graph. The model's train/eval mode is restored afterwards.
    """
    # TODO: evaluation mode (dropout off, batch-norm running stats) and no graph for the views.
    # TODO: average probabilities, not logits.
    # TODO: the caller's train/eval mode must come back even when a view raises.
    raise NotImplementedError("Exercise 4.8: implement tta_predict")
