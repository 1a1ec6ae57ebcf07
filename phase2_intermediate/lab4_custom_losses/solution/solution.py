"""Lab 2.4 runner: losses from their papers, checked against the library versions, and what each
one buys on a task where it should matter.

    cd phase2_intermediate/lab4_custom_losses && python solution/solution.py   (or: make run LAB=2.4)

Prints the worked examples the README quotes (marked WORKED EXAMPLE), the agreement of every loss
with its library or brute-force version, the memory and time of a hand-written backward against
autograd's, and three measured comparisons over 5 seeds: minority recall and PR-AUC of
cross-entropy, class-balanced cross-entropy and focal loss on a task with 2 % positives;
expected calibration error before and after temperature scaling; nearest-neighbour recall@1 of
embeddings trained with three triplet minings and with InfoNCE. Saves a reliability diagram and
a PCA plot of the embeddings under $LAB_OUTPUT_DIR (default: outputs/ in the lab folder).
``--full`` trains every model twice as many steps and adds batch-all mining to the retrieval
comparison (its B x B x B triplet tensor makes it the slowest).
"""
from __future__ import annotations

import itertools
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.datasets import load_digits  # noqa: E402
from shared.devices import describe_machine, seed_everything  # noqa: E402
from shared.memory import track_tensor_memory  # noqa: E402
from shared.report import max_diff, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds  # noqa: E402

from exercise1_imbalance import (  # noqa: E402
    binary_focal_loss,
    class_balanced_weights,
    focal_loss,
    focal_modulation_table,
    smoothed_targets,
    soft_cross_entropy,
)
from exercise2_metric import (  # noqa: E402
    batch_all_triplet_loss,
    batch_hard_triplet_loss,
    pairwise_distances,
    semi_hard_triplet_loss,
    semi_hard_triplets,
    triplet_margin_loss,
)
from exercise3_infonce import (  # noqa: E402
    clip_loss,
    gaussian_mi,
    gaussian_pairs,
    infonce_lower_bound,
    info_nce,
    nt_xent,
    optimal_gaussian_critic,
)
from exercise4_backward import (  # noqa: E402
    binary_focal_loss_fused,
    listnet_loss,
    margin_ranking_loss,
)
from exercise5_evaluation import (  # noqa: E402
    average_precision,
    expected_calibration_error,
    fit_temperature,
    minority_recall,
    pca_2d,
    recall_at_1,
    reliability_bins,
)

# The imbalanced task: 8 features, positives (2 %) shifted by 1.5 along the first two.
N_IMBALANCED, MINORITY, SHIFT, IMB_STEPS = 10_000, 0.02, 1.5, 200
# Jittered digits: every image shifted by up to one pixel each way, plus N(0, 0.2^2) noise.
JITTER, NOISE, N_VALIDATION = 1, 0.2, 288
CAL_STEPS, EMB_STEPS, EMB_DIM, MARGIN = 300, 200, 32, 0.2
N_ECE_BINS = 15


def naive_binary_focal(x: torch.Tensor, t: torch.Tensor, alpha: float, gamma: float) -> torch.Tensor:
    """The textbook formula with sigmoid().log(): what NOT to write."""
    p = torch.sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    return -(alpha * t + (1 - alpha) * (1 - t)) * (1 - p_t) ** gamma * torch.log(p_t)


# ---------------------------------------------------------------------------------------------
# Exercise 1: imbalance
# ---------------------------------------------------------------------------------------------


def imbalance_losses() -> None:
    import torchvision

    torch.manual_seed(0)
    x = torch.randn(64, dtype=torch.float64) * 4
    t = (torch.rand(64) < 0.3).double()
    worst = 0.0
    for alpha, gamma, reduction in itertools.product((0.25, 0.75, -1.0), (0.0, 0.5, 2.0, 5.0), ("none", "mean", "sum")):
        a = binary_focal_loss(x, t, alpha, gamma, reduction)
        b = torchvision.ops.sigmoid_focal_loss(x, t, alpha, gamma, reduction)
        worst = max(worst, (a - b).abs().max().item())
    logits = torch.randn(32, 5, dtype=torch.float64)
    y = torch.randint(0, 5, (32,))
    w = torch.rand(5, dtype=torch.float64) + 0.5
    fl0 = max((focal_loss(logits, y, 0.0, w, r) - F.cross_entropy(logits, y, weight=w, reduction=r)).abs().max().item()
              for r in ("none", "mean", "sum"))
    sm = soft_cross_entropy(logits, smoothed_targets(y, 5, 0.1, torch.float64))
    table(["check (float64)", "max |difference|"], [
        ["binary_focal_loss vs torchvision.ops.sigmoid_focal_loss, 36 (alpha, gamma, reduction)", f"{worst:.1e}"],
        ["focal_loss(gamma=0, weight) vs F.cross_entropy(weight), 3 reductions", f"{fl0:.1e}"],
        ["soft_cross_entropy(smoothed_targets) vs F.cross_entropy(label_smoothing=0.1)",
         max_diff(sm, F.cross_entropy(logits, y, label_smoothing=0.1))],
    ])
    big = torch.tensor([100.0, -100.0, 100.0, -100.0], requires_grad=True)
    tt = torch.tensor([1.0, 0.0, 0.0, 1.0])
    ours = binary_focal_loss(big, tt, 0.25, 2.0)
    ours.sum().backward()
    naive = naive_binary_focal(big.detach(), tt, 0.25, 2.0)
    print("logits +-100 in float32, targets [1, 0, 0, 1] (two right, two confidently wrong):")
    print(f"  log-sigmoid form: loss {[round(v, 2) for v in ours.tolist()]}, gradient {[round(v, 3) for v in big.grad.tolist()]}")
    print(f"  sigmoid().log() form: loss {naive.tolist()}")

    print("WORKED EXAMPLE (a): how much the focal loss (gamma = 2) discounts an example the model gets right")
    table(["p_t", "CE = -log p_t", "FL = -(1 - p_t)^2 log p_t", "CE / FL"],
          [[f"{p:g}", f"{ce:.4f}", f"{fl:.3g}", f"{r:,.0f}" if r >= 10 else f"{r:.2f}"]
           for p, ce, fl, r in focal_modulation_table([0.1, 0.5, 0.9, 0.99, 0.999])])

    counts = [round(N_IMBALANCED * (1 - MINORITY)), round(N_IMBALANCED * MINORITY)]
    print(f"WORKED EXAMPLE (b): class-balanced weights (sum = 2) for the task's counts {counts}")
    rows = []
    for beta in (0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999):
        wb = class_balanced_weights(counts, beta)
        e = [(1 - beta**n) / (1 - beta) if beta else 1.0 for n in counts]
        rows.append([f"{beta:g}", f"{e[0]:,.1f}", f"{e[1]:,.1f}", f"{wb[0]:.4f}", f"{wb[1]:.4f}", f"{wb[1] / wb[0]:.1f}"])
    inv = [1 / c for c in counts]
    rows.append(["inverse frequency", "", "", f"{2 * inv[0] / sum(inv):.4f}", f"{2 * inv[1] / sum(inv):.4f}",
                 f"{counts[0] / counts[1]:.1f}"])
    table(["beta", "E_n negatives", "E_n positives", "w negatives", "w positives", "ratio"], rows)


# ---------------------------------------------------------------------------------------------
# Exercise 2: metric learning
# ---------------------------------------------------------------------------------------------


def metric_losses() -> None:
    torch.manual_seed(0)
    a, p, n = torch.randn(3, 16, 8, dtype=torch.float64).unbind(0)
    worst = 0.0
    for pn, swap, reduction in itertools.product((1.0, 2.0, 3.0), (False, True), ("none", "mean", "sum")):
        ref = nn.TripletMarginLoss(margin=0.5, p=pn, swap=swap, reduction=reduction)(a, p, n)
        worst = max(worst, (triplet_margin_loss(a, p, n, 0.5, pn, 1e-6, swap, reduction) - ref).abs().max().item())
    emb = torch.randn(12, 4, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    x = F.normalize(emb, dim=1)
    d = torch.cdist(x, x)
    every = [(i, j, k) for i, j, k in itertools.product(range(12), repeat=3)
             if i != j and labels[i] == labels[j] and labels[k] != labels[i]]
    losses = [max(0.0, (d[i, j] - d[i, k]).item() + MARGIN) for i, j, k in every]
    positive = [v for v in losses if v > 0]
    ba, active = batch_all_triplet_loss(emb, labels, MARGIN)
    table(["check (float64)", "value", "brute force"], [
        ["triplet_margin_loss vs nn.TripletMarginLoss, 18 (p, swap, reduction): max |diff|", f"{worst:.1e}", ""],
        ["pairwise_distances vs torch.cdist: max |diff|", max_diff(pairwise_distances(x), d), ""],
        ["valid triplets in a batch of 4 classes x 3", "", f"{len(every)}"],
        ["batch-all: triplets with loss > 0", f"{active}", f"{len(positive)}"],
        ["batch-all loss", f"{ba.item():.6f}", f"{sum(positive) / len(positive):.6f}"],
    ])
    print("WORKED EXAMPLE (c): which negative each mining picks for anchor 0 (class 0) on the unit sphere, margin 0.2")
    print(f"  distances from anchor 0: positives 1, 2: {d[0, 1]:.3f}, {d[0, 2]:.3f}; negatives 3..11: "
          + ", ".join(f"{d[0, k]:.3f}" for k in range(3, 12)))
    hard_pos = max((1, 2), key=lambda j: d[0, j].item())
    hard_neg = min(range(3, 12), key=lambda k: d[0, k].item())
    print(f"  batch-hard: farthest positive {hard_pos} ({d[0, hard_pos]:.3f}), closest negative {hard_neg} "
          f"({d[0, hard_neg]:.3f}): loss max(0, {d[0, hard_pos]:.3f} - {d[0, hard_neg]:.3f} + 0.2) = "
          f"{max(0.0, (d[0, hard_pos] - d[0, hard_neg]).item() + MARGIN):.3f}")
    triplets = semi_hard_triplets(emb, labels)
    for a_, p_, n_ in triplets[:2].tolist():
        print(f"  semi-hard for (0, {p_}): closest negative farther than {d[0, p_]:.3f} is {n_} ({d[0, n_]:.3f}): "
              f"loss {max(0.0, (d[0, p_] - d[0, n_]).item() + MARGIN):.3f}")
    print(f"  batch-hard loss of the batch {batch_hard_triplet_loss(emb, labels, MARGIN).item():.4f}, "
          f"semi-hard {semi_hard_triplet_loss(emb, labels, MARGIN).item():.4f}, batch-all {ba.item():.4f}")


# ---------------------------------------------------------------------------------------------
# Exercise 3: InfoNCE
# ---------------------------------------------------------------------------------------------


def nt_xent_loop(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> float:
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n2 = len(z)
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2
        den = sum(math.exp(z[i] @ z[k] / tau) for k in range(n2) if k != i)
        total += -math.log(math.exp(z[i] @ z[j] / tau) / den)
    return total / n2


def infonce_family() -> None:
    torch.manual_seed(0)
    z1, z2 = torch.randn(2, 8, 6, dtype=torch.float64).unbind(0)
    img, txt = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    clip_ref = 0.5 * sum(-math.log(math.exp(10 * img[i] @ txt[i]) / sum(math.exp(10 * img[i] @ txt[j]) for j in range(8)))
                         + -math.log(math.exp(10 * img[i] @ txt[i]) / sum(math.exp(10 * img[j] @ txt[i]) for j in range(8)))
                         for i in range(8)) / 8
    nce_ref = sum(-math.log(math.exp(img[i] @ txt[i] / 0.1) / sum(math.exp(img[i] @ txt[j] / 0.1) for j in range(8)))
                  for i in range(8)) / 8
    table(["loss (N = 8, float64)", "ours", "loop over anchors"], [
        ["info_nce, tau = 0.1", f"{info_nce(z1, z2, 0.1).item():.10f}", f"{nce_ref:.10f}"],
        ["nt_xent, tau = 0.5 (16 anchors, 14 negatives each)", f"{nt_xent(z1, z2, 0.5).item():.10f}", f"{nt_xent_loop(z1, z2, 0.5):.10f}"],
        ["clip_loss, logit scale 10", f"{clip_loss(z1, z2, 10.0).item():.10f}", f"{clip_ref:.10f}"],
    ])
    dim, rho = 4, 0.8
    mi = gaussian_mi(dim, rho)
    print(f"WORKED EXAMPLE (d): the InfoNCE bound I(X; Y) >= log N - L with the optimal critic, on Gaussian pairs "
          f"(dim {dim}, rho {rho}): true I = -{dim}/2 log(1 - {rho}^2) = {mi:.4f} nats; 8,192 pairs per N")
    g = torch.Generator().manual_seed(0)
    rows, pmi = [], []
    for n in (2, 8, 64, 512, 4096):
        vals = []
        for _ in range(8_192 // n):
            x, y = gaussian_pairs(n, dim, rho, g)
            scores = optimal_gaussian_critic(x, y, rho)
            vals.append(infonce_lower_bound(scores).item())
            pmi.append(scores.diagonal())
        rows.append([n, f"{math.log(n):.4f}", f"{sum(vals) / len(vals):.4f}", f"{mi:.4f}"])
    pmi = torch.cat(pmi)
    table(["N", "log N (the ceiling)", "log N - L", "true I"], rows)
    print(f"  the pointwise MI log p(y|x)/p(y) of the {len(pmi) // 5:,} positive pairs of one N: sd "
          f"{pmi.std().item():.3f} nats, so a mean over 8,192 of them has a standard error of "
          f"{pmi.std().item() / math.sqrt(8192):.3f}")


# ---------------------------------------------------------------------------------------------
# Exercise 4: a hand-written backward, ranking losses
# ---------------------------------------------------------------------------------------------


class OperatorCount(TorchDispatchMode):
    """Counts the ATen operators run inside it, and those whose output has at least ``size`` elements."""

    def __init__(self, size: int):
        super().__init__()
        self.size, self.total, self.large = size, 0, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        out = func(*args, **(kwargs or {}))
        self.total += 1
        self.large += isinstance(out, torch.Tensor) and out.numel() >= self.size
        return out


def custom_backward() -> None:
    torch.manual_seed(0)
    x = (torch.randn(32, dtype=torch.float64) * 4).requires_grad_()
    t = (torch.rand(32) < 0.3).double()
    ok = all(torch.autograd.gradcheck(lambda v: binary_focal_loss_fused(v, t, a, g, r), (x,))
             for a, g, r in itertools.product((0.25, -1.0), (0.0, 0.5, 2.0), ("none", "mean", "sum")))
    print(f"BinaryFocalLossFunction: gradcheck in float64 over 18 (alpha, gamma, reduction): {'passed' if ok else 'FAILED'}")
    n = 1_000_000
    x = torch.randn(n, requires_grad=True)
    t = (torch.rand(n) < 0.1).float()
    rows = []
    for name, fn in (("autograd of exercise 1's binary_focal_loss", binary_focal_loss),
                     ("autograd.Function, hand backward", binary_focal_loss_fused)):
        with track_tensor_memory() as mem:
            loss = fn(x, t, 0.25, 2.0, "mean")
        kept = mem.current_bytes
        del loss

        def step(fn=fn) -> None:
            x.grad = None
            fn(x, t, 0.25, 2.0, "mean").backward()

        res = benchmark(step, warmup=3, repeat=30)
        with OperatorCount(n) as ops:
            step()
        rows.append([name, f"{kept / 2**20:.1f} MiB ({kept / (4 * n):.0f} x the input)", f"{mem.peak_bytes / 2**20:.1f} MiB",
                     f"{ops.total} ({ops.large})", format_seconds(res.median), format_seconds(res.min)])
    print(f"binary focal loss on {n:,} float32 logits, forward + backward (30 timed calls; times vary by machine):")
    table(["implementation", "kept for backward", "forward peak", "ATen ops (input-sized)", "median time", "fastest"], rows)

    s1, s2 = torch.randn(2, 64, dtype=torch.float64).unbind(0)
    y = torch.randint(0, 2, (64,)).double() * 2 - 1
    rank = max((margin_ranking_loss(s1, s2, y, 0.3, r) - nn.MarginRankingLoss(0.3, reduction=r)(s1, s2, y)).abs().max().item()
               for r in ("none", "mean", "sum"))
    print(f"margin_ranking_loss vs nn.MarginRankingLoss, 3 reductions: max |diff| {rank:.1e}")
    scores = torch.tensor([[2.0, 1.0, 0.0]])
    rel = torch.tensor([[3.0, 2.0, 0.0]])
    print("WORKED EXAMPLE (e): ListNet on one query of 3 items, relevance [3, 2, 0]")
    print(f"  target softmax(relevance) = {[round(v, 4) for v in F.softmax(rel, 1)[0].tolist()]}")
    for sc in ([[2.0, 1.0, 0.0]], [[0.0, 1.0, 2.0]], [[20.0, 10.0, 0.0]]):
        s = torch.tensor(sc)
        print(f"  scores {sc[0]}: softmax {[round(v, 4) for v in F.softmax(s, 1)[0].tolist()]}, "
              f"loss {listnet_loss(s, rel).item():.4f}")
    print(f"  minimum (scores = relevance + any constant): the entropy of the target, "
          f"{listnet_loss(rel + 5.0, rel).item():.4f}")
    del scores


# ---------------------------------------------------------------------------------------------
# Exercise 5: what the losses buy
# ---------------------------------------------------------------------------------------------


def imbalanced_task(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, generator=g) < MINORITY).long()
    x = torch.randn(n, 8, generator=g)
    x[:, :2] += SHIFT * y[:, None]
    return x, y


LOSSES = {
    "cross-entropy": lambda z, y, w: F.binary_cross_entropy_with_logits(z, y.float()),
    "class-balanced CE (beta 0.9999)": lambda z, y, w: (w[y] * F.binary_cross_entropy_with_logits(z, y.float(), reduction="none")).sum() / w[y].sum(),
    "focal, gamma 2, no alpha": lambda z, y, w: binary_focal_loss(z, y.float(), -1.0, 2.0, "mean"),
    "focal, gamma 2, alpha 0.25": lambda z, y, w: binary_focal_loss(z, y.float(), 0.25, 2.0, "mean"),
}


def train_binary(loss_name: str, x: torch.Tensor, y: torch.Tensor, seed: int, steps: int) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(x.shape[1], 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    w = class_balanced_weights(torch.bincount(y, minlength=2), 0.9999).float()
    for _ in range(steps):
        loss = LOSSES[loss_name](model(x).squeeze(1), y, w)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def imbalance_comparison(seeds: int, steps: int) -> None:
    print(f"task: 8 features, N(0, I); positives ({MINORITY:.0%}) shifted by {SHIFT} along 2 of them; "
          f"{N_IMBALANCED:,} train and {N_IMBALANCED:,} test examples per seed; MLP 8-16-1, Adam 1e-2, "
          f"{steps} full-batch steps; recall at threshold 0.5")
    results: dict[str, list[tuple[float, float]]] = {k: [] for k in LOSSES}
    share, easy_ce, easy_fl = {}, [], []
    for seed in range(seeds):
        x, y = imbalanced_task(N_IMBALANCED, seed)
        xt, yt = imbalanced_task(N_IMBALANCED, 1000 + seed)
        for name in LOSSES:
            model = train_binary(name, x, y, seed, steps)
            with torch.no_grad():
                z = model(xt).squeeze(1)
            p = torch.sigmoid(z)
            results[name].append((minority_recall(p, yt), average_precision(p, yt)))
            if name == "cross-entropy":
                rows = loss_shares(z, yt)
                share = share or rows
                easy_ce.append(float(rows[0][2].rstrip("%")))
                easy_fl.append(float(rows[0][3].rstrip("%")))
    table(["loss", "minority recall", "PR-AUC (average precision)"],
          [[name, spread([r for r, _ in v]), spread([a for _, a in v])] for name, v in results.items()])
    print(f"  a random ranking scores PR-AUC = the positive rate, about {MINORITY:.2f}")
    nominal = class_balanced_weights([round(N_IMBALANCED * (1 - MINORITY)), round(N_IMBALANCED * MINORITY)], 0.9999)
    ratio = (nominal[1] / nominal[0]).item()
    print(f"  the ideal (Bayes) classifier of this task, thresholded at 0.5: minority recall "
          f"{bayes_recall(0.0):.3f} unweighted, {bayes_recall(math.log(ratio)):.3f} with the class-balanced "
          f"weights (ratio {ratio:.2f}, which adds log {ratio:.2f} = {math.log(ratio):.2f} to its logit)")
    print("WORKED EXAMPLE (f): where the loss comes from, on seed 0's test set, scored by the cross-entropy model")
    table(["examples", "count", "share of total CE", "share of total focal (gamma 2)"], share)
    print(f"  over the {seeds} seeds, the examples with p_t > 0.9 carry {spread(easy_ce, '.1f', '%')} of the CE "
          f"and {spread(easy_fl, '.1f', '%')} of the focal loss")


def bayes_recall(shift: float) -> float:
    """Minority recall at p = 0.5 of the task's true posterior with ``shift`` added to its logit.

    The log-odds are SHIFT * s - SHIFT^2 + log(MINORITY / (1 - MINORITY)) with s = x_1 + x_2, and
    the positives' s is N(2 SHIFT, 2): recall = P(s > threshold) = erfc(z / sqrt 2) / 2.
    """
    threshold = (SHIFT**2 - math.log(MINORITY / (1 - MINORITY)) - shift) / SHIFT
    z = (threshold - 2 * SHIFT) / math.sqrt(2.0)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def loss_shares(z: torch.Tensor, y: torch.Tensor) -> list[list[str]]:
    ce = F.binary_cross_entropy_with_logits(z, y.float(), reduction="none")
    fl = binary_focal_loss(z, y.float(), -1.0, 2.0)
    p_t = torch.exp(-ce)
    rows = []
    for name, sel in (("well classified, p_t > 0.9", p_t > 0.9), ("the rest, p_t <= 0.9", p_t <= 0.9),
                      ("positives (any p_t)", y == 1)):
        rows.append([name, f"{int(sel.sum()):,}", f"{(ce[sel].sum() / ce.sum()).item():.1%}",
                     f"{(fl[sel].sum() / fl.sum()).item():.1%}"])
    return rows


def jittered_digits(split: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Digits shifted by up to JITTER pixels each way with N(0, NOISE^2) noise: (N, 64), labels."""
    x, y = load_digits(split)
    return jitter(x, torch.Generator().manual_seed(seed)), y


def jitter(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    n, s = len(x), x.shape[-1]
    padded = F.pad(x, (JITTER,) * 4)
    dy, dx = (torch.randint(0, 2 * JITTER + 1, (n,), generator=g) for _ in range(2))
    r = torch.arange(s)
    rows = (dy[:, None] + r)[:, :, None].expand(n, s, s)
    cols = (dx[:, None] + r)[:, None, :].expand(n, s, s)
    out = padded[torch.arange(n)[:, None, None], 0, rows, cols]
    return (out + NOISE * torch.randn(out.shape, generator=g)).flatten(1)


def calibration(seeds: int, steps: int) -> None:
    x_all, y_all = jittered_digits("train", 1)
    xt, yt = jittered_digits("test", 2)
    print(f"jittered digits (shift <= {JITTER} px, noise sd {NOISE}): {len(x_all) - N_VALIDATION} train, {N_VALIDATION} "
          f"validation (temperature), {len(xt)} test; MLP 64-128-10, Adam 1e-2, {steps} full-batch CE steps; "
          f"ECE with {N_ECE_BINS} equal-width bins")
    rows, before, after, temps, acc_b, acc_a = [], [], [], [], [], []
    kept = None
    for seed in range(seeds):
        perm = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(seed))
        val, tr = perm[:N_VALIDATION], perm[N_VALIDATION:]
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(steps):
            loss = F.cross_entropy(model(x_all[tr]), y_all[tr])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            lv, lt = model(x_all[val]), model(xt)
        temp = fit_temperature(lv, y_all[val])
        pb, pa = lt.softmax(1), (lt / temp).softmax(1)
        temps.append(temp)
        before.append(expected_calibration_error(pb, yt, N_ECE_BINS))
        after.append(expected_calibration_error(pa, yt, N_ECE_BINS))
        acc_b.append((pb.argmax(1) == yt).double().mean().item())
        acc_a.append((pa.argmax(1) == yt).double().mean().item())
        if seed == 0:
            kept = (pb, pa, yt, temp)
    rows = [["fitted temperature T", spread(temps, ".2f"), ""],
            ["test ECE", spread(before, ".4f"), spread(after, ".4f")],
            ["test accuracy", spread(acc_b, ".4f"), spread(acc_a, ".4f")]]
    table(["", "before (T = 1)", "after temperature scaling"], rows)
    print(f"  accuracy changed on {sum(a != b for a, b in zip(acc_b, acc_a))} of {seeds} seeds (argmax is invariant to T > 0)")
    return kept


def save_reliability(kept) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pb, pa, yt, temp = kept
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8), sharey=True)
    for ax, probs, title in ((axes[0], pb, "T = 1"), (axes[1], pa, f"T = {temp:.2f} (fitted on validation)")):
        conf, acc, count = reliability_bins(probs, yt, N_ECE_BINS)
        centres = (torch.arange(N_ECE_BINS) + 0.5) / N_ECE_BINS
        has = count > 0
        ax.bar(centres[has], acc[has], width=1 / N_ECE_BINS, edgecolor="black", label="accuracy in bin")
        ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
        ax.scatter(conf[has], acc[has], color="red", s=12, zorder=3, label="(confidence, accuracy)")
        ax.set_title(f"{title}: ECE {expected_calibration_error(probs, yt, N_ECE_BINS):.3f}")
        ax.set_xlabel("confidence (max probability)")
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("Reliability diagram, jittered digits test set, seed 0")
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "lab2_4_reliability.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"saved {path}")


def train_embedder(kind: str, x: torch.Tensor, y: torch.Tensor, seed: int, steps: int) -> tuple[nn.Module, float]:
    """The embedder and its mean training loss over the last 20 steps."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, EMB_DIM))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    by_class = [torch.nonzero(y == c).squeeze(1) for c in range(10)]

    def draw(k: int) -> torch.Tensor:  # (k, 10): k images of every class
        return torch.stack([b[torch.randint(len(b), (k,), generator=g)] for b in by_class], dim=1)

    last = []
    for step in range(steps):
        if kind == "InfoNCE":  # 8 groups of 10 (anchor, positive) pairs, one pair per class: no false negatives
            a, p = draw(8), draw(8)
            za = model(jitter(x[a.reshape(-1)].view(-1, 1, 8, 8), g)).view(8, 10, -1)
            zp = model(jitter(x[p.reshape(-1)].view(-1, 1, 8, 8), g)).view(8, 10, -1)
            loss = sum(clip_loss(za[i], zp[i], 10.0) for i in range(8)) / 8
        else:  # 10 classes x 8 images
            idx = draw(8).reshape(-1)
            emb = model(jitter(x[idx].view(-1, 1, 8, 8), g))
            if kind == "triplet, batch-all":
                loss = batch_all_triplet_loss(emb, y[idx], MARGIN)[0]
            elif kind == "triplet, batch-hard":
                loss = batch_hard_triplet_loss(emb, y[idx], MARGIN)
            else:
                loss = semi_hard_triplet_loss(emb, y[idx], MARGIN)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= steps - 20:
            last.append(loss.item())
    return model, sum(last) / len(last)


def retrieval(seeds: int, steps: int, batch_all: bool):
    x, y = load_digits("train")
    x = x.flatten(1)
    xt, yt = jittered_digits("test", 2)
    kinds = ["triplet, batch-all"] * batch_all + ["triplet, batch-hard", "triplet, semi-hard", "InfoNCE"]
    print(f"embedder MLP 64-128-{EMB_DIM}, trained {steps} steps (Adam 3e-3) on freshly jittered training digits; "
          f"triplets: 10 classes x 8 per batch, margin {MARGIN}, unit sphere; InfoNCE: CLIP-style symmetric, "
          f"8 groups of one pair per class, logit scale 10; recall@1 on the {len(xt)} jittered test digits")
    results = {k: [] for k in kinds}
    final = {k: [] for k in kinds}
    spreads = {k: [] for k in kinds}
    embs = {}
    for seed in range(seeds):
        for kind in kinds:
            model, last_loss = train_embedder(kind, x, y, seed, steps)
            with torch.no_grad():
                e = model(xt)
            results[kind].append(recall_at_1(e, yt))
            final[kind].append(last_loss)
            z = F.normalize(e, dim=1)
            spreads[kind].append(pairwise_distances(z).sum().item() / (len(z) * (len(z) - 1)))
            if seed == 0:
                embs[kind] = F.normalize(e, dim=1)
    rows = [["raw pixels (no training)", f"{recall_at_1(xt, yt):.3f}", "", ""]]
    rows += [[k, spread(v), spread(final[k]), spread(spreads[k])] for k, v in results.items()]
    table(["embedding", "recall@1", "training loss, last 20 steps", "mean distance between test embeddings"], rows)
    print("  (unit sphere: distances lie in [0, 2]; two random directions in 32-D are about sqrt(2) = 1.41 apart, "
          "a collapsed embedding puts every point in one place)")
    return embs, yt


def save_embedding_plot(embs, labels) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(embs), figsize=(4 * len(embs), 4.2), layout="constrained")
    for ax, (kind, e) in zip(axes, embs.items()):
        xy = pca_2d(e.double())
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=6)
        ax.set_title(f"{kind}\nrecall@1 {recall_at_1(e, labels):.3f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(sc, ax=axes, ticks=range(10), label="digit")
    fig.suptitle("Test embeddings projected on their two principal directions (seed 0)")
    path = output_dir(LAB_DIR) / "lab2_4_embeddings_pca.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


def main() -> None:
    parser = runner_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    seed_everything(0)
    start = time.perf_counter()
    scale = 2 if args.full else 1
    print(f"Lab 2.4 custom losses | {describe_machine()}")
    where = "your exercises/ files" if whose() == "yours" else "solution/, the reference solution"
    print(f"code under test: {whose()} ({where})")

    section("Exercise 1: focal loss, class-balanced weights, soft targets")
    run_part(imbalance_losses)
    section("Exercise 2: contrastive and triplet losses, mining")
    run_part(metric_losses)
    section("Exercise 3: InfoNCE, NT-Xent, CLIP")
    run_part(infonce_family)
    section("Exercise 4: a hand-written backward; ranking losses")
    run_part(custom_backward)
    section("Exercise 5: imbalance: cross-entropy vs class-balanced vs focal")
    run_part(imbalance_comparison, args.seeds, IMB_STEPS * scale)
    section("Exercise 5: calibration and temperature scaling")
    kept = run_part(calibration, args.seeds, CAL_STEPS * scale)
    if kept:
        run_part(save_reliability, kept)
    section("Exercise 5: retrieval with triplet and InfoNCE embeddings")
    got = run_part(retrieval, args.seeds, EMB_STEPS * scale, batch_all=args.full)
    if got:
        run_part(save_embedding_plot, *got)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
