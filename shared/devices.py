"""Devices: pick the best one, seed everything, describe the machine, tolerances per device.

The order of preference is CUDA, then Apple's MPS, then the CPU. A learner overrides it with an
argument (``get_device("cpu")``) or with the environment variable ``LAB_DEVICE``
(``LAB_DEVICE=cpu make run LAB=1.1``). Asking for a device this machine does not have is an
error that names the ones it does have, never a silent fallback: a benchmark that quietly ran
on the CPU is worse than one that refused to run.
"""
from __future__ import annotations

import os
import platform
import random

import numpy as np
import torch

ENV_VAR = "LAB_DEVICE"


class DeviceUnavailableError(RuntimeError):
    """The requested device is unknown or not present on this machine."""


def available_devices() -> list[str]:
    """Device types usable here, best first: a subset of ``["cuda", "mps", "cpu"]``."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def get_device(preferred: str | torch.device | None = None) -> torch.device:
    """The device to run on: ``preferred`` if given, else ``$LAB_DEVICE``, else the best available.

    ``preferred`` may carry an index (``"cuda:1"``). Raises :class:`DeviceUnavailableError` when
    the device is unknown or absent, with the list of what is available.
    """
    choice = preferred if preferred is not None else (os.environ.get(ENV_VAR) or None)
    available = available_devices()
    if choice is None:
        return torch.device(available[0])
    try:
        device = torch.device(choice)
    except (RuntimeError, TypeError) as err:
        raise DeviceUnavailableError(
            f"unknown device {choice!r}; available here: {', '.join(available)}"
        ) from err
    if device.type not in available:
        source = f" (from ${ENV_VAR})" if preferred is None else ""
        raise DeviceUnavailableError(
            f"device {str(device)!r}{source} is not available on this machine; available here: {', '.join(available)}"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceUnavailableError(
            f"device {str(device)!r} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return device


def seed_everything(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices).

    With ``deterministic=True`` also ask torch for deterministic kernels (slower on GPUs, and some
    operations then raise because they have no deterministic implementation).
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators as well
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def cpu_name() -> str:
    """The CPU's model name and the widest vector ISA torch's kernels use here (``AVX2``, ``AVX512``, ``NEON``...).

    Timings and even some float32 results (the order of a vectorised reduction) depend on both,
    so every measured number a runner prints is labelled with them.
    """
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except (AttributeError, RuntimeError):
        capability = "unknown ISA"
    return f"{name} ({capability})"


def describe_machine() -> str:
    """One line: OS, CPU (model, vector ISA, cores), Python, torch, and the accelerators seen."""
    parts = [
        f"{platform.system()} {platform.machine()}",
        f"{cpu_name()}, {os.cpu_count()} CPU cores, torch threads: {torch.get_num_threads()}",
        f"Python {platform.python_version()}",
        f"torch {torch.__version__}",
    ]
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        parts.append(f"CUDA {torch.version.cuda}: {', '.join(names)}")
    else:
        parts.append("no CUDA")
    if "mps" in available_devices():
        parts.append("MPS")
    return " | ".join(parts)


# Tolerances for torch.testing.assert_close when a result is compared across implementations.
# float32 on a CPU agrees with a reference computed in another order to ~1e-6 relative; GPUs
# reorder reductions more aggressively and may use TF32 for matmuls (10-bit mantissa, ~1e-3).
_TOLERANCES = {
    ("cpu", torch.float64): (1e-10, 1e-8),
    ("cpu", torch.float32): (1e-5, 1e-5),
    ("cuda", torch.float64): (1e-9, 1e-7),
    ("cuda", torch.float32): (1e-4, 1e-3),
    ("mps", torch.float32): (1e-4, 1e-3),
}
_LOW_PRECISION = {torch.float16: (1e-3, 1e-2), torch.bfloat16: (1e-2, 5e-2)}


def tolerances(device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> dict[str, float]:
    """``{"atol": ..., "rtol": ...}`` for comparing results of ``dtype`` computed on ``device``."""
    kind = torch.device(device).type
    if dtype in _LOW_PRECISION:
        atol, rtol = _LOW_PRECISION[dtype]
    else:
        atol, rtol = _TOLERANCES.get((kind, dtype), _TOLERANCES[("cuda", torch.float32)])
    return {"atol": atol, "rtol": rtol}
