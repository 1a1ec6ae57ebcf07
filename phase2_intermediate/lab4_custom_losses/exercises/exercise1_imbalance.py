# Exercise stub generated from solution/exercise1_imbalance.py by `make stubs` [fingerprint 8eef66f0cb7c]
"""Exercise 1: losses for imbalanced classes — focal loss, class-balanced weights, soft targets.

Cross-entropy treats every example alike, so on a task where 98 % of the examples are easy
negatives their summed loss swamps the few positives. Two remedies, both from their papers:

* focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection", eq. 5): with p_t the
  probability the model gives to the TRUE class,
      FL(p_t) = -alpha_t (1 - p_t) ** gamma * log(p_t)
  The modulating factor (1 - p_t) ** gamma shrinks the loss of well-classified examples
  (p_t near 1) and leaves hard ones almost untouched; gamma = 0 is (alpha-weighted)
  cross-entropy. In the binary form alpha_t = alpha for positives and 1 - alpha for negatives,
  as in ``torchvision.ops.sigmoid_focal_loss`` (alpha < 0 turns the weighting off);
* class-balanced weights (Cui et al. 2019, "Class-Balanced Loss Based on Effective Number of
  Samples", eq. 3 and section 4): n samples of a class are worth E_n = (1 - beta ** n) / (1 - beta)
  "effective" samples; class c is weighted by 1 / E_(n_c), normalised so the weights sum to the
  number of classes. beta = 0 gives equal weights, beta -> 1 inverse class frequency.

And the soft-target cross-entropy behind label smoothing (Szegedy et al. 2016, section 7):
H(q, p) = -sum_c q_c log p_c with q = (1 - eps) * onehot(y) + eps / C.

Every loss here is computed from logits with log-sigmoid or log-softmax (a log-sum-exp), never
as ``sigmoid(x).log()`` or ``softmax(x).log()``: at a logit of -100 the true sigmoid, 3.8e-44, is
a float32 subnormal with a few bits of precision (torch.sigmoid on a CPU may return exactly 0), and
1 - sigmoid(100) is exactly 0, whose log is -inf.

Run the checks with:  make test-lab LAB=2.4 EX=1
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """'none' -> the loss as it is, 'mean' or 'sum' -> its mean or sum, as torch.nn's losses do."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    return loss if reduction == "none" else getattr(loss, reduction)()


def binary_focal_loss(logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0,
                      reduction: str = "none") -> torch.Tensor:
    """Binary focal loss on logits of any shape, targets of the same shape in [0, 1].

    Equals ``torchvision.ops.sigmoid_focal_loss(logits, targets, alpha, gamma, reduction)``:
    with p = sigmoid(logits),
        ce      = -(t * log p + (1 - t) * log(1 - p))          (binary cross-entropy)
        1 - p_t = t * (1 - p) + (1 - t) * p                     (probability of the WRONG answer)
        loss    = alpha_t * (1 - p_t) ** gamma * ce,  alpha_t = alpha * t + (1 - alpha) * (1 - t)
    and no alpha_t factor when alpha < 0. log p = logsigmoid(x), log(1 - p) = logsigmoid(-x),
    1 - p = sigmoid(-x): finite for logits of +-100 and beyond, with finite gradients for
    gamma = 0 and gamma >= 1. (For 0 < gamma < 1 the derivative of (1 - p_t) ** gamma is infinite
    where 1 - p_t rounds to 0, and autograd returns nan there, as it does for torchvision's
    version; exercise 4's closed-form backward has no such term.)
    """
    # TODO: ce from F.logsigmoid(logits) and F.logsigmoid(-logits), NOT from torch.sigmoid(...).log().
    # TODO: the modulating factor uses the probability of the wrong answer: 1 - p_t.
    # TODO: alpha weighs the positives, 1 - alpha the negatives.
    raise NotImplementedError("Exercise 1.1: implement binary_focal_loss")


def focal_loss(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, weight: torch.Tensor | None = None,
               reduction: str = "mean") -> torch.Tensor:
    """Multi-class focal loss: logits (N, C), target (N,) long class indices.

    Per example: -w_y * (1 - p_y) ** gamma * log p_y with log p = log_softmax(logits) and w the
    optional per-class weight (C,) (alpha_t of the paper). Reductions follow ``F.cross_entropy``
    with ``weight``: 'sum' adds the per-example losses, 'mean' divides that sum by sum_i w_(y_i)
    (by N without weights), so gamma = 0 gives exactly ``F.cross_entropy(logits, target,
    weight=weight, reduction=reduction)`` for every reduction. Finite for logits of +-100, with
    finite gradients for gamma = 0 and gamma >= 1 (see binary_focal_loss for 0 < gamma < 1).
    """
    # TODO: logp_y = log_softmax(...).gather(...); p_y = exp(logp_y) (exp of a log-prob is safe).
    # TODO: 'mean' with weights divides by the summed weights of the targets, as F.cross_entropy does.
    raise NotImplementedError("Exercise 1.2: implement focal_loss")


def class_balanced_weights(counts: torch.Tensor | list[int], beta: float) -> torch.Tensor:
    """Per-class weights (C,) float64 from class counts (C,) by the effective number of samples:

        E_n = (1 - beta ** n) / (1 - beta),   w_c = (1 / E_(n_c)) * C / sum_k (1 / E_(n_k))

    so the weights sum to C. 0 <= beta < 1 (ValueError otherwise); every count must be >= 1
    (ValueError: a class with no samples has no effective number). beta ** n underflows for large
    n and 1 - beta ** n loses digits for beta near 1: compute it as -expm1(n * log1p(beta - 1)),
    log1p(beta - 1) being log(beta) computed from the exact difference beta - 1. beta = 0 needs
    its own case (math.log1p(-1) raises; every E_n is 1 there, so the weights are all 1).
    """
    # TODO: check beta and the counts; 1 - beta**n = -expm1(n * log1p(beta - 1)); normalise to sum C.
    raise NotImplementedError("Exercise 1.3: implement class_balanced_weights")


def smoothed_targets(target: torch.Tensor, num_classes: int, smoothing: float,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The label-smoothed target distribution (N, C) of ``dtype``: (1 - eps) * onehot(target) + eps / C.
    Rows sum to 1; eps = 0 is the one-hot distribution."""
    # TODO: F.one_hot in the requested dtype, scaled by 1 - eps, plus eps / C everywhere.
    raise NotImplementedError("Exercise 1.4: implement smoothed_targets")


def soft_cross_entropy(logits: torch.Tensor, probs: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy H(q, p) = -sum_c q_c log p_c against a target DISTRIBUTION q = probs (N, C),
    p = softmax(logits) (N, C). Equals ``F.cross_entropy(logits, probs, reduction=reduction)``
    (PyTorch's probability-target form); with probs = smoothed_targets(y, C, eps) it equals
    ``F.cross_entropy(logits, y, label_smoothing=eps)``. Finite for logits of +-100."""
    # TODO: log_softmax, then the weighted sum over classes; reduce over the batch.
    raise NotImplementedError("Exercise 1.5: implement soft_cross_entropy")


def focal_modulation_table(p_true: list[float], gamma: float = 2.0) -> list[tuple[float, float, float, float]]:
    """For each probability p_t of the true class: (p_t, cross-entropy -log p_t, focal loss
    -(1 - p_t) ** gamma log p_t with alpha = 1, ratio CE / FL = (1 - p_t) ** -gamma). Shows how
    much the focal loss discounts well-classified examples. 0 < p_t <= 1; at p_t = 1 both losses
    are 0 and the ratio is reported as math.inf."""
    # TODO: plain Python floats and math.log; one tuple per p_t.
    raise NotImplementedError("Exercise 1.6: implement focal_modulation_table")
