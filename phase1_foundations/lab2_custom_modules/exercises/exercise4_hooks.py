# Exercise stub generated from solution/exercise4_hooks.py by `make stubs` [fingerprint 5e37235d3c1e]
"""Exercise 4: hooks. Capture activations and gradients, report gradient flow, remove cleanly.

``module.register_forward_hook(fn)`` calls ``fn(module, inputs, output)`` after every forward of
that module; ``module.register_full_backward_hook(fn)`` calls ``fn(module, grad_input,
grad_output)`` when the gradients with respect to the module's inputs have been computed. Both
return a handle whose ``remove()`` detaches the hook; a hook you forget keeps running (and
keeps whatever it stores alive) for as long as the model lives.

Run the checks with:  make test-lab LAB=phase1_foundations/lab2_custom_modules EX=4
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn


def capture_activations(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    """Run ``model(x)`` once and return the outputs of the named submodules.

    names: names as in ``model.named_modules()`` ("0", "encoder.2", ...); an unknown name
    raises KeyError before anything runs. Returns {name: output of that submodule, detached},
    for a submodule called several times, the output of its last call. No hook is left on any
    module afterwards, also when the forward pass raises (the exception propagates).
    """
    # TODO: check every name before registering anything (KeyError). One forward hook per name,
    # TODO: each knowing its name (a closure), storing a detached output. The hooks must be gone
    # TODO: afterwards even when the forward pass raises: keep the handles and use try/finally.
    raise NotImplementedError("Exercise 4.1: implement capture_activations")


class GradNormRecorder:
    """Records, on every backward pass, the L2 norm of dloss/d(output) of each matching layer.

    On construction it attaches a full backward hook to every submodule of ``model`` that is an
    instance of ``layer_types``. ``norms`` maps each such submodule's name (named_modules order)
    to a list of floats, one appended per backward pass through it: the norm of grad_output[0]
    over the whole batch. ``remove()`` detaches every hook (safe to call twice); used as a
    context manager (``with GradNormRecorder(model) as rec:``) it removes them on exit.
    """

    def __init__(self, model: nn.Module, layer_types: tuple[type[nn.Module], ...] = (nn.Linear,)) -> None:
        # TODO: a full backward hook on every submodule of the given types. grad_output[0] is
        # TODO: dloss/d(output): append its norm, as a float, under the layer's name. Each hook
        # TODO: needs its layer's name (build it in a small function: a closure); keep the handles.
        raise NotImplementedError("Exercise 4.2: implement GradNormRecorder.__init__")

    def remove(self) -> None:
        # TODO: detach every hook; a second call must do nothing.
        raise NotImplementedError("Exercise 4.3: implement GradNormRecorder.remove")

    def __enter__(self) -> "GradNormRecorder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def gradient_flow_report(
    model: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.mse_loss,
) -> list[tuple[str, float, float]]:
    """One forward and backward pass of loss_fn(model(x), target), reported per nn.Linear.

    Returns one row per nn.Linear submodule, in named_modules order:
        (name, std of the layer's output, L2 norm of dloss/d(layer output))
    both over all entries of the (N, out_features) output; the std is torch's default (unbiased).
    The model is left as it was found: no hooks remain and every parameter's .grad is None.
    """
    # TODO: one forward and backward pass gives both columns: forward hooks for each Linear's
    # TODO: output std, backward hooks for its gradient norm (a GradNormRecorder does that half).
    # TODO: Leave the model as found: no hooks even on error, and every .grad None at the end.
    raise NotImplementedError("Exercise 4.4: implement gradient_flow_report")


def diagnose_gradient_flow(report: Sequence[tuple[str, float, float]], threshold: float = 100.0) -> str:
    """Classify a report from :func:`gradient_flow_report` by how the gradient changes from the
    last layer back to the first: ratio = grad norm of the FIRST row / grad norm of the LAST row.

    Returns "vanishing" if ratio < 1 / threshold, "exploding" if ratio > threshold, else
    "healthy". A ratio 0 / 0 (no gradient at all) counts as 0, and x / 0 with x > 0 as infinity.
    """
    # TODO: the ratio of the first row's gradient norm to the last row's, compared with threshold
    # TODO: and 1 / threshold; the docstring says what 0 / 0 and x / 0 count as.
    raise NotImplementedError("Exercise 4.5: implement diagnose_gradient_flow")
