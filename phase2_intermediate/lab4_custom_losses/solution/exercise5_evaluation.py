"""Exercise 5: what the losses buy, measured — minority recall, PR-AUC, calibration, retrieval.

A loss is judged by what it does to the numbers a user of the model cares about:

* minority recall = TP / (TP + FN) of the rare class at a fixed threshold: the fraction of rare
  cases the model catches;
* average precision (the area under the precision-recall curve as scikit-learn computes it):
      AP = sum_k (R_k - R_(k-1)) * P_k
  over the distinct score thresholds in decreasing order, P_k and R_k the precision and recall
  when every example scoring >= the k-th threshold is called positive, R_0 = 0. TIED scores are
  one threshold (they enter together). Unlike accuracy, AP does not reward predicting the
  majority class: a random ranking scores the positive rate, a perfect one 1;
* expected calibration error (Naeini et al. 2015; Guo et al. 2017, "On Calibration of Modern
  Neural Networks", section 2), with M equal-width bins of the confidence c = max_k p_k,
  bin m = (edges[m], edges[m+1]] for edges = torch.linspace(0, 1, M + 1):
      ECE = sum_m (|B_m| / N) * |acc(B_m) - conf(B_m)|
  every bin weighted by the fraction of examples in it, empty bins contributing nothing;
* temperature scaling (Guo et al. 2017, section 4.2): one scalar T > 0 fitted on a held-out
  split by minimising the NLL of softmax(logits / T); argmax, hence accuracy, cannot change;
* recall@1 of nearest-neighbour retrieval: each query's nearest OTHER embedding (cosine) has
  its label; the fraction of queries where it is right.

Run the checks with:  make test-lab LAB=2.4 EX=5
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def minority_recall(probs: torch.Tensor, labels: torch.Tensor, threshold: float = 0.5) -> float:
    """Recall of class 1: among examples with label 1, the fraction with probs >= threshold.
    nan when there is no positive example."""
    # BEGIN SOLUTION
    # TODO: select the positives, compare their probabilities with the threshold (>=).
    pos = labels == 1
    if not pos.any():
        return math.nan
    return float((probs[pos] >= threshold).double().mean())
    # END SOLUTION


def average_precision(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the precision-recall curve, equal to ``sklearn.metrics.average_precision_score
    (labels, scores)``: sum over the distinct thresholds, in decreasing order, of
    (R_k - R_(k-1)) * P_k. Tied scores form one threshold. nan without positives."""
    # BEGIN SOLUTION
    # TODO: sort by score descending; cumulative TP and FP; keep only the LAST position of each run
    # TODO: of tied scores (where the next score differs), so ties enter together.
    y = labels.double()
    n_pos = float(y.sum())
    if n_pos == 0:
        return math.nan
    order = torch.argsort(scores, descending=True, stable=True)
    s, y = scores[order], y[order]
    tp = torch.cumsum(y, 0)
    fp = torch.cumsum(1 - y, 0)
    last = torch.ones_like(s, dtype=torch.bool)
    last[:-1] = s[1:] != s[:-1]
    tp, fp = tp[last], fp[last]
    precision = tp / (tp + fp)
    recall = tp / n_pos
    previous = torch.cat([recall.new_zeros(1), recall[:-1]])
    return float(((recall - previous) * precision).sum())
    # END SOLUTION


def reliability_bins(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(confidence (M,), accuracy (M,), count (M,) long) per equal-width confidence bin, for probs
    (N, C) and labels (N,): bin m holds the examples with edges[m] < max_k p_k <= edges[m+1],
    edges = torch.linspace(0, 1, M + 1); confidence and accuracy are the bin's means (0 for an
    empty bin). What a reliability diagram plots."""
    # BEGIN SOLUTION
    # TODO: torch.bucketize(conf, inner_edges, right=False) puts conf in (edges[m], edges[m+1]].
    conf, pred = probs.max(dim=1)
    correct = (pred == labels).to(probs.dtype)
    edges = torch.linspace(0, 1, n_bins + 1, dtype=probs.dtype)
    m = torch.bucketize(conf, edges[1:-1], right=False)
    count = torch.bincount(m, minlength=n_bins)
    sum_conf = torch.zeros(n_bins, dtype=probs.dtype).index_add_(0, m, conf)
    sum_acc = torch.zeros(n_bins, dtype=probs.dtype).index_add_(0, m, correct)
    denom = count.clamp_min(1).to(probs.dtype)
    return sum_conf / denom, sum_acc / denom, count
    # END SOLUTION


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> float:
    """ECE = sum_m (|B_m| / N) |acc(B_m) - conf(B_m)| over ``reliability_bins``."""
    # BEGIN SOLUTION
    # TODO: weigh each bin by its count / N (an empty bin weighs 0), not by 1 / M.
    conf, acc, count = reliability_bins(probs, labels, n_bins)
    weight = count.to(conf.dtype) / count.sum()
    return float((weight * (acc - conf).abs()).sum())
    # END SOLUTION


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 100) -> float:
    """The T > 0 minimising F.cross_entropy(logits / T, labels) (the validation NLL): optimise
    log T (so T stays positive) with torch.optim.LBFGS from T = 1. At the optimum the derivative
    of the NLL in T is 0."""
    # BEGIN SOLUTION
    # TODO: a parameter log_t = zeros(()); LBFGS([log_t], max_iter=..., line_search_fn="strong_wolfe");
    # TODO: the closure zeroes the grad, computes the NLL of logits / exp(log_t), backward, returns it.
    logits = logits.detach().double()
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())
    # END SOLUTION


def recall_at_1(emb: torch.Tensor, labels: torch.Tensor) -> float:
    """Leave-one-out nearest-neighbour retrieval: for each row of emb (N, D) its most
    cosine-similar OTHER row; the fraction whose label matches. N >= 2."""
    # BEGIN SOLUTION
    # TODO: cosine similarity matrix, the diagonal to -inf (a point is its own nearest neighbour).
    z = F.normalize(emb.double(), dim=1)
    sim = (z @ z.T).fill_diagonal_(float("-inf"))
    return float((labels[sim.argmax(dim=1)] == labels).double().mean())
    # END SOLUTION


def pca_2d(x: torch.Tensor) -> torch.Tensor:
    """Projection (N, 2) of x (N, D) on its two principal directions (the top right-singular
    vectors of the centred data), the first column of largest variance. Signs are arbitrary
    (as in sklearn.decomposition.PCA up to sign)."""
    # BEGIN SOLUTION
    # TODO: centre the columns first; torch.linalg.svd(..., full_matrices=False) gives Vh.
    c = x - x.mean(dim=0)
    _, _, vh = torch.linalg.svd(c, full_matrices=False)
    return c @ vh[:2].T
    # END SOLUTION
