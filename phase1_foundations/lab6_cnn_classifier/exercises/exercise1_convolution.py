# Exercise stub generated from solution/exercise1_convolution.py by `make stubs` [fingerprint bc611741a1b2]
"""Exercise 1: convolution by hand. im2col (unfold) turns a convolution into one matrix product.

A 2-D convolution slides a (C_in/groups, kH, kW) filter over the input; every output pixel is a dot
product between the filter and the patch under it. Gathering every patch into a column
(``torch.nn.functional.unfold``, "im2col") turns the whole layer into a single matrix product
with the (C_out, C_in/groups * kH * kW) weight matrix. This file makes you write that, plus the
two calculators every CNN designer uses: output size and receptive field.

Run the checks with:  make test-lab LAB=phase1_foundations/lab6_cnn_classifier EX=1
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

IntPair = Union[int, tuple[int, int]]


def _pair(v: IntPair) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of a convolution's output along one spatial axis (PyTorch's convention: floor).

    ``size`` is the input length, the other arguments as in ``torch.nn.Conv2d`` for that axis.
    Must equal ``F.conv2d(...).shape[-1]`` for every valid combination. Raises ValueError when the
    (dilated) kernel does not fit in the padded input.
    """
    # TODO: how many input pixels does a dilated kernel span, and how long is the padded input?
    # TODO: count the start positions, `stride` apart, that keep the whole span inside it.
    # TODO: not even one position fits: ValueError.
    raise NotImplementedError("Exercise 1.1: implement conv_output_size")


def receptive_field(layers: Sequence[tuple[int, int, int]]) -> int:
    """Receptive field, in input pixels along one axis, of one output unit of a stack of layers.

    ``layers``: ``(kernel_size, stride, dilation)`` per layer, first layer first (a pooling layer
    counts as a layer with its kernel and stride, dilation 1). An empty stack sees 1 pixel.
    Example: two 3x3 stride-1 convolutions see 5 pixels; 3x3 conv, 2x2 pool (stride 2), 3x3
    conv see 3 + 1 + 2 * 2 = 8.
    """
    # TODO: keep two numbers while walking the stack: the receptive field r so far, and the
    # TODO: "jump" j, the distance in input pixels between two neighbouring units of the current layer.
    # TODO: how much wider does one more layer (kernel, dilation) make r, measured in jumps? what does
    # TODO: its stride do to j?
    raise NotImplementedError("Exercise 1.2: implement receptive_field")


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: Optional[torch.Tensor] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> torch.Tensor:
    """2-D convolution (cross-correlation, as in deep learning), same contract as ``F.conv2d``.

    x: (N, C_in, H, W); weight: (C_out, C_in // groups, kH, kW); bias: (C_out,) or None.
    stride, padding, dilation: an int or an (h, w) pair; padding is zeros on both sides.
    Returns (N, C_out, H_out, W_out) with H_out, W_out as in :func:`conv_output_size`.
    Differentiable with respect to x, weight and bias through autograd (no custom backward).
    Works on non-contiguous x and weight (a transposed weight, a sliced input), as ``F.conv2d`` does.
    Raises ValueError when ``C_in != weight.shape[1] * groups`` or C_out is not divisible by groups.
    Must not call ``F.conv2d``, ``torch.conv2d`` or ``nn.Conv2d``: build it from ``F.unfold``
    and a matrix product.
    """
    # TODO: check the channel counts against groups first. F.unfold lays every patch out as a column
    # TODO: (channel-major, like the weight), so the layer becomes one matrix product with the
    # TODO: flattened filters; then add the bias and give the result its (H_out, W_out) shape.
    # TODO: groups: filter group g sees only input-channel group g: one batched product over the groups.
    raise NotImplementedError("Exercise 1.3: implement conv2d")


def conv_as_matrix(weight: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The dense matrix of a stride-1, unpadded, single-group convolution on (C_in, height, width) inputs.

    weight: (C_out, C_in, kH, kW). Returns M of shape (C_out * H_out * W_out, C_in * height * width)
    such that ``M @ x.reshape(-1) == conv2d(x[None], weight).reshape(-1)`` for every x of shape
    (C_in, height, width): the convolution as the sparse, weight-shared matrix the README describes.
    """
    # TODO: a linear map's matrix has, as column i, the map applied to the i-th basis vector.
    # TODO: your conv2d can apply the map to every basis image in one batched call.
    raise NotImplementedError("Exercise 1.4: implement conv_as_matrix")
