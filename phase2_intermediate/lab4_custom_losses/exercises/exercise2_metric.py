# Exercise stub generated from solution/exercise2_metric.py by `make stubs` [fingerprint cee1a26646d8]
"""Exercise 2: metric learning — contrastive and triplet losses, and mining triplets in a batch.

An embedding network f maps inputs to vectors whose DISTANCES carry the meaning: same-class
inputs close, different-class inputs far. The losses see pairs or triplets, not labels:

* contrastive loss (Hadsell, Chopra & LeCun 2006, eq. 4), on a pair with distance d:
      similar pair:     d ** 2 / 2
      dissimilar pair:  max(0, margin - d) ** 2 / 2
  dissimilar pairs farther than the margin cost nothing (and push nothing);
* triplet loss (Weinberger & Saul 2009; Schroff et al. 2015, FaceNet, eq. 1), on an anchor a, a
  positive p of the same class and a negative n of another class:
      max(0, d(a, p) - d(a, n) + margin)
  ``nn.TripletMarginLoss`` computes d as ``F.pairwise_distance(x, y, p, eps)`` = ||x - y + eps||_p
  (eps is added to the DIFFERENCE, which keeps the gradient finite at x = y), and with
  ``swap=True`` replaces d(a, n) by min(d(a, n), d(p, n)) (Balntas et al. 2016).

Which triplets to train on matters more than the loss (Hermans, Beyer & Leibe 2017, "In Defense of
the Triplet Loss for Person Re-Identification"). From a batch of B embeddings with labels, every
(a, p, n) with label[a] == label[p], a != p, label[n] != label[a] is a valid triplet:

* batch-all: the mean of the loss over the valid triplets whose loss is > 0 (averaging over the
  zero ones too would shrink the loss as training makes triplets easy);
* batch-hard: per anchor, its FARTHEST positive and its CLOSEST negative; the mean over anchors
  that have at least one positive and one negative;
* semi-hard (FaceNet, section 3.2): per (anchor, positive) pair, the closest negative that is
  still FARTHER than the positive, d(a, p) < d(a, n); if no negative is farther, the farthest
  negative. Negatives closer than the positive (the hardest ones) make training collapse early on.

Embeddings are L2-normalised first when ``normalize=True`` (distances on the unit sphere, where
||u - v|| ** 2 = 2 - 2 cos(u, v) lies in [0, 4]: a margin has the same meaning at every scale).

Run the checks with:  make test-lab LAB=2.4 EX=2
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """'none' -> the loss as it is, 'mean' or 'sum' -> its mean or sum, as torch.nn's losses do."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    return loss if reduction == "none" else getattr(loss, reduction)()


def pairwise_distances(emb: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Euclidean distances (B, B) between the rows of emb (B, D), from the Gram matrix:
    ||u - v|| ** 2 = ||u|| ** 2 + ||v|| ** 2 - 2 u.v, clamped at 0 (rounding makes it slightly
    negative), with an exact 0 diagonal. Equals ``torch.cdist(emb, emb)`` to rounding.
    The square root has an infinite derivative at 0: take it of max(d ** 2, eps) so that the
    gradient stays finite for coincident points, and put the exact zeros back after."""
    # TODO: squared norms, Gram matrix, clamp, zero diagonal; sqrt of clamp_min(eps), then the
    # TODO: entries whose squared distance was 0 set back to 0 (multiply by a mask).
    raise NotImplementedError("Exercise 2.1: implement pairwise_distances")


def contrastive_loss(x1: torch.Tensor, x2: torch.Tensor, similar: torch.Tensor, margin: float = 1.0,
                     reduction: str = "mean", eps: float = 1e-6) -> torch.Tensor:
    """Hadsell et al.'s loss on pairs of embeddings x1, x2 (N, D), similar (N,) bool:
    d = ||x1 - x2 + eps|| (``F.pairwise_distance``), loss = d**2 / 2 for similar pairs and
    max(0, margin - d) ** 2 / 2 for dissimilar ones. Reduction 'none' | 'mean' | 'sum'."""
    # TODO: the hinge is on the DISTANCE, max(0, margin - d), squared after: not margin - d ** 2.
    raise NotImplementedError("Exercise 2.2: implement contrastive_loss")


def triplet_margin_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False, reduction: str = "mean") -> torch.Tensor:
    """Equals ``nn.TripletMarginLoss(margin, p, eps, swap, reduction)(anchor, positive, negative)``
    for (N, D) or (D,) inputs: d(x, y) = ||x - y + eps||_p, loss = max(0, d(a, p) - d(a, n) + margin),
    with ``swap`` the negative distance min(d(a, n), d(p, n)). Write the distance yourself:
    F.pairwise_distance and F.triplet_margin_loss are what the tests compare with, off limits here."""
    # TODO: write d(x, y) yourself: (x - y + eps).abs().pow(p).sum(-1).pow(1 / p).
    raise NotImplementedError("Exercise 2.3: implement triplet_margin_loss")


def triplet_masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(positive (B, B), negative (B, B)) bool: positive[a, p] when labels match and a != p,
    negative[a, n] when labels differ."""
    # TODO: compare labels[:, None] with labels[None, :]; remove the diagonal from the positives.
    raise NotImplementedError("Exercise 2.4: implement triplet_masks")


def batch_all_triplet_loss(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.2,
                           normalize: bool = True) -> tuple[torch.Tensor, int]:
    """(loss, number of triplets with loss > 0) over every valid triplet of the batch:
    loss = mean of max(0, d(a, p) - d(a, n) + margin) over the triplets where it is > 0, and 0
    (a tensor connected to emb, so backward works) when none is. Distances from
    ``pairwise_distances`` of the (normalised) embeddings."""
    # TODO: a (B, B, B) tensor d[a, p, None] - d[a, None, n] + margin, masked to valid triplets.
    raise NotImplementedError("Exercise 2.5: implement batch_all_triplet_loss")


def batch_hard_triplet_loss(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.2,
                            normalize: bool = True) -> torch.Tensor:
    """Per anchor: hardest positive max_p d(a, p), hardest negative min_n d(a, n); the mean over
    anchors having both of max(0, hardest_pos - hardest_neg + margin); 0 (a tensor connected to
    emb, as in batch_all_triplet_loss) when no anchor has both."""
    # TODO: mask with -inf / +inf before max / min so other pairs cannot be chosen.
    raise NotImplementedError("Exercise 2.6: implement batch_hard_triplet_loss")


def semi_hard_triplets(emb: torch.Tensor, labels: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """(T, 3) long (anchor, positive, negative) indices, one row per (a, p) pair with a != p of the
    same class whose anchor has a negative, in row-major (a, p) order. The negative is the closest
    with d(a, n) > d(a, p); if none is farther than the positive, the farthest negative."""
    # TODO: for each pair: candidates = negatives with d(a, n) > d(a, p); argmin of d among them,
    # TODO: else argmax of d over all negatives. Vectorise over pairs with masked_fill.
    raise NotImplementedError("Exercise 2.7: implement semi_hard_triplets")


def semi_hard_triplet_loss(emb: torch.Tensor, labels: torch.Tensor, margin: float = 0.2,
                           normalize: bool = True) -> torch.Tensor:
    """Mean over the rows of ``semi_hard_triplets`` of max(0, d(a, p) - d(a, n) + margin); 0 (a
    tensor connected to emb) when there is no row."""
    raise NotImplementedError("Exercise 2.8: implement semi_hard_triplet_loss")
