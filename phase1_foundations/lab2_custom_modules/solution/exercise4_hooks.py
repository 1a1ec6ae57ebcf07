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
    # BEGIN SOLUTION
    # TODO: check every name before registering anything (KeyError). One forward hook per name,
    # TODO: each knowing its name (a closure), storing a detached output. The hooks must be gone
    # TODO: afterwards even when the forward pass raises: keep the handles and use try/finally.
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise KeyError(f"no submodule named {missing[0]!r}; valid names: {sorted(modules)}")
    captured: dict[str, torch.Tensor] = {}

    def make_hook(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            captured[name] = output.detach()

        return hook

    handles = [modules[n].register_forward_hook(make_hook(n)) for n in names]
    try:
        model(x)
    finally:
        for h in handles:
            h.remove()
    return captured
    # END SOLUTION


class GradNormRecorder:
    """Records, on every backward pass, the L2 norm of dloss/d(output) of each matching layer.

    On construction it attaches a full backward hook to every submodule of ``model`` that is an
    instance of ``layer_types``. ``norms`` maps each such submodule's name (named_modules order)
    to a list of floats, one appended per backward pass through it: the norm of grad_output[0]
    over the whole batch. ``remove()`` detaches every hook (safe to call twice); used as a
    context manager (``with GradNormRecorder(model) as rec:``) it removes them on exit.
    """

    def __init__(self, model: nn.Module, layer_types: tuple[type[nn.Module], ...] = (nn.Linear,)) -> None:
        # BEGIN SOLUTION
        # TODO: a full backward hook on every submodule of the given types. grad_output[0] is
        # TODO: dloss/d(output): append its norm, as a float, under the layer's name. Each hook
        # TODO: needs its layer's name (build it in a small function: a closure); keep the handles.
        self.norms: dict[str, list[float]] = {}
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

        def make_hook(name: str) -> Callable:
            def hook(module: nn.Module, grad_input: tuple, grad_output: tuple) -> None:
                self.norms[name].append(grad_output[0].detach().norm().item())

            return hook

        for name, module in model.named_modules():
            if isinstance(module, layer_types):
                self.norms[name] = []
                self._handles.append(module.register_full_backward_hook(make_hook(name)))
        # END SOLUTION

    def remove(self) -> None:
        # BEGIN SOLUTION
        # TODO: detach every hook; a second call must do nothing.
        for h in self._handles:
            h.remove()
        self._handles = []
        # END SOLUTION

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
    # BEGIN SOLUTION
    # TODO: one forward and backward pass gives both columns: forward hooks for each Linear's
    # TODO: output std, backward hooks for its gradient norm (a GradNormRecorder does that half).
    # TODO: Leave the model as found: no hooks even on error, and every .grad None at the end.
    linears = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    modules = dict(model.named_modules())
    stds: dict[str, float] = {}

    def make_hook(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            stds[name] = output.detach().std().item()

        return hook

    handles = [modules[n].register_forward_hook(make_hook(n)) for n in linears]
    recorder = GradNormRecorder(model, (nn.Linear,))
    try:
        loss_fn(model(x), target).backward()
    finally:
        recorder.remove()
        for h in handles:
            h.remove()
        model.zero_grad(set_to_none=True)
    return [(n, stds[n], recorder.norms[n][-1]) for n in linears]
    # END SOLUTION


def diagnose_gradient_flow(report: Sequence[tuple[str, float, float]], threshold: float = 100.0) -> str:
    """Classify a report from :func:`gradient_flow_report` by how the gradient changes from the
    last layer back to the first: ratio = grad norm of the FIRST row / grad norm of the LAST row.

    Returns "vanishing" if ratio < 1 / threshold, "exploding" if ratio > threshold, else
    "healthy". A ratio 0 / 0 (no gradient at all) counts as 0, and x / 0 with x > 0 as infinity.
    """
    # BEGIN SOLUTION
    # TODO: the ratio of the first row's gradient norm to the last row's, compared with threshold
    # TODO: and 1 / threshold; the docstring says what 0 / 0 and x / 0 count as.
    first, last = report[0][2], report[-1][2]
    if last == 0.0:
        ratio = 0.0 if first == 0.0 else float("inf")
    else:
        ratio = first / last
    if ratio < 1.0 / threshold:
        return "vanishing"
    if ratio > threshold:
        return "exploding"
    return "healthy"
    # END SOLUTION
