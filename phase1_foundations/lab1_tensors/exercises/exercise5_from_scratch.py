# Exercise stub generated from solution/exercise5_from_scratch.py by `make stubs` [fingerprint f63d106ff0c8]
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
    # TODO: fold the bias into the weights with one extra, constant feature, then solve one
    # TODO: least-squares problem (torch.linalg.lstsq: more accurate than the normal equations
    # TODO: when the matrix is badly conditioned). Split the solution into w (D,) and a 0-d b.
    raise NotImplementedError("Exercise 5.1: implement closed_form_linear_regression")


def fit_linear_regression(
    X: torch.Tensor, y: torch.Tensor, lr: float = 0.1, steps: int = 500
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit y ~ X @ w + b by full-batch gradient descent on mean((X @ w + b - y)^2).

    X: (N, D), y: (N,). Start from w = 0 (D,), b = 0 (0-d), take ``steps`` steps of
    ``param -= lr * grad``. Gradients from autograd or by hand, your choice; no torch.optim,
    no nn.Linear. Returns (w, b) as plain tensors (detached: requires_grad False).
    On standardised features this reaches the closed-form solution.
    """
    # TODO: start from zeros; each step: the loss, its gradients (autograd or by hand), the
    # TODO: update. With autograd, the update must not be recorded, and backward() ADDS into
    # TODO: .grad. Return detached tensors.
    raise NotImplementedError("Exercise 5.2: implement fit_linear_regression")


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
    # TODO: write the loss from the logits z, never from sigmoid(z): in terms of softplus it needs
    # TODO: no log of 0 (Mathematical Foundations), and softplus has a stable form (exercise 3).
    # TODO: The gradients are in the docstring: dloss/dz first, then chain through z = X w + b.
    raise NotImplementedError("Exercise 5.3: implement logistic_regression_grads")


def fit_logistic_regression(
    X: torch.Tensor, y: torch.Tensor, lr: float = 0.5, steps: int = 300
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fit a logistic regression by full-batch gradient descent from w = 0, b = 0.

    X: (N, D), y: (N,) of 0.0/1.0. Returns (w (D,), b 0-d), detached. Predict class 1 where
    X @ w + b > 0. No torch.optim, no nn.Linear.
    """
    # TODO: same loop as fit_linear_regression; the gradient is the one you derived in
    # TODO: logistic_regression_grads (call it), or let autograd find it.
    raise NotImplementedError("Exercise 5.4: implement fit_logistic_regression")


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
    # TODO: forward: a stable log-softmax through logsumexp, never log(softmax(...)).
    # TODO: backward: dloss/dlogits has a closed form (Mathematical Foundations); from there go
    # TODO: back through each forward line in turn (linear, tanh, linear), checking each shape.
    raise NotImplementedError("Exercise 5.5: implement mlp_forward_backward")


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
    # TODO: reuse what you wrote: init_mlp for the start (C from y), mlp_forward_backward for
    # TODO: the loss and gradients of each step. Update every parameter; record plain floats.
    raise NotImplementedError("Exercise 5.6: implement train_mlp")
