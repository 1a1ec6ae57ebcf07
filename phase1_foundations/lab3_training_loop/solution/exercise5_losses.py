"""Exercise 5: loss functions, written to survive any input: log-sum-exp, cross-entropy, BCE, MSE, L1, Huber.

A loss is a few lines of algebra, and written naively half of them overflow: exp(1000) is inf
in every floating-point format, log(0) is -inf, and inf - inf is NaN, after which the whole
model is NaN. The cure is always the same rearrangement: factor the largest term out before
exponentiating (the log-sum-exp trick), so that exp never sees a positive argument.

All losses here return the MEAN over all elements (PyTorch's default ``reduction="mean"``) and
must match ``torch.nn.functional`` in value and in gradient, for ordinary inputs and for logits
of +-1e4.

Run the checks with:  make test-lab LAB=phase1_foundations/lab3_training_loop EX=5
"""
from __future__ import annotations

from typing import Optional

import torch


def _same_shape(name: str, input: torch.Tensor, target: torch.Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} differ; "
            "broadcasting them would compare every prediction with every target"
        )


def logsumexp(x: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """log(sum(exp(x))) along ``dim``, without overflow or underflow.

    x: any shape, floating point; entries may be -inf (a masked entry), and a slice that is all
    -inf gives -inf (not NaN). Same values and gradients as ``torch.logsumexp(x, dim, keepdim)``.
    """
    # BEGIN SOLUTION
    # TODO: the log-sum-exp trick: factor a per-slice constant out so that no exponent is positive and
    # TODO: the sum is at least 1 (Mathematical Foundations says which constant does both).
    # TODO: the gradient does not depend on that constant (detach it); an all -inf slice must not
    # TODO: give -inf - (-inf) = NaN.
    m = x.amax(dim=dim, keepdim=True).detach()
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)
    out = m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)
    # END SOLUTION


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy of class scores against class indices, with optional label smoothing.

    logits: (N, C) unnormalised scores, target: (N,) int64 in [0, C), label_smoothing eps in [0, 1].
    Per sample the target distribution is (1 - eps) on the target class plus eps / C on every
    class, and the loss is -sum_c q_c log softmax(logits)_c. Returns a 0-d tensor, the mean
    over N; same value and gradient as ``F.cross_entropy(logits, target, label_smoothing=eps)``.
    Raises ValueError for eps outside [0, 1].
    """
    # BEGIN SOLUTION
    # TODO: build log-softmax from your logsumexp, never as the log of a softmax.
    # TODO: pick each row's target-class term with torch.gather; label smoothing mixes it with a
    # TODO: term over all classes (the docstring's q). Check eps first.
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    log_probs = logits - logsumexp(logits, dim=1, keepdim=True)  # (N, C)
    nll = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)  # (N,)
    if label_smoothing == 0.0:
        return nll.mean()
    smooth = -log_probs.mean(dim=1)  # (N,)
    return ((1.0 - label_smoothing) * nll + label_smoothing * smooth).mean()
    # END SOLUTION


def binary_cross_entropy_with_logits(
    logits: torch.Tensor, target: torch.Tensor, pos_weight: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1], computed from the logits.

    logits, target: the same shape (any); target may be soft (e.g. 0.9). pos_weight: optional,
    broadcastable to the last dimension, multiplies the positive term:
        loss = -[pos_weight * y * log sigmoid(x) + (1 - y) * log(1 - sigmoid(x))].
    Same value and gradient as ``F.binary_cross_entropy_with_logits(logits, target, pos_weight=...)``,
    finite for any finite logits. Raises ValueError when the shapes differ.
    """
    # BEGIN SOLUTION
    # TODO: write both logs of sigmoid with softplus, so the loss needs only x and softplus(-x).
    # TODO: softplus(z) = log(1 + e^z) overflows as written: split off max(z, 0) (log1p helps).
    # TODO: autograd differentiates your formula: at exactly x = 0 the gradient must still be the
    # TODO: true one, and clamp/relu give the wrong value there. Check the shapes first.
    _same_shape("binary_cross_entropy_with_logits", logits, target)
    # -log sigmoid(x) = softplus(-x) = max(-x, 0) + log1p(exp(-|x|)), with max(-x, 0) = (|x| - x) / 2:
    # that form's autograd gradient at x = 0 is the true one, -1/2 (clamp's would be -1).
    softplus_neg = (logits.abs() - logits) / 2 + torch.log1p(torch.exp(-logits.abs()))
    if pos_weight is None:
        loss = (1 - target) * logits + softplus_neg
    else:
        loss = (1 - target) * logits + (1 + (pos_weight - 1) * target) * softplus_neg
    return loss.mean()
    # END SOLUTION


def mse(input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, mean over all elements; as ``F.mse_loss``. Raises ValueError when the shapes differ."""
    # BEGIN SOLUTION
    # TODO: check the shapes first (F.mse_loss only warns, then broadcasts (N, 1) against (N,) to (N, N)).
    _same_shape("mse", input, target)
    return (input - target).pow(2).mean()
    # END SOLUTION


def l1(input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error, mean over all elements; as ``F.l1_loss``. Raises ValueError when the shapes differ."""
    # BEGIN SOLUTION
    # TODO: like mse, with abs() for the square. Its gradient where input == target is 0, as torch's.
    _same_shape("l1", input, target)
    return (input - target).abs().mean()
    # END SOLUTION


def huber(input: torch.Tensor, target: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """Huber loss, mean over all elements; as ``F.huber_loss(input, target, delta=delta)``.

    With r = input - target: 0.5 * r^2 where |r| <= delta, delta * (|r| - 0.5 * delta) elsewhere
    (quadratic near zero, linear in the tails, with matching value and slope at |r| = delta).
    Raises ValueError when the shapes differ or delta <= 0.
    """
    # BEGIN SOLUTION
    # TODO: compute both branches for every element and pick per element with torch.where; check the
    # TODO: shapes and delta first.
    _same_shape("huber", input, target)
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}")
    r = (input - target).abs()
    return torch.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta)).mean()
    # END SOLUTION
