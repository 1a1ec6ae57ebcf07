# Exercise stub generated from solution/exercise4_healthy_training.py by `make stubs` [fingerprint 474a0c6eefa7]
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
from typing import Any, Callable, Iterable, Optional, Union

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
    # TODO: materialise the parameters ONCE (a generator can be walked only once; one tensor counts too).
    # TODO: the global norm can be built from per-tensor norms (torch.linalg.vector_norm), for any
    # TODO: norm_type including inf (Mathematical Foundations). Scale the gradients in place.
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
        # TODO: count the calls to know best_step. Any comparison with NaN is False: ask "is this an
        # TODO: improvement?" (not "is it worse?") and a NaN never counts as one, with no special case.
        raise NotImplementedError("Exercise 4.3: implement EarlyStopping.step")


def get_rng_state() -> dict[str, Any]:
    """Snapshot of every random generator a training run draws from.

    Returns {"python": ..., "numpy": ..., "torch": ..., "cuda": ...}: Python's ``random``,
    NumPy's global generator, torch's CPU generator and the list of CUDA generators (one per
    device; an empty list without CUDA). Only tensors and plain Python values (tuples, lists,
    ints, floats, strings, None) appear anywhere in it, so ``torch.load(weights_only=True)``
    accepts a file that contains it.
    """
    # TODO: each library has a getter for its state (CUDA: one per device, none without CUDA).
    # TODO: Python's and torch's are acceptable as they are; NumPy's is a tuple holding a uint32
    # TODO: array and NumPy scalars, which weights_only refuses: convert it item by item.
    raise NotImplementedError("Exercise 4.4: implement get_rng_state")


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the generators from a :func:`get_rng_state` snapshot (as saved, or as loaded back)."""
    # TODO: undo each conversion of get_rng_state; the setters are strict about types (NumPy's dtype,
    # TODO: tuples where a loaded file may give lists, a CPU tensor for torch).
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
    # TODO: write to a temporary file (tempfile) IN THE SAME FOLDER, since a rename is atomic only
    # TODO: within one file system; get the bytes onto the disk, not only into the OS cache (os.fsync);
    # TODO: then rename it over path (os.replace). On any failure, even KeyboardInterrupt, remove the
    # TODO: temporary file and re-raise.
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
    # TODO: the mirror of save_checkpoint, reading as the docstring says; restore only the objects
    # TODO: passed in (a scheduler only when the file holds one) and the RNG only when asked.
    raise NotImplementedError("Exercise 4.7: implement load_checkpoint")


def update_to_param_ratio(model: nn.Module, step_fn: Callable[[], Any]) -> dict[str, float]:
    """Take one training step and measure, per parameter, how far it moved relative to its size.

    Calls ``step_fn()`` exactly once (it does one training step on ``model``: zero_grad, forward,
    backward, optimizer.step()). For every entry (name, p) of ``model.named_parameters()``, with
    p0 its value just before the call and p1 just after, the ratio of 2-norms over all entries
        ratio = ||p1 - p0|| / ||p0||
    is returned under ``name``, as a Python float: 0.0 for a parameter that did not move, and
    inf for one that moved away from all zeros. Changes nothing besides what ``step_fn`` does.
    A healthy ratio is about 1e-3 (CS231n, "Neural Networks Part 3"; Karpathy, "A Recipe for
    Training Neural Networks"): far below, the lr is too low; far above, too high.
    """
    # TODO: snapshot every parameter BEFORE the step, as real copies (p.detach() alone shares memory
    # TODO: with p, and an in-place optimizer step would change the "snapshot" too).
    # TODO: divide by the norm before the step; norms of the whole tensor (torch.linalg.vector_norm).
    raise NotImplementedError("Exercise 4.8: implement update_to_param_ratio")
