"""Lab 1.3 runner: losses, optimizers, schedules, healthy training, and the optimizer olympics.

    cd phase1_foundations/lab3_training_loop && python solution/solution.py      (or: make run LAB=1.3)

Prints what it computed, section by section, including the worked examples the README quotes
(marked WORKED EXAMPLE), and saves four plots under $LAB_OUTPUT_DIR (default: outputs/ in the
lab folder): the optimizers' trajectories on a 2-D valley, the olympics' loss curves, the schedules,
and the learning-rate range test.

``make run LAB=1.3 TARGET=exercises`` runs this same script on your exercises/ files: each part
that needs an exercise you have not written yet prints one "skipped" line, and the rest runs.
"""
from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.datasets import make_spirals  # noqa: E402
from shared.devices import describe_machine, get_device, seed_everything  # noqa: E402
from shared.report import max_diff, output_dir, run_part, run_target, runner_parser, section, spread, table, whose  # noqa: E402

from exercise1_training_loop import accuracy, evaluate, fit, train_one_epoch  # noqa: E402
from exercise2_optimizers import SGD, Adam, AdamW, Lion, RMSprop  # noqa: E402
from exercise3_schedules import (  # noqa: E402
    cosine_warm_restarts_lr,
    lr_range_test,
    multistep_lr,
    one_cycle_lr,
    plateau_lrs,
    plateau_scheduler_lrs,
    scheduler_lrs,
    step_decay_lr,
    suggest_lr,
    warmup_cosine_lr,
)
from exercise4_healthy_training import (  # noqa: E402
    EarlyStopping,
    clip_grad_norm,
    get_rng_state,
    load_checkpoint,
    save_checkpoint,
    update_to_param_ratio,
)
from exercise5_losses import binary_cross_entropy_with_logits, cross_entropy, huber, l1, logsumexp, mse  # noqa: E402

DEVICE = get_device()


# ---------------------------------------------------------------------------------------------
# Small helpers: printing and data
# ---------------------------------------------------------------------------------------------


def fmt(values, digits: int = 6) -> str:
    return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"


def spirals(seed: int, n_per_class: int) -> tuple[torch.Tensor, torch.Tensor]:
    return make_spirals(n_per_class, n_classes=3, noise=0.05, seed=seed)


def mlp(seed: int, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(64, 3)).to(DEVICE)


class ShuffledBatches:
    """Batches of (X, y) in a fresh random order every epoch: what DataLoader(TensorDataset(X, y),
    batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)) yields, the same order and the
    same batches, without the per-sample indexing and collation that make a DataLoader slow on tiny tensors."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int):
        self.X, self.y, self.batch_size = X, y, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)  # the DataLoader draws its base seed first
        order = torch.randperm(len(self.X), generator=self.generator)
        torch.randperm(len(self.X), generator=self.generator)  # and RandomSampler one more permutation, for a remainder
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size].to(self.X.device)
            yield self.X[idx], self.y[idx]


def grad_of(fn, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    fn(x).sum().backward()
    return x.grad


# ---------------------------------------------------------------------------------------------
# Exercise 5: losses
# ---------------------------------------------------------------------------------------------


def demo_losses() -> None:
    section("Exercise 5: numerically stable losses")
    x = torch.tensor([1000.0, 1001.0, 1002.0])
    m = x.max()
    shifted = x - m
    print("WORKED EXAMPLE (a): log-sum-exp of x = [1000, 1001, 1002] in float32")
    print(f"  naive log(sum(exp(x)))        = {torch.log(torch.exp(x).sum()).item()}   (exp(1000) overflows)")
    print(f"  m = max(x) = {m.item():g};  x - m = {shifted.tolist()};  exp(x - m) = {fmt(torch.exp(shifted).tolist())}")
    print(f"  sum = {torch.exp(shifted).sum().item():.6f};  log(sum) = {torch.log(torch.exp(shifted).sum()).item():.6f}")
    print(f"  logsumexp(x) = m + log(sum)  = {logsumexp(x).item():.4f}   (torch.logsumexp: {torch.logsumexp(x, 0).item():.4f})")

    print("\nWORKED EXAMPLE (b): cross-entropy of logits [2.0, 0.5, -1.0], target class 0, label_smoothing 0.1")
    z = torch.tensor([[2.0, 0.5, -1.0]])
    t = torch.tensor([0])
    lp = z - logsumexp(z, dim=1, keepdim=True)
    nll, smooth = -lp[0, 0].item(), -lp[0].mean().item()
    print(f"  log_softmax = z - logsumexp(z) = {fmt(lp[0].tolist(), 4)}  (logsumexp(z) = {logsumexp(z, 1).item():.4f})")
    print(f"  -log p_target = {nll:.4f};  mean over classes of -log p_c = {smooth:.4f}")
    print(f"  loss = 0.9 * {nll:.4f} + 0.1 * {smooth:.4f} = {0.9 * nll + 0.1 * smooth:.4f}")
    print(f"  cross_entropy: {cross_entropy(z, t, 0.1).item():.4f};  F.cross_entropy: "
          f"{F.cross_entropy(z, t, label_smoothing=0.1).item():.4f};  without smoothing: {cross_entropy(z, t).item():.4f}")

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 10, generator=g) * 3
    extreme = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 0.0, 0.0]])
    target, t3 = torch.randint(0, 10, (64,), generator=g), torch.tensor([1, 2, 0])
    b_logits = torch.tensor([1e4, -1e4, 0.0, 3.0, -30.0])
    b_target = torch.tensor([0.0, 1.0, 0.5, 1.0, 1.0])
    pred, goal = torch.randn(50, generator=g) * 3, torch.randn(50, generator=g)
    cases = [
        ("cross_entropy", "64x10 logits ~N(0, 9)", lambda a: cross_entropy(a, target), lambda a: F.cross_entropy(a, target), logits),
        ("cross_entropy, smoothing 0.1", "logits +-1e4", lambda a: cross_entropy(a, t3, 0.1),
         lambda a: F.cross_entropy(a, t3, label_smoothing=0.1), extreme),
        ("bce_with_logits", "logits +-1e4, 0, 3, -30", lambda a: binary_cross_entropy_with_logits(a, b_target),
         lambda a: F.binary_cross_entropy_with_logits(a, b_target), b_logits),
        ("mse", "50 values", lambda a: mse(a, goal), lambda a: F.mse_loss(a, goal), pred),
        ("l1", "50 values", lambda a: l1(a, goal), lambda a: F.l1_loss(a, goal), pred),
        ("huber, delta 1", "50 values", lambda a: huber(a, goal), lambda a: F.huber_loss(a, goal), pred),
    ]
    rows = []
    for name, data, mine, ref, inp in cases:
        rows.append([name, data, f"{mine(inp).item():.6g}", f"{ref(inp).item():.6g}", max_diff(grad_of(mine, inp), grad_of(ref, inp))])
    table(["loss", "input", whose(), "torch.nn.functional", "max |grad diff|"], rows)

    naive_ce = -torch.log(torch.softmax(extreme, dim=1))[torch.arange(3), t3].mean()
    clamp_softplus = lambda a: torch.clamp(-a, min=0) + torch.log1p(torch.exp(-a.abs()))  # noqa: E731
    stable_softplus = lambda a: (a.abs() - a) / 2 + torch.log1p(torch.exp(-a.abs()))  # noqa: E731
    zero = torch.zeros(1)
    print("\npitfalls, measured:")
    print(f"  -log(softmax(logits)) on the +-1e4 logits = {naive_ce.item()}  (cross_entropy: {cross_entropy(extreme, t3).item():.2f})")
    print(f"  d/dx of softplus(-x) at x = 0: written with clamp(-x, min=0) autograd gives {grad_of(clamp_softplus, zero).item():g}, "
          f"with (|x| - x) / 2 it gives {grad_of(stable_softplus, zero).item():g} (true: -sigmoid(0) = -0.5)")
    col = pred[:, None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        broadcast = F.mse_loss(col, goal).item()
    print(f"  F.mse_loss(pred of shape (50, 1), target of shape (50,)) = {broadcast:.4f} (and only a "
          f"{caught[0].category.__name__ if caught else 'no warning'}); the intended loss is {F.mse_loss(pred, goal).item():.4f}")


# ---------------------------------------------------------------------------------------------
# Exercise 2: optimizers
# ---------------------------------------------------------------------------------------------


def demo_optimizers() -> None:
    section(f"Exercise 2: optimizers written by hand ({whose()}) vs torch.optim")
    g = torch.Generator().manual_seed(0)
    X, Y = torch.randn(64, 4, generator=g, dtype=torch.float64), torch.randn(64, 3, generator=g, dtype=torch.float64)
    configs = [
        (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3}),
        (SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        (RMSprop, torch.optim.RMSprop, {"lr": 1e-3, "momentum": 0.5, "weight_decay": 1e-3}),
        (Adam, torch.optim.Adam, {"lr": 1e-2, "weight_decay": 1e-2}),
        (AdamW, torch.optim.AdamW, {"lr": 1e-2, "weight_decay": 1e-1}),
    ]
    rows = []
    for mine_cls, ref_cls, kwargs in configs:
        nets = []
        for _ in range(2):
            torch.manual_seed(1)
            nets.append(nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)).double())
        opts = [mine_cls(nets[0].parameters(), **kwargs), ref_cls(nets[1].parameters(), **kwargs)]
        for _ in range(200):
            for net, opt in zip(nets, opts):
                opt.zero_grad()
                F.mse_loss(net(X), Y).backward()
                opt.step()
        worst = max((p - q).abs().max().item() for p, q in zip(nets[0].parameters(), nets[1].parameters()))
        rows.append([mine_cls.__name__, ", ".join(f"{k}={v}" for k, v in kwargs.items()), f"{worst:.1e}"])
    print(f"float64 MLP 4-16-3, MSE on 64 random points, 200 full-batch steps, {whose()} beside torch.optim's:")
    table(["optimizer", "arguments", "max |param difference|"], rows)

    print("\nWORKED EXAMPLE (c): Adam's first step (b1 = 0.9, b2 = 0.999, lr = 1e-3, eps = 1e-8)")
    for grad in (1e-3, 10.0):
        p = torch.zeros(1, requires_grad=True)
        opt = Adam([p], lr=1e-3)
        p.grad = torch.tensor([grad])
        opt.step()
        m1, v1 = opt.state[p]["exp_avg"].item(), opt.state[p]["exp_avg_sq"].item()
        raw = 1e-3 * m1 / (math.sqrt(v1) + 1e-8)
        print(f"  g = {grad:g}: m1 = (1 - b1) g = {m1:.6g}, v1 = (1 - b2) g^2 = {v1:.6g}; corrected m_hat = {m1 / 0.1:.6g}, "
              f"v_hat = {v1 / 0.001:.6g}; step = {-p.item():.6g} (without bias correction: {raw:.6g})")

    print("\nWORKED EXAMPLE (d): weight decay 0.1 on a weight w = 1 whose loss gradient is 0, lr 1e-2, 100 steps")
    rows = []
    for cls in (Adam, AdamW, SGD):
        w = torch.ones(1, requires_grad=True)
        opt = cls([w], lr=1e-2, weight_decay=0.1)
        for _ in range(100):
            w.grad = torch.zeros(1)
            opt.step()
        rows.append([f"{cls.__name__}(lr=1e-2, weight_decay=0.1)", f"{w.item():.6f}"])
    rows.append(["(1 - lr * wd)^100 = 0.999^100", f"{0.999 ** 100:.6f}"])
    table(["optimizer", "w after 100 steps"], rows)
    exact = {}
    for dtype in (torch.float32, torch.float64):
        w = torch.ones(1, dtype=dtype, requires_grad=True)
        opt = AdamW([w], lr=1e-2, weight_decay=0.1)
        for _ in range(100):
            w.grad = torch.zeros(1, dtype=dtype)
            opt.step()
        exact[dtype] = w.item()
    print(f"  to 12 digits: AdamW in float32 {exact[torch.float32]:.12f}, in float64 {exact[torch.float64]:.12f}, "
          f"0.999^100 = {0.999 ** 100:.12f}")
    f32 = torch.tensor(0.999, dtype=torch.float32).item()
    print(f"  float32 holds 0.999 as {f32!r} (and rounds every product 0.999 * w): {f32!r}^100 = {f32 ** 100:.12f}; "
          f"relative gap of float32 AdamW from 0.999^100: {exact[torch.float32] / 0.999 ** 100 - 1:.1e}")


# ---------------------------------------------------------------------------------------------
# Exercise 2, seen in two dimensions: optimizer trajectories
# ---------------------------------------------------------------------------------------------

VALLEY_K = 50.0  # f(x, y) = (x^2 + 50 y^2) / 2: curvature 1 along x, 50 across the valley


def valley(x: float, y: float) -> float:
    return 0.5 * (x * x + VALLEY_K * y * y)


def trajectory(make_optimizer, start: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    """The points an optimizer visits on the valley, float64, with the exact gradient (x, 50 y)."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    path = [start]
    for _ in range(steps):
        x, y = path[-1]
        p.grad = torch.tensor([x, VALLEY_K * y], dtype=torch.float64)
        opt.step()
        path.append(tuple(p.tolist()))
    return path


def demo_trajectories(full: bool) -> None:
    section(f"Exercise 2 in two dimensions: trajectories on an ill-conditioned valley ({whose()} optimizers)")
    start, steps = (-3.0, 1.0), 100
    racers = {
        "SGD lr=0.035": lambda ps: SGD(ps, lr=0.035),
        "SGD lr=0.035 momentum=0.9": lambda ps: SGD(ps, lr=0.035, momentum=0.9),
        "Adam lr=0.1": lambda ps: Adam(ps, lr=0.1),
        "Lion lr=0.03": lambda ps: Lion(ps, lr=0.03),
    }
    paths = {name: trajectory(make, start, steps) for name, make in racers.items()}
    clean = lambda v: round(v, 6) + 0.0  # noqa: E731  (+ 0.0 turns a rounded -0.0 into 0.0)
    print(f"f(x, y) = (x^2 + 50 y^2) / 2 (condition number 50, minimum at (0, 0)), from {start}, {steps} steps, float64:")
    rows = [[name, f"({clean(path[-1][0]):.6f}, {clean(path[-1][1]):.6f})", f"{valley(*path[-1]):.3e}"]
            for name, path in paths.items()]
    table(["optimizer", f"point after {steps} steps", "f there"], rows)
    if full:
        nudged = (math.nextafter(start[0], math.inf), math.nextafter(start[1], math.inf))
        worst = max(max(abs(a - b) for a, b in zip(paths[name][-1], trajectory(make, nudged, steps)[-1]))
                    for name, make in racers.items())
        print(f"  started one ulp away, at {nudged!r}: the final points move by at most {worst:.1e}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    xs = torch.linspace(-3.5, 2.0, 221, dtype=torch.float64)
    ys = torch.linspace(-1.3, 1.3, 105, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    fz = 0.5 * (gx ** 2 + VALLEY_K * gy ** 2)
    fig, ax = plt.subplots(figsize=(9, 5.2))
    levels = [10 ** (k / 4) for k in range(-12, 11)]
    filled = ax.contourf(gx.numpy(), gy.numpy(), fz.clamp_min(levels[0]).numpy(), levels=levels, norm=LogNorm(),
                         cmap="viridis", alpha=0.85)
    bar = fig.colorbar(filled, ax=ax, label="f(x, y) = (x² + 50 y²) / 2  (log scale)", shrink=0.85)
    bar.set_ticks([1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0])
    colours = ["tab:red", "tab:orange", "black", "tab:pink"]
    styles = ["-", "--", "-.", ":"]
    markers = ["o", "s", "^", "D"]
    for (name, path), colour, ls, mk in zip(paths.items(), colours, styles, markers):
        px, py = zip(*path)
        ax.plot(px, py, color=colour, ls=ls, lw=1.6, marker=mk, ms=2.5, markevery=5, label=name)
        ax.plot(px[-1], py[-1], marker=mk, color=colour, ms=8, mec="black", ls="none")
    ax.plot(*start, marker="o", color="black", ms=7, ls="none", label=f"start {start}")
    ax.plot(0.0, 0.0, marker="*", color="yellow", mec="black", ms=14, ls="none", label="minimum (0, 0)")
    ax.set_xlim(-3.5, 2.0)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.set_xlabel("x  (curvature 1)")
    ax.set_ylabel("y  (curvature 50)")
    ax.set_title(f"{steps} steps on an ill-conditioned quadratic (large markers: the final points)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "lab3_trajectories.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"  plot saved: {path}")


# ---------------------------------------------------------------------------------------------
# Exercise 3: schedules
# ---------------------------------------------------------------------------------------------


def demo_schedules(total: int) -> dict[str, list[float]]:
    section("Exercise 3: learning-rate schedules vs torch.optim.lr_scheduler")
    S = torch.optim.lr_scheduler
    warm = total // 10
    ours = {
        "step decay (x0.5 every 25% of the run)": [step_decay_lr(t, 0.1, total // 4, 0.5) for t in range(total)],
        f"warm-up {warm} steps + cosine": [warmup_cosine_lr(t, 0.1, warm, total, 0.01) for t in range(total)],
        "one-cycle (max 0.1)": [one_cycle_lr(t, 0.1, total) for t in range(total)],
    }
    theirs = [
        scheduler_lrs(lambda o: S.StepLR(o, step_size=total // 4, gamma=0.5), total, 0.1),
        scheduler_lrs(lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.01, 1.0, total_iters=warm),
                                                     S.CosineAnnealingLR(o, T_max=total - warm)], milestones=[warm]), total, 0.1),
        scheduler_lrs(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=total, cycle_momentum=False), total, 0.1),
    ]
    marks = [0, warm // 2, warm, total // 4, total // 2, 3 * total // 4, total - 1]
    rows = [[t] + [f"{lrs[t]:.5f}" for lrs in ours.values()] for t in marks]
    print(f"base / max lr 0.1, {total} steps; the lr at a few steps:")
    table(["step"] + list(ours), rows)
    gaps = [max(abs(a - b) for a, b in zip(lrs, ref)) for lrs, ref in zip(ours.values(), theirs)]
    print("max |difference| from StepLR, SequentialLR(LinearLR, CosineAnnealingLR), OneCycleLR over all steps: "
          + ", ".join(f"{g:.1e}" for g in gaps))
    more = [
        ("multistep_lr(milestones=[200, 400, 500], gamma=0.3) vs MultiStepLR",
         [multistep_lr(t, 0.1, [200, 400, 500], 0.3) for t in range(total)],
         scheduler_lrs(lambda o: S.MultiStepLR(o, milestones=[200, 400, 500], gamma=0.3), total, 0.1)),
        ("cosine_warm_restarts_lr(T_0=40, T_mult=2) vs CosineAnnealingWarmRestarts",
         [cosine_warm_restarts_lr(t, 0.1, 40, 2) for t in range(total)],
         scheduler_lrs(lambda o: S.CosineAnnealingWarmRestarts(o, T_0=40, T_mult=2), total, 0.1)),
    ]
    for label, mine, ref in more:
        print(f"{label}, {total} steps: max |difference| {max(abs(a - b) for a, b in zip(mine, ref)):.1e}")
    restarts = [t for t in range(1, total) if more[1][1][t] > more[1][1][t - 1]]
    print(f"  SGDR restarts (lr back to 0.1) at steps {restarts}: periods of 40, 80, 160, 320 steps")
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=0.1)
    sched = S.OneCycleLR(opt, max_lr=0.1, total_steps=total)  # cycle_momentum=True is the default
    beta1 = []
    for t in range(total):
        beta1.append(opt.param_groups[0]["betas"][0])
        opt.step()
        if t < total - 1:
            sched.step()
    peak = max(range(total), key=lambda t: ours["one-cycle (max 0.1)"][t])
    print(f"torch's OneCycleLR on Adam also cycles beta1 (cycle_momentum=True by default): {beta1[0]:.3f} at step 0, "
          f"{beta1[peak]:.3f} at the lr peak (step {peak}), {beta1[-1]:.3f} at the end")
    return ours


def demo_plateau() -> None:
    losses = [1.0, 0.8, 0.7, 0.695, 0.69, 0.688, 0.66, 0.659, 0.658, 0.657, 0.656, 0.656, 0.655, 0.655, 0.655]
    kwargs = dict(factor=0.5, patience=2, threshold=0.01, cooldown=1)
    mine = plateau_lrs(losses, 0.1, **kwargs)
    ref = plateau_scheduler_lrs(losses, 0.1, **kwargs)
    print(f"\nWORKED EXAMPLE (f): plateau_lrs(val_losses, lr=0.1, factor=0.5, patience=2, threshold=0.01 (rel), cooldown=1) "
          f"beside ReduceLROnPlateau")
    rows = [[i, f"{m:g}", f"{a:g}", f"{b:g}"] for i, (m, a, b) in enumerate(zip(losses, mine, ref))]
    table(["epoch", "val loss", f"lr after step ({whose()})", "ReduceLROnPlateau"], rows)
    print(f"  max |difference| over the {len(losses)} epochs: {max(abs(a - b) for a, b in zip(mine, ref)):.1e}")
    worse = [-1.0, -0.99, -0.98, -0.97, -0.96]
    rel = plateau_lrs(worse, 0.1, factor=0.5, patience=1, threshold=0.1)
    ab = plateau_lrs(worse, 0.1, factor=0.5, patience=1, threshold=0.1, threshold_mode="abs")
    print(f"a negative metric that gets worse every epoch, {worse}, mode 'min', patience=1, threshold=0.1:")
    print(f"  threshold_mode='rel': lrs {rel} (best * (1 - 0.1) lies ABOVE a negative best: every epoch 'improves')")
    print(f"  threshold_mode='abs': lrs {ab}")


def demo_range_test(X: torch.Tensor, y: torch.Tensor) -> tuple[list[float], list[float], float, float]:
    model = mlp(0)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    batches = [(X[i:i + 64], y[i:i + 64]) for i in range(0, len(X), 64)]
    before = copy.deepcopy(model.state_dict())
    lrs, losses = lr_range_test(model, F.cross_entropy, opt, batches, start_lr=1e-4, end_lr=10.0, num_steps=300)
    restored = all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    best = suggest_lr(lrs, losses)
    i_min = min(range(len(losses)), key=losses.__getitem__)
    ended = (f"stopped after {len(lrs)} steps at lr {lrs[-1]:.3g}, its smoothed loss {losses[-1]:.3f} above 4 x the minimum"
             if len(lrs) < 300 else f"ran all 300 steps, ending at smoothed loss {losses[-1]:.3f}")
    print(f"\nLR range test, SGD(momentum=0.9) on the olympics model, lr 1e-4 -> 10 over 300 steps: {ended}; "
          f"minimum smoothed loss {losses[i_min]:.3f} at lr {lrs[i_min]:.3g}")
    print(f"  steepest descent at lr {best!r} (suggest_lr); minimum / 10 = {lrs[i_min] / 10!r}; "
          f"model restored afterwards: {restored}")
    return lrs, losses, best, lrs[i_min] / 10


# ---------------------------------------------------------------------------------------------
# Exercise 4: clipping, early stopping, checkpoints
# ---------------------------------------------------------------------------------------------


def demo_clipping() -> None:
    section("Exercise 4: clipping, early stopping, checkpoints")
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(1))
    a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
    print("WORKED EXAMPLE (e): global-norm clipping of two gradients g_a = [3, 4], g_b = [12] to max_norm = 1")
    print(f"  ||g_a|| = 5, ||g_b|| = 12, global norm = sqrt(5^2 + 12^2) = 13; coefficient = 1 / (13 + 1e-6)")
    total = clip_grad_norm([a, b], 1.0)
    print(f"  clip_grad_norm returned {total.item():g}; g_a -> {fmt(a.grad.tolist(), 6)}, g_b -> {fmt(b.grad.tolist(), 6)} "
          f"(new global norm {torch.cat([a.grad, b.grad]).norm().item():.6f}, direction unchanged)")
    a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
    ref = torch.nn.utils.clip_grad_norm_([a, b], 1.0)
    print(f"  torch.nn.utils.clip_grad_norm_ on the same gradients: {ref.item():g}, g_a -> {fmt(a.grad.tolist(), 6)}")


def demo_early_stopping() -> None:
    stopper = EarlyStopping(patience=3, min_delta=1e-3)
    val = [0.90, 0.62, 0.48, 0.47, 0.4695, 0.471, 0.4692, 0.45]
    stops = []
    for v in val:
        stops.append(stopper.step(v))
        if stops[-1]:
            break
    print(f"\nEarlyStopping(patience=3, min_delta=1e-3) fed validation losses {val}:")
    print(f"  step() returned {stops} and training stops after call {len(stops) - 1}; best {stopper.best} at call "
          f"{stopper.best_step} (0.4695 and 0.4692 beat 0.47 by less than min_delta, so they do not count)")


def resume_demo(X, y, folder: Path) -> None:
    """Run A: 6 epochs straight. Run B: 3 epochs, checkpoint, "crash", rebuild from scratch, resume, 3 epochs."""
    epochs, per_epoch = 6, math.ceil(len(X) / 64)

    def build(seed: int):
        seed_everything(seed)
        model = mlp(seed, dropout=0.2)
        opt = AdamW(model.parameters(), lr=1e-2)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine_lr(s, 1.0, per_epoch, epochs * per_epoch))
        loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)  # shuffles with torch's global generator
        return model, opt, sched, loader

    def run(model, opt, sched, loader, epoch_range):
        for _ in epoch_range:
            train_one_epoch(model, loader, F.cross_entropy, opt, sched)

    a = build(0)
    run(*a, range(epochs))
    b = build(0)
    run(*b, range(3))
    save_checkpoint(folder / "latest.pt", *b[:3], epoch=3)
    del b  # the process "dies" here
    results = {}
    for restore_rng in (True, False):
        c = build(1234)  # a new process: other seeds, a fresh model
        info = load_checkpoint(folder / "latest.pt", *c[:3], restore_rng=restore_rng)
        run(*c, range(info["epoch"], epochs))
        same = all(torch.equal(p, q) for p, q in zip(c[0].parameters(), a[0].parameters()))
        gap = max((p - q).abs().max().item() for p, q in zip(c[0].parameters(), a[0].parameters()))
        state_same = all(
            torch.equal(torch.as_tensor(s1[k]), torch.as_tensor(s2[k]))
            for s1, s2 in zip(c[1].state_dict()["state"].values(), a[1].state_dict()["state"].values()) for k in s1
        )
        results[restore_rng] = [f"3 + resume (restore_rng={restore_rng}) + 3", same, f"{gap:.1e}", state_same]
    print(f"\nresume after interruption: AdamW + warm-up/cosine + dropout 0.2 + shuffled batches, {epochs} epochs of "
          f"{per_epoch} steps, vs the same {epochs} epochs uninterrupted")
    table(["run", "params bit-identical", "max |param diff|", "optimizer state identical"], list(results.values()))

    # A crash in the middle of writing the next checkpoint.
    real_save = torch.save

    def dies_half_way(obj, f, *args, **kwargs):
        buf = io.BytesIO()
        real_save(obj, buf)
        data = buf.getvalue()[: len(buf.getvalue()) // 2]
        if isinstance(f, (str, os.PathLike)):
            Path(f).write_bytes(data)
        else:
            f.write(data)
        raise OSError(28, "No space left on device (simulated)")

    model, opt, sched, _ = build(7)
    rows = []
    torch.save = dies_half_way
    try:
        with contextlib.suppress(OSError):
            save_checkpoint(folder / "latest.pt", model, opt, sched, epoch=4)
        with contextlib.suppress(OSError):
            torch.save({"epoch": 4}, folder / "naive.pt")
    finally:
        torch.save = real_save
    info = load_checkpoint(folder / "latest.pt", model, opt, sched, restore_rng=False)
    rows.append(["save_checkpoint (temp file, fsync, os.replace)", f"loads, epoch {info['epoch']} (the previous one)"])
    try:
        torch.load(folder / "naive.pt", weights_only=True)
        rows.append(["torch.save straight onto the path", "loads"])
    except Exception as err:  # noqa: BLE001 - whatever a truncated file raises
        rows.append(["torch.save straight onto the path", f"{type(err).__name__} on load: the file is truncated"])
    print(f"\na crash half-way through writing the next checkpoint; the folder then holds {sorted(p.name for p in folder.iterdir())}:")
    table(["writer", "latest file afterwards"], rows)

    import numpy as np

    buf = io.BytesIO()
    torch.save({"numpy_rng": np.random.get_state()}, buf)
    buf.seek(0)
    try:
        torch.load(buf, weights_only=True)
        verdict = "loads"
    except Exception as err:  # noqa: BLE001
        verdict = f"{type(err).__name__}"
    buf = io.BytesIO()
    torch.save({"rng": get_rng_state()}, buf)
    buf.seek(0)
    torch.load(buf, weights_only=True)
    print(f"torch.load(weights_only=True) of np.random.get_state() saved as is: {verdict}; of get_rng_state() (tensors "
          "and plain values): loads")


# ---------------------------------------------------------------------------------------------
# The optimizer olympics
# ---------------------------------------------------------------------------------------------


def contestants(total: int, finder) -> dict:
    """name -> (make(params) -> (optimizer, scheduler or None), peak lr as used)."""
    range_lrs = {"range test: steepest": finder[2], "range test: minimum / 10": finder[3]}

    def lambda_lr(opt, fn):
        return torch.optim.lr_scheduler.LambdaLR(opt, fn)

    out = {
        "SGD": (lambda p: (SGD(p, lr=0.1), None), 0.1),
        "SGD momentum=0.9": (lambda p: (SGD(p, lr=0.05, momentum=0.9), None), 0.05),
        "SGD Nesterov 0.9": (lambda p: (SGD(p, lr=0.05, momentum=0.9, nesterov=True), None), 0.05),
        "RMSprop": (lambda p: (RMSprop(p, lr=1e-3), None), 1e-3),
        "Adam": (lambda p: (Adam(p, lr=1e-2), None), 1e-2),
        "AdamW wd=1e-2": (lambda p: (AdamW(p, lr=1e-2, weight_decay=1e-2), None), 1e-2),
        "Lion wd=0.1": (lambda p: (Lion(p, lr=1e-3, weight_decay=0.1), None), 1e-3),
        "Adam + warm-up/cosine": (lambda p: (lambda o: (o, lambda_lr(o, lambda s: warmup_cosine_lr(
            min(s, total), 1.0, total // 10, total))))(Adam(p, lr=1e-2)), 1e-2),
    }
    for rule, peak in range_lrs.items():
        out[f"SGD 0.9 + one-cycle ({rule})"] = (lambda p, peak=peak: (lambda o: (o, lambda_lr(
            o, lambda s: one_cycle_lr(min(s, total - 1), peak, total) / peak)))(SGD(p, lr=peak, momentum=0.9)), peak)
    return out


def val_batches(Xv, yv) -> list:
    return [(Xv[i:i + 256], yv[i:i + 256]) for i in range(0, len(Xv), 256)]  # batches of 256 and 44


def olympics(X, y, Xv, yv, epochs: int, threshold: float, seeds: tuple[int, ...], finder):
    section("The optimizer olympics")
    per_epoch = math.ceil(len(X) / 64)
    total = epochs * per_epoch
    val = val_batches(Xv, yv)
    curves: dict[str, list[float]] = {}
    models: dict[str, nn.Module] = {}
    rows = []
    for name, (make, peak) in contestants(total, finder).items():
        finals, accs, reached = [], [], []
        for seed in seeds:
            model = mlp(seed)
            opt, sched = make(model.parameters())
            train = ShuffledBatches(X, y, 64, seed)
            hist = fit(model, train, val, F.cross_entropy, opt, epochs, sched, metrics={"accuracy": accuracy})
            finals.append(hist["val_loss"][-1])
            accs.append(hist["val_accuracy"][-1])
            first = next((e + 1 for e, v in enumerate(hist["val_loss"]) if v < threshold), None)
            if first is not None:
                reached.append(first * per_epoch)
            if seed == seeds[0]:
                curves[name], models[name] = hist["val_loss"], model
        steps = f"{statistics.median(reached):.0f}" if len(reached) == len(seeds) else f"{len(reached)}/{len(seeds)} runs"
        if len(seeds) > 1:
            rows.append([name, repr(peak), spread(finals), spread(accs), steps])
        else:
            rows.append([name, repr(peak), f"{finals[0]:.3f}", f"{accs[0]:.3f}", steps])
    print(f"3 spiral arms (600 training points, 300 validation), MLP 2-64-64-3 (ReLU), batch 64, {epochs} epochs = "
          f"{total} steps, seeds {list(seeds)} (initialisation and shuffling):")
    if len(seeds) > 1:
        table(["optimizer (and schedule)", "peak lr", "final val loss: mean ± sd (min–max)", "final val accuracy",
               f"steps to val loss < {threshold} (median)"], rows)
    else:
        table(["optimizer (and schedule)", "peak lr", "final val loss", "final val accuracy",
               f"steps to val loss < {threshold}"], rows)
        print("  one seed is an illustration, not a result: `python solution/solution.py --full` runs seeds 0..4 "
              "(`--seeds N` for more) and prints mean ± sd (min–max) per row")
    return curves, models


def one_ulp_demo(X, y, Xv, yv, epochs: int, finder) -> None:
    """Two runs that differ in ONE initial weight by one ulp: how far apart are they later?"""
    section("One ulp: the olympics is chaotic near the edge of stability")
    per_epoch = math.ceil(len(X) / 64)
    total = epochs * per_epoch
    entries = contestants(total, finder)
    val = val_batches(Xv, yv)
    marks = (0, 1, 5, 20, epochs)
    rows = []
    for name in ("Adam", "SGD 0.9 + one-cycle (range test: steepest)"):
        make, _ = entries[name]
        runs = []
        for nudge in (False, True):
            model = mlp(0)
            if nudge:
                with torch.no_grad():
                    for p in model.parameters():
                        p.copy_(torch.nextafter(p, torch.full_like(p, math.inf)))
            opt, sched = make(model.parameters())
            runs.append((model, opt, sched, ShuffledBatches(X, y, 64, 0)))
        gaps = {}
        for epoch in range(epochs + 1):
            if epoch in marks:
                gaps[epoch] = max((p - q).abs().max().item() for p, q in zip(runs[0][0].parameters(), runs[1][0].parameters()))
            if epoch < epochs:
                for model, opt, sched, train in runs:
                    train_one_epoch(model, train, F.cross_entropy, opt, sched)
        finals = [evaluate(r[0], val, F.cross_entropy)["loss"] for r in runs]
        rows.append([name] + [f"{gaps[m]:.1e}" for m in marks] + [f"{finals[0]:.3f} / {finals[1]:.3f}"])
    print("seed 0, the same batches; in the second run every initial weight and bias is moved up by one ulp (to the "
          "next float32, torch.nextafter), a relative change of 2^-24 to 2^-23 (6e-8 to 1.2e-7).")
    print("max |parameter difference| between the two runs after epoch:")
    table(["optimizer (and schedule)"] + [f"epoch {m}" for m in marks] + ["final val loss, run 1 / run 2"], rows)
    print("a difference that grows from one ulp to the size of the weights is chaos: another CPU, thread count or "
          "torch version perturbs such a run by a few ulps too, so only a range over seeds means anything there")


def practitioner_checks(X, y, Xv, yv) -> None:
    """Three checks before a long run: the loss at initialisation, the size of one update, overfitting one batch."""
    section("Before a long run: loss at initialisation, update / parameter ratio, overfit one batch")
    inits = []
    for seed in range(5):
        model = mlp(seed)
        inits.append(evaluate(model, val_batches(Xv, yv), F.cross_entropy)["loss"])
    print(f"validation loss at initialisation, seeds 0..4: {spread(inits, '.4f')}; ln(3) = {math.log(3):.4f} "
          "(3 classes, near-uniform predictions)")
    rows = []
    for label, make in (("SGD(lr=0.1)", lambda p: SGD(p, lr=0.1)), ("Adam(lr=1e-2)", lambda p: Adam(p, lr=1e-2)),
                        ("Adam(lr=1e-4)", lambda p: Adam(p, lr=1e-4))):
        model = mlp(0)
        opt = make(model.parameters())
        xb, yb = X[:64], y[:64]

        def step():
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()

        ratios = update_to_param_ratio(model, step)
        weights = {k: v for k, v in ratios.items() if k.endswith("weight")}
        rows.append([label] + [f"{v:.1e}" for v in weights.values()])
    print("||update|| / ||weight|| of the first step, seed 0, first batch (about 1e-3 is the usual target):")
    table(["optimizer"] + [f"layer {k}" for k in weights], rows)
    # Overfit one batch: a model that cannot drive the loss on 32 examples to ~0 has a bug (labels shuffled
    # against inputs, a detached graph, a missing optimizer.step, a frozen layer) that no tuning will fix.
    xb, yb = X[:32], y[:32]
    marks, curves, accs = (0, 50, 100, 200), [], []
    for seed in range(5):
        model = mlp(seed)
        opt = Adam(model.parameters(), lr=1e-2)
        losses = {}
        for t in range(201):
            loss = F.cross_entropy(model(xb), yb)
            if t in marks:
                losses[t] = loss.item()
            if t < 200:
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            accs.append((model(xb).argmax(1) == yb).float().mean().item())
        curves.append(losses)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"overfit one batch (the first 32 examples, {n_params:,} parameters, Adam lr 1e-2, {whose()} Adam), seeds 0..4:")
    table(["after step", "training loss on the batch"], [[t, spread([c[t] for c in curves], ".4f")] for t in marks])
    print(f"  accuracy on the batch after 200 steps: {spread(accs, '.3f')}")


def silent_surprises(olympics_result, Xv, yv) -> None:
    section("Three silent surprises, measured")
    _, models = olympics_result
    model = models["SGD"]
    val = DataLoader(TensorDataset(Xv, yv), batch_size=256)  # batches of 256 and 44
    model.eval()
    with torch.no_grad():
        means = [F.cross_entropy(model(xb), yb).item() for xb, yb in val]
    print(f"unequal batches (256 and 44): the olympics' 'SGD' model (lr 0.1, seed 0) has validation loss "
          f"{evaluate(model, val, F.cross_entropy)['loss']:.4f} per sample (evaluate); the mean of the 2 batch means is "
          f"{statistics.fmean(means):.4f}")
    snapshot = model.state_dict()
    with torch.no_grad():
        model[0].weight.add_(1.0)
    print(f"model.state_dict() is not a copy: after changing the weights in place, the 'snapshot' still equals the "
          f"model: {torch.equal(snapshot['0.weight'], model[0].weight)}")
    p1 = nn.Parameter(torch.zeros(3))
    o1 = torch.optim.SGD([p1], lr=0.1, momentum=0.9)
    p1.grad = torch.ones(3)
    o1.step()
    p2 = nn.Parameter(p1.detach().clone())
    o2 = torch.optim.SGD([p2], lr=0.1, momentum=0.9)
    o2.load_state_dict(o1.state_dict())
    shared_buf = o2.state[p2]["momentum_buffer"].data_ptr() == o1.state[p1]["momentum_buffer"].data_ptr()
    print(f"o2.load_state_dict(o1.state_dict()) (same dtype and device): o2's momentum buffer is o1's own memory: {shared_buf}")


def save_plots(olympics_result, schedules, finder, per_epoch: int) -> None:
    curves, _ = olympics_result
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = output_dir(LAB_DIR)

    fig, ax = plt.subplots(figsize=(10, 4.8))
    colours = plt.get_cmap("tab10").colors
    styles = ["-", "--", "-.", ":"]
    for k, (name, losses) in enumerate(curves.items()):
        ax.plot([(e + 1) * per_epoch for e in range(len(losses))], losses, label=name, color=colours[k % 10],
                ls=styles[k % len(styles)], lw=1.6)
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("validation cross-entropy (log scale)")
    ax.set_title("Optimizer olympics, seed 0 (one seed: an illustration)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    fig.savefig(out_dir / "lab3_olympics_loss.png", dpi=120, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, lrs in schedules.items():
        ax.plot(lrs, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_title("Schedules")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "lab3_schedules.png", dpi=120)
    plt.close(fig)

    lrs, losses, best, low = finder
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(lrs, losses)
    ax.axvline(best, color="k", ls="--", lw=1, label=f"steepest descent, lr {best!r}")
    ax.axvline(low, color="tab:green", ls=":", lw=1.5, label=f"minimum / 10, lr {low!r}")
    ax.set_ylim(0.9 * min(losses), 1.3 * losses[0])
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("smoothed training loss")
    ax.set_title("Learning-rate range test (SGD, momentum 0.9)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "lab3_lr_range_test.png", dpi=120)
    plt.close(fig)
    print(f"\nplots saved: {', '.join(str(out_dir / n) for n in ('lab3_olympics_loss.png', 'lab3_schedules.png', 'lab3_lr_range_test.png'))}")


def main() -> None:
    args = runner_parser("Lab 1.3 runner: the training loop, optimizers, schedules, healthy training, losses").parse_args()
    seed_everything(0)
    # The models here are tiny (64-wide layers): on a CPU, one thread beats several, whose start-up
    # and synchronisation cost more than the arithmetic, badly so on a busy machine.
    torch.set_num_threads(1)
    start = time.perf_counter()
    print(f"Lab 1.3 training loop | {describe_machine()} | device {DEVICE}")
    print("running your code (exercises/)" if run_target() == "exercises" else "running the reference solution (solution/)")
    X, y = spirals(0, 200)
    Xv, yv = spirals(1, 100)
    X, y, Xv, yv = X.to(DEVICE), y.to(DEVICE), Xv.to(DEVICE), yv.to(DEVICE)
    epochs, per_epoch = 60, math.ceil(len(X) / 64)

    # Each part runs on its own: one whose exercise is not written yet prints a "skipped" line instead.
    run_part(demo_losses)
    run_part(demo_optimizers)
    run_part(demo_trajectories, args.full)
    schedules = run_part(demo_schedules, epochs * per_epoch)
    run_part(demo_plateau)
    finder = run_part(demo_range_test, X, y)
    run_part(demo_clipping)
    run_part(demo_early_stopping)
    with tempfile.TemporaryDirectory() as tmp:
        run_part(resume_demo, X, y, Path(tmp))

    seeds = tuple(range(args.seeds)) if args.full else (0,)
    result = run_part(olympics, X, y, Xv, yv, epochs, threshold=0.2, seeds=seeds, finder=finder)
    run_part(one_ulp_demo, X, y, Xv, yv, epochs, finder)
    run_part(practitioner_checks, X, y, Xv, yv)
    run_part(silent_surprises, result, Xv, yv)
    run_part(save_plots, result, schedules, finder, per_epoch)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
