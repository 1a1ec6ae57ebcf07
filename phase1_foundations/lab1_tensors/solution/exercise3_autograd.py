"""Exercise 3: autograd. Gradients by hand, accumulation, retain_graph, no_grad, custom Functions, HVPs,
and per-sample gradients with torch.func.

Autograd records every operation on tensors that require grad into a graph; ``backward()``
walks it from the output back to the leaves, multiplying local derivatives (the chain rule)
and ADDING the result into each leaf's ``.grad``. Knowing that it adds, when it frees the graph,
and how to stop it recording is most of what there is to know to use it correctly.

Run the checks with:  make test-lab LAB=phase1_foundations/lab1_tensors
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch


def tanh_regression_grads(
    x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Loss and its gradients for a one-layer tanh regression, derived BY HAND (no autograd).

    x: (N, D), w: (D, K), b: (K,), y: (N, K)
        z = x @ w + b          (N, K)
        a = tanh(z)            (N, K)
        loss = mean((a - y)^2) over all N*K entries, a 0-d tensor
    Returns (loss, dloss/dw of shape (D, K), dloss/db of shape (K,)).
    The inputs need not require grad; do not call backward() or torch.autograd.grad.
    """
    # BEGIN SOLUTION
    # TODO: forward first, then backwards one line at a time: dloss/da, dloss/dz, dloss/dw and
    # TODO: dloss/db. The mean runs over N * K entries, and tanh' can be written with a itself.
    # TODO: Each gradient has the shape of its tensor: that tells you where a transpose and a
    # TODO: sum go.
    a = torch.tanh(x @ w + b)
    r = a - y
    loss = r.pow(2).mean()
    dz = 2.0 * r / r.numel() * (1.0 - a * a)  # (N, K)
    return loss, x.T @ dz, dz.sum(dim=0)
    # END SOLUTION


def accumulate_gradients(
    w: torch.Tensor,
    chunks: Sequence[tuple[torch.Tensor, torch.Tensor]],
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    """Gradient of the MEAN loss over all samples, accumulated chunk by chunk (gradient accumulation).

    w: a leaf tensor with requires_grad=True; its .grad may hold a stale value from before.
    chunks: [(x_1, y_1), (x_2, y_2), ...], x_i of shape (n_i, ...), y_i of shape (n_i, ...);
        the chunk sizes n_i may differ.
    loss_fn(w, x_i, y_i) returns the MEAN loss over chunk i (a 0-d tensor).
    Call backward once per chunk so that ``w.grad`` adds up, and return ``w.grad``: it must equal
    the gradient of the mean loss over all sum(n_i) samples, as if they were one batch.
    Do not concatenate the chunks: the point is that only one chunk's graph exists at a time.
    """
    # BEGIN SOLUTION
    # TODO: backward() ADDS into w.grad, and w.grad may arrive holding a stale value.
    # TODO: With chunks of unequal size, the mean of the chunk means is not the mean over all
    # TODO: samples: weight each chunk's loss so that the backward calls add up to the
    # TODO: full-batch mean.
    w.grad = None
    total = sum(len(x) for x, _ in chunks)
    for x, y in chunks:
        (loss_fn(w, x, y) * (len(x) / total)).backward()
    return w.grad
    # END SOLUTION


def grads_of_two_losses(
    w: torch.Tensor,
    trunk: Callable[[torch.Tensor], torch.Tensor],
    head1: Callable[[torch.Tensor], torch.Tensor],
    head2: Callable[[torch.Tensor], torch.Tensor],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of two losses that share one forward pass, each with respect to ``w``.

    w: a leaf with requires_grad=True. Call ``h = trunk(w)`` exactly ONCE, then
    loss1 = head1(h) and loss2 = head2(h) (0-d tensors). Return (dloss1/dw, dloss2/dw), two
    separate tensors shaped like w (not their sum). After the first backward PyTorch frees the
    graph's saved tensors unless told otherwise, so the second backward needs them kept.
    """
    # BEGIN SOLUTION
    # TODO: the first backward frees the saved tensors the second one needs, unless told to keep
    # TODO: them. backward adds into w.grad: the second gradient must be dloss2/dw alone, and the
    # TODO: first one you return must not change when the second backward runs.
    w.grad = None
    h = trunk(w)
    head1(h).backward(retain_graph=True)
    g1 = w.grad.clone()
    w.grad = None
    head2(h).backward()
    g2 = w.grad.clone()
    w.grad = None
    return g1, g2
    # END SOLUTION


def ema_update_(target: Sequence[torch.Tensor], online: Sequence[torch.Tensor], decay: float) -> None:
    """Exponential moving average of parameters, in place: t <- decay * t + (1 - decay) * o.

    target, online: matching lists of tensors (same shapes). The online tensors require grad and
    may be part of a graph. The target tensors may be leaves with requires_grad=True too (as in a
    momentum/teacher network). Update every target tensor IN PLACE (same object, same memory)
    without recording anything for autograd: afterwards each target is still a leaf
    (grad_fn is None) with its requires_grad unchanged, and no graph links it to ``online``.
    """
    # BEGIN SOLUTION
    # TODO: update each target in place without autograd recording it: in-place ops on a leaf
    # TODO: that requires grad are an error while autograd records, and recording would chain
    # TODO: every step's graph to the next. Which context manager turns recording off?
    with torch.no_grad():
        for t, o in zip(target, online):
            t.mul_(decay).add_(o, alpha=1.0 - decay)
    # END SOLUTION


class StableSoftplus(torch.autograd.Function):
    """softplus(x) = log(1 + exp(x)) with a hand-written, numerically stable forward and backward.

    Naive log(1 + exp(x)) overflows to inf for x > ~88 in float32 (exp(x) is inf), and rounds to 0
    for x < ~-17 (1 + exp(x) == 1 in float32). Use the identity
        softplus(x) = log1p(exp(-|x|)) + max(x, 0)
    whose exp never sees a positive argument. The derivative is d softplus / dx = sigmoid(x).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> softplus(x), same shape and dtype. Save what backward needs on ctx."""
        # BEGIN SOLUTION
        # TODO: compute the stable identity from the class docstring with tensor ops (log1p, exp,
        # TODO: abs, clamp), and keep what backward will need with ctx.save_for_backward.
        ctx.save_for_backward(x)
        return torch.log1p(torch.exp(-x.abs())) + x.clamp(min=0)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        """grad_output: dloss/dsoftplus(x), shaped like x -> dloss/dx, shaped like x."""
        # BEGIN SOLUTION
        # TODO: read back what forward saved (ctx.saved_tensors), then apply the chain rule with
        # TODO: the derivative given in the class docstring.
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)
        # END SOLUTION


def stable_softplus(x: torch.Tensor) -> torch.Tensor:
    """softplus through :class:`StableSoftplus` (a Function is called with ``.apply``)."""
    return StableSoftplus.apply(x)


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Hessian-vector product H(x) @ v of the scalar function ``f`` at ``x``, by double backward.

    f: maps a tensor shaped like x to a 0-d tensor. x: any shape (need not require grad).
    v: same shape as x. Returns a tensor shaped like x equal to sum_j d^2 f / dx_i dx_j * v_j,
    without ever building the Hessian. Where the gradient of f does not depend on x (f linear
    in x), the Hessian is 0 and so is the result. The result carries no graph.
    Same values as ``torch.autograd.functional.hvp(f, x, v)[1]``, which you may not call.
    """
    # BEGIN SOLUTION
    # TODO: differentiate twice: a gradient taken with create_graph=True is itself a graph, and
    # TODO: differentiating it once more against the direction v gives H v (torch.autograd.grad).
    # TODO: Work on a fresh leaf copy of x, and return a tensor without a graph. If f is linear
    # TODO: in x, its gradient does not depend on x at all, and H v is zero.
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    if not g.requires_grad:
        return torch.zeros_like(x).detach()
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v, allow_unused=True)
    return torch.zeros_like(x).detach() if hv is None else hv.detach()
    # END SOLUTION


def per_sample_grads(
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    w: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
) -> torch.Tensor:
    """The gradient of every sample's own loss with respect to ``w``, in one vectorised call.

    loss_fn(w, x_i, y_i) -> 0-d tensor, the loss of ONE sample: x_i = x[i] (shape x.shape[1:]),
    y_i = y[i] (shape y.shape[1:]). w: any shape; x: (N, ...), y: (N, ...).
    Returns (N, *w.shape) with out[i] = d loss_fn(w, x[i], y[i]) / dw: what a Python loop of N
    ``torch.autograd.grad`` calls gives, computed with torch.func.grad and torch.func.vmap, so
    that ``loss_fn`` is called once (on the whole batch, by vmap), not N times.
    Leaves ``w`` and ``w.grad`` unchanged; the result carries no graph.
    """
    # BEGIN SOLUTION
    # TODO: torch.func.grad(loss_fn) is a new function with loss_fn's arguments that returns the
    # TODO: gradient with respect to the FIRST argument. torch.func.vmap(fn, in_dims=...) runs fn
    # TODO: over one dim of the arguments you choose: dim 0 of x and y (the samples), and none of
    # TODO: w (shared by every sample). Give it w detached from any graph.
    return torch.func.vmap(torch.func.grad(loss_fn), in_dims=(None, 0, 0))(w.detach(), x, y)
    # END SOLUTION
