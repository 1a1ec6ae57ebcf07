# Exercise stub generated from solution/exercise2_architectures.py by `make stubs` [fingerprint 194639428805]
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
        # TODO: the layers and attribute names are in the class docstring; reject an image_size the pools
        # TODO: cannot halve twice. fc1's input size: channels x height x width of the map after pool 2.
        raise NotImplementedError("Exercise 2.1: implement LeNet.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, C, S, S) -> logits (N, num_classes)."""
        # TODO: the order in the class docstring; flatten every dimension but the batch before fc1.
        raise NotImplementedError("Exercise 2.2: implement LeNet.forward")


class BasicBlock(nn.Module):
    """ResNet basic block: conv3x3(stride) -> BN -> act -> conv3x3 -> BN, plus the shortcut, then act.

    Attributes: ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``act``, ``shortcut`` (see the module docstring;
    with ``skip=False`` it is ``None``). Convolutions have no bias (BatchNorm follows them).
    x: (N, in_channels, H, W) -> (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, skip: bool = True,
                 activation: Callable[[], nn.Module] = nn.ReLU):
        super().__init__()
        # TODO: size-preserving 3x3 convolutions (what padding?), bias-free; only the first one strides.
        # TODO: the shortcut must produce the residual branch's shape: when does it need a projection,
        # TODO: and what is it when skip is False? (module docstring)
        raise NotImplementedError("Exercise 2.3: implement BasicBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: the composition in the class docstring; a None shortcut means no addition at all.
        raise NotImplementedError("Exercise 2.4: implement BasicBlock.forward")


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
        # TODO: same pattern as BasicBlock with three convolutions; the stride sits on the 3x3 one
        # TODO: (the "ResNet v1.5" placement torchvision uses).
        raise NotImplementedError("Exercise 2.5: implement Bottleneck.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: three conv-BN pairs with act between them, then the shortcut and a final act.
        raise NotImplementedError("Exercise 2.6: implement Bottleneck.forward")


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
        # TODO: keep track of the current channel count while adding stages; pass skip and activation
        # TODO: down to every BasicBlock. nn.AdaptiveAvgPool2d(1) is global average pooling.
        raise NotImplementedError("Exercise 2.7: implement SmallResNet.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO: stem, stages, pool, flatten, fc.
        raise NotImplementedError("Exercise 2.8: implement SmallResNet.forward")


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (only those with requires_grad when ``trainable_only``)."""
    # TODO: count scalars, not tensors; a parameter shared between modules counts once
    # TODO: (model.parameters() already lists it once); honour trainable_only.
    raise NotImplementedError("Exercise 2.9: implement count_parameters")


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Floating-point operations of one forward pass of ``model`` on an input of ``input_shape``.

    Counts the convolutions (every ``nn.Conv2d``) and matrix products (every ``nn.Linear``) only,
    2 FLOPs per multiply-accumulate, biases, BatchNorm, activations and pooling ignored: the
    convention of ``torch.utils.flop_counter.FlopCounterMode``, whose total this must equal.
    ``input_shape`` includes the batch dimension, e.g. (1, 3, 32, 32).
    Leaves the model as it found it, even when its forward pass raises: the same train/eval mode,
    unchanged parameters and buffers (counting must not update BatchNorm statistics), no hooks.
    """
    # TODO: count what actually runs: one forward pass on zeros, with forward hooks on every Conv2d
    # TODO: and Linear; each hook sees its module and output. How many multiply-accumulates does one
    # TODO: output element of each cost (mind groups)? Leave no hooks behind, even on an error,
    # TODO: and the model in the mode it was in.
    raise NotImplementedError("Exercise 2.10: implement count_flops")
