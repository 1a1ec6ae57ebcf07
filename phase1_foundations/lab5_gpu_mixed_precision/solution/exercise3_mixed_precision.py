"""Exercise 3: mixed precision: formats, autocast, and loss scaling.

A binary floating-point format with ``e`` exponent bits and ``m`` stored mantissa bits represents
normal numbers ``(1 + f / 2^m) * 2^(E - bias)`` with ``bias = 2^(e-1) - 1``; the all-ones exponent
is reserved for inf/NaN and the all-zeros exponent for zero and subnormals (finite-only "fn" formats
such as float8_e4m3fn drop the infinities and keep numbers there too). The exponent bits set
the *range*, the mantissa bits the *precision*. float16 (e=5, m=10) is precise but overflows past
65504 and rounds gradients below about 3e-8 (2^-25, half its smallest subnormal) to zero; bfloat16
(e=8, m=7) has float32's range with a coarser grid.

Autocast runs chosen operations (matmuls, convolutions) in the low-precision type while the
weights, the optimizer and precision-sensitive operations (reductions, softmax, losses) stay in
float32. With float16, small gradients underflow: multiplying the loss by a scale ``S`` scales
every gradient by ``S`` (the chain rule is linear), lifting them into range; dividing by ``S``
before the optimizer step undoes it. A dynamic scaler picks ``S`` on the fly.

Run the checks with:  make test-lab LAB=phase1_foundations/lab5_gpu_mixed_precision EX=3
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def float_format(exponent_bits: int, mantissa_bits: int, finite_only: bool = False) -> dict[str, float]:
    """Facts of a binary floating-point format with the given field widths (plus one sign bit).

    Returns ``{"bits", "max", "smallest_normal", "smallest_subnormal", "eps"}``: total bits, largest
    finite value, smallest positive normal value, smallest positive subnormal value, and the gap
    between 1.0 and the next representable number.

    ``finite_only=False``: the IEEE-754 layout, where the all-ones exponent holds inf and NaN. Same
    values as ``torch.finfo`` gives for float16 (5, 10), bfloat16 (8, 7), float32 (8, 23), float64
    (11, 52) and float8_e5m2 (5, 2).
    ``finite_only=True``: an "fn" format without infinities, such as float8_e4m3fn (4, 3): the
    all-ones exponent holds ordinary numbers too, and only the pattern with all exponent *and* all
    mantissa bits set is NaN (one per sign). Same values as ``torch.finfo(torch.float8_e4m3fn)``.
    """
    # BEGIN SOLUTION
    # TODO: start from the bias. The all-ones exponent is reserved for inf/NaN and the all-zeros one
    # TODO: for subnormals: which unbiased exponents are left for normal numbers?
    # TODO: max: the largest exponent with every mantissa bit set; subnormals reach m bits below the
    # TODO: smallest normal; eps is the weight of the last mantissa bit at exponent 0.
    # TODO: finite_only: the all-ones exponent is usable, but its all-ones mantissa is the NaN: what is
    # TODO: the largest value left? (Only max changes.)
    bias = 2 ** (exponent_bits - 1) - 1
    if finite_only:
        largest = (2.0 - 2.0 ** (1 - mantissa_bits)) * 2.0 ** (bias + 1)
    else:
        largest = (2.0 - 2.0**-mantissa_bits) * 2.0**bias
    return {
        "bits": float(1 + exponent_bits + mantissa_bits),
        "max": largest,
        "smallest_normal": 2.0 ** (1 - bias),
        "smallest_subnormal": 2.0 ** (1 - bias - mantissa_bits),
        "eps": 2.0**-mantissa_bits,
    }
    # END SOLUTION


def autocast_dtype(device_type: str) -> torch.dtype:
    """The low-precision type to autocast to on ``device_type``.

    ``"cpu"``: bfloat16 (the only low-precision type CPU autocast supports well). ``"cuda"``:
    bfloat16 where the GPU computes it natively (``torch.cuda.is_bf16_supported(including_emulation=False)``,
    compute capability 8.0 and later: A100, H100...), else float16 (which then needs a GradScaler).
    Any other device type: ValueError.
    """
    # BEGIN SOLUTION
    # TODO: the CPU case is fixed; on CUDA ask torch whether this GPU supports bfloat16 natively
    # TODO: (emulated bfloat16 does not count: it is slow); otherwise fall back to float16.
    # TODO: raise ValueError for a device type you do not know.
    if device_type == "cpu":
        return torch.bfloat16
    if device_type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported(including_emulation=False) else torch.float16
    raise ValueError(f"no autocast dtype chosen for device type {device_type!r}; use 'cpu' or 'cuda'")
    # END SOLUTION


def autocast_train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    scaler: "DynamicLossScaler | torch.amp.GradScaler | None" = None,
) -> float:
    """One mixed-precision training step; returns the (unscaled) loss as a Python float.

    Zeroes the gradients, runs the forward pass and the loss under autocast for ``x``'s device
    type with :func:`autocast_dtype`'s type, then the backward pass and the optimizer step outside
    autocast. With a ``scaler`` (anything with ``scale(loss)``, ``step(optimizer)``, ``update()``)
    the backward pass runs on the scaled loss and the scaler steps and updates; without one the
    optimizer steps directly. The model's parameters stay float32.
    """
    # BEGIN SOLUTION
    # TODO: only the forward pass and the loss run under torch.autocast (device type from x, dtype from
    # TODO: autocast_dtype); backward and the step run outside it (the casts are already in the graph).
    # TODO: with a scaler, backward goes through the scaled loss and the scaler does the step and update.
    optimizer.zero_grad(set_to_none=True)
    device_type = x.device.type
    with torch.autocast(device_type=device_type, dtype=autocast_dtype(device_type)):
        loss = loss_fn(model(x), y)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return float(loss.detach())
    # END SOLUTION


class DynamicLossScaler:
    """A dynamic loss scaler with the semantics of ``torch.amp.GradScaler``.

    Per training step: ``scale(loss)`` returns ``loss * scale``; after the backward pass,
    ``step(optimizer)`` divides every gradient of the optimizer's parameters by the scale (in
    place) and calls ``optimizer.step()`` only when all of them are finite, returning whether it
    stepped; ``update()`` then adjusts the scale: after a step with an inf/NaN gradient it is
    multiplied by ``backoff_factor``; after ``growth_interval`` consecutive finite steps it is
    multiplied by ``growth_factor``. ``get_scale()`` returns the current scale as a float.
    """

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
    ) -> None:
        self.scale_value = float(init_scale)
        self.growth_factor = growth_factor
        self.backoff_factor = backoff_factor
        self.growth_interval = growth_interval
        self.good_steps = 0  # consecutive steps with finite gradients since the last change
        self.found_inf = False  # what the last step() saw

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss`` multiplied by the current scale (keeps the graph: backward goes through it)."""
        # BEGIN SOLUTION
        # TODO: one multiplication.
        return loss * self.scale_value
        # END SOLUTION

    def step(self, optimizer: torch.optim.Optimizer) -> bool:
        """Unscale the gradients in place; step the optimizer if they are all finite. Returns True
        when it stepped. Parameters without a gradient are ignored."""
        # BEGIN SOLUTION
        # TODO: unscale every existing gradient of the optimizer's parameters in place (param_groups),
        # TODO: noting whether any holds an inf or a NaN (torch.isfinite).
        # TODO: update() needs that verdict (self.found_inf); step only when every gradient is finite.
        inv = 1.0 / self.scale_value
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.grad.mul_(inv)
                if not bool(torch.isfinite(p.grad).all()):
                    found_inf = True
        self.found_inf = found_inf
        if found_inf:
            return False
        optimizer.step()
        return True
        # END SOLUTION

    def update(self) -> None:
        """Back off after an overflow, grow after ``growth_interval`` clean steps in a row."""
        # BEGIN SOLUTION
        # TODO: use the verdict of the last step(): back off after an overflow, grow after growth_interval
        # TODO: clean steps in a row (self.good_steps). Which events must restart that count?
        if self.found_inf:
            self.scale_value *= self.backoff_factor
            self.good_steps = 0
        else:
            self.good_steps += 1
            if self.good_steps == self.growth_interval:
                self.scale_value *= self.growth_factor
                self.good_steps = 0
        self.found_inf = False
        # END SOLUTION

    def get_scale(self) -> float:
        return self.scale_value


def pad_to_multiple(n: int, multiple: int = 8) -> int:
    """The smallest multiple of ``multiple`` that is at least ``n`` (a matrix dimension padded for tensor
    cores: ``pad_to_multiple(4095) == 4096``). ``n`` must be >= 0 and ``multiple`` >= 1 (ValueError otherwise)."""
    # BEGIN SOLUTION
    # TODO: validate; then round up, leaving a size that is already a multiple unchanged.
    if n < 0 or multiple < 1:
        raise ValueError(f"pad_to_multiple needs n >= 0 and multiple >= 1, got {n=}, {multiple=}")
    return -(-n // multiple) * multiple
    # END SOLUTION


def tensor_core_friendly(m: int, k: int, n: int, dtype: torch.dtype) -> bool:
    """Whether an (m, k) @ (k, n) matmul in ``dtype`` meets the tensor-core alignment rule of NVIDIA's
    "Matrix Multiplication Background User's Guide": every one of m, k and n is a multiple of
    16 bytes' worth of elements (8 for float16 / bfloat16, 4 for float32 run as TF32, 2 for float64,
    16 for 1-byte types such as int8 and the float8 types)."""
    # BEGIN SOLUTION
    # TODO: how many elements of dtype make 16 bytes? (torch.tensor([], dtype=dtype).element_size(), or
    # TODO: dtype.itemsize). All three dimensions must be multiples of it.
    per_16_bytes = max(1, 16 // dtype.itemsize)
    return all(d % per_16_bytes == 0 for d in (m, k, n))
    # END SOLUTION
