"""Exercise 2: CNN architectures. LeNet, ResNet basic and bottleneck blocks, a small ResNet, costs.

LeNet (LeCun et al. 1998) is convolution, pooling, convolution, pooling, then fully connected
layers. ResNet (He et al. 2016) adds the input of each block back to its output, so every block
only has to learn a *residual* correction, and gradients have a path that skips the block.
You build both, then count what they cost: parameters and floating-point operations.

Conventions used by the rest of the lab (exercise 4 relies on them):
* every activation is a module attribute (``self.act``), never a bare ``F.relu`` call, so that it
  can be swapped;
* a residual block keeps its shortcut in ``self.shortcut``: ``nn.Identity()`` when shapes match,
  a projection (1x1 convolution with the block's stride, then BatchNorm) when they do not, and
  ``None`` when the block has no skip connection at all (then the block is a plain stack).

Run the checks with:  make test-lab LAB=phase1_foundations/lab6_cnn_classifier EX=2
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn as nn


class LeNet(nn.Module):
    """LeNet-style classifier: [conv 5x5 (pad 2) -> act -> max-pool 2] x 2 -> flatten -> FC -> act -> FC.

    Channels 6 then 16 (as in LeNet-5), hidden width ``hidden``. Input (N, in_channels, S, S) with S
    divisible by 4; output logits (N, num_classes). Attributes: ``conv1``, ``conv2``, ``fc1``, ``fc2``,
    ``act`` (one activation module, reused), ``pool``.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28, hidden: int = 84):
        super().__init__()
        # BEGIN SOLUTION
        # TODO: the layers and attribute names are in the class docstring; reject an image_size the pools
        # TODO: cannot halve twice. fc1's input size: channels x height x width of the map after pool 2.
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4, got {image_size}")
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5, padding=2)
        self.pool = nn.MaxPool2d(2)
        self.act = nn.ReLU()
        self.fc1 = nn.Linear(16 * (image_size // 4) ** 2, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, S, S) -> logits (N, num_classes)."""
        # BEGIN SOLUTION
        # TODO: the order in the class docstring; flatten every dimension but the batch before fc1.
        x = self.pool(self.act(self.conv1(x)))
        x = self.pool(self.act(self.conv2(x)))
        return self.fc2(self.act(self.fc1(x.flatten(1))))
        # END SOLUTION


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3(stride) -> BN -> act -> conv3x3 -> BN, plus the shortcut, then act.

    Attributes: ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``act``, ``shortcut`` (see the module docstring;
    with ``skip=False`` it is ``None``). Convolutions have no bias (BatchNorm follows them).
    x: (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, skip: bool = True,
                 activation: Callable[[], nn.Module] = nn.ReLU):
        super().__init__()
        # BEGIN SOLUTION
        # TODO: size-preserving 3x3 convolutions (what padding?), bias-free; only the first one strides.
        # TODO: the shortcut must produce the residual branch's shape: when does it need a projection,
        # TODO: and what is it when skip is False? (module docstring)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.act = activation()
        if not skip:
            self.shortcut = None
        elif stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        else:
            self.shortcut = nn.Identity()
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: the composition in the class docstring; a None shortcut means no addition at all.
        out = self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.act(out)
        # END SOLUTION


class Bottleneck(nn.Module):
    """ResNet bottleneck block: 1x1 (in -> width) -> 3x3 (width, stride) -> 1x1 (width -> width * 4), BN after each.

    act after the first two BNs and after the addition; output channels ``width * expansion``.
    Attributes: ``conv1, bn1, conv2, bn2, conv3, bn3, act, shortcut`` (rules as in :class:`BasicBlock`).
    x: (N, in_channels, H, W) -> (N, width * expansion, ceil(H / stride), ceil(W / stride)).
    """

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, skip: bool = True,
                 activation: Callable[[], nn.Module] = nn.ReLU):
        super().__init__()
        # BEGIN SOLUTION
        # TODO: same pattern as BasicBlock with three convolutions; the stride sits on the 3x3 one
        # TODO: (the "ResNet v1.5" placement torchvision uses).
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.act = activation()
        if not skip:
            self.shortcut = None
        elif stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        else:
            self.shortcut = nn.Identity()
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: three conv-BN pairs with act between them, then the shortcut and a final act.
        out = self.act(self.bn1(self.conv1(x)))
        out = self.act(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.act(out)
        # END SOLUTION


class SmallResNet(nn.Module):
    """A small ResNet of :class:`BasicBlock` stages for small images.

    stem: conv3x3 (in_channels -> widths[0], stride 1, no bias) -> BN -> act; then one stage per
    entry of ``widths`` with ``blocks_per_stage`` blocks each, the first block of every stage but the
    first having stride 2; then global average pooling, flatten and ``fc`` (Linear to num_classes).
    Attributes: ``stem`` (nn.Sequential), ``stages`` (nn.Sequential of nn.Sequential), ``pool``, ``fc``.
    x: (N, in_channels, H, W) -> logits (N, num_classes).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, widths: Sequence[int] = (16, 32, 64),
                 blocks_per_stage: int = 1, skip: bool = True, activation: Callable[[], nn.Module] = nn.ReLU):
        super().__init__()
        # BEGIN SOLUTION
        # TODO: keep track of the current channel count while adding stages; pass skip and activation
        # TODO: down to every BasicBlock. nn.AdaptiveAvgPool2d(1) is global average pooling.
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), activation()
        )
        stages, channels = [], widths[0]
        for i, width in enumerate(widths):
            blocks = []
            for b in range(blocks_per_stage):
                stride = 2 if (i > 0 and b == 0) else 1
                blocks.append(BasicBlock(channels, width, stride, skip=skip, activation=activation))
                channels = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        # TODO: stem, stages, pool, flatten, fc.
        return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))
        # END SOLUTION


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (only those with requires_grad when ``trainable_only``)."""
    # BEGIN SOLUTION
    # TODO: count scalars, not tensors; a parameter shared between modules counts once
    # TODO: (model.parameters() already lists it once); honour trainable_only.
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    # END SOLUTION


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Floating-point operations of one forward pass of ``model`` on an input of ``input_shape``.

    Counts the convolutions (every ``nn.Conv2d``) and matrix products (every ``nn.Linear``) only,
    2 FLOPs per multiply-accumulate, biases, BatchNorm, activations and pooling ignored: the
    convention of ``torch.utils.flop_counter.FlopCounterMode``, whose total this must equal.
    ``input_shape`` includes the batch dimension, e.g. (1, 3, 32, 32).
    Leaves the model as it found it, even when its forward pass raises: the same train/eval mode,
    unchanged parameters and buffers (counting must not update BatchNorm statistics), no hooks.
    """
    # BEGIN SOLUTION
    # TODO: count what actually runs: one forward pass on zeros, with forward hooks on every Conv2d
    # TODO: and Linear; each hook sees its module and output. How many multiply-accumulates does one
    # TODO: output element of each cost (mind groups)? Leave no hooks behind, even on an error,
    # TODO: and the model in the mode it was in.
    total = 0

    def conv_hook(m: nn.Conv2d, inputs, out):
        nonlocal total
        kh, kw = m.kernel_size
        total += 2 * out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m: nn.Linear, inputs, out):
        nonlocal total
        total += 2 * out.numel() * m.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    param = next(model.parameters(), None)
    x = torch.zeros(input_shape, device=param.device if param is not None else "cpu")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total
    # END SOLUTION
