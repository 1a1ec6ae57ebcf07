# Exercise stub generated from solution/exercise4_surgery.py by `make stubs` [fingerprint 3c2a5b2533a7]
"""Exercise 4: architecture surgery. Remove skip connections, swap activations, prune by magnitude.

An ablation changes one thing and measures what it cost. Here the changes are made to a trained
or freshly built network *from the outside*, by walking its module tree: the same skill you need
to adapt someone else's model (replace a layer, insert a hook, sparsify it) without editing its
source. Every function returns a modified deep copy and leaves its input untouched.

Conventions (from exercise 2): activations are module attributes; residual blocks keep their
shortcut in ``.shortcut`` and skip the addition when it is ``None``.

Run the checks with:  make test-lab LAB=phase1_foundations/lab6_cnn_classifier EX=4
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
import torch.nn as nn


def remove_skip_connections(model: nn.Module) -> tuple[nn.Module, int]:
    """A deep copy of ``model`` in which every module with a ``shortcut`` attribute has ``shortcut = None``.

    Returns ``(new_model, blocks_changed)``. Projection shortcuts' parameters disappear with them.
    Modules whose shortcut is already ``None`` are not counted.
    """
    # TODO: copy.deepcopy first; then walk new_model.modules() and look for the attribute.
    # TODO: assigning None to a registered submodule attribute removes it from the module's children.
    raise NotImplementedError("Exercise 4.1: implement remove_skip_connections")


def swap_activation(model: nn.Module, old: type[nn.Module] = nn.ReLU,
                    new: Callable[[], nn.Module] = nn.SiLU) -> tuple[nn.Module, int]:
    """A deep copy of ``model`` with every submodule of type ``old`` replaced by a fresh ``new()``.

    Works at any depth (inside nn.Sequential, blocks, stems). Returns ``(new_model, replaced)``.
    """
    # TODO: work on a deep copy. Replacing a child needs its parent and the name it has there: every
    # TODO: module can list its named children (nn.Sequential's are named "0", "1", ...).
    raise NotImplementedError("Exercise 4.2: implement swap_activation")


def prunable_weights(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The (qualified name, module) pairs whose ``.weight`` pruning acts on: every nn.Conv2d and nn.Linear, in model order."""
    # TODO: named_modules() lists modules in definition order; keep the convolutions and linear layers.
    raise NotImplementedError("Exercise 4.3: implement prunable_weights")


def magnitude_prune(model: nn.Module, amount: float = 0.2) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """Global magnitude pruning: zero the ``amount`` fraction of smallest-|w| weights across all prunable layers.

    The threshold is global (one ranking over the weights of every layer from :func:`prunable_weights`
    together), not per layer; biases and BatchNorm are untouched. The number pruned is
    ``round(amount * total)`` (as ``torch.nn.utils.prune.global_unstructured`` with
    ``L1Unstructured`` does). Returns ``(pruned deep copy, masks)`` where masks maps each layer's
    qualified name to a bool tensor of its weight's shape, True where the weight is kept.
    Plain tensors: no reparametrisation, no forward pre-hooks left in the model.
    """
    # TODO: one global ranking: score the |w| of all prunable weights together and prune the amount
    # TODO: fraction with the smallest scores (torch.topk picks an exact count; a threshold could prune
    # TODO: too many on ties). Each layer then gets its share of the keep-mask; zero without autograd.
    raise NotImplementedError("Exercise 4.4: implement magnitude_prune")


def apply_masks_(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Zero, in place, every weight whose mask entry is False (call after each fine-tuning step).

    ``masks`` as returned by :func:`magnitude_prune`; its keys are names from ``model.named_modules()``.
    Must not be recorded by autograd, and keeps every weight the same ``nn.Parameter`` object (an
    optimizer created before the call must go on training the masked tensors).
    """
    # TODO: find each masked module by its qualified name and zero its pruned weights in place,
    # TODO: unrecorded by autograd (the weights must stay leaves).
    raise NotImplementedError("Exercise 4.5: implement apply_masks_")


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero entries among the weights of :func:`prunable_weights` (0.0 for none)."""
    # TODO: count zeros and totals over every prunable weight.
    raise NotImplementedError("Exercise 4.6: implement sparsity")
