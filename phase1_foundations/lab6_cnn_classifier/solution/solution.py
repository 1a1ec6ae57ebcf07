"""Lab 1.6 runner: convolution by hand, CNN architectures, a digits classifier, surgery, transfer.

    cd phase1_foundations/lab6_cnn_classifier && python solution/solution.py      (or: make run LAB=1.6)
    make run LAB=1.6 TARGET=exercises                (the same runner on YOUR exercises/; a part whose
                                                      exercise is not written yet is skipped, and says so)
    python solution/solution.py --dataset mnist      (or fashion-mnist, cifar10: needs the files, see
                                                      `python -m shared.datasets info`)
    python solution/solution.py --seeds 0 1 2 3 4    (the digits classifier once per seed)

Prints what it computed, section by section (the README quotes the parts marked WORKED EXAMPLE),
and saves the confusion matrix and the Grad-CAM figure under $LAB_OUTPUT_DIR (default: outputs/
in the lab folder). Uses a GPU, with mixed precision, when one is present.
"""
from __future__ import annotations

import argparse
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
from shared.devices import describe_machine, get_device, seed_everything  # noqa: E402
from shared.report import is_skipped, output_dir, run_part, run_target, section, table, whose  # noqa: E402

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


def train_digits(device: torch.device, dataset: str, epochs: int):
    section(f"Exercise 3: training a small ResNet on {dataset}")
    if dataset == "digits":
        xtr, ytr = load_digits("train")
        xte, yte = load_digits("test")
        classes, shift = [str(d) for d in range(10)], 1
    else:
        xtr, ytr, xte, yte, classes, shift = real_dataset(dataset)
    mean, std = xtr.mean(), xtr.std()
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    seed_everything(SEED)
    model = run_part(part_build_resnet, xtr.shape[1], len(classes), device)
    amp = device.type == "cuda"
    run_part(part_describe_run, model, xtr, xte, epochs, shift, device, amp)
    trained = run_part(part_train_digits, model, xtr, ytr, epochs, shift, device, amp)
    model = trained[0] if not is_skipped(trained) else trained
    seconds = trained[1] if not is_skipped(trained) else trained
    acc = run_part(part_test_accuracy, model, xte, yte, dataset, seconds)
    run_part(part_confusion_matrix, model, xte, yte, classes, dataset)
    return model, (xtr, ytr, xte, yte), acc, seconds


def part_build_resnet(in_channels: int, num_classes: int, device: torch.device) -> nn.Module:
    return SmallResNet(in_channels, num_classes, DIGITS_WIDTHS).to(device)


def part_describe_run(model: nn.Module, xtr, xte, epochs: int, shift: int, device: torch.device, amp: bool) -> None:
    print(f"train {tuple(xtr.shape)}, test {tuple(xte.shape)}, {count_parameters(model):,} parameters, "
          f"{epochs} epochs, batch 64, AdamW + one-cycle lr 5e-3, random shifts of +-{shift} px, "
          f"device {device}, mixed precision {'on' if amp else 'off'}")


def part_train_digits(model: nn.Module, xtr, ytr, epochs: int, shift: int, device: torch.device, amp: bool):
    """(trained model, seconds); prints the loss per epoch."""
    start = time.perf_counter()
    history = train_classifier(model, xtr, ytr, epochs=epochs, lr=5e-3, max_shift=shift, seed=SEED, device=device, amp=amp)
    seconds = time.perf_counter() - start
    print(f"loss per epoch: {' '.join(f'{h:.3f}' for h in history)}")
    return model, seconds


def part_test_accuracy(model: nn.Module, xte, yte, dataset: str, seconds: float) -> float:
    acc = accuracy(model, xte, yte)
    print(f"TEST ACCURACY on {dataset}: {acc:.2%} ({round(acc * len(yte))}/{len(yte)}), training took {seconds:.1f} s")
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

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(cm.numpy(), cmap="Blues")
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(classes)), [c[:5] for c in classes], fontsize=7)
    ax.set_yticks(range(len(classes)), [c[:5] for c in classes], fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{dataset}: test confusion matrix")
    fig.tight_layout()
    path = output_dir(LAB_DIR) / f"confusion_{dataset}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


# ---------------------------------------------------------------------------------------------
# Exercise 4
# ---------------------------------------------------------------------------------------------


def ablation(device: torch.device, baseline: nn.Module, data, base_acc: float, base_seconds: float) -> None:
    section("Exercise 4: architecture surgery, an ablation on digits (same data, seed, epochs)")
    xtr, ytr, xte, yte = data
    epochs = DIGITS_EPOCHS
    rows = []

    def add(row) -> None:
        if not is_skipped(row):
            rows.append(row)

    def baseline_row(model: nn.Module, acc: float, seconds: float) -> list:
        return ["baseline: ResNet (16, 32), ReLU", f"{acc:.2%}", f"{count_parameters(model):,}", "0%", f"{seconds:.1f}"]

    def from_scratch(label: str, made: tuple[nn.Module, int], n_epochs: int = epochs) -> list:
        """``made``: (model, n) as the surgery returns it; ``label`` may use {n}."""
        model, n = made
        seed_everything(SEED)
        fresh = copy_with_fresh_weights(model).to(device)
        start = time.perf_counter()
        train_classifier(fresh, xtr, ytr, epochs=n_epochs, lr=5e-3, seed=SEED, device=device)
        seconds = time.perf_counter() - start
        return [label.format(n=n), f"{accuracy(fresh, xte, yte):.2%}", f"{count_parameters(fresh):,}",
                f"{sparsity(fresh):.0%}", f"{seconds:.1f}"]

    def as_made(model: nn.Module) -> tuple[nn.Module, int]:
        return model, 0

    def pruned_row(label: str, pruned: tuple[nn.Module, dict], seconds: str = "0.0") -> list:
        model = pruned[0]
        return [label, f"{accuracy(model, xte, yte):.2%}", f"{count_parameters(model):,}", f"{sparsity(model):.0%}", seconds]

    def fine_tune_row(label: str, pruned: tuple[nn.Module, dict]) -> list:
        model, masks = pruned
        start = time.perf_counter()
        train_classifier(model, xtr, ytr, epochs=2, lr=1e-3, seed=SEED, device=device,
                         after_step=lambda m: apply_masks_(m, masks))
        return pruned_row(label, pruned, f"{time.perf_counter() - start:.1f}")

    add(run_part(baseline_row, baseline, base_acc, base_seconds))
    template = run_part(SmallResNet, 1, 10, DIGITS_WIDTHS)
    add(run_part(from_scratch, "no skip connections ({n} blocks)", run_part(remove_skip_connections, template)))
    add(run_part(from_scratch, "ReLU -> SiLU ({n} modules)", run_part(swap_activation, template, nn.ReLU, nn.SiLU)))

    deep = run_part(SmallResNet, 1, 10, DIGITS_WIDTHS, blocks_per_stage=3)
    add(run_part(from_scratch, f"deeper: 3 blocks per stage (14 conv layers), {epochs // 2} epochs", run_part(as_made, deep), epochs // 2))
    add(run_part(from_scratch, f"deeper, no skip connections ({{n}} blocks), {epochs // 2} epochs",
                 run_part(remove_skip_connections, deep), epochs // 2))

    pruned = run_part(magnitude_prune, baseline, 0.2)
    add(run_part(pruned_row, "baseline, 20% pruned, no fine-tuning", pruned))
    add(run_part(fine_tune_row, "baseline, 20% pruned, 2 epochs fine-tuning", pruned))
    add(run_part(pruned_row, "baseline, 80% pruned, no fine-tuning", run_part(magnitude_prune, baseline, 0.8)))
    if rows:
        table(["variant", "test acc", "parameters", "zero weights", "train s"], rows)
        print("  (parameters counts every stored entry, zeros included: unstructured pruning saves no memory by itself)")


def copy_with_fresh_weights(model: nn.Module) -> nn.Module:
    import copy

    fresh = copy.deepcopy(model)
    for m in fresh.modules():
        if hasattr(m, "reset_parameters") and m is not fresh:
            m.reset_parameters()
    return fresh


# ---------------------------------------------------------------------------------------------
# Exercise 5
# ---------------------------------------------------------------------------------------------


def torchvision_weights_available() -> tuple[bool, str]:
    """Whether torchvision's ImageNet ResNet-18 weights are already in the torch hub cache (never downloads)."""
    try:
        from torchvision.models import ResNet18_Weights
    except ImportError as err:
        return False, f"torchvision is not importable ({err})"
    url = ResNet18_Weights.IMAGENET1K_V1.url
    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
    if path.is_file():
        return True, str(path)
    return False, f"{path} is not in the torch hub cache and this lab never downloads"


def transfer(device: torch.device) -> None:
    section("Exercise 5: transfer learning, shapes -> digits, and Grad-CAM")
    size = 16
    xs, ys = make_shapes(2400, size=size, seed=SEED)
    xs_te, ys_te = make_shapes(600, size=size, seed=SEED + 1)
    seed_everything(SEED)
    source = run_part(part_pretrain_on_shapes, device, xs, ys, xs_te, ys_te, size)

    ok, why = torchvision_weights_available()
    print(f"torchvision ImageNet ResNet-18 weights: {'found at ' + why if ok else 'not used: ' + why}; "
          "the shapes network is the pretrained backbone")

    def as_rgb16(x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False).expand(-1, 3, -1, -1).contiguous()

    xtr, ytr = load_digits("train")
    xte, yte = load_digits("test")
    n_small = 200
    xtr, ytr, xte = as_rgb16(xtr[:n_small]), ytr[:n_small], as_rgb16(xte)
    rows = []
    for regime in ("frozen backbone, new head", "full fine-tuning", "from scratch"):
        seed_everything(SEED)
        if regime == "from scratch":
            row = run_part(part_regime, regime, device, xtr, ytr, xte, yte)
        else:
            row = run_part(part_regime, regime, device, xtr, ytr, xte, yte, source)
        if not is_skipped(row):
            rows.append(row)
    print(f"target task: digits with only {n_small} training images (upsampled to 3x{size}x{size}), "
          f"tested on all {len(yte)}; 15 epochs each, same seed:")
    if rows:
        table(["regime", "trainable params", "digits test acc", "train s"], rows)
    run_part(part_grad_cam, source, xs_te, ys_te, device, size)


def part_pretrain_on_shapes(device: torch.device, xs, ys, xs_te, ys_te, size: int) -> nn.Module:
    source = SmallResNet(3, len(SHAPE_CLASSES), (16, 32)).to(device)
    start = time.perf_counter()
    train_classifier(source, xs, ys, epochs=6, lr=5e-3, max_shift=2, seed=SEED, device=device)
    print(f"pretrained on coloured shapes ({len(xs)} images of 3x{size}x{size}, {len(SHAPE_CLASSES)} classes): "
          f"test accuracy {accuracy(source, xs_te, ys_te):.2%} in {time.perf_counter() - start:.1f} s")
    return source


def part_regime(regime: str, device: torch.device, xtr, ytr, xte, yte, source: Optional[nn.Module] = None) -> list:
    """One row of the transfer table: build the model of ``regime``, train it 15 epochs, test it."""
    if source is None:
        model = SmallResNet(3, 10, (16, 32)).to(device)
    else:
        import copy

        model = copy.deepcopy(source)
        replace_head(model, 10)
    if regime.startswith("frozen"):
        freeze_backbone(model)
    trainable = count_parameters(model, trainable_only=True)
    start = time.perf_counter()
    train_classifier(model, xtr, ytr, epochs=15, batch_size=32, lr=5e-3, seed=SEED, device=device)
    return [regime, f"{trainable:,}", f"{accuracy(model, xte, yte):.2%}", f"{time.perf_counter() - start:.1f}"]


def part_grad_cam(source: nn.Module, xs_te, ys_te, device: torch.device, size: int) -> None:
    """Grad-CAM on the shapes network."""
    layer = source.stages[-1][-1].conv2
    x = xs_te[:8].to(device)
    cams = grad_cam(source, layer, x)
    preds = predict(source, xs_te[:8])
    print(f"Grad-CAM at stages[-1][-1].conv2 (feature map {size // 2}x{size // 2}, upsampled to {size}x{size}): "
          f"shape {tuple(cams.shape)}, min {cams.min().item():.2f}, max per map {cams.amax((1, 2)).min().item():.2f}")
    save_gradcam(xs_te[:8], cams.cpu(), ys_te[:8], preds)


def save_gradcam(x: torch.Tensor, cams: torch.Tensor, labels: torch.Tensor, preds: torch.Tensor) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(x)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n, 3.6))
    for i in range(n):
        img = x[i].permute(1, 2, 0).numpy()
        axes[0, i].imshow(img)
        axes[0, i].set_title(f"{SHAPE_CLASSES[labels[i]]}\npred {SHAPE_CLASSES[preds[i]]}", fontsize=7)
        axes[1, i].imshow(img)
        axes[1, i].imshow(cams[i].numpy(), cmap="jet", alpha=0.5, vmin=0, vmax=1)
        for ax in axes[:, i]:
            ax.axis("off")
    fig.suptitle("Grad-CAM of the shapes ResNet (bottom: heatmap over the image)", fontsize=9)
    fig.tight_layout()
    path = output_dir(LAB_DIR) / "gradcam_shapes.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"saved {path}")


def seed_sweep(device: torch.device, dataset: str, epochs: int, seeds: list[int]) -> int:
    """Train the exercise 3 classifier once per seed; print one line each and the range."""
    global SEED
    import contextlib
    import io

    section(f"Exercise 3 over seeds {seeds} on {dataset} ({torch.get_num_threads()} CPU thread(s))")
    accs = []
    for seed in seeds:
        SEED = seed
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                _, _, acc, seconds = train_digits(device, dataset, epochs)
        except DatasetNotFoundError as err:
            print(err)
            return 1
        if is_skipped(acc):
            print(f"  seed {seed}: skipped, your exercise is not written yet ({acc.reason})")
            return 0
        accs.append(acc)
        print(f"  seed {seed}: test accuracy {acc:.2%}, training {seconds:.1f} s", flush=True)
    print(f"  min {min(accs):.2%}, max {max(accs):.2%} over {len(accs)} seeds")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="digits", choices=["digits", "mnist", "fashion-mnist", "cifar10"],
                        help="dataset of the exercise 3 classifier (default: digits, bundled with scikit-learn)")
    parser.add_argument("--epochs", type=int, default=DIGITS_EPOCHS, help="epochs of the exercise 3 classifier")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: these layers are too small to gain from more, and "
                             "extra threads slow down badly when other processes share the cores)")
    parser.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                        help="only train the exercise 3 classifier once per seed and print accuracy and time")
    args = parser.parse_args(argv)
    device = get_device()
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    print(describe_machine())
    if run_target() == "exercises":
        print("running YOUR code (exercises/): a part whose exercise is not written yet says so and is skipped")
    else:
        print("running the reference code (solution/); `make run LAB=1.6 TARGET=exercises` runs yours")
    total = time.perf_counter()
    if args.seeds:
        return seed_sweep(device, args.dataset, args.epochs, args.seeds)
    if args.dataset != "digits":
        try:
            train_digits(device, args.dataset, args.epochs)
        except DatasetNotFoundError as err:
            print(err)
            return 1
        print(f"\ntotal {time.perf_counter() - total:.1f} s")
        return 0
    demo_convolution()
    demo_architectures()
    model, data, acc, seconds = train_digits(device, "digits", args.epochs)
    ablation(device, model, data, acc, seconds)
    transfer(device)
    print(f"\ntotal {time.perf_counter() - total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
