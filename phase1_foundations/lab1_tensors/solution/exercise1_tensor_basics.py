"""Exercise 1: what a tensor is. Metadata, strides, views versus copies, in-place ops, NumPy.

A tensor is a small header (shape, stride, storage offset, dtype, device) that points into a
flat block of memory, its *storage*. Many tensors can point into the same storage: those are
*views*, and writing through one is visible through all of them. This file makes you read the
header, compute strides by hand, build a view yourself, and tell views from copies.

Run the checks with:  make test-lab LAB=phase1_foundations/lab1_tensors
"""
from __future__ import annotations

import numpy as np
import torch


def tensor_summary(t: torch.Tensor) -> dict:
    """Describe the header of tensor ``t`` (any shape, dtype or device) as a plain dict.

    Keys and value types:
        "shape":         tuple[int, ...]   e.g. (2, 3); () for a 0-d tensor
        "dtype":         torch.dtype       e.g. torch.float32
        "device":        str               e.g. "cpu" or "cuda:0"
        "numel":         int               number of elements (product of the shape, 1 for ())
        "element_size":  int               bytes per element (4 for float32, 2 for float16)
        "nbytes":        int               numel * element_size (bytes this tensor's elements span,
                                           not the size of its whole storage)
        "stride":        tuple[int, ...]   elements to skip to move by one along each dim
        "is_contiguous": bool              laid out row-major with no gaps
    """
    # BEGIN SOLUTION
    # TODO: every value is an attribute or method of the tensor (nbytes follows from two of them).
    # TODO: The real work is returning plain Python types: torch.Size is not a tuple, and
    # TODO: torch.device is not a str.
    return {
        "shape": tuple(t.shape),
        "dtype": t.dtype,
        "device": str(t.device),
        "numel": t.numel(),
        "element_size": t.element_size(),
        "nbytes": t.numel() * t.element_size(),
        "stride": tuple(t.stride()),
        "is_contiguous": t.is_contiguous(),
    }
    # END SOLUTION


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major (C order) strides, in elements, of a contiguous tensor of ``shape``.

    Must equal ``torch.empty(shape).stride()`` for every shape, including the edge cases:
        ()          -> ()          a 0-d tensor has no dims, hence no strides
        (5,)        -> (1,)
        (2, 3, 4)   -> (12, 4, 1)
        (2, 0, 3)   -> (3, 3, 1)   PyTorch treats a size-0 dim as size 1 when multiplying up
        (3, 0)      -> (1, 1)
    Compute it with plain integer arithmetic (no tensor allocation).
    """
    # BEGIN SOLUTION
    # TODO: a dim's stride is how many elements one step along it skips: all of the later dims.
    # TODO: Edge cases: () has no strides, and a size-0 dim must not zero the strides before it
    # TODO: (see (2, 0, 3) in the docstring).
    strides = [0] * len(shape)
    step = 1
    for dim in range(len(shape) - 1, -1, -1):
        strides[dim] = step
        step *= max(shape[dim], 1)
    return tuple(strides)
    # END SOLUTION


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True when ``a`` and ``b`` point into the same underlying storage (one is a view of the
    other, or both are views of a third tensor), False when they own separate memory.

    Two views of the same storage count as sharing even if the elements they select do not
    overlap (``x[0]`` and ``x[1]``). ``a`` and ``b`` hold at least one element each.
    """
    # BEGIN SOLUTION
    # TODO: t.data_ptr() is the address of t's *first element*, which differs between x and x[1].
    # TODO: Compare what all views of one tensor have in common instead: the storage object
    # TODO: behind them (t.untyped_storage()), which has one address of its own.
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    # END SOLUTION


def sliding_windows(x: torch.Tensor, window: int) -> torch.Tensor:
    """All length-``window`` windows of the 1-D tensor ``x``, as a VIEW (no data copied).

    x: (N,), possibly non-contiguous (e.g. ``y[::2]``) or with a storage offset (``y[3:]``).
    Returns (N - window + 1, window) with ``out[i] == x[i : i + window]``, built with
    ``torch.as_strided`` (or ``x.as_strided``) from x's own stride and storage offset, so it
    shares storage with x. Same values as ``x.unfold(0, window, 1)``.
    Raises ValueError if window < 1 or window > N.
    """
    # BEGIN SOLUTION
    # TODO: a view is (size, stride, storage_offset) over x's own storage; as_strided builds one.
    # TODO: The next window and the next element of a window both lie one element of x further:
    # TODO: how many storage positions is that? Keep x's storage offset, and reject bad window
    # TODO: sizes with ValueError.
    n = x.shape[0]
    if window < 1 or window > n:
        raise ValueError(f"window must be in [1, {n}] for a tensor of length {n}, got {window}")
    s = x.stride(0)
    return x.as_strided((n - window + 1, window), (s, s), x.storage_offset())
    # END SOLUTION


def scale_(x: torch.Tensor, s: float) -> torch.Tensor:
    """Multiply ``x`` by ``s`` IN PLACE and return ``x`` itself (the same Python object).

    x: any shape, possibly a view of a larger tensor (then the larger tensor changes too).
    No new storage: afterwards ``x.data_ptr()`` is unchanged and ``x._version`` has gone up.
    PyTorch's convention: a trailing underscore means in-place (``mul_``, ``add_``, ``zero_``).
    """
    # BEGIN SOLUTION
    # TODO: `x = x * s` rebinds the local name to a NEW tensor; the caller's tensor is untouched.
    # TODO: Use the in-place variant of the multiplication (trailing underscore), and return x.
    x.mul_(s)
    return x
    # END SOLUTION


def scaled(x: torch.Tensor, s: float) -> torch.Tensor:
    """Return ``x * s`` as a NEW tensor (out of place); ``x`` must be left unchanged.

    x: any shape. Returns the same shape and dtype, in fresh storage.
    """
    # BEGIN SOLUTION
    # TODO: an ordinary (out-of-place) operator allocates fresh storage and leaves x alone.
    return x * s
    # END SOLUTION


def from_numpy_shared(a: np.ndarray) -> torch.Tensor:
    """A tensor that shares memory with the NumPy array ``a`` (zero copy).

    Same shape and dtype as ``a`` (float64 stays float64). Writing ``a[0] = 7`` must show up in
    the tensor, and writing into the tensor must show up in ``a``.
    """
    # BEGIN SOLUTION
    # TODO: torch.tensor(a) always copies; torch.Tensor(a) converts to float32, so it shares only
    # TODO: when a is already float32. One function wraps the array's buffer whatever its dtype.
    return torch.from_numpy(a)
    # END SOLUTION


def to_numpy_copy(t: torch.Tensor) -> np.ndarray:
    """An independent NumPy copy of ``t``: same shape, values and dtype; later writes to either
    one do not affect the other.

    Must also work when ``t`` requires grad (``.numpy()`` refuses those) and when ``t`` lives on
    a GPU (NumPy arrays live in CPU memory).
    """
    # BEGIN SOLUTION
    # TODO: three obstacles: .numpy() refuses tensors that require grad, works only on CPU
    # TODO: tensors, and on the CPU it SHARES memory with t, so it is not a copy by itself.
    return t.detach().cpu().numpy().copy()
    # END SOLUTION
