# Exercise stub generated from solution/exercise5_evaluation.py by `make stubs` [fingerprint 928fd2398db6]
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
    # TODO: select the positives, compare their probabilities with the threshold (>=).
    raise NotImplementedError("Exercise 5.1: implement minority_recall")


def average_precision(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the precision-recall curve, equal to ``sklearn.metrics.average_precision_score
    (labels, scores)``: sum over the distinct thresholds, in decreasing order, of
    (R_k - R_(k-1)) * P_k. Tied scores form one threshold. nan without positives."""
    # TODO: sort by score descending; cumulative TP and FP; keep only the LAST position of each run
    # TODO: of tied scores (where the next score differs), so ties enter together.
    raise NotImplementedError("Exercise 5.2: implement average_precision")


def reliability_bins(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(confidence (M,), accuracy (M,), count (M,) long) per equal-width confidence bin, for probs
    (N, C) and labels (N,): bin m holds the examples with edges[m] < max_k p_k <= edges[m+1],
    edges = torch.linspace(0, 1, M + 1); confidence and accuracy are the bin's means (0 for an
    empty bin). What a reliability diagram plots."""
    # TODO: torch.bucketize(conf, inner_edges, right=False) puts conf in (edges[m], edges[m+1]].
    raise NotImplementedError("Exercise 5.3: implement reliability_bins")


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 15) -> float:
    """ECE = sum_m (|B_m| / N) |acc(B_m) - conf(B_m)| over ``reliability_bins``."""
    # TODO: weigh each bin by its count / N (an empty bin weighs 0), not by 1 / M.
    raise NotImplementedError("Exercise 5.4: implement expected_calibration_error")


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, max_iter: int = 100) -> float:
    """The T > 0 minimising F.cross_entropy(logits / T, labels) (the validation NLL): optimise
    log T (so T stays positive) with torch.optim.LBFGS from T = 1. At the optimum the derivative
    of the NLL in T is 0."""
    # TODO: a parameter log_t = zeros(()); LBFGS([log_t], max_iter=..., line_search_fn="strong_wolfe");
    # TODO: the closure zeroes the grad, computes the NLL of logits / exp(log_t), backward, returns it.
    raise NotImplementedError("Exercise 5.5: implement fit_temperature")


def recall_at_1(emb: torch.Tensor, labels: torch.Tensor) -> float:
    """Leave-one-out nearest-neighbour retrieval: for each row of emb (N, D) its most
    cosine-similar OTHER row; the fraction whose label matches. N >= 2."""
    # TODO: cosine similarity matrix, the diagonal to -inf (a point is its own nearest neighbour).
    raise NotImplementedError("Exercise 5.6: implement recall_at_1")


def pca_2d(x: torch.Tensor) -> torch.Tensor:
    """Projection (N, 2) of x (N, D) on its two principal directions (the top right-singular
    vectors of the centred data), the first column of largest variance. Signs are arbitrary
    (as in sklearn.decomposition.PCA up to sign)."""
    # TODO: centre the columns first; torch.linalg.svd(..., full_matrices=False) gives Vh.
    raise NotImplementedError("Exercise 5.7: implement pca_2d")
