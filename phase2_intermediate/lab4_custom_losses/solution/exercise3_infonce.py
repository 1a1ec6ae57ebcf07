"""Exercise 3: the InfoNCE family — InfoNCE, SimCLR's NT-Xent, CLIP's symmetric loss, and the
mutual-information bound behind them.

InfoNCE (van den Oord, Li & Vinyals 2018, "Representation Learning with Contrastive Predictive
Coding", eq. 4) is an N-way classification: a query must pick its positive key out of N keys,
the other N - 1 being negatives. With scores s_ij = f(x_i, y_j),

    L = -(1/N) sum_i log( exp(s_ii) / sum_j exp(s_ij) )  =  F.cross_entropy(S, arange(N))

and for any score function f, I(X; Y) >= log N - L (their eq. 5 and appendix; Poole et al. 2019).

* ``info_nce``: queries (N, D), keys (N, D), positives on the diagonal, cosine similarity
  divided by a temperature tau: s_ij = cos(q_i, k_j) / tau.
* ``nt_xent`` (SimCLR; Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
  Representations", eq. 1 and Algorithm 1): two views z1, z2 (N, D) of N examples, 2N embeddings
  in all. Each of the 2N is an anchor whose positive is the OTHER view of its example and whose
  negatives are the remaining 2N - 2 embeddings; its own similarity (always 1/tau) is excluded:
      l(i, j) = -log( exp(s_ij) / sum_(k != i) exp(s_ik) ),  L = mean over the 2N anchors.
* ``clip_loss`` (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
  Supervision", Figure 3): image and text embeddings (N, D), logits = scale * cos(img_i, txt_j),
  L = (CE(logits, arange N) + CE(logits.T, arange N)) / 2: images pick their text AND texts
  pick their image.

Run the checks with:  make test-lab LAB=2.4 EX=3
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def info_nce(queries: torch.Tensor, keys: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Mean over i of -log softmax_j(cos(q_i, k_j) / temperature)[i]: queries and keys (N, D),
    query i's positive is key i, the other N - 1 keys are its negatives."""
    # BEGIN SOLUTION
    # TODO: normalise both, a (N, N) matrix of similarities / temperature, cross-entropy with arange.
    q = F.normalize(queries, dim=1)
    k = F.normalize(keys, dim=1)
    logits = q @ k.T / temperature
    return F.cross_entropy(logits, torch.arange(len(q), device=q.device))
    # END SOLUTION


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's normalized temperature-scaled cross-entropy on two views z1, z2 (N, D).
    Anchor i in 0..2N-1 (rows of cat([z1, z2])) has positive (i + N) mod 2N, 2N - 2 negatives,
    and itself excluded from the denominator. Mean over the 2N anchors. N >= 1 (with N = 1 there
    are no negatives and the loss is 0)."""
    # BEGIN SOLUTION
    # TODO: cosine similarities of all 2N x 2N pairs / temperature; the diagonal to -inf (not 0:
    # TODO: exp(0) = 1 would still count); targets (i + N) mod 2N; cross-entropy.
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = (torch.arange(2 * n, device=z.device) + n) % (2 * n)
    return F.cross_entropy(logits, target)
    # END SOLUTION


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale: float | torch.Tensor = 1 / 0.07) -> torch.Tensor:
    """CLIP's symmetric contrastive loss: logits (N, N) = logit_scale * cos(image_i, text_j);
    the mean of the image->text and text->image cross-entropies with targets arange(N).
    ``logit_scale`` may be a learnable tensor (CLIP learns it as exp of a parameter)."""
    # BEGIN SOLUTION
    # TODO: one (N, N) logit matrix; rows are images choosing texts, columns texts choosing images.
    img = F.normalize(image_emb, dim=1)
    txt = F.normalize(text_emb, dim=1)
    logits = logit_scale * img @ txt.T
    target = torch.arange(len(img), device=img.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
    # END SOLUTION


def infonce_lower_bound(scores: torch.Tensor) -> torch.Tensor:
    """The InfoNCE estimate of mutual information, log N - L, from a critic's scores (N, N) with
    scores[i, j] = f(x_i, y_j) and the positive pairs on the diagonal. In nats; never above log N."""
    # BEGIN SOLUTION
    # TODO: the InfoNCE loss of the scores is a cross-entropy with targets arange(N).
    n = scores.shape[0]
    return math.log(n) - F.cross_entropy(scores, torch.arange(n, device=scores.device))
    # END SOLUTION


def gaussian_pairs(n: int, dim: int, rho: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y) (n, dim) float64: x ~ N(0, I), y = rho x + sqrt(1 - rho^2) eps, so each coordinate
    pair is standard bivariate normal with correlation rho. True I(X; Y) = -dim/2 log(1 - rho^2)."""
    x = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    e = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    return x, rho * x + math.sqrt(1.0 - rho * rho) * e


def gaussian_mi(dim: int, rho: float) -> float:
    """The true mutual information of ``gaussian_pairs`` in nats: -dim/2 * log(1 - rho^2)."""
    return -0.5 * dim * math.log(1.0 - rho * rho)


def optimal_gaussian_critic(x: torch.Tensor, y: torch.Tensor, rho: float) -> torch.Tensor:
    """Scores (N, N) of the optimal critic, the log density ratio f(x_i, y_j) = log p(y_j | x_i) / p(y_j)
    of ``gaussian_pairs``: -dim/2 log(1 - rho^2) - ||y_j - rho x_i||^2 / (2 (1 - rho^2)) + ||y_j||^2 / 2."""
    # BEGIN SOLUTION
    # TODO: ||y_j - rho x_i||^2 for all (i, j) pairs: torch.cdist(rho * x, y) ** 2, or expand the square.
    dim = x.shape[1]
    s2 = 1.0 - rho * rho
    sq = torch.cdist(rho * x, y) ** 2
    return -0.5 * dim * math.log(s2) - sq / (2.0 * s2) + 0.5 * (y * y).sum(dim=1)[None, :]
    # END SOLUTION
