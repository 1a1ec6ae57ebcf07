# Exercise stub generated from solution/exercise5_compile.py by `make stubs` [fingerprint 601fe511205f]
"""Exercise 5: torch.compile.

``torch.compile`` has two halves. TorchDynamo reads the Python bytecode of your function as it
runs and records the tensor operations into an FX graph; when it meets something it cannot put in
a graph (printing, converting a tensor to a Python number with ``.item()`` and branching on it,
calling unsupported code) it ends the graph there (a *graph break*), lets Python run that part,
and starts a new graph after it. The backend (Inductor by default) then compiles each graph:
it fuses chains of elementwise operations into one loop, so intermediate results stay in
registers instead of making a round trip through memory. The first call pays for all of this;
later calls with the same shapes and dtypes reuse the compiled code.

"The same" is decided by *guards*: with each compiled graph Dynamo stores the checks under which
it is valid (dtype, device, ``requires_grad``, shapes or which sizes are dynamic, Python values the
code branched on). A call that fails every stored guard set compiles again (a *recompilation*).

Run the checks with:  make test-lab LAB=phase1_foundations/lab5_gpu_mixed_precision EX=5
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Iterable

import torch


def count_graph_breaks(fn: Callable[..., Any], *args: Any) -> int:
    """How many graph breaks TorchDynamo makes when it traces ``fn(*args)``."""
    # TODO: torch._dynamo.explain traces a call and reports its graph breaks; reset Dynamo first for
    # TODO: a clean slate.
    raise NotImplementedError("Exercise 5.1: implement count_graph_breaks")


def clip_and_squash_with_break(x: torch.Tensor) -> torch.Tensor:
    """Divide ``x`` by its largest absolute value when that exceeds 1, then ``2 * tanh``.
    Written the eager way: the Python ``if`` on ``.item()`` breaks the graph."""
    m = x.abs().max()
    if m.item() > 1.0:
        x = x / m
    return 2.0 * torch.tanh(x)


def clip_and_squash(x: torch.Tensor) -> torch.Tensor:
    """Same values as :func:`clip_and_squash_with_break` for every ``x`` (non-empty, float), without
    a graph break: no Python number is read from a tensor."""
    # TODO: the Python `if` on a tensor's value is what breaks the graph. Can both branches be one
    # TODO: division, by a divisor computed with tensor operations (torch.clamp, torch.maximum, torch.where)?
    raise NotImplementedError("Exercise 5.2: implement clip_and_squash")


def compile_benchmark(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    backend: Any = "inductor",
    warmup: int = 3,
    repeat: int = 10,
) -> dict[str, float]:
    """Compile ``fn`` with ``torch.compile(fn, backend=backend)`` and compare it with eager.

    Returns ``{"compile_s", "eager_s", "compiled_s", "speedup", "max_abs_diff"}``: the wall time of
    the compiled function's first call (which compiles), the median seconds per call of ``fn`` and
    of the compiled function over ``repeat`` timed calls each after ``warmup`` untimed ones,
    ``eager_s / compiled_s``, and the largest absolute difference between the two outputs; plus
    the spread of the timed calls, ``"eager_min_s"``, ``"eager_max_s"``, ``"compiled_min_s"`` and
    ``"compiled_max_s"`` (a median is quoted with its spread). Starts from a clean compile cache (``torch._dynamo.reset()``), so the first call compiles.
    """
    # TODO: from a clean Dynamo cache, compile fn with torch.compile and the given backend; the first
    # TODO: call compiles, so time it on its own. Then time eager and compiled the honest way
    # TODO: (warm-up, repeats, synchronisation when tensors are on a GPU, medians) and compare outputs.
    raise NotImplementedError("Exercise 5.3: implement compile_benchmark")


def count_compilations(fn: Callable[..., Any], inputs: Iterable[Any], dynamic: bool | None = None) -> int:
    """Compile ``fn`` once with ``torch.compile(fn, dynamic=dynamic)`` and call the compiled function
    on each element of ``inputs`` in turn (``compiled(x)``); return how many graphs Dynamo compiled
    in total (the first compilation plus every recompilation), counted at the backend, so no
    Inductor code generation runs. Starts from a clean Dynamo cache.
    """
    # TODO: a backend is any callable (graph_module, example_inputs) -> callable; one that counts its
    # TODO: calls and returns graph_module.forward compiles nothing and counts every compilation.
    # TODO: Reset Dynamo first, and pass `dynamic` on to torch.compile.
    raise NotImplementedError("Exercise 5.4: implement count_compilations")
