"""Grader of lab 2.4 (custom losses): losses for imbalanced classes (the focal loss against
torchvision.ops.sigmoid_focal_loss, class-balanced weights from the effective number of samples,
soft-target and label-smoothed cross-entropy against F.cross_entropy, all stable at logits of
+-100); metric learning (contrastive and triplet losses against nn.TripletMarginLoss and a
brute-force loop, batch-all, batch-hard and semi-hard mining against a loop over every triplet);
InfoNCE, NT-Xent and the CLIP loss against loop references, and the mutual-information bound;
a custom torch.autograd.Function checked with gradcheck, and ranking losses against
nn.MarginRankingLoss and ListNet; evaluation (minority recall, average precision against
scikit-learn, the expected calibration error and its reliability bins, temperature scaling,
recall@1).

Every test names the behaviour it checks and compares your code with PyTorch's (or torchvision's,
or scikit-learn's) own implementation wherever one exists, and with the definition itself,
computed here in float64 by a short loop, where none does. Run it on your exercises with

    make test-lab LAB=2.4          (EX=1 for exercise 1 only)
"""
from __future__ import annotations

import itertools
import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, recall_score
from sklearn.neighbors import NearestNeighbors
from torch import nn
from torch.autograd.gradcheck import GradcheckError
from torchvision.ops import sigmoid_focal_loss

from shared.devices import tolerances
from shared.grading import Lab, close, expect_raises, forbid
from shared.memory import track_tensor_memory

lab = Lab("phase2_intermediate/lab4_custom_losses")

F32 = tolerances("cpu", torch.float32)
F64 = tolerances("cpu", torch.float64)


# ---- Exercise 1: losses for imbalanced classes ---------------------------------------------------
#
# torchvision.ops.sigmoid_focal_loss and F.cross_entropy (weight=, label_smoothing=, probability
# targets) are the oracles; where none exists (the multi-class focal loss, class-balanced weights)
# the formula is computed here in float64. Extreme logits (+-100, +-1000) in float32 are compared
# with the float64 value: a loss built as sigmoid(x).log() or softmax(x).log() gives inf or nan there.

_E1_NO_TORCHVISION = dict(why="Exercise 1.1 asks you to write the focal loss yourself; "
                              "torchvision.ops.sigmoid_focal_loss is the oracle the tests compare with")
_E1_NO_CE = dict(why="Exercise 1 asks you to write the soft-target cross-entropy from log_softmax; "
                     "F.cross_entropy is the oracle the tests compare with")


def _e1_binary(*args, **kwargs):
    """The learner's binary_focal_loss, with torchvision's off limits."""
    ex = lab.exercise(1)
    with forbid("torchvision.ops.sigmoid_focal_loss", "torchvision.ops.focal_loss.sigmoid_focal_loss",
                **_E1_NO_TORCHVISION):
        return ex.binary_focal_loss(*args, **kwargs)


def _e1_soft_ce(*args, **kwargs):
    ex = lab.exercise(1)
    with forbid("torch.nn.functional.cross_entropy", **_E1_NO_CE):
        return ex.soft_cross_entropy(*args, **kwargs)


def _e1_focal_formula(logits: torch.Tensor, target: torch.Tensor, gamma: float, weight=None,
                      reduction: str = "mean") -> torch.Tensor:
    """-w_y (1 - p_y)^gamma log p_y in float64, reduced as F.cross_entropy does with weight."""
    logp = F.log_softmax(logits.double(), dim=1)[torch.arange(len(target)), target]
    w = torch.ones_like(logp) if weight is None else weight.double()[target]
    loss = -w * (1 - logp.exp()) ** gamma * logp
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


@pytest.mark.exercise(1)
class TestBinaryFocalLoss:
    def test_matches_torchvision_for_every_alpha_gamma_reduction_and_shape(self):
        g = torch.Generator().manual_seed(1)
        shapes = [(13,), (1,), (2, 3, 5)]
        for shape, alpha, gamma, reduction in itertools.product(shapes, (0.25, 0.75, -1.0, 0.0, 1.0),
                                                                (0.0, 0.5, 1.0, 2.0, 5.0), ("none", "mean", "sum")):
            x = (3 * torch.randn(shape, generator=g, dtype=torch.float64)).requires_grad_()
            hard = torch.randint(0, 2, shape, generator=g).double()
            soft = torch.rand(shape, generator=g, dtype=torch.float64)
            for t, kind in ((hard, "0/1"), (soft, "soft")):
                got = _e1_binary(x, t, alpha=alpha, gamma=gamma, reduction=reduction)
                want = sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, reduction=reduction)
                call = (f"binary_focal_loss(logits {tuple(shape)}, {kind} targets, alpha={alpha}, gamma={gamma}, "
                        f"reduction={reduction!r})")
                close(got, want, f"{call} differs from torchvision.ops.sigmoid_focal_loss", **F64)
                if reduction != "mean":
                    continue  # the gradients of the other reductions differ from these by a constant factor
                (g_got,) = torch.autograd.grad(got.sum(), x)
                (g_want,) = torch.autograd.grad(want.sum(), x)
                close(g_got, g_want, f"the gradient of {call} differs from torchvision's", **F64)

    def test_gamma_zero_without_alpha_is_binary_cross_entropy_on_non_contiguous_input(self):
        x = (4 * torch.randn(7, 4, dtype=torch.float64)).T  # a transposed, non-contiguous view
        t = torch.rand(7, 4, dtype=torch.float64).T
        for reduction in ("none", "mean", "sum"):
            got = _e1_binary(x, t, alpha=-1.0, gamma=0.0, reduction=reduction)
            close(got, F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
                  f"binary_focal_loss(x (4, 7) non-contiguous, t, alpha=-1, gamma=0, reduction={reduction!r}) should be "
                  "plain binary cross-entropy, F.binary_cross_entropy_with_logits", **F64)

    def test_finite_and_exact_at_logits_of_100_and_1000_in_float32(self):
        x64 = torch.tensor([100.0, -100.0, 1000.0, -1000.0, 30.0, -30.0], dtype=torch.float64)
        for alpha, gamma in ((0.25, 2.0), (-1.0, 0.0), (0.75, 1.0)):
            for t_value in (0.0, 1.0, 0.3):
                t64 = torch.full_like(x64, t_value)
                want = sigmoid_focal_loss(x64.clone().requires_grad_(), t64, alpha=alpha, gamma=gamma)
                x32 = x64.float().requires_grad_()
                got = _e1_binary(x32, t64.float(), alpha=alpha, gamma=gamma)
                call = f"binary_focal_loss(logits {x64.tolist()} float32, targets {t_value}, alpha={alpha}, gamma={gamma})"
                assert torch.isfinite(got).all(), (
                    f"{call} returned {got.tolist()}: not finite. log p = sigmoid(x).log() is log 0 = -inf once "
                    "sigmoid underflows, and 1 - sigmoid(100) is exactly 0 in float32; use F.logsigmoid(x) for "
                    "log p and F.logsigmoid(-x) for log(1 - p), and sigmoid(-x) for 1 - p")
                close(got.double(), want.detach(), f"{call} differs from the float64 value", **F32)
                (grad,) = torch.autograd.grad(got.sum(), x32)
                assert torch.isfinite(grad).all(), (
                    f"the gradient of {call} is {grad.tolist()}: not finite. Build the loss from F.logsigmoid "
                    "and sigmoid(-x), not from sigmoid(x).log() or (1 - sigmoid(x)).log()")
                x_ref = x64.clone().requires_grad_()
                (g_want,) = torch.autograd.grad(
                    sigmoid_focal_loss(x_ref, t64, alpha=alpha, gamma=gamma).sum(), x_ref)
                close(grad.double(), g_want, f"the gradient of {call} differs from the float64 one", **F32)

    def test_a_confidently_right_negative_has_a_tiny_loss(self):
        # t = 0, logit -5: p = 0.0067 is the probability of the WRONG answer, so (1 - p_t)^2 = p^2.
        x, t = torch.tensor([-5.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)
        got = float(_e1_binary(x, t, alpha=-1.0, gamma=2.0))
        p = 1 / (1 + math.exp(5.0))
        want = p**2 * -math.log1p(-p)
        assert math.isclose(got, want, rel_tol=1e-9), (
            f"binary_focal_loss(logit -5, target 0, alpha=-1, gamma=2) = {got:.3g}; the focal loss of this "
            f"confidently right negative is p^2 * ce = {want:.3g}. The modulating factor is (1 - p_t)^gamma with "
            "p_t the probability of the TRUE class (1 - p for a negative), not (1 - p)^gamma")

    def test_alpha_weighs_positives_and_one_minus_alpha_the_negatives(self):
        x = torch.tensor([1.5, -1.5], dtype=torch.float64)  # a positive and a negative, mirrored
        t = torch.tensor([1.0, 0.0], dtype=torch.float64)
        for alpha in (0.25, 0.9):
            loss = _e1_binary(x, t, alpha=alpha, gamma=2.0)
            ratio = float(loss[0] / loss[1])
            assert math.isclose(ratio, alpha / (1 - alpha), rel_tol=1e-9), (
                f"binary_focal_loss(logits [1.5, -1.5], targets [1, 0], alpha={alpha}): the positive's loss over "
                f"the mirrored negative's is {ratio:.4g}, expected alpha / (1 - alpha) = {alpha / (1 - alpha):.4g}: "
                "alpha weighs the positives, 1 - alpha the negatives")


@pytest.mark.exercise(1)
class TestFocalLoss:
    def test_gamma_zero_is_cross_entropy_for_every_reduction_with_and_without_weight(self):
        g = torch.Generator().manual_seed(2)
        for n, c in ((9, 4), (1, 3), (16, 2)):
            x = torch.randn(n, c, generator=g, dtype=torch.float64).requires_grad_()
            y = torch.randint(0, c, (n,), generator=g)
            w = torch.rand(c, generator=g, dtype=torch.float64) + 0.1
            for weight, reduction in itertools.product((None, w), ("none", "mean", "sum")):
                got = lab.exercise(1).focal_loss(x, y, gamma=0.0, weight=weight, reduction=reduction)
                want = F.cross_entropy(x, y, weight=weight, reduction=reduction)
                call = (f"focal_loss(logits ({n}, {c}), target, gamma=0, weight={'w' if weight is not None else None}, "
                        f"reduction={reduction!r})")
                close(got, want, f"{call} should equal F.cross_entropy with the same weight and reduction", **F64)
                (g_got,) = torch.autograd.grad(got.sum(), x)
                (g_want,) = torch.autograd.grad(want.sum(), x)
                close(g_got, g_want, f"the gradient of {call} differs from F.cross_entropy's", **F64)

    def test_matches_the_per_example_formula_and_its_gradient(self):
        g = torch.Generator().manual_seed(3)
        x = (2 * torch.randn(11, 5, generator=g, dtype=torch.float64)).requires_grad_()
        y = torch.randint(0, 5, (11,), generator=g)
        w = torch.rand(5, generator=g, dtype=torch.float64) + 0.1
        for gamma, weight, reduction in itertools.product((2.0, 0.5, 5.0), (None, w), ("none", "mean", "sum")):
            got = lab.exercise(1).focal_loss(x, y, gamma=gamma, weight=weight, reduction=reduction)
            want = _e1_focal_formula(x, y, gamma, weight, reduction)
            call = (f"focal_loss(logits (11, 5), target, gamma={gamma}, weight={'w' if weight is not None else None}, "
                    f"reduction={reduction!r})")
            close(got, want, f"{call} differs from -w_y (1 - p_y)^gamma log p_y", **F64)
            (g_got,) = torch.autograd.grad(got.sum(), x)
            (g_want,) = torch.autograd.grad(want.sum(), x)
            close(g_got, g_want, f"the gradient of {call} differs from the formula's", **F64)

    def test_mean_with_weights_divides_by_the_summed_weights_of_the_targets(self):
        x = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
        y = torch.tensor([0, 1, 1])
        w = torch.tensor([3.0, 0.5], dtype=torch.float64)
        got = float(lab.exercise(1).focal_loss(x, y, gamma=2.0, weight=w, reduction="mean"))
        total = float(lab.exercise(1).focal_loss(x, y, gamma=2.0, weight=w, reduction="sum"))
        assert math.isclose(got, total / 4.0, rel_tol=1e-9), (
            f"focal_loss(..., weight=[3, 0.5], reduction='mean') with targets [0, 1, 1] = {got:.6g}; the sum is "
            f"{total:.6g}, and 'mean' divides it by the summed weights of the targets, 3 + 0.5 + 0.5 = 4, as "
            f"F.cross_entropy does (= {total / 4:.6g}), not by N = 3 (= {total / 3:.6g})")

    def test_discounts_each_example_by_exactly_one_minus_p_true_to_the_gamma(self):
        x = torch.tensor([[4.0, 0.0, -1.0], [0.0, 0.5, 0.0], [-2.0, 3.0, 1.0]], dtype=torch.float64)
        y = torch.tensor([0, 1, 0])
        p_y = F.softmax(x, dim=1)[torch.arange(3), y]
        ce = F.cross_entropy(x, y, reduction="none")
        for gamma in (1.0, 2.0):
            fl = lab.exercise(1).focal_loss(x, y, gamma=gamma, reduction="none")
            close(fl / ce, (1 - p_y) ** gamma,
                  f"focal_loss(..., gamma={gamma}, reduction='none') / cross-entropy should be (1 - p_y)^gamma "
                  f"for p_y = {[round(v, 4) for v in p_y.tolist()]}: the well-classified first example the most "
                  "discounted", **F64)

    def test_finite_and_exact_at_logits_of_100_and_1000_in_float32(self):
        for scale in (100.0, 1000.0):
            x64 = torch.tensor([[1.0, -1.0, 0.0], [-1.0, 1.0, -1.0], [1.0, 1.0, -1.0]], dtype=torch.float64) * scale
            y = torch.tensor([1, 1, 2])  # a badly wrong one, a right one, a wrong one
            for gamma in (0.0, 2.0):
                x32 = x64.float().requires_grad_()
                got = lab.exercise(1).focal_loss(x32, y, gamma=gamma, reduction="none")
                call = f"focal_loss(logits of +-{scale:g} float32, gamma={gamma}, reduction='none')"
                assert torch.isfinite(got).all(), (
                    f"{call} returned {got.tolist()}: not finite. softmax(x).log() is log 0 = -inf once the "
                    "softmax underflows; take log p from F.log_softmax, and p_y = exp(log p_y)")
                x_ref = x64.clone().requires_grad_()
                want = _e1_focal_formula(x_ref, y, gamma, reduction="none")
                close(got.double(), want.detach(), f"{call} differs from the float64 value", **F32)
                (grad,) = torch.autograd.grad(got.sum(), x32)
                (g_want,) = torch.autograd.grad(want.sum(), x_ref)
                assert torch.isfinite(grad).all(), f"the gradient of {call} is not finite: {grad.tolist()}"
                close(grad.double(), g_want, f"the gradient of {call} differs from the float64 one", **F32)


def _e1_balanced_exact(counts: list[int], beta: float) -> list[float]:
    """The class-balanced weights in 60-digit decimal arithmetic, from the float beta exactly."""
    with localcontext() as ctx:
        ctx.prec = 60
        b = Decimal(beta)
        inv = [(1 - b) / (1 - b ** int(n)) for n in counts]  # 1 / E_n
        total = sum(inv)
        return [float(v * len(counts) / total) for v in inv]


@pytest.mark.exercise(1)
class TestClassBalancedWeights:
    def test_matches_the_effective_number_formula(self):
        for counts, beta in (([10, 100, 1000], 0.9), ([10, 100, 1000], 0.99), ([5000, 300, 20, 1], 0.999),
                             ([7, 7], 0.5), ([1, 2, 3], 0.3)):
            got = lab.exercise(1).class_balanced_weights(counts, beta)
            want = torch.tensor(_e1_balanced_exact(counts, beta), dtype=torch.float64)
            close(got, want, f"class_balanced_weights({counts}, beta={beta}) is wrong: w_c is proportional to "
                             "1 / E_(n_c) = (1 - beta) / (1 - beta ** n_c), normalised to sum to C",
                  rtol=1e-12, atol=0.0)

    def test_rarer_classes_weigh_more_and_the_weights_sum_to_the_number_of_classes(self):
        counts = [900, 90, 9, 1]
        w = lab.exercise(1).class_balanced_weights(counts, 0.99)
        assert all(w[i] < w[i + 1] for i in range(3)), (
            f"class_balanced_weights({counts}, 0.99) = {w.tolist()}: the rarer class must weigh more "
            "(weights are 1 / E_n, not E_n)")
        assert math.isclose(float(w.sum()), 4.0, rel_tol=1e-12), (
            f"class_balanced_weights({counts}, 0.99) sums to {float(w.sum()):.6g}; normalise the weights "
            "so they sum to the number of classes, 4")

    def test_returns_float64_of_shape_c_from_a_list_or_a_tensor(self):
        for counts in ([3, 5, 8], torch.tensor([3, 5, 8])):
            w = lab.exercise(1).class_balanced_weights(counts, 0.9)
            assert isinstance(w, torch.Tensor) and w.dtype == torch.float64 and w.shape == (3,), (
                f"class_balanced_weights({counts!r}, 0.9) returned {w!r}; expected a float64 tensor of shape (3,)")

    def test_beta_zero_gives_equal_weights(self):
        w = lab.exercise(1).class_balanced_weights([1000, 10, 1], 0.0)
        close(w, torch.ones(3, dtype=torch.float64),
              "class_balanced_weights([1000, 10, 1], beta=0) should be all ones (E_n = 1 for every class)",
              rtol=1e-12, atol=0.0)

    def test_beta_near_one_approaches_normalised_inverse_frequency(self):
        counts = [1000, 10, 1]
        w = lab.exercise(1).class_balanced_weights(counts, 1 - 1e-9)
        inv = torch.tensor([1 / n for n in counts], dtype=torch.float64)
        close(w, inv * 3 / inv.sum(), f"class_balanced_weights({counts}, beta=1 - 1e-9) should be close to the "
                                      "normalised inverse frequencies (E_n -> n as beta -> 1)", rtol=1e-5, atol=0.0)

    def test_accurate_for_large_counts_with_beta_very_near_one(self):
        # beta ** n itself is accurate here; 1 - beta ** n then cancels, and only expm1/log1p keep every digit.
        for counts, beta in (([10**9, 10], 1 - 1e-12), ([10**6, 10**4, 3], 1 - 1e-10), ([10**9, 10, 1], 1 - 1e-12),
                             ([10, 1], 1 - 2**-40)):
            got = lab.exercise(1).class_balanced_weights(counts, beta)
            want = torch.tensor(_e1_balanced_exact(counts, beta), dtype=torch.float64)
            assert torch.isfinite(got).all(), f"class_balanced_weights({counts}, {beta!r}) = {got.tolist()}: not finite"
            close(got, want, f"class_balanced_weights({counts}, beta={beta!r}) loses digits: 1 - beta ** n "
                             "cancels for beta near 1; compute it as -expm1(n * log1p(beta - 1))",
                  rtol=1e-13, atol=0.0)

    def test_rejects_a_beta_outside_zero_one_and_a_zero_count(self):
        f = lab.exercise(1).class_balanced_weights
        for beta in (-0.1, 1.0, 1.5):
            with expect_raises(ValueError, f"class_balanced_weights([10, 5], beta={beta})", "beta must be in [0, 1)"):
                f([10, 5], beta)
        with expect_raises(ValueError, "class_balanced_weights([10, 0, 5], 0.9)",
                           "a class with no samples has no effective number"):
            f([10, 0, 5], 0.9)


@pytest.mark.exercise(1)
class TestSoftTargets:
    def test_smoothed_targets_put_one_minus_eps_plus_eps_over_c_on_the_true_class(self):
        y = torch.tensor([2, 0, 3, 3])
        for eps, dtype in ((0.1, torch.float32), (0.3, torch.float64), (0.0, torch.float64)):
            q = lab.exercise(1).smoothed_targets(y, 5, eps, dtype=dtype)
            want = torch.full((4, 5), eps / 5, dtype=torch.float64)
            want[torch.arange(4), y] = 1 - eps + eps / 5
            assert q.dtype == dtype and q.shape == (4, 5), (
                f"smoothed_targets(y (4,), 5, {eps}, dtype={dtype}) returned {q.dtype} {tuple(q.shape)}; "
                f"expected {dtype} (4, 5)")
            close(q.double(), want, f"smoothed_targets(y, 5, {eps}) is wrong: the true class gets (1 - eps) + eps/C, "
                                    "every class (the true one included) eps/C, as F.cross_entropy's label_smoothing",
                  **(F64 if dtype == torch.float64 else F32))
            close(q.double().sum(1), torch.ones(4, dtype=torch.float64),
                  f"the rows of smoothed_targets(y, 5, {eps}) should sum to 1", **F32)

    def test_soft_cross_entropy_matches_f_cross_entropy_with_probability_targets(self):
        g = torch.Generator().manual_seed(4)
        for n, c in ((8, 5), (1, 3)):
            x = torch.randn(n, c, generator=g, dtype=torch.float64).requires_grad_()
            q = torch.softmax(2 * torch.randn(n, c, generator=g, dtype=torch.float64), dim=1)
            for reduction in ("none", "mean", "sum"):
                got = _e1_soft_ce(x, q, reduction=reduction)
                want = F.cross_entropy(x, q, reduction=reduction)
                call = f"soft_cross_entropy(logits ({n}, {c}), probs, reduction={reduction!r})"
                close(got, want, f"{call} differs from F.cross_entropy(logits, probs)", **F64)
                (g_got,) = torch.autograd.grad(got.sum(), x)
                (g_want,) = torch.autograd.grad(want.sum(), x)
                close(g_got, g_want, f"the gradient of {call} differs from F.cross_entropy's", **F64)

    def test_with_smoothed_targets_equals_label_smoothing(self):
        g = torch.Generator().manual_seed(5)
        x = torch.randn(10, 6, generator=g, dtype=torch.float64)
        y = torch.randint(0, 6, (10,), generator=g)
        for eps in (0.1, 0.25):
            q = lab.exercise(1).smoothed_targets(y, 6, eps, dtype=torch.float64)
            got = _e1_soft_ce(x, q)
            want = F.cross_entropy(x, y, label_smoothing=eps)
            close(got, want, f"soft_cross_entropy(x, smoothed_targets(y, 6, {eps})) differs from "
                             f"F.cross_entropy(x, y, label_smoothing={eps}): PyTorch spreads eps/C over EVERY class, "
                             "the true one included (not eps/(C - 1) over the others)", **F64)

    def test_finite_and_exact_at_logits_of_100_in_float32(self):
        x64 = torch.tensor([[100.0, -100.0, 0.0], [-100.0, 100.0, 50.0]], dtype=torch.float64)
        q64 = torch.tensor([[0.1, 0.8, 0.1], [0.5, 0.25, 0.25]], dtype=torch.float64)
        x32 = x64.float().requires_grad_()
        got = _e1_soft_ce(x32, q64.float(), reduction="none")
        assert torch.isfinite(got).all(), (
            f"soft_cross_entropy(logits of +-100 float32, probs) returned {got.tolist()}: not finite. "
            "softmax(x).log() is log 0 = -inf once the softmax underflows; use F.log_softmax")
        close(got.double(), F.cross_entropy(x64, q64, reduction="none"),
              "soft_cross_entropy(logits of +-100 float32, probs) differs from the float64 value", **F32)
        (grad,) = torch.autograd.grad(got.sum(), x32)
        assert torch.isfinite(grad).all(), f"the gradient of soft_cross_entropy at logits of +-100 is {grad.tolist()}"


@pytest.mark.exercise(1)
class TestFocalModulationTable:
    def test_rows_hold_p_ce_focal_loss_and_their_ratio(self):
        p_true = [0.5, 0.9, 0.99, 0.2]
        for gamma in (2.0, 1.0):
            rows = lab.exercise(1).focal_modulation_table(p_true, gamma)
            assert len(rows) == len(p_true), f"focal_modulation_table({p_true}, {gamma}) returned {len(rows)} rows"
            for p, row in zip(p_true, rows):
                ce = -math.log(p)
                want = (p, ce, (1 - p) ** gamma * ce, (1 - p) ** -gamma)
                assert len(row) == 4 and all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(row, want)), (
                    f"focal_modulation_table([.., {p}, ..], gamma={gamma}) row is {row}; expected (p_t, -log p_t, "
                    f"-(1 - p_t)^gamma log p_t, (1 - p_t)^-gamma) = {want}")


# ---- Exercise 2: metric learning ------------------------------------------------------------------
#
# torch.cdist and nn.TripletMarginLoss are the oracles where they exist; the contrastive loss and the
# three minings are compared with a float64 loop over every pair or triplet, written from the
# definitions in the exercise's docstring.

_E2_NO_TRIPLET = dict(why="Exercise 2 asks you to compute the triplet loss and its distances by hand; "
                          "nn.TripletMarginLoss is the oracle the tests compare with")
_E2_TRIPLET_SHORTCUTS = ("torch.nn.functional.triplet_margin_loss", "torch.triplet_margin_loss",
                         "torch.nn.functional.pairwise_distance", "torch.pairwise_distance",
                         "torch.nn.functional.triplet_margin_with_distance_loss")


def _e2_triplet(*args, **kwargs):
    ex = lab.exercise(2)
    with forbid(*_E2_TRIPLET_SHORTCUTS, **_E2_NO_TRIPLET):
        return ex.triplet_margin_loss(*args, **kwargs)


def _e2_distances(emb: torch.Tensor, normalize: bool) -> list[list[float]]:
    """d[i][j] = ||x_i - x_j|| in float64, one pair at a time, x the (normalised) embeddings."""
    x = emb.double()
    if normalize:
        x = x / x.norm(dim=1, keepdim=True)
    return [[float((x[i] - x[j]).norm()) for j in range(len(x))] for i in range(len(x))]


def _e2_batch(seed: int, b: int = 10, dim: int = 4, classes: int = 3, singleton: bool = True):
    """Random embeddings (B, D) float64 and labels with every class present; label 99 has one sample."""
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(b, dim, generator=g, dtype=torch.float64)
    labels = torch.arange(b) % classes
    labels = labels[torch.randperm(b, generator=g)]
    if singleton:
        labels[0] = 99
    return emb, labels


def _e2_batch_all_loop(emb, labels, margin, normalize):
    d, lab_ = _e2_distances(emb, normalize), labels.tolist()
    losses = [d[a][p] - d[a][n] + margin for a, p, n in itertools.product(range(len(lab_)), repeat=3)
              if a != p and lab_[a] == lab_[p] and lab_[n] != lab_[a]]
    active = [v for v in losses if v > 0]
    return (sum(active) / len(active) if active else 0.0), len(active), len(losses)


def _e2_batch_hard_loop(emb, labels, margin, normalize):
    d, lab_ = _e2_distances(emb, normalize), labels.tolist()
    per_anchor = []
    for a in range(len(lab_)):
        pos = [d[a][p] for p in range(len(lab_)) if p != a and lab_[p] == lab_[a]]
        neg = [d[a][n] for n in range(len(lab_)) if lab_[n] != lab_[a]]
        if pos and neg:
            per_anchor.append(max(0.0, max(pos) - min(neg) + margin))
    return sum(per_anchor) / len(per_anchor)


def _e2_semi_hard_loop(emb, labels, normalize):
    d, lab_ = _e2_distances(emb, normalize), labels.tolist()
    rows = []
    for a in range(len(lab_)):
        neg = [n for n in range(len(lab_)) if lab_[n] != lab_[a]]
        if not neg:
            continue
        for p in range(len(lab_)):
            if p == a or lab_[p] != lab_[a]:
                continue
            farther = [n for n in neg if d[a][n] > d[a][p]]
            n = min(farther, key=lambda k: d[a][k]) if farther else max(neg, key=lambda k: d[a][k])
            rows.append((a, p, n))
    return rows, d


@pytest.mark.exercise(2)
class TestPairwiseDistances:
    def test_matches_torch_cdist(self):
        g = torch.Generator().manual_seed(6)
        for b, dim in ((7, 5), (1, 3), (4, 1), (12, 33)):
            emb = 3 * torch.randn(b, dim, generator=g, dtype=torch.float64)
            with forbid("torch.cdist", why="exercise 2 asks for the distances from the Gram matrix, "
                                           "||u||^2 + ||v||^2 - 2 u.v; torch.cdist is the oracle the tests compare with"):
                got = lab.exercise(2).pairwise_distances(emb)
            close(got, torch.cdist(emb, emb), f"pairwise_distances(emb ({b}, {dim})) differs from torch.cdist(emb, emb)",
                  rtol=1e-10, atol=1e-10)

    def test_diagonal_is_exactly_zero_and_no_distance_is_negative(self):
        g = torch.Generator().manual_seed(7)
        emb = 1000 + torch.randn(9, 6, generator=g)  # large norms: the Gram formula rounds to small negatives
        emb[4] = emb[1]  # a duplicate and three near-duplicates, whose squared distances round below 0
        emb[5] = emb[2] + 1e-3 * torch.randn(6, generator=g)
        emb[6] = emb[3] + 1e-3
        emb[7] = emb[0] - 1e-3
        d = lab.exercise(2).pairwise_distances(emb)
        assert torch.isfinite(d).all(), f"pairwise_distances(emb far from the origin) has non-finite values:\n{d}"
        assert (d.diagonal() == 0).all(), (
            f"pairwise_distances(emb (9, 6)).diagonal() = {d.diagonal().tolist()}; the distance of a point to "
            "itself must be exactly 0 (set the diagonal to 0, and put back the zeros the eps clamp replaced)")
        assert (d >= 0).all(), (
            "pairwise_distances(emb far from the origin) has negative entries: ||u||^2 + ||v||^2 - 2 u.v rounds "
            "below 0; clamp the squared distances at 0 before the square root")

    def test_gradient_is_finite_when_two_rows_coincide(self):
        g = torch.Generator().manual_seed(8)
        emb = torch.randn(5, 3, generator=g, dtype=torch.float64)
        emb[3] = emb[0]
        emb.requires_grad_()
        d = lab.exercise(2).pairwise_distances(emb)
        (grad,) = torch.autograd.grad(d.sum(), emb)
        assert torch.isfinite(grad).all(), (
            f"the gradient of pairwise_distances(emb).sum() with rows 0 and 3 equal is {grad.tolist()}: not finite. "
            "sqrt'(0) = inf, and inf * 0 = nan; take the square root of max(d^2, eps) and mask the zeros after")
        distinct = torch.randn(6, 4, generator=g, dtype=torch.float64).requires_grad_()
        w = torch.rand(6, 6, generator=g, dtype=torch.float64)
        (g_got,) = torch.autograd.grad((lab.exercise(2).pairwise_distances(distinct) * w).sum(), distinct)
        (g_want,) = torch.autograd.grad((torch.cdist(distinct, distinct) * w).sum(), distinct)
        close(g_got, g_want, "the gradient of pairwise_distances(emb (6, 4)) differs from torch.cdist's",
              rtol=1e-8, atol=1e-10)


@pytest.mark.exercise(2)
class TestContrastiveLoss:
    @staticmethod
    def _loop(x1, x2, similar, margin, eps=1e-6):
        out = []
        for i in range(len(x1)):
            d = torch.sqrt(((x1[i] - x2[i] + eps) ** 2).sum())
            out.append(d**2 / 2 if similar[i] else torch.clamp(margin - d, min=0) ** 2 / 2)
        return torch.stack(out)

    def test_matches_the_hadsell_formula_pair_by_pair(self):
        g = torch.Generator().manual_seed(9)
        x1 = (0.6 * torch.randn(12, 3, generator=g, dtype=torch.float64)).requires_grad_()
        x2 = (0.6 * torch.randn(12, 3, generator=g, dtype=torch.float64)).requires_grad_()
        similar = torch.arange(12) % 2 == 0
        for margin, reduction in itertools.product((1.0, 2.0, 0.5), ("none", "mean", "sum")):
            got = lab.exercise(2).contrastive_loss(x1, x2, similar, margin=margin, reduction=reduction)
            per = self._loop(x1, x2, similar, margin)
            want = {"none": per, "mean": per.mean(), "sum": per.sum()}[reduction]
            call = f"contrastive_loss(x1 (12, 3), x2, similar, margin={margin}, reduction={reduction!r})"
            close(got, want, f"{call} differs from d^2/2 (similar pairs), max(0, margin - d)^2 / 2 (dissimilar "
                             "pairs), d = ||x1 - x2 + eps||: the hinge is on the distance d, squared after it, "
                             "not max(0, margin - d^2)", **F64)
            g_got = torch.autograd.grad(got.sum(), (x1, x2))
            g_want = torch.autograd.grad(want.sum(), (x1, x2))
            close(g_got, g_want, f"the gradient of {call} differs from the formula's", **F64)

    def test_dissimilar_pairs_beyond_the_margin_cost_and_push_nothing(self):
        x1 = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True)
        x2 = torch.tensor([[3.0, 4.0], [1.0, -2.0]], dtype=torch.float64, requires_grad=True)
        similar = torch.tensor([False, False])
        loss = lab.exercise(2).contrastive_loss(x1, x2, similar, margin=2.0, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x1)
        assert loss.item() == 0.0 and (grad == 0).all(), (
            f"contrastive_loss on dissimilar pairs at distances 5 and 3 with margin 2 = {loss.item():.4g} "
            f"(gradient {grad.tolist()}); pairs farther than the margin cost nothing and push nothing")

    def test_a_similar_and_a_dissimilar_pair_by_hand(self):
        x1 = torch.tensor([[0.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
        x2 = torch.tensor([[3.0, 4.0], [0.6, 0.8]], dtype=torch.float64)
        got = lab.exercise(2).contrastive_loss(x1, x2, torch.tensor([True, False]), margin=3.0, reduction="none",
                                               eps=0.0)
        close(got, torch.tensor([12.5, 2.0], dtype=torch.float64),
              "contrastive_loss(pairs at distance 5 (similar) and 1 (dissimilar), margin=3, eps=0) should be "
              "[5^2 / 2, (3 - 1)^2 / 2] = [12.5, 2.0]", **F64)


@pytest.mark.exercise(2)
class TestTripletMarginLoss:
    def test_matches_nn_triplet_margin_loss(self):
        g = torch.Generator().manual_seed(10)
        a, pos, neg = (torch.randn(9, 6, generator=g, dtype=torch.float64).requires_grad_() for _ in range(3))
        for p, swap, reduction, margin in itertools.product((1.0, 2.0, 3.0), (False, True), ("none", "mean", "sum"),
                                                            (1.0, 0.3)):
            got = _e2_triplet(a, pos, neg, margin=margin, p=p, swap=swap, reduction=reduction)
            want = nn.TripletMarginLoss(margin=margin, p=p, swap=swap, reduction=reduction)(a, pos, neg)
            call = f"triplet_margin_loss(a, p, n (9, 6), margin={margin}, p={p}, swap={swap}, reduction={reduction!r})"
            close(got, want, f"{call} differs from nn.TripletMarginLoss", **F64)
            g_got = torch.autograd.grad(got.sum(), (a, pos, neg))
            g_want = torch.autograd.grad(want.sum(), (a, pos, neg))
            close(g_got, g_want, f"the gradient of {call} differs from nn.TripletMarginLoss's", **F64)

    def test_swap_takes_the_closer_of_the_two_negative_distances(self):
        # d(a, n) = 3 but d(p, n) = 1: with swap the negative distance is min(3, 1) = 1, loss 1 - 1 + 1 = 1.
        a = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
        pos = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
        neg = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
        got = _e2_triplet(a, pos, neg, margin=1.5, swap=True, eps=0.0)
        want = nn.TripletMarginLoss(margin=1.5, swap=True, eps=0.0)(a, pos, neg)
        close(got, want, "triplet_margin_loss(a=[0, 0], p=[1, 0], n=[2, 0], margin=1.5, swap=True, eps=0) should "
                         "use min(d(a, n), d(p, n)) = 1 as the negative distance (the harder of the two)", **F64)

    def test_one_dimensional_inputs(self):
        g = torch.Generator().manual_seed(11)
        a, pos, neg = (torch.randn(5, generator=g, dtype=torch.float64) for _ in range(3))
        for reduction in ("none", "mean"):
            got = _e2_triplet(a, pos, neg, margin=2.0, reduction=reduction)
            want = nn.TripletMarginLoss(margin=2.0, reduction=reduction)(a, pos, neg)
            close(got, want, f"triplet_margin_loss(a, p, n of shape (5,), margin=2, reduction={reduction!r}) differs "
                             "from nn.TripletMarginLoss", **F64)

    def test_positive_equal_to_the_anchor_adds_eps_to_the_difference(self):
        g = torch.Generator().manual_seed(12)
        a = torch.randn(4, 8, generator=g, dtype=torch.float64)
        neg = a + 0.3 * torch.randn(4, 8, generator=g, dtype=torch.float64)
        for p in (2.0, 1.0):
            a_ = a.clone().requires_grad_()
            got = _e2_triplet(a_, a_, neg, p=p, reduction="none")
            a_ref = a.clone().requires_grad_()
            want = nn.TripletMarginLoss(p=p, reduction="none")(a_ref, a_ref, neg)
            call = f"triplet_margin_loss(a, a, n, p={p}) (positive == anchor)"
            close(got, want, f"{call} differs from nn.TripletMarginLoss: d(x, y) = ||x - y + eps||_p, eps added to "
                             "the difference, so d(a, a) = eps * D^(1/p), not 0", rtol=1e-12, atol=1e-12)
            (grad,) = torch.autograd.grad(got.sum(), a_)
            assert torch.isfinite(grad).all(), (
                f"the gradient of {call} is {grad.tolist()}: not finite. Adding eps to the difference keeps the "
                "norm away from its kink at 0")
            (g_want,) = torch.autograd.grad(want.sum(), a_ref)
            close(grad, g_want, f"the gradient of {call} differs from nn.TripletMarginLoss's", **F64)


@pytest.mark.exercise(2)
class TestTripletMasks:
    def test_exact_positive_and_negative_masks(self):
        labels = torch.tensor([0, 1, 0, 2, 1, 0])
        pos, neg = lab.exercise(2).triplet_masks(labels)
        want_pos = torch.tensor([[i != j and labels[i] == labels[j] for j in range(6)] for i in range(6)])
        want_neg = torch.tensor([[bool(labels[i] != labels[j]) for j in range(6)] for i in range(6)])
        assert pos.dtype == torch.bool and torch.equal(pos, want_pos), (
            f"triplet_masks({labels.tolist()})[0] is\n{pos.int()}\nexpected (same label, a != p)\n{want_pos.int()}")
        assert neg.dtype == torch.bool and torch.equal(neg, want_neg), (
            f"triplet_masks({labels.tolist()})[1] is\n{neg.int()}\nexpected (different labels)\n{want_neg.int()}")


@pytest.mark.exercise(2)
class TestBatchAllTripletLoss:
    def test_matches_a_loop_over_every_triplet(self):
        for seed, margin, normalize in ((0, 0.2, True), (1, 1.0, True), (2, 0.5, False), (3, 2.0, True)):
            emb, labels = _e2_batch(seed)
            loss, active = lab.exercise(2).batch_all_triplet_loss(emb, labels, margin=margin, normalize=normalize)
            want, want_active, valid = _e2_batch_all_loop(emb, labels, margin, normalize)
            call = f"batch_all_triplet_loss(emb (10, 4), labels {labels.tolist()}, margin={margin}, normalize={normalize})"
            assert int(active) == want_active, (
                f"{call} counted {int(active)} active triplets; the loop over every (a, p, n) with a != p, "
                f"label[a] == label[p] != label[n] finds {want_active} with loss > 0 (of {valid} valid)")
            assert math.isclose(float(loss), want, rel_tol=1e-9), (
                f"{call} = {float(loss):.6g}; the mean over the {want_active} triplets with loss > 0 is {want:.6g} "
                f"(averaging over all {valid} valid triplets gives {want * want_active / valid:.6g})")

    def test_gradient_matches_the_loop(self):
        emb, labels = _e2_batch(4, b=8)
        emb.requires_grad_()
        loss, _ = lab.exercise(2).batch_all_triplet_loss(emb, labels, margin=0.5)
        (grad,) = torch.autograd.grad(loss, emb)
        x = F.normalize(emb, dim=1)
        terms = [(x[a] - x[p]).norm() - (x[a] - x[n]).norm() + 0.5
                 for a, p, n in itertools.product(range(8), repeat=3)
                 if a != p and labels[a] == labels[p] and labels[n] != labels[a]]
        active = [t for t in terms if t > 0]
        (g_want,) = torch.autograd.grad(torch.stack(active).mean(), emb)
        close(grad, g_want, "the gradient of batch_all_triplet_loss(emb (8, 4), labels, margin=0.5) differs from "
                            "the loop's", rtol=1e-8, atol=1e-10)

    def test_no_active_triplet_gives_zero_with_a_gradient_path(self):
        emb = torch.tensor([[10.0, 0.0], [10.1, 0.0], [-10.0, 0.0], [-10.1, 0.0]], dtype=torch.float64,
                           requires_grad=True)
        labels = torch.tensor([0, 0, 1, 1])
        loss, active = lab.exercise(2).batch_all_triplet_loss(emb, labels, margin=0.2, normalize=False)
        assert int(active) == 0 and float(loss.detach()) == 0.0, (
            f"batch_all_triplet_loss(two well separated clusters, margin 0.2) = ({float(loss.detach())}, {int(active)}); "
            "expected (0.0, 0): no triplet is active")
        assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
            "batch_all_triplet_loss with no active triplet must still return a tensor connected to emb, so that "
            "loss.backward() works in a training loop")
        loss.backward()

    def test_batch_hard_and_semi_hard_give_zero_with_a_gradient_path_on_a_batch_without_triplets(self):
        ex = lab.exercise(2)
        emb = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
        for labels, what in ((torch.zeros(5, dtype=torch.long), "one class only: no negative"),
                             (torch.arange(5), "five classes of one: no positive")):
            for name in ("batch_hard_triplet_loss", "semi_hard_triplet_loss"):
                loss = getattr(ex, name)(emb, labels, margin=0.2)
                assert isinstance(loss, torch.Tensor) and loss.shape == () and float(loss.detach()) == 0.0, (
                    f"{name}(emb (5, 3), labels {labels.tolist()}) ({what}) returned {loss!r}; expected a 0 "
                    "scalar: a mean over no anchor is nan, which would poison a training step")
                assert loss.requires_grad, (
                    f"{name} on a batch without triplets must still return a tensor connected to emb, so that "
                    "loss.backward() works in a training loop")
                loss.backward()


@pytest.mark.exercise(2)
class TestBatchHardTripletLoss:
    def test_matches_a_loop_over_anchors(self):
        for seed, margin, normalize in ((0, 0.2, True), (5, 1.0, True), (6, 0.5, False), (7, 0.0, True)):
            emb, labels = _e2_batch(seed, b=11)
            got = float(lab.exercise(2).batch_hard_triplet_loss(emb, labels, margin=margin, normalize=normalize))
            want = _e2_batch_hard_loop(emb, labels, margin, normalize)
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (
                f"batch_hard_triplet_loss(emb (11, 4), labels {labels.tolist()}, margin={margin}, "
                f"normalize={normalize}) = {got:.6g}; the loop gives {want:.6g}: per anchor the FARTHEST positive "
                "and the CLOSEST negative, averaged over the anchors that have both")

    def test_gradient_matches_the_loop(self):
        emb, labels = _e2_batch(8, b=9)
        emb.requires_grad_()
        (grad,) = torch.autograd.grad(lab.exercise(2).batch_hard_triplet_loss(emb, labels, margin=1.0), emb)
        x = F.normalize(emb, dim=1)
        terms = []
        for a in range(9):
            pos = [(x[a] - x[p]).norm() for p in range(9) if p != a and labels[p] == labels[a]]
            neg = [(x[a] - x[n]).norm() for n in range(9) if labels[n] != labels[a]]
            if pos and neg:
                terms.append(torch.clamp(torch.stack(pos).max() - torch.stack(neg).min() + 1.0, min=0))
        (g_want,) = torch.autograd.grad(torch.stack(terms).mean(), emb)
        close(grad, g_want, "the gradient of batch_hard_triplet_loss(emb (9, 4), labels, margin=1) differs from "
                            "the loop's", rtol=1e-8, atol=1e-10)


@pytest.mark.exercise(2)
class TestSemiHardMining:
    def test_triplets_match_a_loop_over_anchor_positive_pairs(self):
        for seed, normalize in ((0, True), (9, False), (10, True)):
            emb, labels = _e2_batch(seed, b=12)
            got = lab.exercise(2).semi_hard_triplets(emb, labels, normalize=normalize)
            want, _ = _e2_semi_hard_loop(emb, labels, normalize)
            rows = [tuple(r) for r in got.tolist()]
            assert rows == want, (
                f"semi_hard_triplets(emb (12, 4), labels {labels.tolist()}, normalize={normalize}) returned "
                f"{rows}; expected {want}: one row per (a, p) pair in row-major order, the closest negative "
                "with d(a, n) > d(a, p), or the farthest negative when none is farther")

    def test_the_chosen_negative_is_farther_than_the_positive_when_one_exists(self):
        emb, labels = _e2_batch(11, b=12)
        got = lab.exercise(2).semi_hard_triplets(emb, labels)
        want, d = _e2_semi_hard_loop(emb, labels, True)
        for a, p, n in got.tolist():
            has_farther = any(d[a][k] > d[a][p] for k in range(12) if labels[k] != labels[a])
            if has_farther:
                assert d[a][n] > d[a][p], (
                    f"semi_hard_triplets picked negative {n} for anchor {a}, positive {p}: d(a, n) = {d[a][n]:.4f} "
                    f"is CLOSER than d(a, p) = {d[a][p]:.4f}. Semi-hard negatives are farther than the positive "
                    "(the closest such); the ones closer than the positive are the hardest, which collapse training")

    def test_falls_back_to_the_farthest_negative(self):
        # Anchor 0's positive (index 1) is farther than both negatives: the fallback is the farther negative, 3.
        emb = torch.tensor([[0.0, 0.0], [5.0, 0.0], [1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
        labels = torch.tensor([0, 0, 1, 1])
        rows = lab.exercise(2).semi_hard_triplets(emb, labels, normalize=False).tolist()
        assert rows[0] == [0, 1, 3], (
            f"semi_hard_triplets: anchor 0 at (0, 0), positive 1 at (5, 0), negatives at (1, 0) and (0, 2) gave "
            f"{rows[0]}; no negative is farther than the positive, so the fallback is the FARTHEST negative, 3")

    def test_semi_hard_loss_is_the_mean_over_the_mined_triplets(self):
        for seed, margin in ((12, 0.2), (13, 1.0)):
            emb, labels = _e2_batch(seed, b=10)
            rows, d = _e2_semi_hard_loop(emb, labels, True)
            want = sum(max(0.0, d[a][p] - d[a][n] + margin) for a, p, n in rows) / len(rows)
            got = float(lab.exercise(2).semi_hard_triplet_loss(emb, labels, margin=margin))
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (
                f"semi_hard_triplet_loss(emb (10, 4), labels, margin={margin}) = {got:.6g}; the mean of "
                f"max(0, d(a, p) - d(a, n) + margin) over the semi-hard triplets is {want:.6g}")


# ---- Exercise 3: the InfoNCE family ---------------------------------------------------------


def _e3_cos(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of two vectors, from its definition."""
    return (a @ b) / (a.norm() * b.norm())


def _e3_info_nce_loop(q: torch.Tensor, k: torch.Tensor, tau: float) -> torch.Tensor:
    """-(1/N) sum_i log(exp(s_ii) / sum_j exp(s_ij)), s_ij = cos(q_i, k_j) / tau, one anchor at a time."""
    q, k = q.double(), k.double()
    n = len(q)
    total = q.new_zeros(())
    for i in range(n):
        s = torch.stack([_e3_cos(q[i], k[j]) / tau for j in range(n)])
        total = total + (torch.logsumexp(s, 0) - s[i])
    return total / n


def _e3_nt_xent_loop(z1: torch.Tensor, z2: torch.Tensor, tau: float, variant: str = "right") -> torch.Tensor:
    """NT-Xent over the 2N anchors of cat([z1, z2]): positive (i + N) mod 2N, denominator over k != i.

    The other variants are the wrong answers the messages name: ``"self"`` keeps k = i (an
    exp(1/tau) term), ``"zero"`` keeps it as exp(0) = 1, ``"twice"`` counts the positive twice,
    ``"first_view"`` averages over the N anchors of z1 only."""
    z = torch.cat([z1, z2]).double()
    n2, n = len(z), len(z1)
    total, anchors = z.new_zeros(()), range(n if variant == "first_view" else n2)
    for i in anchors:
        pos = (i + n) % n2
        s_pos = _e3_cos(z[i], z[pos]) / tau
        terms = [_e3_cos(z[i], z[k]) / tau for k in range(n2) if k != i]
        if variant == "self":
            terms.append(_e3_cos(z[i], z[i]) / tau)
        elif variant == "zero":
            terms.append(z.new_zeros(()))
        elif variant == "twice":
            terms.append(s_pos)
        total = total + (torch.logsumexp(torch.stack(terms), 0) - s_pos)
    return total / len(anchors)


def _e3_clip_loop(img: torch.Tensor, txt: torch.Tensor, scale) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: ANN001
    """(image->text, text->image) mean cross-entropies, logits_ij = scale * cos(img_i, txt_j), by loops."""
    img, txt = img.double(), txt.double()
    n = len(img)
    logits = [[scale * _e3_cos(img[i], txt[j]) for j in range(n)] for i in range(n)]
    i2t = sum(torch.logsumexp(torch.stack(logits[i]), 0) - logits[i][i] for i in range(n)) / n
    t2i = sum(torch.logsumexp(torch.stack([logits[i][j] for i in range(n)]), 0) - logits[j][j] for j in range(n)) / n
    return i2t, t2i


def _e3_diagnose_nt_xent(got: float, z1: torch.Tensor, z2: torch.Tensor, tau: float) -> str:
    """Which known wrong version of NT-Xent ``got`` equals, in words (empty when none)."""
    said = {
        "self": "it kept self-similarity in the denominator (exp(1/tau) term): set the diagonal of the 2N x 2N "
                "logits to -inf before the cross-entropy",
        "zero": "it set the diagonal to 0 instead of -inf: exp(0) = 1 is still a term of the denominator",
        "twice": "it counted the positive among the negatives too / twice in the denominator: the denominator is "
                 "the positive once plus the 2N - 2 negatives",
        "first_view": "it averages over the N anchors of z1 only: the N anchors of z2 are anchors too (2N in all)",
    }
    for variant, words in said.items():
        if abs(got - _e3_nt_xent_loop(z1, z2, tau, variant).item()) < 1e-9:
            return f": {words}"
    return ""


def _e3_diagnose_info_nce(got: float, q: torch.Tensor, k: torch.Tensor, tau: float) -> str:
    """Which known wrong version of InfoNCE ``got`` equals, in words (empty when none)."""
    qn, kn = F.normalize(q.double(), dim=1), F.normalize(k.double(), dim=1)
    target = torch.arange(len(q))
    wrong = {
        "dot products of the raw rows: normalise queries and keys (F.normalize(x, dim=1)) so the scores are cosines":
            F.cross_entropy(q.double() @ k.double().T / tau, target),
        "cosines times the temperature: divide by it (a small temperature sharpens the softmax)":
            F.cross_entropy(qn @ kn.T * tau, target),
        "a softmax over the queries (each key picks its query, logits.T): query i must pick key i, a softmax over the keys":
            F.cross_entropy((qn @ kn.T / tau).T, target),
    }
    for words, value in wrong.items():
        if abs(got - value.item()) < 1e-9:
            return f": it computes {words}"
    return ""


_E3_STABLE_CE = ("compute the loss from logits with F.cross_entropy or log_softmax (a logsumexp), "
             "not softmax().log() or exp() / sum(exp())")


@pytest.mark.exercise(3)
class TestInfoNCE:
    def test_info_nce_matches_a_loop_over_anchors_in_float64(self):
        ex = lab.exercise(3)
        for n, d, tau in [(1, 3, 0.1), (2, 3, 0.1), (17, 3, 0.1), (17, 3, 0.05), (17, 3, 1.0), (6, 9, 0.3)]:
            q, k = torch.randn(n, d, dtype=torch.float64), torch.randn(n, d, dtype=torch.float64)
            got = ex.info_nce(q, k, tau)
            want = _e3_info_nce_loop(q, k, tau)
            call = f"info_nce(queries ({n}, {d}), keys ({n}, {d}), temperature={tau})"
            assert got.shape == (), f"{call} returned shape {tuple(got.shape)}; the loss is a scalar (the mean over the N queries)"
            close(got, want, f"{call} differs from the loop -(1/N) sum_i log(exp(s_ii) / sum_j exp(s_ij)), "
                             f"s_ij = cos(q_i, k_j) / temperature{_e3_diagnose_info_nce(got.item(), q, k, tau)}")
            if n == 1:
                assert abs(got.item()) < 1e-12, f"{call} is {got.item():.3g}: with one query and one key there is no negative, the loss is 0"
        # non-contiguous inputs (transposed views) and float32
        qt, kt = torch.randn(5, 11), torch.randn(5, 11)
        got = ex.info_nce(qt.T, kt.T, 0.2)
        close(got, _e3_info_nce_loop(qt.T, kt.T, 0.2).float(),
              "info_nce(queries.T, keys.T, 0.2) on non-contiguous float32 (11, 5) views differs from the float64 loop",
              **tolerances("cpu", torch.float32))

    def test_info_nce_divides_cosines_by_the_temperature_and_ignores_vector_lengths(self):
        ex = lab.exercise(3)
        q, k = torch.randn(9, 4, dtype=torch.float64), torch.randn(9, 4, dtype=torch.float64)
        sharp, flat = ex.info_nce(q, k, 0.05), ex.info_nce(q, k, 1.0)
        close(sharp, _e3_info_nce_loop(q, k, 0.05), "info_nce(q, k, temperature=0.05) differs from the loop "
                                                    "(the similarities are cos / temperature: divide, do not multiply)")
        close(flat, _e3_info_nce_loop(q, k, 1.0), "info_nce(q, k, temperature=1.0) differs from the loop")
        assert abs(sharp.item() - flat.item()) > 1e-3, "info_nce gives the same loss at temperature 0.05 and 1.0: the temperature is ignored"
        scale_q = torch.rand(9, 1, dtype=torch.float64) * 50 + 0.01
        scale_k = torch.rand(9, 1, dtype=torch.float64) * 50 + 0.01
        close(ex.info_nce(q * scale_q, k * scale_k, 0.1), ex.info_nce(q, k, 0.1),
              "info_nce(q * a, k * b, 0.1) with positive per-row factors a, b differs from info_nce(q, k, 0.1): "
              "the similarity is the cosine, so normalise each row (F.normalize(x, dim=1)), not the dot product")

    def test_info_nce_gradients_match_the_loop(self):
        ex = lab.exercise(3)
        q = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
        k = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
        gq, gk = torch.autograd.grad(ex.info_nce(q, k, 0.2), (q, k))
        wq, wk = torch.autograd.grad(_e3_info_nce_loop(q, k, 0.2), (q, k))
        close(gq, wq, "d info_nce(q, k, 0.2) / d queries differs from autograd of the float64 loop")
        close(gk, wk, "d info_nce(q, k, 0.2) / d keys differs from autograd of the float64 loop")

    def test_info_nce_is_finite_at_a_low_temperature_in_float32(self):
        ex = lab.exercise(3)
        q = torch.randn(8, 5)
        k = q + 0.1 * torch.randn(8, 5)
        k[0] = -q[0]  # a positive pointing away: its probability exp(-200) underflows float32
        got = ex.info_nce(q, k, 0.01)
        assert torch.isfinite(got), f"info_nce(q, k, temperature=0.01) in float32 is {got.item()} (logits of +-100): {_E3_STABLE_CE}"
        close(got, _e3_info_nce_loop(q, k, 0.01).float(), "info_nce(q, k, temperature=0.01) in float32 differs from the float64 loop",
              atol=1e-3, rtol=1e-5)

    def test_nt_xent_matches_a_loop_over_the_2n_anchors(self):
        ex = lab.exercise(3)
        for n, d, tau in [(2, 3, 0.5), (5, 3, 0.5), (8, 6, 0.1), (3, 4, 1.0)]:
            z1, z2 = torch.randn(n, d, dtype=torch.float64), torch.randn(n, d, dtype=torch.float64)
            got = ex.nt_xent(z1, z2, tau)
            want = _e3_nt_xent_loop(z1, z2, tau)
            call = f"nt_xent(z1 ({n}, {d}), z2 ({n}, {d}), temperature={tau})"
            assert got.shape == (), f"{call} returned shape {tuple(got.shape)}; the loss is a scalar (the mean over the 2N anchors)"
            if abs(got.item() - want.item()) > 1e-9:
                pytest.fail(f"{call} = {got.item():.6f}; the loop over the 2N anchors (positive (i + N) mod 2N, "
                            f"denominator over k != i: the positive and 2N - 2 negatives) gives {want.item():.6f}"
                            + _e3_diagnose_nt_xent(got.item(), z1, z2, tau), pytrace=False)
        z1, z2 = torch.randn(6, 7), torch.randn(6, 7)
        close(ex.nt_xent(z1, z2, 0.5), _e3_nt_xent_loop(z1, z2, 0.5).float(),
              "nt_xent(z1 (6, 7), z2 (6, 7), 0.5) in float32 differs from the float64 loop", **tolerances("cpu", torch.float32))

    def test_nt_xent_of_one_pair_is_zero(self):
        ex = lab.exercise(3)
        for tau in (0.5, 0.1):
            z1, z2 = torch.randn(1, 4, dtype=torch.float64), torch.randn(1, 4, dtype=torch.float64)
            got = ex.nt_xent(z1, z2, tau).item()
            assert math.isfinite(got) and abs(got) < 1e-12, (
                f"nt_xent(z1 (1, 4), z2 (1, 4), temperature={tau}) = {got:.6g}; with N = 1 each anchor's denominator holds "
                "only its positive (no negatives, itself excluded), so the loss is 0"
                + _e3_diagnose_nt_xent(got, z1, z2, tau)
            )

    def test_nt_xent_is_symmetric_in_the_views_and_the_order_of_examples(self):
        ex = lab.exercise(3)
        z1, z2 = torch.randn(7, 5, dtype=torch.float64), torch.randn(7, 5, dtype=torch.float64)
        base = ex.nt_xent(z1, z2, 0.3)
        close(ex.nt_xent(z2, z1, 0.3), base, "nt_xent(z2, z1) differs from nt_xent(z1, z2): each of the 2N embeddings is an anchor, "
                                             "so swapping the views must not change the loss")
        perm = torch.randperm(7)
        close(ex.nt_xent(z1[perm], z2[perm], 0.3), base,
              "nt_xent(z1[perm], z2[perm]) differs from nt_xent(z1, z2): the order of the examples must not matter")
        close(ex.nt_xent(z1 * 7.0, z2 * 0.01, 0.3), base, "nt_xent(7 z1, 0.01 z2) differs from nt_xent(z1, z2): "
                                                          "the similarities are cosines, normalise the embeddings")

    def test_nt_xent_gradients_match_the_loop_and_stay_finite_at_a_low_temperature(self):
        ex = lab.exercise(3)
        z1 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        z2 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        g1, g2 = torch.autograd.grad(ex.nt_xent(z1, z2, 0.5), (z1, z2))
        w1, w2 = torch.autograd.grad(_e3_nt_xent_loop(z1, z2, 0.5), (z1, z2))
        close(g1, w1, "d nt_xent(z1, z2, 0.5) / d z1 differs from autograd of the float64 loop")
        close(g2, w2, "d nt_xent(z1, z2, 0.5) / d z2 differs from autograd of the float64 loop")
        a = torch.randn(6, 4)
        b = a + 0.05 * torch.randn(6, 4)
        b[0] = -a[0]
        got = ex.nt_xent(a, b, 0.01)
        assert torch.isfinite(got), f"nt_xent(z1, z2, temperature=0.01) in float32 is {got.item()} (logits of +-100): {_E3_STABLE_CE}"
        close(got, _e3_nt_xent_loop(a, b, 0.01).float(), "nt_xent(z1, z2, temperature=0.01) in float32 differs from the float64 loop",
              atol=1e-3, rtol=1e-5)

    def test_clip_loss_averages_both_directions(self):
        ex = lab.exercise(3)
        for n, d, scale in [(1, 3, 10.0), (2, 3, 10.0), (9, 5, 1 / 0.07), (6, 8, 2.0)]:
            img, txt = torch.randn(n, d, dtype=torch.float64), torch.randn(n, d, dtype=torch.float64)
            got = ex.clip_loss(img, txt, scale)
            i2t, t2i = _e3_clip_loop(img, txt, scale)
            want = (i2t + t2i) / 2
            call = f"clip_loss(image ({n}, {d}), text ({n}, {d}), logit_scale={scale:.4g})"
            assert got.shape == (), f"{call} returned shape {tuple(got.shape)}; the loss is a scalar"
            if n > 1 and abs(got.item() - want.item()) > 1e-9:
                for one, name in ((i2t, "image->text"), (t2i, "text->image")):
                    if abs(got.item() - one.item()) < 1e-9:
                        pytest.fail(f"{call} = {got.item():.6f} is the {name} cross-entropy alone: it averages only one direction; "
                                    f"CLIP's loss is (CE(logits, arange N) + CE(logits.T, arange N)) / 2 = {want.item():.6f}",
                                    pytrace=False)
            exp_scale = sum(_e3_clip_loop(img, txt, math.exp(scale))) / 2
            exp_words = ": it multiplies by exp(logit_scale); the argument is the multiplier itself" if abs(got.item() - exp_scale.item()) < 1e-9 else ""
            close(got, want, f"{call} differs from the loop (CE(image->text) + CE(text->image)) / 2 with "
                             f"logits_ij = logit_scale * cos(image_i, text_j){exp_words}")
        img, txt = torch.randn(5, 4), torch.randn(5, 4)
        close(ex.clip_loss(img * 30.0, txt * 0.02, 3.0), ex.clip_loss(img, txt, 3.0),
              "clip_loss(30 image, 0.02 text) differs from clip_loss(image, text): normalise the embeddings inside")

    def test_clip_loss_learns_its_logit_scale(self):
        ex = lab.exercise(3)
        img = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
        txt = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
        scale = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
        got = ex.clip_loss(img, txt, scale)
        want = sum(_e3_clip_loop(img, txt, scale)) / 2
        close(got.detach(), want.detach(), "clip_loss(image, text, logit_scale=tensor(5.0)) differs from the loop "
                                           "(logit_scale is the multiplier itself: do not exponentiate it)")
        assert got.requires_grad, (
            "clip_loss(image, text, logit_scale=tensor(5.0, requires_grad=True)) does not depend on logit_scale in the graph: "
            "multiply by the tensor itself, not by float(logit_scale) or logit_scale.item()"
        )
        gi, gt, gs = torch.autograd.grad(got, (img, txt, scale), allow_unused=True)
        wi, wt, ws = torch.autograd.grad(want, (img, txt, scale))
        assert gs is not None, "clip_loss gave logit_scale no gradient: multiply by the tensor, do not call .item() or float() on it"
        close(gs, ws, "d clip_loss / d logit_scale differs from autograd of the float64 loop")
        close(gi, wi, "d clip_loss / d image_emb differs from autograd of the float64 loop")
        close(gt, wt, "d clip_loss / d text_emb differs from autograd of the float64 loop")

    def test_clip_loss_is_finite_at_clips_largest_scale_in_float32(self):
        ex = lab.exercise(3)
        img = torch.randn(8, 6)
        txt = img + 0.1 * torch.randn(8, 6)
        txt[3] = -img[3]
        got = ex.clip_loss(img, txt, 100.0)
        assert torch.isfinite(got), f"clip_loss(image, text, logit_scale=100) in float32 is {got.item()} (logits of +-100): {_E3_STABLE_CE}"
        close(got, (sum(_e3_clip_loop(img, txt, 100.0)) / 2).float(),
              "clip_loss(image, text, logit_scale=100) in float32 differs from the float64 loop", atol=1e-3, rtol=1e-5)

    def test_infonce_lower_bound_is_log_n_minus_the_cross_entropy_and_never_above_log_n(self):
        ex = lab.exercise(3)
        for n in (1, 2, 5, 13):
            s = torch.randn(n, n, dtype=torch.float64) * 3
            got = ex.infonce_lower_bound(s)
            assert got.shape == (), f"infonce_lower_bound(scores ({n}, {n})) returned shape {tuple(got.shape)}; the bound is a scalar"
            ce = sum(torch.logsumexp(s[i], 0) - s[i, i] for i in range(n)) / n
            call = f"infonce_lower_bound(scores ({n}, {n}))"
            ce_cols = sum(torch.logsumexp(s[:, j], 0) - s[j, j] for j in range(n)) / n
            words = ""
            if n > 1 and abs(got.item() - (math.log(n - 1) - ce.item())) < 1e-9:
                words = ": it uses log(N - 1), the number of negatives; the ceiling is log N, the number of candidates"
            elif n > 1 and abs(got.item() - (math.log(n) - ce_cols.item())) < 1e-9:
                words = ": it takes the softmax down the columns (scores.T); row i is x_i, its softmax runs over the y_j"
            close(got, math.log(n) - ce, f"{call} differs from log N - (1/N) sum_i (logsumexp_j s_ij - s_ii): "
                                         f"rows are the x_i, the softmax runs over the y_j of a row, the positives on the diagonal{words}")
            assert got.item() <= math.log(n) + 1e-12, f"{call} = {got.item():.4f} is above log N = {math.log(n):.4f}"
        for n in (1, 7, 100):
            got = ex.infonce_lower_bound(torch.zeros(n, n, dtype=torch.float64)).item()
            assert abs(got) < 1e-12, (
                f"infonce_lower_bound(zeros ({n}, {n})) = {got:.6g}; a critic that scores every pair alike says nothing "
                f"about the pairing: the cross-entropy is log N, the bound exactly 0"
            )
        perfect = torch.eye(64, dtype=torch.float64) * 1e3
        got = ex.infonce_lower_bound(perfect).item()
        assert abs(got - math.log(64)) < 1e-9, (
            f"infonce_lower_bound(1000 * eye(64)) = {got:.6f}; a critic that always finds the positive reaches the ceiling "
            f"log N = {math.log(64):.6f} (and never more, whatever the true information)"
        )

    def test_optimal_gaussian_critic_is_the_log_density_ratio(self):
        ex, ref = lab.exercise(3), lab.reference(3)
        g = torch.Generator().manual_seed(3)
        for n, dim, rho in [(1, 1, 0.5), (6, 3, 0.8), (5, 2, -0.3)]:
            x, y = ref.gaussian_pairs(n, dim, rho, generator=g)
            got = ex.optimal_gaussian_critic(x, y, rho)
            cond = stats.multivariate_normal
            want = torch.tensor([[cond.logpdf(y[j].numpy(), mean=(rho * x[i]).numpy(), cov=(1 - rho * rho) * torch.eye(dim).numpy())
                                  - cond.logpdf(y[j].numpy(), mean=torch.zeros(dim).numpy(), cov=torch.eye(dim).numpy())
                                  for j in range(n)] for i in range(n)], dtype=torch.float64)
            call = f"optimal_gaussian_critic(x ({n}, {dim}), y ({n}, {dim}), rho={rho})"
            assert got.shape == (n, n), f"{call} returned shape {tuple(got.shape)}; expected ({n}, {n}), scores[i, j] = f(x_i, y_j)"
            words = ""
            if got.shape == want.shape and got.dtype == want.dtype and torch.allclose(got - want, -0.5 * (y * y).sum(1)[None, :].expand(n, n)):
                words = ": it is log p(y_j | x_i) alone; the ratio also subtracts log p(y_j), the + ||y_j||^2 / 2 term"
            close(got, want, f"{call} differs from log N(y_j; rho x_i, (1 - rho^2) I) - log N(y_j; 0, I) "
                             f"(scipy.stats.multivariate_normal.logpdf), entry [i, j] for x_i and y_j{words}")
        x, y = ref.gaussian_pairs(200, 2, 0.6, generator=g)
        s = ex.optimal_gaussian_critic(x, y, 0.6)
        diag, off = s.diagonal().mean().item(), (s.sum() - s.diagonal().sum()).item() / (200 * 199)
        assert diag > off + 0.5, (
            f"optimal_gaussian_critic on 200 pairs (dim 2, rho 0.6): the diagonal (true pairs) averages {diag:.3f}, "
            f"the other pairs {off:.3f}; the true pairs should score higher"
        )

    def test_infonce_bound_with_the_optimal_critic_approaches_the_true_mutual_information(self):
        ex, ref = lab.exercise(3), lab.reference(3)
        mi = ref.gaussian_mi(2, 0.6)
        g = torch.Generator().manual_seed(0)
        vals = []
        for _ in range(12):
            x, y = ref.gaussian_pairs(512, 2, 0.6, generator=g)
            vals.append(ex.infonce_lower_bound(ex.optimal_gaussian_critic(x, y, 0.6)).item())
        est = sum(vals) / len(vals)
        assert abs(est - mi) < 0.05, (
            f"infonce_lower_bound(optimal_gaussian_critic(x, y, 0.6)) averaged over 12 batches of N = 512 Gaussian pairs "
            f"(dim 2) is {est:.4f} nats; the true I(X; Y) is {mi:.4f} and log N = {math.log(512):.2f} is far above it, "
            "so with the optimal critic the bound should come within 0.05 of it"
        )


# ---- Exercise 4: a hand-written backward, ranking losses ------------------------------------


def _e4_focal_grad64(x: torch.Tensor, t: torch.Tensor, alpha: float, gamma: float) -> torch.Tensor:
    """dFL/dx per element, in float64, from the closed form: z = (2t - 1) x, q = sigmoid(-z)."""
    x, t = x.double(), t.double()
    sign = 2 * t - 1
    z = sign * x
    q, log_pt = torch.sigmoid(-z), F.logsigmoid(z)
    alpha_t = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else torch.ones_like(t)
    return sign * alpha_t * q**gamma * (gamma * log_pt.exp() * log_pt - q)


def _e4_gradcheck_or_fail(fn, inputs, what: str) -> None:  # noqa: ANN001
    try:
        torch.autograd.gradcheck(fn, inputs)
        return
    except GradcheckError as err:
        detail = str(err)
    if len(detail) > 1200:
        detail = detail[:1200] + " ..."
    pytest.fail(f"{what}: gradcheck failed, the backward disagrees with finite differences:\n{detail}", pytrace=False)


_E4_NO_TORCHVISION = dict(why="Exercise 4 asks you to write the focal loss and its backward yourself")
_E4_FOCAL_SHORTCUTS = ("torchvision.ops.sigmoid_focal_loss", "torchvision.ops.focal_loss.sigmoid_focal_loss")
_E4_NO_RANKING = dict(why="Exercise 4 asks you to write the margin ranking loss yourself")
_E4_RANKING_SHORTCUTS = ("torch.nn.functional.margin_ranking_loss", "torch.margin_ranking_loss", "torch.nn.MarginRankingLoss")


def _e4_targets(shape: tuple[int, ...], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return (torch.rand(shape) < 0.4).to(dtype)


def _e4_listnet_loop(scores: torch.Tensor, rel: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over queries of -sum_j p_j log q_j over the real items of each, p = softmax(rel), q = softmax(scores)."""
    total = scores.new_zeros((), dtype=torch.float64)
    for b in range(scores.shape[0]):
        real = [j for j in range(scores.shape[1]) if mask is None or bool(mask[b, j])]
        s, r = scores[b, real].double(), rel[b, real].double()
        p = torch.exp(r - torch.logsumexp(r, 0))
        log_q = s - torch.logsumexp(s, 0)
        total = total - (p * log_q).sum()
    return total / scores.shape[0]


@pytest.mark.exercise(4)
class TestBackwardAndRanking:
    def test_focal_function_forward_matches_torchvision_sigmoid_focal_loss(self):
        ex = lab.exercise(4)
        for shape, dtype in [((1,), torch.float64), ((7,), torch.float64), ((3, 5), torch.float32), ((2, 3, 4), torch.float32)]:
            for alpha in (0.25, 0.75, -1.0):
                for gamma in (0.0, 0.5, 2.0):
                    for reduction in ("none", "mean", "sum"):
                        x = torch.randn(shape, dtype=dtype) * 3
                        t = _e4_targets(shape, dtype)
                        with forbid(*_E4_FOCAL_SHORTCUTS, **_E4_NO_TORCHVISION):
                            got = ex.binary_focal_loss_fused(x, t, alpha, gamma, reduction)
                        want = sigmoid_focal_loss(x, t, alpha, gamma, reduction)
                        close(got, want, f"BinaryFocalLossFunction.apply(logits {shape} {dtype}, targets, alpha={alpha}, "
                                         f"gamma={gamma}, reduction={reduction!r}) differs from torchvision.ops.sigmoid_focal_loss",
                              **tolerances("cpu", dtype))
        xt, tt = torch.randn(6, 4), _e4_targets((6, 4))
        close(ex.binary_focal_loss_fused(xt.T, tt.T, 0.25, 2.0, "none"), sigmoid_focal_loss(xt.T, tt.T, 0.25, 2.0, "none"),
              "BinaryFocalLossFunction on non-contiguous (4, 6) views (logits.T, targets.T) differs from torchvision")

    def test_focal_function_gradient_matches_autograd_of_torchvision(self):
        ex = lab.exercise(4)
        for shape, dtype in [((1,), torch.float64), ((9,), torch.float64), ((4, 5), torch.float32)]:
            for alpha, gamma in [(0.25, 2.0), (-1.0, 0.5), (0.6, 0.0), (0.25, 5.0)]:
                for reduction in ("none", "mean", "sum"):
                    x = torch.randn(shape, dtype=torch.float64) * 4
                    t = _e4_targets(shape, torch.float64)
                    xa, xb = x.to(dtype).clone().requires_grad_(True), x.clone().requires_grad_(True)
                    out = ex.binary_focal_loss_fused(xa, t.to(dtype), alpha, gamma, reduction)
                    g = torch.randn(out.shape, dtype=torch.float64)
                    out.backward(g.to(dtype))
                    sigmoid_focal_loss(xb, t, alpha, gamma, reduction).backward(g)
                    want = xb.grad.to(dtype)
                    what = (f"d/dlogits of BinaryFocalLossFunction.apply(logits {shape} {dtype}, targets, alpha={alpha}, "
                            f"gamma={gamma}, reduction={reduction!r})")
                    if reduction == "mean" and x.numel() > 1 and torch.allclose(xa.grad, want * x.numel()):
                        pytest.fail(f"{what} is numel = {x.numel()} times the right one: with reduction='mean' the backward must "
                                    "divide grad_output by logits.numel()", pytrace=False)
                    close(xa.grad, want, f"{what} differs from autograd of torchvision.ops.sigmoid_focal_loss (float64)",
                          **tolerances("cpu", dtype))

    def test_focal_function_passes_gradcheck_for_every_alpha_gamma_and_reduction(self):
        ex = lab.exercise(4)
        x = (torch.randn(6, dtype=torch.float64) * 3).requires_grad_(True)
        t = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
        for alpha in (0.25, -1.0):
            for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
                for reduction in ("none", "mean", "sum"):
                    _e4_gradcheck_or_fail(lambda v, a=alpha, g=gamma, r=reduction: ex.binary_focal_loss_fused(v, t, a, g, r), (x,),
                                          f"BinaryFocalLossFunction (6 float64 logits, alpha={alpha}, gamma={gamma}, "
                                          f"reduction={reduction!r})")

    def test_focal_function_is_finite_with_finite_gradients_at_extreme_logits_in_float32(self):
        ex = lab.exercise(4)
        x = torch.tensor([100.0, -100.0, 1000.0, -1000.0, 100.0, -100.0, 1000.0, -1000.0, 20.0, -20.0, 0.0])
        t = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
        for alpha, gamma in [(0.25, 0.5), (0.25, 2.0), (-1.0, 0.0), (0.25, 1.0)]:
            xa = x.clone().requires_grad_(True)
            loss = ex.binary_focal_loss_fused(xa, t, alpha, gamma, "none")
            call = f"BinaryFocalLossFunction.apply(float32 logits +-100, +-1000, targets, alpha={alpha}, gamma={gamma}, 'none')"
            assert torch.isfinite(loss).all(), (
                f"{call} gave loss {loss.tolist()}: sigmoid(x).log() and log(1 - sigmoid(x)) underflow to -inf in float32; "
                "use F.logsigmoid (log p_t = logsigmoid(z) with z = (2t - 1) x)"
            )
            close(loss, sigmoid_focal_loss(x.double(), t.double(), alpha, gamma, "none").float(),
                  f"{call}: the loss differs from torchvision's in float64", **tolerances("cpu", torch.float32))
            loss.sum().backward()
            assert torch.isfinite(xa.grad).all(), (
                f"{call}: the gradient is {xa.grad.tolist()}; it must be finite. A q ** (gamma - 1) factor (q = 1 - p_t) is inf "
                "where q underflows to 0 (and 0 * inf = nan): use the form of the docstring, "
                "alpha_t q^gamma (gamma p_t log p_t - q), which has no (1 - p_t) ** (gamma - 1)"
            )
            close(xa.grad, _e4_focal_grad64(x, t, alpha, gamma).float(), f"{call}: the gradient differs from the float64 closed form",
                  **tolerances("cpu", torch.float32))

    def test_focal_function_saves_only_logits_and_targets(self):
        ex, ref = lab.exercise(4), lab.reference(4)
        n = 1000
        x = torch.randn(n, requires_grad=True)
        t = _e4_targets((n,))
        packed: list[torch.Tensor] = []

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            packed.append(tensor)
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            out = ex.binary_focal_loss_fused(x, t, 0.25, 2.0, "mean")
        others = [tuple(p.shape) for p in packed if p.data_ptr() not in (x.data_ptr(), t.data_ptr())]
        assert not others, (
            f"BinaryFocalLossFunction saved {len(packed)} tensors for backward, {len(others)} of them neither the logits nor the "
            f"targets (shapes {others[:4]}): your Function saves intermediates for backward; recompute them from logits and targets"
        )
        del out
        kept = {}
        for name, fn in (("yours", ex.binary_focal_loss_fused), ("autograd", lab.reference(1).binary_focal_loss)):
            for reduction in ("mean", "none"):
                with track_tensor_memory() as mem:
                    out = fn(x, t, 0.25, 2.0, reduction)
                kept[name, reduction] = mem.current_bytes - out.untyped_storage().nbytes()
                del out
        assert kept["autograd", "mean"] >= 4 * 4 * n, "the memory measurement saw nothing: autograd's version keeps several tensors"
        for reduction in ("mean", "none"):
            assert kept["yours", reduction] <= 64, (
                f"BinaryFocalLossFunction.apply(x ({n},) float32, targets, reduction={reduction!r}) keeps "
                f"{kept['yours', reduction]} bytes alive besides its result ({kept['autograd', reduction]} for autograd's version; "
                "the input is 4000): your Function saves intermediates for backward; recompute them from logits and targets "
                "(ctx.save_for_backward(logits, targets) and nothing else, no tensors as ctx attributes)"
            )

    def test_focal_function_is_a_real_autograd_function_with_a_hand_backward(self):
        ex = lab.exercise(4)
        x = torch.randn(5, 3, requires_grad=True)
        t = _e4_targets((5, 3))
        for reduction in ("none", "mean", "sum"):
            with forbid(*_E4_FOCAL_SHORTCUTS, **_E4_NO_TORCHVISION):
                out = ex.binary_focal_loss_fused(x, t, 0.25, 2.0, reduction)
            node = out.grad_fn
            name = type(node).__name__ if node is not None else None
            assert name is not None and "BinaryFocalLossFunction" in name, (
                f"binary_focal_loss_fused(..., reduction={reduction!r}).grad_fn is {name}; expected the Function's node "
                "(BinaryFocalLossFunctionBackward): compute the loss and its reduction inside forward, not with autograd"
            )
            nxt = [type(f).__name__ for f, _ in node.next_functions if f is not None]
            assert nxt == ["AccumulateGrad"], (
                f"the Function's node leads to {nxt}; it should lead straight to the logits' AccumulateGrad "
                "(forward receives the logits themselves; no graph is built around the Function)"
            )
            packed: list[int] = []
            with torch.autograd.graph.saved_tensors_hooks(lambda v: packed.append(1) or v, lambda v: v):
                out.sum().backward()
            assert not packed, (
                f"BinaryFocalLossFunction.backward (reduction={reduction!r}) built an autograd graph of its own "
                f"({len(packed)} saved tensors): write the gradient from the closed form, do not differentiate the loss again"
            )

    def test_focal_function_gives_no_gradient_to_targets(self):
        ex = lab.exercise(4)
        x = torch.randn(8, dtype=torch.float64, requires_grad=True)
        t = _e4_targets((8,), torch.float64).requires_grad_(True)
        ex.binary_focal_loss_fused(x, t, 0.25, 2.0, "sum").backward()
        assert x.grad is not None, "BinaryFocalLossFunction gave the logits no gradient"
        assert t.grad is None, (
            "BinaryFocalLossFunction gave the targets a gradient (targets.grad is not None): backward returns None "
            "for targets, alpha, gamma and reduction; only the logits get one"
        )

    def test_margin_ranking_loss_matches_nn_margin_ranking_loss(self):
        ex = lab.exercise(4)
        for n, margin in [(1, 0.0), (9, 0.0), (9, 0.5), (16, 1.3)]:
            for y_kind in ("mixed", "all +1", "all -1"):
                for reduction in ("none", "mean", "sum"):
                    x1, x2 = torch.randn(n, dtype=torch.float64), torch.randn(n, dtype=torch.float64)
                    y = {"mixed": torch.randint(0, 2, (n,)).double() * 2 - 1, "all +1": torch.ones(n, dtype=torch.float64),
                         "all -1": -torch.ones(n, dtype=torch.float64)}[y_kind]
                    a1, a2 = x1.clone().requires_grad_(True), x2.clone().requires_grad_(True)
                    b1, b2 = x1.clone().requires_grad_(True), x2.clone().requires_grad_(True)
                    with forbid(*_E4_RANKING_SHORTCUTS, **_E4_NO_RANKING):
                        got = ex.margin_ranking_loss(a1, a2, y, margin, reduction)
                    want = nn.MarginRankingLoss(margin, reduction=reduction)(b1, b2, y)
                    call = f"margin_ranking_loss(x1 ({n},), x2, y {y_kind}, margin={margin}, reduction={reduction!r})"
                    close(got, want, f"{call} differs from nn.MarginRankingLoss: the loss is max(0, -y (x1 - x2) + margin), "
                                     "y = 1 where x1 should rank higher")
                    g = torch.randn(want.shape, dtype=torch.float64)
                    got.backward(g)
                    want.backward(g)
                    close(a1.grad, b1.grad, f"{call}: d/dx1 differs from nn.MarginRankingLoss's")
                    close(a2.grad, b2.grad, f"{call}: d/dx2 differs from nn.MarginRankingLoss's")

    def test_margin_ranking_loss_pushes_tied_scores_apart_at_margin_zero(self):
        ex = lab.exercise(4)
        x1 = torch.zeros(4, dtype=torch.float64, requires_grad=True)
        x2 = torch.zeros(4, dtype=torch.float64, requires_grad=True)
        y = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
        ex.margin_ranking_loss(x1, x2, y, 0.0, "sum").backward()
        close(x1.grad, -y, "margin_ranking_loss(zeros, zeros, y, margin=0, 'sum'): d/dx1 at tied scores should be -y, as "
                           "nn.MarginRankingLoss gives (its clamp(min=0) passes the gradient at the boundary); F.relu or "
                           "torch.maximum give 0 or -y/2 there, so a scorer that starts with all scores equal never moves")
        close(x2.grad, y, "margin_ranking_loss(zeros, zeros, y, margin=0, 'sum'): d/dx2 at tied scores should be y, as nn.MarginRankingLoss gives")

    def test_listnet_loss_matches_a_loop_over_queries(self):
        ex = lab.exercise(4)
        for b, n in [(1, 1), (1, 5), (4, 6), (3, 2)]:
            s = (torch.randn(b, n, dtype=torch.float64) * 2).requires_grad_(True)
            rel = torch.randint(0, 4, (b, n)).double()
            got = ex.listnet_loss(s, rel)
            want = _e4_listnet_loop(s, rel)
            call = f"listnet_loss(scores ({b}, {n}), relevance)"
            assert got.shape == (), f"{call} returned shape {tuple(got.shape)}; the loss is a scalar, the mean over the queries"
            close(got, want, f"{call} differs from the loop over queries of -sum_j softmax(relevance)_j log softmax(scores)_j "
                             "(softmax over each query's items, dim 1; the target is softmax(relevance))")
            (gs,) = torch.autograd.grad(got, s)
            (ws,) = torch.autograd.grad(want, s)
            close(gs, ws, f"d {call} / d scores differs from autograd of the float64 loop")
        s, rel = torch.randn(5, 7) * 30, torch.randn(5, 7) * 3
        got = ex.listnet_loss(s, rel)
        assert torch.isfinite(got), (f"listnet_loss(scores * 30, relevance) in float32 is {got.item()}: use F.log_softmax "
                                     "for the prediction, not softmax().log()")
        close(got, _e4_listnet_loop(s, rel).float(), "listnet_loss(float32 scores up to +-100) differs from the float64 loop",
              atol=1e-4, rtol=1e-5)

    def test_listnet_loss_is_smallest_at_scores_equal_relevance_plus_a_constant(self):
        ex = lab.exercise(4)
        rel = torch.randn(3, 6, dtype=torch.float64)
        shift = torch.tensor([[5.0], [-2.0], [40.0]], dtype=torch.float64)
        p = F.softmax(rel, dim=1)
        entropy = -(p * p.log()).sum(1).mean()
        close(ex.listnet_loss(rel + shift, rel), entropy,
              "listnet_loss(relevance + a constant per query, relevance) should equal the entropy of softmax(relevance) "
              "(the cross-entropy of a distribution with itself)")
        scores = torch.randn(3, 6, dtype=torch.float64)
        close(ex.listnet_loss(scores + shift, rel), ex.listnet_loss(scores, rel),
              "listnet_loss(scores + a constant per query, relevance) differs from listnet_loss(scores, relevance): "
              "a softmax over each query's items (dim 1) does not see a constant added to the whole list")
        for _ in range(5):
            other = rel + shift + 0.5 * torch.randn(3, 6, dtype=torch.float64)
            assert ex.listnet_loss(other, rel).item() > entropy.item(), (
                "listnet_loss(scores, relevance) for scores != relevance + const came out at or below the entropy of the target, "
                "the loss's minimum: the target must be softmax(relevance), the prediction log_softmax(scores)"
            )

    def test_listnet_loss_ignores_padded_items(self):
        ex = lab.exercise(4)
        mask = torch.tensor([[True, True, True, False, False], [True, False, False, False, False], [True] * 5, [True, True, False, False, False]])
        s = torch.randn(4, 5, dtype=torch.float64)
        rel = torch.randint(0, 4, (4, 5)).double()
        want = _e4_listnet_loop(s, rel, mask)
        for fill in ("random", "huge", "-inf"):
            sp, rp = s.clone(), rel.clone()
            pad = {"random": torch.randn(4, 5, dtype=torch.float64) * 5, "huge": torch.full((4, 5), 1e4, dtype=torch.float64),
                   "-inf": torch.full((4, 5), float("-inf"), dtype=torch.float64)}[fill]
            sp[~mask], rp[~mask] = pad[~mask], pad[~mask]
            sp.requires_grad_(True)
            got = ex.listnet_loss(sp, rp, mask)
            call = f"listnet_loss(scores (4, 5), relevance, mask) with the padded entries set to {fill}"
            assert torch.isfinite(got), f"{call} is {got.item()}: padded items must be left out of both softmaxes and their terms (0 * -inf is nan)"
            close(got, want, f"{call} differs from the loop over each query's real items: padding must be excluded from BOTH "
                             "softmaxes (scores and relevance)")
            (gs,) = torch.autograd.grad(got, sp)
            assert torch.isfinite(gs).all() and not gs[~mask].any(), (
                f"{call}: the gradient on the scores should be finite and 0 on padded items; it is {gs.tolist()}"
            )
        single = ex.listnet_loss(torch.randn(2, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64),
                                 torch.tensor([[True, False, False, False], [False, False, True, False]]))
        assert abs(single.item()) < 1e-12, (
            f"listnet_loss on queries with one real item each is {single.item():.6g}; a list of one item has nothing to rank, the loss is 0"
        )
        s, rel = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)
        close(ex.listnet_loss(s, rel, torch.ones(3, 4, dtype=torch.bool)), ex.listnet_loss(s, rel),
              "listnet_loss(scores, relevance, mask of all True) differs from listnet_loss(scores, relevance)")


# ---- Exercise 5: what the losses buy, measured: recall, average precision, calibration, retrieval ---
#
# scikit-learn is the oracle where it has the metric (recall_score, average_precision_score,
# NearestNeighbors with the cosine metric, PCA); the reliability bins and the ECE are compared with
# a float64 loop over their definition, written below, and the temperature with a bisection on the
# derivative of the NLL, which is monotone in 1/T (the NLL is convex in 1/T). The scikit-learn
# functions are off limits in your code: the exercise is to compute each metric yourself.

_E5_NO_SKLEARN = dict(why="Exercise 5 asks you to compute the metric yourself: scikit-learn is the grader's oracle")
_E5_SKLEARN = ("sklearn.metrics._ranking.confusion_matrix_at_thresholds", "sklearn.metrics._classification.multilabel_confusion_matrix",
               "sklearn.neighbors.NearestNeighbors.kneighbors", "sklearn.decomposition.PCA._fit")
_E5_F64 = tolerances("cpu", torch.float64)
_E5_F32 = tolerances("cpu", torch.float32)


def _e5_run(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with scikit-learn's metrics off limits."""
    with forbid(*_E5_SKLEARN, **_E5_NO_SKLEARN):
        return fn(*args, **kwargs)


def _e5_ap_explain(got: float, scores: torch.Tensor, labels: torch.Tensor) -> str:
    """': <cause>' when ``got`` is what a known wrong version of average precision gives, else ''."""
    s, y = scores.double().numpy(), labels.numpy()
    order = np.argsort(-s, kind="stable")
    ys = y[order]
    tp, fp = np.cumsum(ys), np.cumsum(1 - ys)
    n_pos = ys.sum()
    prec_each, rec_each = tp / (tp + fp), tp / n_pos
    ungrouped = float(np.sum(np.diff(np.concatenate([[0.0], rec_each])) * prec_each))
    precision, recall, _ = precision_recall_curve(y, s)  # recall decreasing, ends at (recall 0, precision 1)
    interpolated = np.maximum.accumulate(precision)  # max precision at recall >= r
    interp_ap = float(-np.sum(np.diff(recall) * interpolated[:-1]))
    trapezoid = float(auc(recall, precision))
    for cause, value in [
        ("tied scores must enter together as one threshold (you stepped through them one example at a time)", ungrouped),
        ("that is the interpolated precision (the max precision at any higher recall, the VOC style); "
         "average precision uses the precision at each threshold itself", interp_ap),
        ("that is the trapezoidal area auc(recall, precision), which interpolates linearly between the points "
         "and is optimistic; average precision is the step sum of (R_k - R_(k-1)) * P_k", trapezoid),
    ]:
        if abs(got - value) < 1e-9:
            return f": {cause}"
    return ""


def _e5_bins_loop(probs: torch.Tensor, labels: torch.Tensor, n_bins: int) -> tuple[list[float], list[float], list[int]]:
    """The reliability bins by their definition, one example at a time, in float64."""
    edges = torch.linspace(0, 1, n_bins + 1, dtype=probs.dtype).double().tolist()
    sum_conf, sum_acc, count = [0.0] * n_bins, [0.0] * n_bins, [0] * n_bins
    for row, y in zip(probs.double().tolist(), labels.tolist()):
        c = max(row)
        pred = row.index(c)
        m = next(m for m in range(n_bins) if edges[m] < c <= edges[m + 1])
        sum_conf[m] += c
        sum_acc[m] += float(pred == y)
        count[m] += 1
    conf = [s / n if n else 0.0 for s, n in zip(sum_conf, count)]
    acc = [s / n if n else 0.0 for s, n in zip(sum_acc, count)]
    return conf, acc, count


def _e5_ece_loop(probs: torch.Tensor, labels: torch.Tensor, n_bins: int) -> float:
    conf, acc, count = _e5_bins_loop(probs, labels, n_bins)
    n = sum(count)
    return sum(k / n * abs(a - c) for c, a, k in zip(conf, acc, count))


def _e5_ece_explain(got: float, probs: torch.Tensor, labels: torch.Tensor, n_bins: int) -> str:
    """': <cause>' when ``got`` is what a known wrong version of the ECE gives, else ''."""
    conf, acc, count = _e5_bins_loop(probs, labels, n_bins)
    gaps = [a - c for c, a, k in zip(conf, acc, count) if k]
    n = sum(count)
    signed = sum(k / n * (a - c) for c, a, k in zip(conf, acc, count))
    for cause, value in [
        ("ECE with bins weighted equally instead of by their count |B_m| / N", sum(abs(g) for g in gaps) / len(gaps)),
        ("ECE with bins weighted equally instead of by their count |B_m| / N", sum(abs(g) for g in gaps) / n_bins),
        ("the gaps acc - conf need their absolute value: with a sign, over- and under-confident bins cancel", signed),
        ("the gaps acc - conf need their absolute value: with a sign, over- and under-confident bins cancel", -signed),
        (f"that is the ECE with the default 15 bins; use the n_bins={n_bins} asked for", _e5_ece_loop(probs, labels, 15)),
    ]:
        if abs(got - value) < 1e-9 and not (n_bins == 15 and "default" in cause):
            return f": {cause}"
    return ""


def _e5_probs(n: int, c: int, scale: float = 2.0, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities (n, c) of random logits and labels that agree with the argmax more often than not."""
    logits = torch.randn(n, c, dtype=torch.float64) * scale
    labels = torch.where(torch.rand(n) < 0.6, logits.argmax(1), torch.randint(0, c, (n,)))
    return F.softmax(logits, dim=1).to(dtype), labels


def _e5_nll_slope(logits: torch.Tensor, labels: torch.Tensor, t: float) -> float:
    """d NLL(softmax(logits / T)) / d log T at T = t, in float64."""
    log_t = torch.tensor(math.log(t), dtype=torch.float64, requires_grad=True)
    F.cross_entropy(logits.double() / log_t.exp(), labels).backward()
    return float(log_t.grad)


def _e5_best_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The T minimising the NLL: bisection on log(1/T), where the derivative is increasing."""
    z = logits.double()
    lo, hi = math.log(1e-3), math.log(1e3)
    for _ in range(80):
        mid = (lo + hi) / 2
        p = F.softmax(z * math.exp(mid), dim=1)
        slope = float(((p * z).sum(1) - z.gather(1, labels[:, None]).squeeze(1)).mean())  # d NLL / d beta
        lo, hi = (lo, mid) if slope > 0 else (mid, hi)
    return math.exp(-(lo + hi) / 2)


def _e5_temperature_data(t0: float, n: int = 4000, c: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits z * t0 with labels drawn from softmax(z): the calibrating temperature is t0."""
    z = torch.randn(n, c, dtype=torch.float64) * 1.5
    labels = torch.multinomial(F.softmax(z, dim=1), 1).squeeze(1)
    return z * t0, labels


def _e5_clusters(n: int, d: int, k: int, spread: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Points around k random directions, each row scaled by its own random norm (0.05x to 20x)."""
    centres = torch.randn(k, d, dtype=torch.float64)
    labels = torch.randint(0, k, (n,))
    x = centres[labels] + spread * torch.randn(n, d, dtype=torch.float64)
    return x * torch.exp(torch.empty(n, 1, dtype=torch.float64).uniform_(-3, 3)), labels


def _e5_loo_recall(sim: torch.Tensor, labels: torch.Tensor) -> float:
    """Leave-one-out recall@1 for a similarity matrix (larger = nearer)."""
    sim = sim.clone().fill_diagonal_(float("-inf"))
    return float((labels[sim.argmax(1)] == labels).double().mean())


@pytest.mark.exercise(5)
class TestMinorityRecall:
    def test_minority_recall_matches_sklearn_recall_score(self):
        ex = lab.exercise(5)
        for n, pos_rate, dtype in [(200, 0.1, torch.float64), (57, 0.3, torch.float32), (1, 1.0, torch.float64)]:
            probs = torch.rand(n, dtype=dtype)
            labels = (torch.rand(n) < pos_rate).long()
            labels[0] = 1
            for thr in (0.5, 0.2, 0.85, 0.0):
                got = _e5_run(ex.minority_recall, probs, labels, threshold=thr)
                want = recall_score(labels.numpy(), (probs >= thr).numpy())
                called = probs >= thr
                precision = float((labels[called] == 1).double().mean()) if called.any() else math.nan
                why = (": that is the precision TP / (TP + FP); recall divides by the positives, TP + FN"
                       if isinstance(got, float) and abs(got - precision) < 1e-12 and abs(precision - want) > 1e-12 else "")
                assert isinstance(got, float) and abs(got - want) < 1e-12, (
                    f"minority_recall(probs ({n},) {dtype}, labels with {int(labels.sum())} positives, threshold={thr}) "
                    f"returned {got!r}; sklearn's recall_score(labels, probs >= threshold) gives {want}{why}"
                )
        probs, labels = torch.rand(100), (torch.rand(100) < 0.4).long()
        got = _e5_run(ex.minority_recall, probs, labels)
        want = recall_score(labels.numpy(), (probs >= 0.5).numpy())
        assert abs(got - want) < 1e-12, f"minority_recall(probs, labels) with the default threshold returned {got}; expected {want} (threshold 0.5)"

    def test_a_probability_exactly_at_the_threshold_counts_as_positive(self):
        ex = lab.exercise(5)
        probs = torch.tensor([0.5, 0.25, 0.75, 0.5, 0.1, 0.5, 0.9])
        labels = torch.tensor([1, 1, 1, 1, 1, 0, 0])
        for thr, want in [(0.5, 3 / 5), (0.25, 4 / 5), (0.75, 1 / 5)]:
            got = _e5_run(ex.minority_recall, probs, labels, threshold=thr)
            assert abs(got - want) < 1e-12, (
                f"minority_recall(probs {probs.tolist()}, labels {labels.tolist()}, threshold={thr}) returned {got}; "
                f"expected {want}: a probability exactly at the threshold is called positive (probs >= threshold, not >)"
            )

    def test_minority_recall_is_nan_without_positives(self):
        ex = lab.exercise(5)
        got = _e5_run(ex.minority_recall, torch.tensor([0.9, 0.2, 0.6]), torch.tensor([0, 0, 0]))
        assert isinstance(got, float) and math.isnan(got), (
            f"minority_recall(probs, labels all 0) returned {got!r}; recall is 0/0 without a positive: return nan"
        )


@pytest.mark.exercise(5)
class TestAveragePrecision:
    def _check(self, ex, scores: torch.Tensor, labels: torch.Tensor, what: str, extra: str = "") -> None:
        got = _e5_run(ex.average_precision, scores, labels)
        want = float(average_precision_score(labels.numpy(), scores.double().numpy()))
        if not (isinstance(got, float) and abs(got - want) < 1e-10):
            why = _e5_ap_explain(got, scores, labels) if isinstance(got, float) else ""
            if extra and extra.lstrip("; ").split(",")[0] in why:
                extra = ""
            raise AssertionError(
                f"average_precision(scores, labels) on {what} returned {got!r}; sklearn's average_precision_score gives "
                f"{want:.12g}{why}{extra}"
            )

    def test_average_precision_matches_sklearn_on_random_scores(self):
        ex = lab.exercise(5)
        for n, pos_rate, dtype in [(300, 0.1, torch.float64), (41, 0.5, torch.float32), (2, 0.5, torch.float64), (1, 1.0, torch.float64)]:
            scores = torch.randn(n, dtype=dtype)
            labels = (torch.rand(n) < pos_rate).long()
            labels[0] = 1
            self._check(ex, scores, labels, f"{n} random {dtype} scores with {int(labels.sum())} positives")
        scores = torch.randn(60, 2)[:, 1]  # a non-contiguous view
        labels = (torch.rand(60) < 0.3).long()
        self._check(ex, scores, labels, "a non-contiguous view of 60 scores")

    def test_average_precision_counts_tied_scores_as_one_threshold(self):
        ex = lab.exercise(5)
        for n, pos_rate in [(200, 0.3), (37, 0.6), (500, 0.05)]:
            scores = (torch.rand(n, dtype=torch.float64) * 4).round() / 4  # 5 distinct values: heavy ties
            labels = (torch.rand(n) < pos_rate + 0.3 * scores.float()).long()
            labels[0] = 1
            self._check(ex, scores, labels, f"{n} scores rounded to steps of 0.25 (heavily tied)",
                        extra="; tied scores must enter together as one threshold")
        scores = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.2, 0.9])
        labels = torch.tensor([0, 0, 1, 1, 1, 0])
        self._check(ex, scores, labels, f"scores {scores.tolist()}, labels {labels.tolist()}",
                    extra="; tied scores must enter together as one threshold, whatever their order in the input")

    def test_average_precision_of_extreme_rankings(self):
        ex = lab.exercise(5)
        scores = torch.randn(30, dtype=torch.float64)
        order = scores.argsort(descending=True)
        perfect = torch.zeros(30, dtype=torch.long)
        perfect[order[:7]] = 1
        got = _e5_run(ex.average_precision, scores, perfect)
        assert abs(got - 1.0) < 1e-12, f"average_precision on a perfect ranking (the 7 positives score highest) returned {got}; expected 1.0"
        reversed_ = torch.zeros(30, dtype=torch.long)
        reversed_[order[-7:]] = 1
        self._check(ex, scores, reversed_, "a reversed ranking (the 7 positives score lowest)")
        self._check(ex, scores, torch.ones(30, dtype=torch.long), "all 30 examples positive")
        one = torch.zeros(30, dtype=torch.long)
        one[order[4]] = 1
        self._check(ex, scores, one, "one positive, ranked 5th")

    def test_average_precision_is_nan_without_positives(self):
        ex = lab.exercise(5)
        got = _e5_run(ex.average_precision, torch.randn(10), torch.zeros(10, dtype=torch.long))
        assert isinstance(got, float) and math.isnan(got), (
            f"average_precision(scores, labels all 0) returned {got!r}; recall is undefined without a positive: return nan"
        )


@pytest.mark.exercise(5)
class TestReliabilityBins:
    def _check(self, ex, probs: torch.Tensor, labels: torch.Tensor, n_bins: int, what: str) -> None:
        got = _e5_run(ex.reliability_bins, probs, labels, n_bins)
        call = f"reliability_bins(probs {tuple(probs.shape)} {probs.dtype}{what}, labels, n_bins={n_bins})"
        assert isinstance(got, tuple) and len(got) == 3, f"{call} returned {type(got).__name__}; expected (confidence, accuracy, count)"
        conf, acc, count = got
        want_conf, want_acc, want_count = _e5_bins_loop(probs, labels, n_bins)
        assert tuple(count.shape) == (n_bins,) and count.dtype == torch.long, (
            f"{call}: count has shape {tuple(count.shape)} and dtype {count.dtype}; expected ({n_bins},) torch.long"
        )
        assert int(count.sum()) == probs.shape[0], (
            f"{call}: the counts sum to {int(count.sum())}; every one of the {probs.shape[0]} examples belongs to exactly one bin"
        )
        assert count.tolist() == want_count, (
            f"{call}: count is {count.tolist()}; expected {want_count}. Bin m holds the confidences c = max_k p_k with "
            "edges[m] < c <= edges[m+1], edges = torch.linspace(0, 1, n_bins + 1)"
        )
        tol = _E5_F64 if probs.dtype == torch.float64 else _E5_F32
        for name, value, want in [("confidence", conf, want_conf), ("accuracy", acc, want_acc)]:
            assert tuple(value.shape) == (n_bins,), f"{call}: {name} has shape {tuple(value.shape)}; expected ({n_bins},)"
            close(value.double(), torch.tensor(want, dtype=torch.float64),
                  f"{call}: the per-bin {name} differs from a loop over the definition (the bin's mean of "
                  + ("max_k p_k" if name == "confidence" else "argmax_k p_k == label") + "; 0 for an empty bin)", **tol)

    def test_reliability_bins_match_a_loop_over_the_definition(self):
        ex = lab.exercise(5)
        for n, c, n_bins, dtype in [(400, 5, 15, torch.float64), (97, 2, 10, torch.float64), (60, 7, 3, torch.float32),
                                    (1, 4, 5, torch.float64), (50, 3, 1, torch.float64)]:
            probs, labels = _e5_probs(n, c, dtype=dtype)
            self._check(ex, probs, labels, n_bins, "")
        probs, labels = _e5_probs(80, 4)
        self._check(ex, probs.T.contiguous().T, labels, 6, ", non-contiguous")

    def test_a_confidence_exactly_on_an_edge_goes_to_the_lower_bin(self):
        ex = lab.exercise(5)
        confs = torch.tensor([0.5, 0.5, 0.75, 1.0, 0.625, 0.25 + 0.5])  # exactly representable, and on edges
        labels = torch.tensor([0, 1, 0, 0, 2, 1])
        for dtype in (torch.float64, torch.float32):
            probs = torch.stack([confs, (1 - confs) * 0.6, (1 - confs) * 0.4], dim=1).to(dtype)
            for n_bins in (2, 4, 8):
                edges = torch.linspace(0, 1, n_bins + 1, dtype=dtype)
                want = torch.bincount(torch.tensor([next(m for m in range(n_bins) if edges[m] < c <= edges[m + 1])
                                                    for c in confs.tolist()]), minlength=n_bins)
                got = _e5_run(ex.reliability_bins, probs, labels, n_bins)[2]
                assert got.tolist() == want.tolist(), (
                    f"reliability_bins with confidences {confs.tolist()} ({dtype}), n_bins={n_bins}: count is "
                    f"{got.tolist()}; expected {want.tolist()}. A confidence exactly on an edge goes to the LOWER bin: "
                    "bin m is (edges[m], edges[m+1]], closed on the right, so 1.0 is in the last bin"
                )
            self._check(ex, probs, labels, 4, " with confidences on the edges")

    def test_empty_bins_are_zero_and_the_counts_sum_to_n(self):
        ex = lab.exercise(5)
        conf = torch.empty(40, dtype=torch.float64).uniform_(0.81, 0.86)  # all in bin 12 of 15
        probs = torch.stack([conf, 1 - conf], dim=1)
        labels = (torch.rand(40) < 0.5).long()
        conf_b, acc_b, count = _e5_run(ex.reliability_bins, probs, labels, 15)
        empty = count == 0
        assert int(count.sum()) == 40 and int(count[12]) == 40, (
            f"reliability_bins(confidences in [0.81, 0.86], n_bins=15) counted {count.tolist()}; "
            "expected all 40 examples in bin 12, (0.8, 0.8667], and the other 14 bins empty"
        )
        assert torch.equal(conf_b[empty], torch.zeros(int(empty.sum()), dtype=conf_b.dtype)) and torch.equal(
            acc_b[empty], torch.zeros(int(empty.sum()), dtype=acc_b.dtype)), (
            f"reliability_bins: the empty bins have confidence {conf_b[empty].tolist()} and accuracy "
            f"{acc_b[empty].tolist()}; an empty bin reports 0 (not nan: divide by max(count, 1))"
        )
        self._check(ex, probs, labels, 15, " with most bins empty")


@pytest.mark.exercise(5)
class TestExpectedCalibrationError:
    def test_ece_matches_a_loop_over_the_definition(self):
        ex = lab.exercise(5)
        for n, c, n_bins, dtype in [(500, 5, 15, torch.float64), (120, 2, 10, torch.float64), (64, 6, 7, torch.float32),
                                    (1, 3, 15, torch.float64)]:
            probs, labels = _e5_probs(n, c, scale=3.0, dtype=dtype)
            got = _e5_run(ex.expected_calibration_error, probs, labels, n_bins)
            want = _e5_ece_loop(probs, labels, n_bins)
            tol = 1e-12 if dtype == torch.float64 else 1e-5
            assert isinstance(got, float) and abs(got - want) < tol, (
                f"expected_calibration_error(probs ({n}, {c}) {dtype}, labels, n_bins={n_bins}) returned {got!r}; "
                f"the sum over bins of |B_m|/N * |acc(B_m) - conf(B_m)| is {want:.12g}"
                + (_e5_ece_explain(got, probs, labels, n_bins) if isinstance(got, float) else "")
            )
        probs, labels = _e5_probs(300, 4, scale=3.0)
        got = _e5_run(ex.expected_calibration_error, probs, labels)
        want = _e5_ece_loop(probs, labels, 15)
        assert abs(got - want) < 1e-12, f"expected_calibration_error(probs, labels) (default n_bins=15) returned {got}; expected {want:.12g}"

    def test_ece_respects_n_bins(self):
        ex = lab.exercise(5)
        probs, labels = _e5_probs(400, 3, scale=3.0)
        for n_bins in (10, 15, 2):
            got = _e5_run(ex.expected_calibration_error, probs, labels, n_bins)
            want = _e5_ece_loop(probs, labels, n_bins)
            assert abs(got - want) < 1e-12, (
                f"expected_calibration_error(probs, labels, n_bins={n_bins}) returned {got}; expected {want:.12g} "
                f"(with 10 bins it is {_e5_ece_loop(probs, labels, 10):.6f}, with 15 {_e5_ece_loop(probs, labels, 15):.6f})"
                + _e5_ece_explain(got, probs, labels, n_bins)
            )

    def test_a_perfectly_calibrated_model_has_zero_ece(self):
        ex = lab.exercise(5)
        rows, labels = [], []
        for conf, n_right in [(0.55, 11), (0.65, 13), (0.85, 17), (0.95, 19)]:  # out of 20: accuracy = confidence
            for i in range(20):
                rows.append([conf, (1 - conf) * 0.5, (1 - conf) * 0.5])
                labels.append(0 if i < n_right else 1 + i % 2)
        probs, labels = torch.tensor(rows, dtype=torch.float64), torch.tensor(labels)
        for n_bins in (10, 15):
            got = _e5_run(ex.expected_calibration_error, probs, labels, n_bins)
            assert abs(got) < 1e-9, (
                f"expected_calibration_error on a perfectly calibrated model (in every bin the accuracy equals the "
                f"confidence: 11 of 20 right at 0.55, 13 of 20 at 0.65, ...), n_bins={n_bins}, returned {got}; expected 0"
            )

    def test_an_always_confident_and_wrong_model_has_ece_equal_to_its_mean_confidence(self):
        ex = lab.exercise(5)
        probs, _ = _e5_probs(300, 4, scale=4.0)
        labels = (probs.argmax(1) + 1 + torch.randint(0, 3, (300,))) % 4  # never the argmax
        got = _e5_run(ex.expected_calibration_error, probs, labels)
        want = float(probs.max(1).values.mean())
        assert abs(got - want) < 1e-12, (
            f"expected_calibration_error on a model whose argmax is always wrong returned {got}; with accuracy 0 in "
            f"every bin the ECE is the mean confidence mean(max_k p_k) = {want:.12g}"
        )

    def test_ece_weights_each_bin_by_its_count(self):
        ex = lab.exercise(5)
        conf = torch.tensor([0.95] * 90 + [0.55] * 10, dtype=torch.float64)
        probs = torch.stack([conf, 1 - conf], dim=1)
        labels = torch.tensor([0] * 90 + [1] * 10)  # 90 right at 0.95 (gap 0.05), 10 wrong at 0.55 (gap 0.55)
        got = _e5_run(ex.expected_calibration_error, probs, labels, 10)
        want = 0.9 * 0.05 + 0.1 * 0.55
        msg = ""
        if abs(got - (0.05 + 0.55) / 2) < 1e-9 or abs(got - (0.05 + 0.55) / 10) < 1e-9:
            msg = ": ECE with bins weighted equally instead of by their count |B_m| / N"
        assert abs(got - want) < 1e-12, (
            f"expected_calibration_error with 90 examples right at confidence 0.95 and 10 wrong at 0.55, n_bins=10, "
            f"returned {got}; expected 0.9 * 0.05 + 0.1 * 0.55 = {want}{msg}"
        )


@pytest.mark.exercise(5)
class TestFitTemperature:
    def test_fit_temperature_recovers_the_temperature_of_synthetic_data(self):
        ex = lab.exercise(5)
        for t0 in (2.5, 0.5):
            logits, labels = _e5_temperature_data(t0)
            got = _e5_run(ex.fit_temperature, logits, labels)
            call = f"fit_temperature(logits z * {t0}, labels drawn from softmax(z))"
            assert isinstance(got, float), f"{call} returned a {type(got).__name__}; expected a Python float"
            best = _e5_best_temperature(logits, labels)
            msg = ""
            if abs(got * best - 1) < 0.01:
                msg = ": that is 1 / T; temperature scaling DIVIDES the logits by T"
            elif abs(math.exp(got) / best - 1) < 0.01:
                msg = ": that is log T; optimise log T, then return T = exp(log T)"
            assert abs(got / t0 - 1) < 0.05 and abs(got / best - 1) < 1e-4, (
                f"{call} returned {got:.6g}; the data were made with T = {t0}, and the T minimising the NLL of "
                f"softmax(logits / T) is {best:.6g}{msg}"
            )

    def test_the_nll_is_flat_in_t_at_the_returned_temperature(self):
        ex = lab.exercise(5)
        for t0, n, c in [(1.7, 3000, 10), (0.8, 1500, 3)]:
            logits, labels = _e5_temperature_data(t0, n, c)
            t = _e5_run(ex.fit_temperature, logits, labels)
            slope = _e5_nll_slope(logits, labels, t)
            assert abs(slope) < 1e-6, (
                f"fit_temperature(logits ({n}, {c}), labels) returned T = {t:.6g}, where d NLL / d log T = {slope:.3g}; "
                "at the minimising T it is 0 (the optimiser stopped early or minimised something else)"
            )

    def test_fit_temperature_returns_a_positive_float_and_leaves_the_logits_unchanged(self):
        ex = lab.exercise(5)
        logits, labels = _e5_temperature_data(3.0, 800, 5)
        logits = logits.float().requires_grad_(True)
        before = logits.detach().clone()
        t = _e5_run(ex.fit_temperature, logits, labels)
        call = "fit_temperature(float32 logits that require grad, labels)"
        assert isinstance(t, float) and t > 0, f"{call} returned {t!r}; expected a positive Python float"
        assert torch.equal(logits.detach(), before) and logits.grad is None, (
            f"{call} changed the logits (or accumulated a gradient into them); work on a detached copy"
        )
        assert torch.equal((logits.detach() / t).argmax(1), before.argmax(1)), (
            f"{call}: dividing by the returned T = {t} changed the argmax; a positive T never does"
        )
        best = _e5_best_temperature(before, labels)
        assert abs(t / best - 1) < 1e-4, f"{call} returned {t:.6g}; the NLL-minimising T is {best:.6g}"


@pytest.mark.exercise(5)
class TestRecallAt1:
    @staticmethod
    def _sklearn_recall(emb: torch.Tensor, labels: torch.Tensor) -> float:
        x = emb.double().numpy()
        _, idx = NearestNeighbors(n_neighbors=2, metric="cosine", algorithm="brute").fit(x).kneighbors(x)
        own = np.arange(len(x))
        neighbour = np.where(idx[:, 0] == own, idx[:, 1], idx[:, 0])
        return float((labels.numpy()[neighbour] == labels.numpy()).mean())

    def _explain(self, got: float, emb: torch.Tensor, labels: torch.Tensor) -> str:
        x = emb.double()
        z = F.normalize(x, dim=1)
        if got == 1.0:
            return ": a point is its own nearest neighbour: exclude the diagonal"
        if got == _e5_loo_recall(-torch.cdist(x, x), labels):
            return ": that is the Euclidean nearest neighbour; the retrieval is by cosine similarity"
        if got == _e5_loo_recall(x @ x.T, labels):
            return ": that is the largest dot product; normalise the rows first, so the norm does not count (cosine)"
        if got == float((labels[(z @ z.T).argmax(1)] == labels).double().mean()):
            return ": a point is its own nearest neighbour: exclude the diagonal"
        return ""

    def test_recall_at_1_matches_sklearn_cosine_nearest_neighbours_leave_one_out(self):
        ex = lab.exercise(5)
        for n, d, k, dtype in [(150, 8, 5, torch.float64), (61, 3, 3, torch.float32), (2, 4, 2, torch.float64)]:
            emb, labels = _e5_clusters(n, d, k, spread=1.0)
            emb = emb.to(dtype)
            got = _e5_run(ex.recall_at_1, emb, labels)
            want = self._sklearn_recall(emb, labels)
            assert isinstance(got, float) and abs(got - want) < 1e-12, (
                f"recall_at_1(emb ({n}, {d}) {dtype}, labels) returned {got!r}; leave-one-out NearestNeighbors"
                f"(metric='cosine') gives {want}{self._explain(got, emb, labels) if isinstance(got, float) else ''}"
            )
        emb, labels = _e5_clusters(90, 12, 4, spread=1.2)
        wide = torch.zeros(90, 24, dtype=torch.float64)
        wide[:, ::2] = emb
        view = wide[:, ::2]  # a non-contiguous view of the same rows
        got, want = _e5_run(ex.recall_at_1, view, labels), self._sklearn_recall(emb, labels)
        assert abs(got - want) < 1e-12, f"recall_at_1 on a non-contiguous view of emb (90, 12) returned {got}; expected {want}"

    def test_a_point_is_not_its_own_nearest_neighbour(self):
        ex = lab.exercise(5)
        emb, labels = _e5_clusters(80, 6, 4, spread=1.5)
        got = _e5_run(ex.recall_at_1, emb, labels)
        want = self._sklearn_recall(emb, labels)
        assert abs(got - want) < 1e-12, (
            f"recall_at_1(emb (80, 6), labels) of overlapping clusters returned {got}; leave-one-out retrieval gives "
            f"{want}{self._explain(got, emb, labels)}"
        )
        two = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        got = _e5_run(ex.recall_at_1, two, torch.tensor([0, 1]))
        assert got == 0.0, (
            f"recall_at_1 of two points with different labels returned {got}; each point's only other point has "
            "the other label, so it is 0 (a point is its own nearest neighbour: exclude the diagonal)"
        )

    def test_recall_at_1_is_by_cosine_not_by_euclidean_distance_or_dot_product(self):
        ex = lab.exercise(5)
        # a = (1, 0): its cosine neighbour b = (10, 1) is far away, c = (0.7, 0.7) is nearer in Euclidean distance.
        # c: its cosine neighbour is e = (0.6, 0.8), its largest dot product is with the long b (another label).
        emb = torch.tensor([[1.0, 0.0], [10.0, 1.0], [0.7, 0.7], [-3.0, 8.0], [0.6, 0.8]], dtype=torch.float64)
        labels = torch.tensor([0, 0, 1, 1, 1])
        got = _e5_run(ex.recall_at_1, emb, labels)
        want = self._sklearn_recall(emb, labels)
        assert abs(got - want) < 1e-12, (
            f"recall_at_1(emb {emb.tolist()}, labels {labels.tolist()}) returned {got}; by cosine similarity it is "
            f"{want}{self._explain(got, emb, labels)}"
        )
        emb, labels = _e5_clusters(120, 5, 3, spread=0.8)
        scales = torch.exp(torch.randn(120, 1, dtype=torch.float64) * 2)
        got, rescaled = _e5_run(ex.recall_at_1, emb, labels), _e5_run(ex.recall_at_1, emb * scales, labels)
        want = self._sklearn_recall(emb, labels)
        assert got == want and rescaled == want, (
            f"recall_at_1 of rows with norms from 0.05 to 20 returned {got}, and {rescaled} after rescaling each row; "
            f"cosine retrieval ignores the norms and gives {want}{self._explain(got, emb, labels)}"
        )


@pytest.mark.exercise(5)
class TestPCA2d:
    @staticmethod
    def _data(n: int, d: int, dtype=torch.float64) -> torch.Tensor:
        """Anisotropic data far from the origin: distinct variances 3^2, 2^2, 1, ...; mean around 5."""
        scale = torch.tensor([3.0, 2.0] + [1.0 / (i + 1) for i in range(d - 2)], dtype=torch.float64)
        q, _ = torch.linalg.qr(torch.randn(d, d, dtype=torch.float64))
        return ((torch.randn(n, d, dtype=torch.float64) * scale) @ q.T + 5 + torch.randn(d, dtype=torch.float64)).to(dtype)

    def test_pca_2d_matches_sklearn_pca_up_to_the_sign_of_each_column(self):
        ex = lab.exercise(5)
        for n, d, dtype in [(200, 6, torch.float64), (40, 2, torch.float64), (5, 9, torch.float64), (150, 4, torch.float32)]:
            x = self._data(n, d, dtype)
            got = _e5_run(ex.pca_2d, x)
            want = torch.from_numpy(PCA(n_components=2).fit_transform(x.double().numpy()))
            call = f"pca_2d(x ({n}, {d}) {dtype})"
            assert tuple(got.shape) == (n, 2), f"{call} returned shape {tuple(got.shape)}; expected ({n}, 2)"
            signs = torch.sign((got.double() * want).sum(0))
            signs[signs == 0] = 1
            mean = got.double().mean(0)
            hint = (" (the output is not centred: subtract the column means before the SVD)"
                    if mean.abs().max() > 1e-3 * want.abs().max() else "")
            tol = _E5_F64 if dtype == torch.float64 else dict(atol=1e-4, rtol=1e-4)
            close(got.double() * signs, want, f"{call} differs from sklearn's PCA(2).fit_transform(x), even after "
                  f"flipping the sign of each column{hint}", **tol)

    def test_pca_2d_output_is_centred_and_its_first_column_has_the_largest_variance(self):
        ex = lab.exercise(5)
        x = self._data(300, 5)
        got = _e5_run(ex.pca_2d, x).double()
        mean = got.mean(0)
        assert mean.abs().max() < 1e-9, (
            f"pca_2d(x (300, 5), mean around 5) has column means {mean.tolist()}; the projection of the CENTRED "
            "data has mean 0 (subtract x.mean(dim=0), the mean of each feature)"
        )
        var = got.var(0)
        total = (x - x.mean(0)).var(0).sum()
        assert var[0] >= var[1] and var[0] > 0.5 * total, (
            f"pca_2d(x (300, 5)): the column variances are {var.tolist()} of a total {float(total):.4g}; the first "
            "column is the direction of largest variance (the first right-singular vector of the centred data: "
            "a ROW of Vh)"
        )
