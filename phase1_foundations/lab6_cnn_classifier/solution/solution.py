"""Lab 1.6 runner: convolution by hand, CNN architectures, a digits classifier, surgery, transfer.

    cd phase1_foundations/lab6_cnn_classifier && python solution/solution.py      (or: make run LAB=1.6)
    make run LAB=1.6 TARGET=exercises                (the same runner on YOUR exercises/; a part whose
                                                      exercise is not written yet is skipped, and says so)
    python solution/solution.py --dataset mnist      (or fashion-mnist, cifar10: needs the files, see
                                                      `python -m shared.datasets info`)
    python solution/solution.py --full               (every seed-dependent table over seeds 0..4, as
                                                      mean ± sd (min–max); --seeds N for 0..N-1; and
                                                      training timed 5 times with 1 and with 2 threads)

Prints what it computed, section by section (the README quotes the parts marked WORKED EXAMPLE),
and saves the confusion matrix, the BatchNorm loss curves and the Grad-CAM figure under
$LAB_OUTPUT_DIR (default: outputs/ in the lab folder). Uses a GPU, with mixed precision, when one
is present. Without --full every trained number comes from one seed: an illustration, not a result.
"""
from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.datasets import (  # noqa: E402
    SHAPE_CLASSES,
    DatasetNotFoundError,
    load_cifar10,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    make_shapes,
)
from shared.devices import cpu_name, describe_machine, get_device, seed_everything  # noqa: E402
from shared.report import (  # noqa: E402
    is_skipped, output_dir, run_part, run_target, runner_parser, section, spread, table, whose,
)
from shared.timing import benchmark  # noqa: E402

from exercise1_convolution import conv2d, conv_as_matrix, conv_output_size, receptive_field  # noqa: E402
from exercise2_architectures import BasicBlock, Bottleneck, LeNet, SmallResNet, count_flops, count_parameters  # noqa: E402
from exercise3_training import accuracy, confusion_matrix, predict, train_classifier  # noqa: E402
from exercise4_surgery import apply_masks_, magnitude_prune, remove_skip_connections, sparsity, swap_activation  # noqa: E402
from exercise5_transfer import freeze_backbone, grad_cam, replace_head  # noqa: E402

SEED = 0
DIGITS_WIDTHS = (16, 32)
DIGITS_EPOCHS = 12


# ---------------------------------------------------------------------------------------------
# Exercise sections. Each part that calls an exercise runs through run_part: on your exercises/
# a part whose function is not written yet prints one "skipped" line and the runner goes on; a
# part that needs a skipped part's result is skipped too.
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# Exercise 1
# ---------------------------------------------------------------------------------------------


def part_im2col_product(x: torch.Tensor, w: torch.Tensor, cols: torch.Tensor) -> None:
    print(f"  w.view(1, -1) @ columns = {(w.view(1, -1) @ cols[0]).int().tolist()}  -> reshaped to "
          f"{conv2d(x, w)[0, 0].int().tolist()};  F.conv2d gives {F.conv2d(x, w)[0, 0].int().tolist()}")


def part_conv_as_matrix(w: torch.Tensor) -> None:
    m = conv_as_matrix(w, 3, 3)
    print(f"  as a dense matrix (4 outputs x 9 inputs): {m.int().tolist()}")
    big = conv_as_matrix(torch.randn(4, 3, 3, 3), 8, 8)
    print(f"  a 3->4 channel 3x3 conv on 8x8 as a matrix: shape {tuple(big.shape)}, "
          f"{(big != 0).sum().item()} nonzeros of {big.numel()} ({(big != 0).float().mean().item():.1%}), "
          f"built from {4 * 3 * 3 * 3} distinct weights")


def part_conv2d_vs_f_conv2d() -> None:
    g = torch.Generator().manual_seed(SEED)
    rows = []
    for stride, padding, dilation, groups in [(1, 0, 1, 1), (2, 1, 1, 1), (1, 2, 2, 1), ((2, 1), (0, 1), (1, 2), 2), (1, 1, 1, 4)]:
        x = torch.randn(2, 4, 9, 10, generator=g, dtype=torch.float64, requires_grad=True)
        w = torch.randn(8, 4 // groups, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
        b = torch.randn(8, generator=g, dtype=torch.float64, requires_grad=True)
        mine = conv2d(x, w, b, stride, padding, dilation, groups)
        ref = F.conv2d(x, w, b, stride, padding, dilation, groups)
        go = torch.randn(ref.shape, generator=g, dtype=torch.float64)
        g1 = torch.autograd.grad(mine, (x, w, b), go)
        g2 = torch.autograd.grad(ref, (x, w, b), go)
        rows.append([stride, padding, dilation, groups, tuple(mine.shape), f"{(mine - ref).abs().max().item():.1e}",
                     f"{max((a - c).abs().max().item() for a, c in zip(g1, g2)):.1e}"])
    print(f"\nx (2, 4, 9, 10), weight (8, 4/groups, 3, 3), float64; conv2d ({whose()}) vs F.conv2d:")
    table(["stride", "padding", "dilation", "groups", "output", "max |fwd diff|", "max |grad diff|"], rows)


def part_output_sizes() -> None:
    print(f"  conv_output_size(32, kernel 3, stride 2, padding 1) = {conv_output_size(32, 3, 2, 1)}")
    print(f"  conv_output_size(8, kernel 3, stride 1, padding 0, dilation 2) = {conv_output_size(8, 3, 1, 0, 2)}")


def part_receptive_fields() -> None:
    stacks = {
        "two 3x3 convs": [(3, 1, 1), (3, 1, 1)],
        "one 5x5 conv": [(5, 1, 1)],
        "3x3 conv, 2x2 pool s2, 3x3 conv": [(3, 1, 1), (2, 2, 1), (3, 1, 1)],
        "LeNet: 5x5, pool, 5x5, pool": [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)],
        "digits ResNet (stem, 2 blocks, 1 stride-2)": [(3, 1, 1)] * 3 + [(3, 2, 1), (3, 1, 1)],
        "three 3x3 convs, dilation 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
    }
    table(["stack", "receptive field (pixels)"], [[k, receptive_field(v)] for k, v in stacks.items()])


def part_receptive_field_positions(model: nn.Module) -> None:
    """Which input pixels reach each unit of the digits ResNet's last feature map, found by autograd.

    All weights made positive and the input all ones: every activation is then positive, so no ReLU
    cuts a path and a gradient is nonzero exactly where a path exists.
    """
    probe = copy.deepcopy(model).eval()
    with torch.no_grad():
        for m in probe.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.abs_().add_(0.01)
    x = torch.ones(1, 1, 8, 8, requires_grad=True)
    feats = probe.stages(probe.stem(x))  # (1, 32, 4, 4)
    h, w = feats.shape[-2:]
    rows, whole = [], 0
    for i in range(h):
        cells = []
        for j in range(w):
            (g,) = torch.autograd.grad(feats[0, :, i, j].sum(), x, retain_graph=True)
            r = g[0, 0].abs().sum(1).nonzero().flatten()
            c = g[0, 0].abs().sum(0).nonzero().flatten()
            whole += int(len(r) == 8 and len(c) == 8)
            cells.append(f"rows {r.min().item()}-{r.max().item()}, cols {c.min().item()}-{c.max().item()}")
        rows.append([f"unit row {i}"] + cells)
    print(f"  input pixels reaching each unit of the digits ResNet's last {h}x{w} map (8x8 input, by autograd):")
    table(["", *[f"unit col {j}" for j in range(w)]], rows)
    print(f"  units that see the whole 8x8 image: {whole} of {h * w}; global average pooling sees all of it")


def demo_convolution() -> None:
    section("Exercise 1: convolution by hand (unfold + matmul) vs F.conv2d")
    print("WORKED EXAMPLE (a): a 3x3 input, a 2x2 kernel, im2col")
    x = torch.arange(1.0, 10.0).view(1, 1, 3, 3)
    w = torch.tensor([[1.0, 0.0], [0.0, -1.0]]).view(1, 1, 2, 2)
    cols = F.unfold(x, 2)
    print(f"  x = {x[0, 0].int().tolist()},  w = {w[0, 0].int().tolist()}")
    print(f"  F.unfold(x, 2)[0] (one column per output pixel) = {cols[0].int().tolist()}")
    run_part(part_im2col_product, x, w, cols)
    run_part(part_conv_as_matrix, w)
    run_part(part_conv2d_vs_f_conv2d)
    print("\nWORKED EXAMPLE (b): output size and receptive field")
    run_part(part_output_sizes)
    run_part(part_receptive_fields)
    run_part(part_receptive_field_positions, run_part(SmallResNet, 1, 10, DIGITS_WIDTHS))


# ---------------------------------------------------------------------------------------------
# Exercise 2
# ---------------------------------------------------------------------------------------------


def flop_counter_total(model: nn.Module, shape: tuple[int, ...]) -> int:
    """PyTorch's own count (torch.utils.flop_counter), the oracle of count_flops."""
    from torch.utils.flop_counter import FlopCounterMode

    model.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(shape))
    return counter.get_total_flops()


def demo_architectures() -> None:
    section("Exercise 2: architectures, parameters and FLOPs")
    models = {
        "LeNet (1x28x28, MNIST-sized)": (run_part(LeNet, 1, 10, 28), (1, 1, 28, 28)),
        "SmallResNet digits (16, 32) x1 (1x8x8)": (run_part(SmallResNet, 1, 10, DIGITS_WIDTHS), (1, 1, 8, 8)),
        "SmallResNet (16, 32, 64) x3 = ResNet-20 (3x32x32)": (run_part(SmallResNet, 3, 10, (16, 32, 64), 3), (1, 3, 32, 32)),
        "BasicBlock 64->64 (64x8x8)": (run_part(BasicBlock, 64, 64), (1, 64, 8, 8)),
        "Bottleneck 256->64->256 (256x8x8)": (run_part(Bottleneck, 256, 64), (1, 256, 8, 8)),
    }
    rows = []
    for name, (model, shape) in models.items():
        if is_skipped(model):  # its constructor already said why; the counts need the model
            rows.append([name, "skipped", "skipped", "skipped"])
            continue
        oracle = run_part(flop_counter_total, model, shape)
        params = run_part(count_parameters, model)
        flops = run_part(count_flops, model, shape)
        rows.append([name] + [("skipped" if is_skipped(v) else f"{v:,}") for v in (params, flops, oracle)])
    table(["model (input)", "parameters", f"FLOPs ({whose()})", "FlopCounterMode"], rows)


# ---------------------------------------------------------------------------------------------
# Exercise 3
# ---------------------------------------------------------------------------------------------


def real_dataset(name: str):
    """(x_train, y_train, x_test, y_test, classes, max_shift) for a torchvision dataset, as float tensors."""
    loader = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist, "cifar10": load_cifar10}[name]
    train, test = loader(train=True), loader(train=False)

    def tensors(ds):
        data = torch.as_tensor(ds.data)
        x = data.unsqueeze(1) if data.dim() == 3 else data.permute(0, 3, 1, 2)
        return x.float().div(255.0), torch.as_tensor(ds.targets, dtype=torch.int64)

    xtr, ytr = tensors(train)
    xte, yte = tensors(test)
    return xtr, ytr, xte, yte, list(train.classes), 2 if name == "cifar10" else 1


def load_data(dataset: str):
    """(xtr, ytr, xte, yte, classes, max_shift), standardised with the training set's mean and std."""
    if dataset == "digits":
        xtr, ytr = load_digits("train")
        xte, yte = load_digits("test")
        classes, shift = [str(d) for d in range(10)], 1
    else:
        xtr, ytr, xte, yte, classes, shift = real_dataset(dataset)
    mean, std = xtr.mean(), xtr.std()
    return (xtr - mean) / std, ytr, (xte - mean) / std, yte, classes, shift


class Run:
    """One seed's trained exercise 3 classifier: model, test accuracy, loss per epoch (or skipped markers)."""

    def __init__(self, seed: int, model, acc, history):
        self.seed, self.model, self.acc, self.history = seed, model, acc, history


def train_digits(device: torch.device, dataset: str, epochs: int, seed: int, loaded, verbose: bool = True) -> Run:
    xtr, ytr, xte, yte, classes, shift = loaded
    if verbose:
        section(f"Exercise 3: training a small ResNet on {dataset} (seed {seed})")
    seed_everything(seed)
    model = run_part(part_build_resnet, xtr.shape[1], len(classes), device)
    amp = device.type == "cuda"
    if verbose:
        run_part(part_describe_run, model, xtr, xte, epochs, shift, device, amp)
    trained = run_part(part_train_digits, model, xtr, ytr, epochs, shift, device, amp, seed, verbose)
    model = trained[0] if not is_skipped(trained) else trained
    history = trained[1] if not is_skipped(trained) else trained
    acc = run_part(part_test_accuracy, model, xte, yte, dataset, verbose)
    if verbose:
        run_part(part_confusion_matrix, model, xte, yte, classes, dataset)
    return Run(seed, model, acc, history)


def part_build_resnet(in_channels: int, num_classes: int, device: torch.device) -> nn.Module:
    return SmallResNet(in_channels, num_classes, DIGITS_WIDTHS).to(device)


def part_describe_run(model: nn.Module, xtr, xte, epochs: int, shift: int, device: torch.device, amp: bool) -> None:
    print(f"train {tuple(xtr.shape)}, test {tuple(xte.shape)}, {count_parameters(model):,} parameters, "
          f"{epochs} epochs, batch 64, AdamW + one-cycle lr 5e-3, random shifts of +-{shift} px, "
          f"device {device}, mixed precision {'on' if amp else 'off'}")


def part_train_digits(model: nn.Module, xtr, ytr, epochs: int, shift: int, device: torch.device, amp: bool,
                      seed: int, verbose: bool = True):
    """(trained model, loss per epoch); prints the losses."""
    history = train_classifier(model, xtr, ytr, epochs=epochs, lr=5e-3, max_shift=shift, seed=seed, device=device, amp=amp)
    if verbose:
        print(f"loss per epoch: {' '.join(f'{h:.3f}' for h in history)}")
    return model, history


def part_test_accuracy(model: nn.Module, xte, yte, dataset: str, verbose: bool = True) -> float:
    acc = accuracy(model, xte, yte)
    if verbose:
        print(f"TEST ACCURACY on {dataset}: {acc:.2%} ({round(acc * len(yte))}/{len(yte)})")
    return acc


def part_confusion_matrix(model: nn.Module, xte, yte, classes: list[str], dataset: str) -> None:
    cm = confusion_matrix(predict(model, xte), yte, len(classes))
    print("confusion matrix (rows: true class, columns: predicted):")
    table(["true\\pred"] + [c[:5] for c in classes], [[classes[i][:9]] + cm[i].tolist() for i in range(len(classes))])
    save_confusion(cm, classes, dataset)


def save_confusion(cm: torch.Tensor, classes: list[str], dataset: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.4, 4.5))
    im = ax.imshow(cm.numpy(), cmap="Blues")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(classes)), [c[:5] for c in classes], fontsize=7)
    ax.set_yticks(range(len(classes)), [c[:5] for c in classes], fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{dataset}: test confusion matrix")
    fig.colorbar(im, ax=ax, label="test images")
    fig.tight_layout()
    path = output_dir(LAB_DIR) / f"confusion_{dataset}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


def pct(values: list[float]) -> str:
    """One seed: ``98.61%``; several: mean ± sd (min–max, n) in percent."""
    if len(values) == 1:
        return f"{values[0]:.2%}"
    return spread([100 * v for v in values], fmt=".2f", unit="%")


def print_seed_accuracies(runs: list[Run], dataset: str) -> None:
    section(f"Exercise 3 over seeds {runs[0].seed}..{runs[-1].seed} on {dataset} ({torch.get_num_threads()} CPU thread(s))")
    accs = [r.acc for r in runs if not is_skipped(r.acc)]
    for r in runs:
        if not is_skipped(r.acc):
            print(f"  seed {r.seed}: test accuracy {r.acc:.2%}")
    if accs:
        print(f"  TEST ACCURACY over {len(accs)} seeds: {pct(accs)}")


# ---------------------------------------------------------------------------------------------
# Exercise 4
# ---------------------------------------------------------------------------------------------

DEEP_LABEL = f"deeper: 3 blocks per stage (14 conv layers), {DIGITS_EPOCHS // 2} epochs"
DEEP_PLAIN_LABEL = f"deeper, no skip connections (6 blocks), {DIGITS_EPOCHS // 2} epochs"


def ablation_one_seed(device: torch.device, loaded, run: Run, quick: bool = False) -> dict[str, tuple[float, int, float]]:
    """{variant: (test accuracy, parameters, zero fraction)} for one seed; skipped parts are left out.

    ``quick`` (the plain run, to stay within its time budget) leaves out the two 2-block variants.
    """
    xtr, ytr, xte, yte, _, _ = loaded
    seed, epochs = run.seed, DIGITS_EPOCHS
    out: dict[str, tuple[float, int, float]] = {}

    def add(label: str, row) -> None:
        if not is_skipped(row):
            out[label.format(n=row[3])] = row[:3]

    def measured(model: nn.Module, n: int = 0) -> tuple:
        return accuracy(model, xte, yte), count_parameters(model), sparsity(model), n

    def from_scratch(made: tuple[nn.Module, int], n_epochs: int = epochs) -> tuple:
        """``made``: (model, n) as the surgery returns it."""
        model, n = made
        seed_everything(seed)
        fresh = copy_with_fresh_weights(model).to(device)
        train_classifier(fresh, xtr, ytr, epochs=n_epochs, lr=5e-3, seed=seed, device=device)
        return measured(fresh, n)

    def fine_tuned(pruned: tuple[nn.Module, dict]) -> tuple:
        model, masks = copy.deepcopy(pruned[0]), pruned[1]
        train_classifier(model, xtr, ytr, epochs=2, lr=1e-3, seed=seed, device=device,
                         after_step=lambda m: apply_masks_(m, masks))
        return measured(model)

    add("baseline: ResNet (16, 32), ReLU", run_part(measured, run.model))
    if not quick:
        template = run_part(SmallResNet, 1, 10, DIGITS_WIDTHS)
        add("no skip connections ({n} blocks)", run_part(from_scratch, run_part(remove_skip_connections, template)))
        add("ReLU -> SiLU ({n} modules)", run_part(from_scratch, run_part(swap_activation, template, nn.ReLU, nn.SiLU)))
    deep = run_part(SmallResNet, 1, 10, DIGITS_WIDTHS, blocks_per_stage=3)
    add(DEEP_LABEL, run_part(from_scratch, run_part(lambda m: (m, 0), deep), epochs // 2))
    add(DEEP_PLAIN_LABEL.replace("(6 blocks)", "({n} blocks)"),
        run_part(from_scratch, run_part(remove_skip_connections, deep), epochs // 2))
    pruned = run_part(magnitude_prune, run.model, 0.2)
    add("baseline, 20% pruned, no fine-tuning", run_part(lambda p: measured(p[0]), pruned))
    add("baseline, 20% pruned, 2 epochs fine-tuning", run_part(fine_tuned, pruned))
    add("baseline, 80% pruned, no fine-tuning", run_part(lambda p: measured(p[0]), run_part(magnitude_prune, run.model, 0.8)))
    return out


def ablation(device: torch.device, loaded, runs: list[Run], full: bool) -> None:
    seeds = [r.seed for r in runs]
    section(f"Exercise 4: architecture surgery, an ablation on digits (same data and epochs; seeds {seeds})")
    per_seed = [ablation_one_seed(device, loaded, r, quick=not full) for r in runs if not is_skipped(r.model)]
    if not per_seed or not per_seed[0]:
        return
    rows = []
    for label, (_, params, zeros) in per_seed[0].items():
        accs = [d[label][0] for d in per_seed if label in d]
        rows.append([label, pct(accs), f"{params:,}", f"{zeros:.0%}"])
    table(["variant", "test acc" + (f" over {len(per_seed)} seeds" if len(per_seed) > 1 else f" (seed {seeds[0]})"),
           "parameters", "zero weights"], rows)
    print("  (parameters counts every stored entry, zeros included: unstructured pruning saves no memory by itself)")
    if not full:
        print("  (--full adds two 2-block rows, no skip connections and ReLU -> SiLU, and runs every row for seeds 0-4)")
    deep_plain = next((k for k in per_seed[0] if k.startswith("deeper, no skip")), None)
    if DEEP_LABEL in per_seed[0] and deep_plain:
        gaps = [100 * (d[DEEP_LABEL][0] - d[deep_plain][0]) for d in per_seed]
        ahead = sum(g > 0 for g in gaps)
        print(f"  DEGRADATION: deeper residual minus deeper plain, in points: "
              f"{spread(gaps, fmt='.1f') if len(gaps) > 1 else f'{gaps[0]:.1f}'}; the residual net was ahead in "
              f"{ahead} of {len(gaps)} seed(s)")


def copy_with_fresh_weights(model: nn.Module) -> nn.Module:
    fresh = copy.deepcopy(model)
    for m in fresh.modules():
        if hasattr(m, "reset_parameters") and m is not fresh:
            m.reset_parameters()
    return fresh


def batchnorm_comparison(device: torch.device, loaded, runs: list[Run]) -> None:
    """The digits ResNet with every BatchNorm2d replaced by nn.Identity, trained like the baseline."""
    xtr, ytr, xte, yte, _, shift = loaded
    seeds = [r.seed for r in runs]
    section(f"Exercise 4: the same ResNet without BatchNorm (BatchNorm2d -> Identity; seeds {seeds})")
    template = run_part(SmallResNet, 1, 10, DIGITS_WIDTHS)
    made = run_part(swap_activation, template, nn.BatchNorm2d, nn.Identity)
    if is_skipped(made) or any(is_skipped(r.history) for r in runs):
        print("  skipped: needs swap_activation (exercise 4) and the trained baselines (exercise 3)")
        return
    curves = {"with BatchNorm": [r.history for r in runs], f"without BatchNorm ({made[1]} modules replaced)": []}
    accs = {"with BatchNorm": [r.acc for r in runs], f"without BatchNorm ({made[1]} modules replaced)": []}
    no_bn = list(curves)[1]
    for r in runs:
        seed_everything(r.seed)
        model = copy_with_fresh_weights(made[0]).to(device)
        curves[no_bn].append(train_classifier(model, xtr, ytr, epochs=DIGITS_EPOCHS, lr=5e-3, max_shift=shift,
                                              seed=r.seed, device=device))
        accs[no_bn].append(accuracy(model, xte, yte))

    def loss(values: list[float]) -> str:
        return f"{values[0]:.3f}" if len(values) == 1 else spread(values, fmt=".3f")

    rows = [[name, loss([h[0] for h in hs]), loss([h[2] for h in hs]), loss([h[-1] for h in hs]), pct(accs[name])]
            for name, hs in curves.items()]
    table(["model (lr 5e-3, AdamW + one-cycle)", "train loss, epoch 1", "epoch 3", f"epoch {DIGITS_EPOCHS}", "test acc"], rows)
    save_batchnorm_curves(curves, seeds)


def save_batchnorm_curves(curves: dict[str, list[list[float]]], seeds: list[int]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for (name, hs), colour in zip(curves.items(), ("tab:blue", "tab:red")):
        t = torch.tensor(hs)
        epochs = range(1, t.shape[1] + 1)
        ax.plot(epochs, t.mean(0).tolist(), color=colour, marker="o", ms=3, label=f"{name}: mean over {len(hs)} seed(s)")
        if len(hs) > 1:
            ax.fill_between(epochs, t.amin(0).tolist(), t.amax(0).tolist(), color=colour, alpha=0.2,
                            label=f"{name}: min-max over seeds {seeds[0]}-{seeds[-1]}")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean training loss (cross-entropy, log scale)")
    ax.set_title("Digits ResNet (16, 32): training loss with and without BatchNorm")
    ax.legend(fontsize=7, loc="lower left")  # the lower left stays empty: both curves start high
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "batchnorm_loss.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


# ---------------------------------------------------------------------------------------------
# Exercise 5
# ---------------------------------------------------------------------------------------------

REGIMES = ("frozen backbone, new head", "full fine-tuning", "from scratch")


def imagenet_weights_file() -> tuple[Optional[object], Path]:
    """(torchvision's ResNet18_Weights.DEFAULT, where the torch hub cache keeps its file); never downloads."""
    from torchvision.models import ResNet18_Weights

    weights = ResNet18_Weights.DEFAULT
    return weights, Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)


def transfer(device: torch.device, seeds: list[int]) -> None:
    section(f"Exercise 5: transfer learning, shapes -> digits, and Grad-CAM (seeds {seeds})")
    size = 16
    xs, ys = make_shapes(2400, size=size, seed=0)
    xs_te, ys_te = make_shapes(600, size=size, seed=1)

    def as_rgb16(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False).expand(-1, 3, -1, -1).contiguous()

    xtr, ytr = load_digits("train")
    xte, yte = load_digits("test")
    n_small = 200
    xtr, ytr, xte = as_rgb16(xtr[:n_small]), ytr[:n_small], as_rgb16(xte)
    sources, source_accs, accs = {}, [], {r: [] for r in REGIMES}
    trainable = {}
    for seed in seeds:
        seed_everything(seed)
        made = run_part(part_pretrain_on_shapes, device, xs, ys, xs_te, ys_te, seed)
        if is_skipped(made):
            source = made
        else:
            source, acc = made
            source_accs.append(acc)
        sources[seed] = source
        for regime in REGIMES:
            seed_everything(seed)
            result = run_part(part_regime, regime, device, xtr, ytr, xte, yte, seed, None if regime == "from scratch" else source)
            if not is_skipped(result):
                trainable[regime], acc = result
                accs[regime].append(acc)
    if source_accs:
        print(f"pretrained on coloured shapes ({len(xs)} images of 3x{size}x{size}, {len(SHAPE_CLASSES)} classes, 6 epochs): "
              f"test accuracy {pct(source_accs)}")
    print(f"target task: digits with only {n_small} training images (upsampled to 3x{size}x{size}), "
          f"tested on all {len(yte)}; 15 epochs each:")
    rows = [[r, f"{trainable[r]:,}", pct(accs[r])] for r in REGIMES if accs[r]]
    if rows:
        table(["regime", "trainable params", "digits test acc" + (f" over {len(seeds)} seeds" if len(seeds) > 1 else f" (seed {seeds[0]})")], rows)
    if accs["full fine-tuning"] and accs["from scratch"]:
        gaps = [100 * (a - b) for a, b in zip(accs["full fine-tuning"], accs["from scratch"])]
        print(f"  fine-tuning minus scratch, in points: {spread(gaps, fmt='.1f') if len(gaps) > 1 else f'{gaps[0]:.1f}'}; "
              f"fine-tuning ahead in {sum(g > 0 for g in gaps)} of {len(gaps)} seed(s)")
    run_part(part_grad_cam, sources[seeds[0]], xs_te, ys_te, device, size)
    imagenet_probe(device, seeds)


def part_pretrain_on_shapes(device: torch.device, xs, ys, xs_te, ys_te, seed: int) -> tuple[nn.Module, float]:
    source = SmallResNet(3, len(SHAPE_CLASSES), (16, 32)).to(device)
    train_classifier(source, xs, ys, epochs=6, lr=5e-3, max_shift=2, seed=seed, device=device)
    return source, accuracy(source, xs_te, ys_te)


def part_regime(regime: str, device: torch.device, xtr, ytr, xte, yte, seed: int,
                source: Optional[nn.Module] = None) -> tuple[int, float]:
    """(trainable parameters, test accuracy) of one transfer regime, trained 15 epochs."""
    if source is None:
        model = SmallResNet(3, 10, (16, 32)).to(device)
    else:
        model = copy.deepcopy(source)
        replace_head(model, 10)
    if regime.startswith("frozen"):
        freeze_backbone(model)
    trainable = count_parameters(model, trainable_only=True)
    train_classifier(model, xtr, ytr, epochs=15, batch_size=32, lr=5e-3, seed=seed, device=device)
    return trainable, accuracy(model, xte, yte)


def part_grad_cam(source: nn.Module, xs_te, ys_te, device: torch.device, size: int) -> None:
    """Grad-CAM at the last block's output, checked against CAM (fc weights times the features)."""
    layer = source.stages[-1][-1]
    x = xs_te[:8].to(device)
    cams = grad_cam(source, layer, x)
    preds = predict(source, xs_te[:8])
    # CAM (Zhou et al. 2016) of the same prediction: sum_k W[c, k] A_k, ReLU, upsampled, normalised.
    source.eval()
    with torch.no_grad():
        feats = source.stages(source.stem(x))
        cam = torch.einsum("nk,nkhw->nhw", source.fc.weight[preds.to(device)], feats).relu().unsqueeze(1)
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False).squeeze(1)
        cam = cam / cam.amax((1, 2), keepdim=True).clamp_min(1e-12)
    diff = (cams - cam).abs().max().item()
    h = feats.shape[-1]
    print(f"Grad-CAM at stages[-1][-1] (the last block's output, {h}x{h}, upsampled to {size}x{size}): "
          f"shape {tuple(cams.shape)}, min {cams.min().item():.2f}, max per map {cams.amax((1, 2)).min().item():.2f}")
    print(f"  GRAD-CAM = CAM: max |Grad-CAM - CAM (fc weights x features, ReLU, normalised)| "
          f"{'< 1e-5' if diff < 1e-5 else f'= {diff:.1e}'} over the 8 maps")
    save_gradcam(xs_te[:8], cams.cpu(), ys_te[:8], preds)


def save_gradcam(x: torch.Tensor, cams: torch.Tensor, labels: torch.Tensor, preds: torch.Tensor) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(x)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n + 1.0, 3.8))
    im = None
    for i in range(n):
        img = x[i].permute(1, 2, 0).numpy()
        axes[0, i].imshow(img)
        axes[0, i].set_title(f"{SHAPE_CLASSES[labels[i]]}\npred {SHAPE_CLASSES[preds[i]]}", fontsize=7)
        axes[1, i].imshow(img)
        im = axes[1, i].imshow(cams[i].numpy(), cmap="jet", alpha=0.35, vmin=0, vmax=1)
        for ax in axes[:, i]:
            ax.axis("off")
    fig.suptitle("Grad-CAM of the shapes ResNet at its last block (top: image, true and predicted class; "
                 "bottom: heatmap at alpha 0.35)", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.92, 1))
    cax = fig.add_axes((0.93, 0.08, 0.015, 0.38))
    fig.colorbar(im, cax=cax, label="Grad-CAM (map / its max)")
    path = output_dir(LAB_DIR) / "gradcam_shapes.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


def imagenet_probe(device: torch.device, seeds: list[int]) -> None:
    """A linear probe on torchvision's ImageNet ResNet-18, when its weights are already in the torch hub cache."""
    try:
        weights, path = imagenet_weights_file()
    except ImportError as err:
        print(f"ImageNet ResNet-18 probe: skipped, torchvision is not importable ({err})")
        return
    if not path.is_file():
        print(f"ImageNet ResNet-18 probe: skipped, {path} is not in the torch hub cache and this lab never downloads "
              "(where there is internet, `python -c \"import torchvision; torchvision.models.resnet18(weights='DEFAULT')\"` "
              "puts it there)")
        return
    from torchvision.models import resnet18

    model = resnet18(weights=weights)  # read from the cache: the file is there
    accs = run_part(part_imagenet_probe, model, device, seeds)
    if not is_skipped(accs):
        print(f"ImageNet ResNet-18 ({path.name}), frozen, new head on 200 digits at 3x64x64: "
              f"digits test acc {pct(accs)}")


def part_imagenet_probe(model: nn.Module, device: torch.device, seeds: list[int], n_train: int = 200) -> list[float]:
    """Linear probe: replace_head + freeze_backbone, features computed once, the head trained per seed."""
    xtr, ytr = load_digits("train")
    xte, yte = load_digits("test")
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def prepare(x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=64, mode="bilinear", align_corners=False).expand(-1, 3, -1, -1)
        return (x - mean) / std

    replace_head(model, 10)
    freeze_backbone(model)
    model.to(device).eval()
    backbone = nn.Sequential(*[m for name, m in model.named_children() if name != "fc"])
    with torch.no_grad():
        ftr = torch.cat([backbone(prepare(xtr[i:i + 100]).to(device)).cpu() for i in range(0, n_train, 100)])
        fte = torch.cat([backbone(prepare(xte[i:i + 100]).to(device)).cpu() for i in range(0, len(xte), 100)])
    accs = []
    for seed in seeds:
        seed_everything(seed)
        head = nn.Sequential(nn.Flatten(), nn.Linear(ftr.shape[1], 10)).to(device)
        train_classifier(head, ftr, ytr[:n_train], epochs=15, batch_size=32, lr=5e-3, max_shift=0, seed=seed, device=device)
        accs.append(accuracy(head, fte, yte))
    return accs


# ---------------------------------------------------------------------------------------------
# Timing (--full)
# ---------------------------------------------------------------------------------------------


def timing(device: torch.device, loaded, epochs: int) -> None:
    xtr, ytr, _, _, classes, shift = loaded
    before = torch.get_num_threads()
    section(f"Timing: training the digits classifier ({epochs} epochs), median of 5 after 1 warm-up")

    def once() -> None:
        seed_everything(SEED)
        model = SmallResNet(xtr.shape[1], len(classes), DIGITS_WIDTHS).to(device)
        train_classifier(model, xtr, ytr, epochs=epochs, lr=5e-3, max_shift=shift, seed=SEED, device=device)

    rows = []
    try:
        for threads in ((1, 2) if device.type == "cpu" else (before,)):
            torch.set_num_threads(threads)
            result = run_part(benchmark, once, warmup=1, repeat=5)
            if is_skipped(result):
                return
            rows.append([f"{threads} thread(s)" if device.type == "cpu" else str(device), str(result)])
    finally:
        torch.set_num_threads(before)
    table(["torch threads", "seconds per training run"], rows)
    print(f"  on {cpu_name()}, {os.cpu_count()} CPU cores; timings vary by machine and by the load other processes put on it")


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = runner_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist", "cifar10"],
                        help="dataset of the exercise 3 classifier (default: digits, bundled with scikit-learn)")
    parser.add_argument("--epochs", type=int, default=DIGITS_EPOCHS, help="epochs of the exercise 3 classifier")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: these layers are too small to gain from more, and "
                             "extra threads slow down badly when other processes share the cores)")
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds)) if args.full else [SEED]
    device = get_device()
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    print(describe_machine())
    if run_target() == "exercises":
        print("running YOUR code (exercises/): a part whose exercise is not written yet says so and is skipped")
    else:
        print("running the reference code (solution/); `make run LAB=1.6 TARGET=exercises` runs yours")
    if not args.full:
        print("one seed (0) per trained model: an illustration; `python solution/solution.py --full` gives the ranges over seeds 0-4")
    total = time.perf_counter()
    try:
        loaded = load_data(args.dataset)
    except DatasetNotFoundError as err:
        print(err)
        return 1
    if args.dataset != "digits":
        runs = [train_digits(device, args.dataset, args.epochs, s, loaded, verbose=(s == seeds[0])) for s in seeds]
        if len(runs) > 1:
            print_seed_accuracies(runs, args.dataset)
        print(f"\ntotal {time.perf_counter() - total:.1f} s")
        return 0
    demo_convolution()
    demo_architectures()
    runs = [train_digits(device, "digits", args.epochs, s, loaded, verbose=(s == seeds[0])) for s in seeds]
    if len(runs) > 1:
        print_seed_accuracies(runs, "digits")
    ablation(device, loaded, runs, args.full)
    batchnorm_comparison(device, loaded, runs)
    transfer(device, seeds)
    if args.full:
        timing(device, loaded, args.epochs)
    print(f"\ntotal {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
