# Exercise stub generated from solution/exercise4_healthy_training.py by `make stubs` [fingerprint 571a3ad7b91b]
"""Exercise 4: keeping training healthy. Gradient clipping, early stopping, checkpoints that survive a crash.

Three tools every long run needs:

* global-norm gradient clipping, which caps the length of the whole gradient vector (all
  parameters together) without changing its direction;
* early stopping, which ends training once the validation metric has stopped improving;
* checkpoints of everything that determines the rest of the run (model, optimizer, scheduler,
  every random generator, the epoch), written so that a crash in the middle of a write never
  destroys the previous checkpoint, and loaded with ``torch.load(weights_only=True)`` (which
  refuses to run arbitrary code from a file). Resuming from one must give the same result, bit
  for bit, as never having stopped.

Run the checks with:  make test-lab LAB=phase1_foundations/lab3_training_loop EX=4
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional, Union

import numpy as np
import torch
from torch import nn

PathLike = Union[str, os.PathLike]


def clip_grad_norm(
    parameters: Union[torch.Tensor, Iterable[torch.Tensor]], max_norm: float, norm_type: float = 2.0
) -> torch.Tensor:
    """Scale all gradients together so that their global norm is at most ``max_norm``, in place.

    parameters: one tensor or an iterable of tensors (a generator such as model.parameters() is
        fine); those whose ``.grad`` is None are skipped.
    The global norm is the ``norm_type``-norm of the vector of every gradient entry of every
    parameter (norm_type may be float("inf"): the largest absolute entry). Every gradient is
    multiplied by min(1, max_norm / (total_norm + 1e-6)).
    Returns the global norm BEFORE clipping, as a 0-d tensor (0 when no parameter has a
    gradient). Same numbers as ``torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type)``.
    """
    # TODO: materialise the iterable ONCE into a list of gradients (a generator can be walked only once).
    # TODO: the global p-norm is the p-norm of the per-tensor p-norms: torch.linalg.vector_norm(g, p)
    # TODO: for each gradient, stacked, then vector_norm of that stack (this also covers p = inf).
    # TODO: multiply in place (g.mul_) by the clamped coefficient.
    raise NotImplementedError("Exercise 4.1: implement clip_grad_norm")


class EarlyStopping:
    """Says when to stop: after ``patience`` calls in a row without improvement.

    mode "min": a value improves when it is below best - min_delta; mode "max": above best + min_delta.
    A NaN never improves. Attributes, kept up to date by :meth:`step`:
        best:      the best value seen (inf for "min", -inf for "max" before any improvement),
        best_step: the index (0, 1, ...) of the call that set ``best`` (-1 before any),
        bad_steps: the number of calls in a row without improvement.
    Raises ValueError for patience < 1, min_delta < 0, or a mode other than "min"/"max".
    """

    def __init__(self, patience: int, min_delta: float = 0.0, mode: str = "min"):
        # TODO: validate, store the settings, and start best at +inf ("min") or -inf ("max").
        raise NotImplementedError("Exercise 4.2: implement EarlyStopping.__init__")

    def step(self, value: float) -> bool:
        """Record one validation value; True when training should stop now."""
        # TODO: count the calls to know best_step. Comparisons with NaN are False, so if you write
        # TODO: the test as "improved = value < best - min_delta" a NaN never improves for free.
        raise NotImplementedError("Exercise 4.3: implement EarlyStopping.step")


def get_rng_state() -> dict[str, Any]:
    """Snapshot of every random generator a training run draws from.

    Returns {"python": ..., "numpy": ..., "torch": ..., "cuda": ...}: Python's ``random``,
    NumPy's global generator, torch's CPU generator and the list of CUDA generators (one per
    device; an empty list without CUDA). Only tensors and plain Python values (tuples, lists,
    ints, floats, strings, None) appear anywhere in it, so ``torch.load(weights_only=True)``
    accepts a file that contains it.
    """
    # TODO: random.getstate() is plain already; torch.get_rng_state() is a uint8 tensor;
    # TODO: torch.cuda.get_rng_state_all() is a list of them. np.random.get_state() is a tuple
    # TODO: whose second item is a NumPy array: weights_only refuses NumPy arrays, so turn that
    # TODO: one into a tensor (torch.from_numpy(keys.astype(np.int64))) and the scalars into ints/floats.
    raise NotImplementedError("Exercise 4.4: implement get_rng_state")


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the generators from a :func:`get_rng_state` snapshot (as saved, or as loaded back)."""
    # TODO: undo each conversion: the NumPy keys back to np.uint32, tuples where the setters want
    # TODO: tuples (a loaded file may hand lists back). torch.set_rng_state wants a CPU uint8 tensor.
    raise NotImplementedError("Exercise 4.5: implement set_rng_state")


def save_checkpoint(
    path: PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Optional[Any] = None,
    epoch: int = 0,
    extra: Optional[dict[str, Any]] = None,
) -> Path:
    """Write a checkpoint to ``path`` ATOMICALLY: the file at ``path`` is either the old one or the new one.

    The file holds one dict:
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
         "scheduler": scheduler.state_dict() or None, "epoch": epoch,
         "rng": get_rng_state(), "extra": extra or {}}
    ``epoch`` is the number of the NEXT epoch to run (what a resumed run starts from); ``extra``
    holds any other plain values to keep (best metric so far, early-stopping counters).
    The data is written to a temporary file in the same folder, flushed and fsync'ed to disk,
    then renamed over ``path``. If anything fails on the way, the temporary file is removed, the
    error propagates, and whatever was at ``path`` before is untouched. The folder is created if
    missing. Returns ``path`` as a Path.
    """
    # TODO: tempfile.mkstemp(dir=path.parent) gives a fresh temporary file IN THE SAME FOLDER: a rename
    # TODO: is atomic only within one file system. Write with torch.save into the open file,
    # TODO: then f.flush() and os.fsync(f.fileno()) (data on the disk, not only in the OS cache),
    # TODO: then os.replace(tmp, path), which atomically swaps the name over.
    # TODO: wrap it in try/except BaseException: remove the temporary file, then `raise` again.
    raise NotImplementedError("Exercise 4.6: implement save_checkpoint")


def load_checkpoint(
    path: PathLike,
    model: nn.Module,
    optimizer: Optional[torch.optim.Optimizer] = None,
    scheduler: Optional[Any] = None,
    map_location: Union[str, torch.device] = "cpu",
    restore_rng: bool = True,
) -> dict[str, Any]:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``, ``scheduler`` when given).

    Reads the file with ``torch.load(..., map_location=map_location, weights_only=True)``; the
    model's and optimizer's own ``load_state_dict`` move tensors to where their parameters live.
    With ``restore_rng`` the random generators are set back to their state at save time.
    Returns {"epoch": the saved epoch, "extra": the saved extra dict}.
    """
    # TODO: torch.load with weights_only=True, then each object's load_state_dict, then set_rng_state.
    raise NotImplementedError("Exercise 4.7: implement load_checkpoint")
