# Exercise stub generated from solution/exercise5_initialization.py by `make stubs` [fingerprint 4f248e3f0463]
"""Exercise 5: initialisation. Xavier/Glorot, Kaiming/He and orthogonal, by hand, and a depth study.

Each scheme picks the scale of the random weights so that the variance of the signal stays the
same from layer to layer (the derivations are in the README). Write them with the same
distributions and the same signatures as ``torch.nn.init`` (which is off limits here), then use
them to watch the activation standard deviation through 50 layers.

Run the checks with:  make test-lab LAB=phase1_foundations/lab2_custom_modules EX=5
"""
from __future__ import annotations

import math

import torch

INITS = ("default", "xavier", "kaiming", "orthogonal")
ACTIVATIONS = ("linear", "tanh", "relu")


def calculate_fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel), as nn.init computes them.

    fan_in = in * prod(kernel), fan_out = out * prod(kernel) (prod of nothing is 1).
    Fewer than 2 dims raise ValueError.
    """
    # TODO: dim 0 is the output size, dim 1 the input size, the rest is the receptive field.
    raise NotImplementedError("Exercise 5.1: implement calculate_fan_in_and_fan_out")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain nn.init.calculate_gain returns for this nonlinearity.

    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d/2d/3d", "sigmoid": 1;
    "tanh": 5/3; "relu": sqrt(2); "leaky_relu": sqrt(2 / (1 + slope^2)) with slope = param
    (0.01 when param is None); "selu": 3/4. Any other name raises ValueError.
    """
    # TODO: a chain of ifs, one per family; for leaky_relu mind that param may be None.
    raise NotImplementedError("Exercise 5.2: implement calculate_gain")


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)); return it.

    Like every function below: works on a leaf that requires grad without recording a graph,
    draws its random numbers from ``generator`` when one is given.
    """
    # TODO: the bound a is in the docstring, from the two fans. Fill the tensor in place without
    # TODO: autograd recording it, drawing from the given generator (Tensor.uniform_ takes one).
    raise NotImplementedError("Exercise 5.3: implement xavier_uniform_")


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)); return it."""
    # TODO: as xavier_uniform_, but Gaussian with the docstring's std (Tensor.normal_).
    raise NotImplementedError("Exercise 5.4: implement xavier_normal_")


def kaiming_uniform_(
    tensor: torch.Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Fill ``tensor`` in place from U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan); return it.

    gain = calculate_gain(nonlinearity, a); fan = fan_in or fan_out as ``mode`` says (any other
    mode raises ValueError).
    """
    # TODO: gain from calculate_gain(nonlinearity, a), the fan chosen by mode (any other mode
    # TODO: raises); the docstring gives the bound. Fill in place, unrecorded, with the generator.
    raise NotImplementedError("Exercise 5.5: implement kaiming_uniform_")


def kaiming_normal_(
    tensor: torch.Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Fill ``tensor`` in place from N(0, std^2), std = gain / sqrt(fan) (as kaiming_uniform_); return it."""
    # TODO: same std as kaiming_uniform_, drawn with normal_.
    raise NotImplementedError("Exercise 5.6: implement kaiming_normal_")


def orthogonal_(tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place with gain times a random orthogonal matrix, uniformly distributed
    (Haar measure) like nn.init.orthogonal_; return it.

    The tensor is viewed as a (rows, cols) matrix W, rows = size(0), cols = numel / rows:
    W W^T = gain^2 I when rows <= cols, W^T W = gain^2 I when rows > cols. Fewer than 2 dims
    raise ValueError.
    """
    # TODO: QR-factorise a Gaussian matrix (torch.linalg.qr); Q has orthonormal columns, so a
    # TODO: wide matrix needs a transpose. QR is unique only up to the signs of R's diagonal, and
    # TODO: LAPACK's choice biases Q: fix those signs so that Q is uniformly distributed. Scale
    # TODO: by gain and write it into the tensor viewed as (rows, cols), unrecorded.
    raise NotImplementedError("Exercise 5.7: implement orthogonal_")


def activation_std_through_depth(
    init: str,
    activation: str,
    depth: int = 50,
    width: int = 256,
    batch: int = 512,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> list[float]:
    """Std of the activations after each of ``depth`` layers h <- act(h @ W_l^T), W_l (width, width).

    h starts as a (batch, width) standard normal; no biases. Entry l-1 of the result is the std
    over all entries of h after layer l. Weights drawn with THIS file's functions, with
    init = "default":    U(-1/sqrt(width), 1/sqrt(width)) (nn.Linear's default, kaiming_uniform_ a=sqrt(5));
           "xavier":     xavier_normal_ with gain 1;
           "kaiming":    kaiming_normal_ for nonlinearity "relu" (std sqrt(2 / width)), whatever the activation;
           "orthogonal": orthogonal_ with gain calculate_gain(activation);
    activation in "linear" (identity), "tanh", "relu". Unknown names raise ValueError. Every
    random number comes from a torch.Generator seeded with ``seed`` on ``device``, in this order:
    the input h first, then W_1, W_2, ..., each drawn (a fresh tensor) just before its layer; so
    the result is reproducible draw for draw with torch.nn.init's functions given that generator.
    """
    # TODO: validate init and activation. One torch.Generator seeded on device feeds every random
    # TODO: draw, the input included. Per layer: a fresh W drawn with this file's functions as
    # TODO: the docstring maps them, the layer, and the std of h as a float.
    raise NotImplementedError("Exercise 5.8: implement activation_std_through_depth")
