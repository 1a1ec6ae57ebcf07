"""Exercise 5: learning with raw tensors. No nn.Module, no torch.optim: parameters are tensors,
the update is one line you write, and one gradient is derived by hand end to end.

Linear regression (checked against its closed-form solution), logistic regression (its
gradient X^T (sigmoid(Xw + b) - y) / N written out) and a two-layer network whose hand-written
backward pass must equal autograd's, trained on 2-D spirals.

Run the checks with:  make test-lab LAB=phase1_foundations/lab1_tensors
"""
from __future__ import annotations

import math

import torch


def closed_form_linear_regression(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares fit of y ~ X @ w + b, solved directly (no iterations).

    X: (N, D), y: (N,)  ->  (w of shape (D,), b a 0-d tensor), minimising mean((X @ w + b - y)^2).
    Assume the design matrix [X, 1] has full column rank D + 1: N >= D + 1, and no feature is a
    combination of the others or constant (a constant feature duplicates the bias column).
    """
    # BEGIN SOLUTION
    # TODO: fold the bias into the weights with one extra, constant feature, then solve one
    # TODO: least-squares problem (torch.linalg.lstsq: more accurate than the normal equations
    # TODO: when the matrix is badly conditioned). Split the solution into w (D,) and a 0-d b.
    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype, device=X.device)], dim=1)  # (N, D + 1)
    theta = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)  # (D + 1,)
    return theta[:-1], theta[-1]
    # END SOLUTION


def fit_linear_regression(
    X: torch.Tensor, y: torch.Tensor, lr: float = 0.1, steps: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit y ~ X @ w + b by full-batch gradient descent on mean((X @ w + b - y)^2).

    X: (N, D), y: (N,). Start from w = 0 (D,), b = 0 (0-d), take ``steps`` steps of
    ``param -= lr * grad``. Gradients from autograd or by hand, your choice; no torch.optim,
    no nn.Linear. Returns (w, b) as plain tensors (detached: requires_grad False).
    On standardised features this reaches the closed-form solution.
    """
    # BEGIN SOLUTION
    # TODO: start from zeros; each step: the loss, its gradients (autograd or by hand), the
    # TODO: update. With autograd, the update must not be recorded, and backward() ADDS into
    # TODO: .grad. Return detached tensors.
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device, requires_grad=True)
    b = torch.zeros((), dtype=X.dtype, device=X.device, requires_grad=True)
    for _ in range(steps):
        loss = (X @ w + b - y).pow(2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None
        b.grad = None
    return w.detach(), b.detach()
    # END SOLUTION


def logistic_regression_grads(
    X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Binary cross-entropy of a logistic regression and its gradients, BY HAND (no autograd).

    X: (N, D), y: (N,) of 0.0/1.0, w: (D,), b: 0-d.
        z = X @ w + b                                   logits, (N,)
        loss = mean(-y log sigmoid(z) - (1 - y) log(1 - sigmoid(z)))
    Returns (loss (0-d), dloss/dw = X^T (sigmoid(z) - y) / N  (D,), dloss/db = mean(sigmoid(z) - y)).
    The loss must stay finite for huge logits (|z| = 1000): compute it from z, not from sigmoid(z).
    """
    # BEGIN SOLUTION
    # TODO: write the loss from the logits z, never from sigmoid(z): in terms of softplus it needs
    # TODO: no log of 0 (Mathematical Foundations), and softplus has a stable form (exercise 3).
    # TODO: The gradients are in the docstring: dloss/dz first, then chain through z = X w + b.
    z = X @ w + b
    loss = (z.clamp(min=0) + torch.log1p(torch.exp(-z.abs())) - y * z).mean()
    dz = (torch.sigmoid(z) - y) / X.shape[0]  # (N,)
    return loss, X.T @ dz, dz.sum()
    # END SOLUTION


def fit_logistic_regression(
    X: torch.Tensor, y: torch.Tensor, lr: float = 0.5, steps: int = 300
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit a logistic regression by full-batch gradient descent from w = 0, b = 0.

    X: (N, D), y: (N,) of 0.0/1.0. Returns (w (D,), b 0-d), detached. Predict class 1 where
    X @ w + b > 0. No torch.optim, no nn.Linear.
    """
    # BEGIN SOLUTION
    # TODO: same loop as fit_linear_regression; the gradient is the one you derived in
    # TODO: logistic_regression_grads (call it), or let autograd find it.
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    b = torch.zeros((), dtype=X.dtype, device=X.device)
    for _ in range(steps):
        _, dw, db = logistic_regression_grads(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db
    return w, b
    # END SOLUTION


def init_mlp(in_dim: int, hidden: int, n_classes: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Parameters of a two-layer network, float32: W1 (in_dim, hidden), b1 (hidden,),
    W2 (hidden, n_classes), b2 (n_classes,). Weights ~ N(0, 1/fan_in), biases 0 (given)."""
    g = torch.Generator().manual_seed(seed)
    return {
        "W1": torch.randn(in_dim, hidden, generator=g) / math.sqrt(in_dim),
        "b1": torch.zeros(hidden),
        "W2": torch.randn(hidden, n_classes, generator=g) / math.sqrt(hidden),
        "b2": torch.zeros(n_classes),
    }


def mlp_forward_backward(
    X: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Forward and hand-written backward pass of a two-layer tanh network with softmax cross-entropy.

    X: (N, D), y: (N,) int64 class indices in [0, C), params as returned by :func:`init_mlp`:
        h      = tanh(X @ W1 + b1)                       (N, H)
        logits = h @ W2 + b2                             (N, C)
        loss   = mean_i( -log softmax(logits)[i, y[i]] ) 0-d, same as F.cross_entropy(logits, y)
    Returns (loss, grads) with grads a dict of the same keys and shapes as params. No autograd:
    the result must equal what loss.backward() would give, and stay finite for large logits.
    """
    # BEGIN SOLUTION
    # TODO: forward: a stable log-softmax through logsumexp, never log(softmax(...)).
    # TODO: backward: dloss/dlogits has a closed form (Mathematical Foundations); from there go
    # TODO: back through each forward line in turn (linear, tanh, linear), checking each shape.
    N = X.shape[0]
    h = torch.tanh(X @ params["W1"] + params["b1"])  # (N, H)
    logits = h @ params["W2"] + params["b2"]  # (N, C)
    logp = logits - torch.logsumexp(logits, dim=1, keepdim=True)  # (N, C)
    rows = torch.arange(N, device=X.device)
    loss = -logp[rows, y].mean()
    dlogits = logp.exp()  # softmax
    dlogits[rows, y] -= 1.0
    dlogits /= N
    dh = dlogits @ params["W2"].T  # (N, H)
    dz1 = dh * (1.0 - h * h)
    grads = {
        "W1": X.T @ dz1,
        "b1": dz1.sum(dim=0),
        "W2": h.T @ dlogits,
        "b2": dlogits.sum(dim=0),
    }
    return loss, grads
    # END SOLUTION


def train_mlp(
    X: torch.Tensor,
    y: torch.Tensor,
    hidden: int = 64,
    lr: float = 0.5,
    steps: int = 2000,
    seed: int = 0,
) -> tuple[dict[str, torch.Tensor], list[float]]:
    """Train the two-layer network of :func:`mlp_forward_backward` by full-batch gradient descent.

    X: (N, D) float32, y: (N,) int64 with classes 0..C-1 (C = y.max() + 1). Start from
    ``init_mlp(D, hidden, C, seed)`` and take ``steps`` steps of ``param -= lr * grad``.
    Returns (params, losses) where losses[t] is the loss at step t (a float, len == steps).
    No torch.optim, no nn.Module.
    """
    # BEGIN SOLUTION
    # TODO: reuse what you wrote: init_mlp for the start (C from y), mlp_forward_backward for
    # TODO: the loss and gradients of each step. Update every parameter; record plain floats.
    params = init_mlp(X.shape[1], hidden, int(y.max()) + 1, seed)
    losses = []
    for _ in range(steps):
        loss, grads = mlp_forward_backward(X, y, params)
        for name in params:
            params[name] -= lr * grads[name]
        losses.append(loss.item())
    return params, losses
    # END SOLUTION
