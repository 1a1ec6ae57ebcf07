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
    # BEGIN SOLUTION
    # TODO: copy.deepcopy first; then walk new_model.modules() and look for the attribute.
    # TODO: assigning None to a registered submodule attribute removes it from the module's children.
    new = copy.deepcopy(model)
    changed = 0
    for m in list(new.modules()):
        if getattr(m, "shortcut", None) is not None:
            m.shortcut = None
            changed += 1
    return new, changed
    # END SOLUTION


def swap_activation(model: nn.Module, old: type[nn.Module] = nn.ReLU,
                    new: Callable[[], nn.Module] = nn.SiLU) -> tuple[nn.Module, int]:
    """A deep copy of ``model`` with every submodule of type ``old`` replaced by a fresh ``new()``.

    Works at any depth (inside nn.Sequential, blocks, stems). Returns ``(new_model, replaced)``.
    """
    # BEGIN SOLUTION
    # TODO: work on a deep copy. Replacing a child needs its parent and the name it has there: every
    # TODO: module can list its named children (nn.Sequential's are named "0", "1", ...).
    out = copy.deepcopy(model)
    replaced = 0
    for parent in list(out.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, old):
                setattr(parent, name, new())
                replaced += 1
    return out, replaced
    # END SOLUTION


def prunable_weights(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The (qualified name, module) pairs whose ``.weight`` pruning acts on: every nn.Conv2d and nn.Linear, in model order."""
    # BEGIN SOLUTION
    # TODO: named_modules() lists modules in definition order; keep the convolutions and linear layers.
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    # END SOLUTION


def magnitude_prune(model: nn.Module, amount: float = 0.2) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """Global magnitude pruning: zero the ``amount`` fraction of smallest-|w| weights across all prunable layers.

    The threshold is global (one ranking over the weights of every layer from :func:`prunable_weights`
    together), not per layer; biases and BatchNorm are untouched. The number pruned is
    ``round(amount * total)`` (as ``torch.nn.utils.prune.global_unstructured`` with
    ``L1Unstructured`` does). Returns ``(pruned deep copy, masks)`` where masks maps each layer's
    qualified name to a bool tensor of its weight's shape, True where the weight is kept.
    Plain tensors: no reparametrisation, no forward pre-hooks left in the model.
    """
    # BEGIN SOLUTION
    # TODO: one global ranking: score the |w| of all prunable weights together and prune the amount
    # TODO: fraction with the smallest scores (torch.topk picks an exact count; a threshold could prune
    # TODO: too many on ties). Each layer then gets its share of the keep-mask; zero without autograd.
    out = copy.deepcopy(model)
    layers = prunable_weights(out)
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount must be in [0, 1], got {amount}")
    with torch.no_grad():
        scores = torch.cat([m.weight.detach().abs().flatten() for _, m in layers])
        k = int(round(amount * scores.numel()))
        keep = torch.ones_like(scores, dtype=torch.bool)
        if k > 0:
            keep[torch.topk(scores, k, largest=False).indices] = False
        masks = {}
        for (name, m), part in zip(layers, torch.split(keep, [m.weight.numel() for _, m in layers])):
            masks[name] = part.view_as(m.weight)
            m.weight.mul_(masks[name])
    return out, masks
    # END SOLUTION


def apply_masks_(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Zero, in place, every weight whose mask entry is False (call after each fine-tuning step).

    ``masks`` as returned by :func:`magnitude_prune`; its keys are names from ``model.named_modules()``.
    Must not be recorded by autograd, and keeps every weight the same ``nn.Parameter`` object (an
    optimizer created before the call must go on training the masked tensors).
    """
    # BEGIN SOLUTION
    # TODO: find each masked module by its qualified name and zero its pruned weights in place,
    # TODO: unrecorded by autograd (the weights must stay leaves).
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name, mask in masks.items():
            w = modules[name].weight
            w.mul_(mask.to(w.device))
    # END SOLUTION


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero entries among the weights of :func:`prunable_weights` (0.0 for none)."""
    # BEGIN SOLUTION
    # TODO: count zeros and totals over every prunable weight.
    layers = prunable_weights(model)
    total = sum(m.weight.numel() for _, m in layers)
    zeros = sum(int((m.weight == 0).sum()) for _, m in layers)
    return zeros / total if total else 0.0
    # END SOLUTION
