# Exercise stub generated from solution/exercise4_backward.py by `make stubs` [fingerprint 9309b9c830c8]
"""Exercise 4: a loss with its own backward, and two ranking losses.

Autograd differentiates the binary focal loss of exercise 1 op by op and keeps, between forward
and backward, every intermediate that some op's derivative needs: the sigmoids, the log-sigmoids,
the powers, the products, each a tensor the size of the input. The derivative has a closed form,
so a ``torch.autograd.Function`` can save only the logits and targets and compute it directly.
With hard targets t in {0, 1}, write z = (2t - 1) x so that p_t = sigmoid(z), and
q = 1 - p_t = sigmoid(-z). Then FL = -alpha_t q ** gamma log p_t and, from dp_t/dz = p_t q,
dq/dz = -p_t q, d log p_t / dz = q:

    dFL/dz = alpha_t * q ** gamma * (gamma * p_t * log p_t - q)
    dFL/dx = (2t - 1) * dFL/dz

No q ** (gamma - 1) appears, so the formula is finite for every gamma >= 0 and every logit.

Ranking losses score items and only care about their ORDER:
* pairwise: ``nn.MarginRankingLoss``: max(0, -y (x1 - x2) + margin) with y = 1 when x1 should
  rank higher, y = -1 when x2 should (RankNet, Burges et al. 2005, is the logistic version);
* listwise: ListNet (Cao et al. 2007, "Learning to Rank: From Pairwise Approach to Listwise
  Approach", the top-one probability of section 4.2): the cross-entropy between the
  distribution softmax(relevance) and softmax(scores) over each query's list of items,
  -sum_j softmax(rel)_j log softmax(scores)_j, averaged over queries.

Run the checks with:  make test-lab LAB=2.4 EX=4
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """'none' -> the loss as it is, 'mean' or 'sum' -> its mean or sum, as torch.nn's losses do."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    return loss if reduction == "none" else getattr(loss, reduction)()


class BinaryFocalLossFunction(torch.autograd.Function):
    """Binary focal loss with a hand-derived backward. forward(ctx, logits, targets, alpha, gamma,
    reduction) with targets in {0, 1} of the logits' shape; the same values as exercise 1's
    ``binary_focal_loss``; saves only logits and targets for backward; no gradient for targets."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, targets: torch.Tensor, alpha: float, gamma: float,  # noqa: ANN001
                reduction: str) -> torch.Tensor:
        # TODO: compute the loss (no graph is recorded inside forward); ctx.save_for_backward the
        # TODO: logits and targets only; keep alpha, gamma, reduction on ctx.
        raise NotImplementedError("Exercise 4.1: implement BinaryFocalLossFunction.forward")

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):  # noqa: ANN001, ANN205
        # TODO: recompute z, p_t, q from the saved tensors; the closed form of the docstring;
        # TODO: the chain rule through the reduction ('mean' divides by numel); one gradient per
        # TODO: forward input: None for targets, alpha, gamma and reduction.
        raise NotImplementedError("Exercise 4.2: implement BinaryFocalLossFunction.backward")


def binary_focal_loss_fused(logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0,
                            reduction: str = "none") -> torch.Tensor:
    """``BinaryFocalLossFunction.apply`` with keyword defaults (Functions take no keywords)."""
    return BinaryFocalLossFunction.apply(logits, targets, alpha, gamma, reduction)


def margin_ranking_loss(x1: torch.Tensor, x2: torch.Tensor, y: torch.Tensor, margin: float = 0.0,
                        reduction: str = "mean") -> torch.Tensor:
    """Equals ``nn.MarginRankingLoss(margin, reduction=reduction)(x1, x2, y)``:
    max(0, -y * (x1 - x2) + margin), y in {1, -1}."""
    # TODO: a hinge (torch.clamp(..., min=0)), then the reduction.
    raise NotImplementedError("Exercise 4.3: implement margin_ranking_loss")


def listnet_loss(scores: torch.Tensor, relevance: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """ListNet's top-one loss: scores, relevance (B, n) for B queries of n items; mask (B, n) bool
    marks the real items of lists shorter than n (padding is excluded from BOTH softmaxes).
    Mean over queries of -sum_j softmax(relevance)_j * log_softmax(scores)_j. Every query needs at
    least one real item."""
    # TODO: padded items to -inf in both before the softmaxes; 0 * (-inf) is nan: zero those terms.
    raise NotImplementedError("Exercise 4.4: implement listnet_loss")
