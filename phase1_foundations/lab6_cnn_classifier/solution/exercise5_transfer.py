"""Exercise 5: transfer learning and interpretation. Freeze, replace the head, Grad-CAM.

A network trained on one task has features (edges, corners, blobs) that another task can reuse.
Three regimes: train only a new head on frozen features (linear probing), fine-tune everything
from the pretrained weights, or train from scratch. Grad-CAM (Selvaraju et al. 2017) then asks a
trained network *where* it looked: it weighs the feature maps of a convolutional layer by how
much the class score depends on them.

Run the checks with:  make test-lab LAB=phase1_foundations/lab6_cnn_classifier EX=5
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import FrozenBatchNorm2d


def replace_head(model: nn.Module, num_classes: int, head: str = "fc") -> nn.Linear:
    """Replace the ``nn.Linear`` attribute named ``head`` by a fresh Linear with the same in_features.

    The new layer has ``num_classes`` outputs, is on the old one's device and dtype, and is returned.
    Modifies ``model`` in place.
    """
    # BEGIN SOLUTION
    # TODO: the new head takes the old one's input width, device and dtype, and replaces it under the
    # TODO: same attribute name (getattr / setattr).
    old = getattr(model, head)
    new = nn.Linear(old.in_features, num_classes).to(device=old.weight.device, dtype=old.weight.dtype)
    setattr(model, head, new)
    return new
    # END SOLUTION


def freeze_backbone(model: nn.Module, head: str = "fc") -> int:
    """Freeze every parameter of ``model`` except those of the submodule named ``head``; return the trainable count.

    Frozen parameters get ``requires_grad = False``; the head's get ``True``. Every ``nn.BatchNorm2d``
    outside the head is replaced, in place, by a ``torchvision.ops.FrozenBatchNorm2d`` with the same
    statistics, affine values and eps, so the backbone normalises with its running statistics and never
    updates them, even after ``model.train()`` (torchvision's detection models freeze their backbones the
    same way). The count returned is that of the parameters still requiring gradients.
    """
    # BEGIN SOLUTION
    # TODO: only the head's parameters keep requires_grad.
    # TODO: that is not enough for BatchNorm: in train mode it normalises with the batch's statistics
    # TODO: and updates its running ones. Replace every backbone BatchNorm2d (you need its parent) by a
    # TODO: FrozenBatchNorm2d carrying the same statistics, affine values and eps, on the same device and dtype.
    model.requires_grad_(False)
    head_module = getattr(model, head)
    head_module.requires_grad_(True)
    head_ids = {id(m) for m in head_module.modules()}
    for parent in list(model.modules()):
        if id(parent) in head_ids:
            continue
        for name, child in list(parent.named_children()):
            if not isinstance(child, nn.BatchNorm2d):
                continue
            reference = child.running_mean if child.running_mean is not None else child.weight
            frozen = FrozenBatchNorm2d(child.num_features, eps=child.eps).to(reference.device, reference.dtype)
            with torch.no_grad():
                if child.affine:
                    frozen.weight.copy_(child.weight)
                    frozen.bias.copy_(child.bias)
                if child.track_running_stats:
                    frozen.running_mean.copy_(child.running_mean)
                    frozen.running_var.copy_(child.running_var)
            setattr(parent, name, frozen)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
    # END SOLUTION


def grad_cam(model: nn.Module, layer: nn.Module, x: torch.Tensor, target: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Grad-CAM heatmaps of ``model`` for inputs x: (N, C, H, W) at convolutional ``layer`` (a submodule).

    With A the layer's output (N, K, h, w) and y_c the logit of the target class (``target``: (N,)
    class indices; default: each image's predicted class):
        alpha_k = mean over (h, w) of d y_c / d A_k;   cam = ReLU(sum_k alpha_k * A_k)   (N, h, w),
    then bilinearly upsampled to (H, W) (align_corners=False) and divided by each map's maximum, so
    every map lies in [0, 1] with maximum 1 (an all-zero map stays zero). Returns (N, H, W), detached.
    Runs the model in eval mode, restores its mode, leaves no hooks and no .grad behind, even when
    the model raises.
    """
    # BEGIN SOLUTION
    # TODO: capture the layer's output A with a forward hook; torch.autograd.grad of the target scores
    # TODO: with respect to A gives d y_c / d A without touching any parameter's .grad (eval mode).
    # TODO: then the formula in the docstring, upsampled with F.interpolate (mind its expected shape);
    # TODO: an all-zero map must not become NaN. Restore the mode and remove the hook even on error.
    captured: list[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda m, i, out: captured.append(out))
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            logits = model(x)
            acts = captured[-1]
            if target is None:
                target = logits.argmax(1)
            score = logits.gather(1, target.view(-1, 1).to(logits.device)).sum()
            (grads,) = torch.autograd.grad(score, acts)
    finally:
        handle.remove()
        model.train(was_training)
    alpha = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((alpha * acts).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False).squeeze(1)
    cam = cam / cam.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)
    return cam.detach()
    # END SOLUTION
