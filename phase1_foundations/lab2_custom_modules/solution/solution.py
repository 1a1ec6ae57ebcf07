"""Lab 1.2 runner: custom modules, normalisation layers, autograd Functions, hooks, initialisation.

    cd phase1_foundations/lab2_custom_modules && python solution/solution.py      (or: make run LAB=1.2)

Prints what it computed, section by section, including the worked examples the README quotes
(marked WORKED EXAMPLE), and saves two plots under $LAB_OUTPUT_DIR (default: outputs/ in the lab
folder): gradient norm per layer for three deep networks, and activation std versus depth for
each initialisation and activation.
"""
from __future__ import annotations

import copy
import math
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.report import is_skipped, max_diff, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402
from shared.devices import describe_machine, get_device, seed_everything  # noqa: E402

from exercise1_modules_from_parts import Linear, RunningCenter, count_parameters, freeze, save_and_reload  # noqa: E402
from exercise2_normalization_layers import BatchNorm1d, BatchNormFunction, Dropout, GroupNorm, LayerNorm  # noqa: E402
from exercise3_functions_and_containers import (  # noqa: E402
    FakeQuantize,
    MemoryEfficientSiLU,
    MultiTaskHeads,
    ResidualMLP,
    SiLU,
    build_mlp,
)
from exercise4_hooks import GradNormRecorder, capture_activations, diagnose_gradient_flow, gradient_flow_report  # noqa: E402
from exercise5_initialization import (  # noqa: E402
    ACTIVATIONS,
    INITS,
    activation_std_through_depth,
    calculate_gain,
    kaiming_normal_,
    kaiming_uniform_,
    orthogonal_,
    xavier_normal_,
    xavier_uniform_,
)


# ---------------------------------------------------------------------------------------------
# Printing helpers
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Exercise 1
# ---------------------------------------------------------------------------------------------


def n_params(model: nn.Module) -> int:
    """Parameter count, for the parts that are not about exercise 1's count_parameters."""
    return sum(p.numel() for p in model.parameters())


def demo_modules() -> None:
    section("Exercise 1: parameters, buffers, state_dict")
    built = run_part(modules_and_buffers)
    run_part(saving_and_freezing, built)
    pitfalls_of_modules()
    run_part(linear_default_init)


def modules_and_buffers() -> tuple[nn.Module, torch.Tensor]:
    """Exercise 1's Linear, RunningCenter and count_parameters on a small net; returns (net, x)."""
    net = nn.Sequential(Linear(4, 8), RunningCenter(8), nn.ReLU(), Linear(8, 3, bias=False))
    net[1].register_buffer("scratch", torch.zeros(2), persistent=False)  # a non-persistent buffer, for contrast
    keys = set(net.state_dict())
    rows = [[n, "parameter", tuple(p.shape), p.numel(), p.requires_grad, n in keys] for n, p in net.named_parameters()]
    rows += [[n, "buffer", tuple(b.shape), b.numel(), b.requires_grad, n in keys] for n, b in net.named_buffers()]
    print("net = Sequential(Linear(4, 8), RunningCenter(8), ReLU(), Linear(8, 3, bias=False)), plus a")
    print("non-persistent buffer '1.scratch' registered with persistent=False")
    table(["name", "kind", "shape", "numel", "requires_grad", "in state_dict"], rows)
    print(f"count_parameters(net) = {count_parameters(net)}   (4*8 + 8 + 8*3; buffers are not parameters)")
    print(f"state_dict keys: {list(net.state_dict())}")

    net.train()
    x = torch.randn(32, 4)
    net(x).pow(2).mean().backward()
    rm = net[1].running_mean
    print(f"after one training step: running_mean.requires_grad = {rm.requires_grad}, grad_fn = {rm.grad_fn}, "
          f"grad = {rm.grad}, |running_mean| = {rm.norm().item():.4f}")
    net64 = net.to(torch.float64)
    print(f"net.to(torch.float64): weight {net64[0].weight.dtype}, running_mean {net64[1].running_mean.dtype} "
          f"(buffers move and convert with the module)")
    net.to(torch.float32)
    return net, x


def saving_and_freezing(built: tuple[nn.Module, torch.Tensor]) -> None:
    """Exercise 1's save_and_reload and freeze on the net of :func:`modules_and_buffers`."""
    net, x = built
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.pt"
        net.eval()
        fresh = save_and_reload(net, lambda: nn.Sequential(Linear(4, 8), RunningCenter(8), nn.ReLU(), Linear(8, 3, bias=False)), path)
        print(f"save_and_reload: {path.stat().st_size} bytes on disk; max |output difference| in eval mode: "
              f"{max_diff(fresh(x), net(x))}; shares memory with the original: "
              f"{fresh[0].weight.data_ptr() == net[0].weight.data_ptr()}")
    frozen = freeze(net, ["0"])
    print(f"freeze(net, ['0']) froze {frozen}; trainable parameters now {count_parameters(net, trainable_only=True)} "
          f"of {count_parameters(net)}")


def pitfalls_of_modules() -> None:
    """PyTorch's own behaviour (no exercise code): aliasing state_dict, plain attributes, init outside no_grad."""
    print("\npitfalls, demonstrated:")
    lin = nn.Linear(2, 2)
    snapshot = lin.state_dict()
    before = snapshot["weight"].clone()
    with torch.no_grad():
        lin.weight.add_(1.0)
    print(f"  state_dict() aliases the live tensors: after weight += 1, the 'snapshot' moved by "
          f"{(snapshot['weight'] - before).abs().max().item():g} (clone or deepcopy it to keep a copy)")

    class PlainAttribute(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mask = torch.ones(3)  # not a buffer
            self.register_buffer("kept", torch.ones(3))

    pa = PlainAttribute().to(torch.float64)
    print(f"  .to(torch.float64) converts buffers but not plain tensor attributes: buffer {pa.kept.dtype}, "
          f"plain attribute {pa.mask.dtype}; state_dict keys {list(pa.state_dict())}")
    try:
        nn.Parameter(torch.empty(3)).uniform_(-1.0, 1.0)
    except RuntimeError as err:
        print(f"  initialising a Parameter outside torch.no_grad(): RuntimeError: {err}")


def linear_default_init() -> None:
    """WORKED EXAMPLE (a): exercise 1's Linear init against nn.Linear's, same seed."""
    print("\nWORKED EXAMPLE (a): nn.Linear's default init for in_features = 4")
    a = math.sqrt(5.0)
    gain = math.sqrt(2.0 / (1.0 + a * a))
    std = gain / math.sqrt(4)
    print(f"  kaiming_uniform_(a=sqrt(5)): gain = sqrt(2 / (1 + a^2)) = sqrt(1/3) = {gain:.6f}")
    print(f"  std = gain / sqrt(fan_in) = {std:.6f},  bound = sqrt(3) * std = {math.sqrt(3.0) * std:.6f} = 1 / sqrt(4)")
    torch.manual_seed(0)
    ours = Linear(4, 100_000).weight.detach()
    torch.manual_seed(0)
    theirs = nn.Linear(4, 100_000).weight.detach()
    table(["400000 weights of a (100000, 4) layer", "min", "max", "std"], [
        [f"Linear (exercise 1, {whose()})", f"{ours.min().item():.6f}", f"{ours.max().item():.6f}", f"{ours.std().item():.6f}"],
        ["nn.Linear", f"{theirs.min().item():.6f}", f"{theirs.max().item():.6f}", f"{theirs.std().item():.6f}"],
    ])
    print(f"  same seed, max |Linear - nn.Linear| over the weights: {max_diff(ours, theirs)}")


# ---------------------------------------------------------------------------------------------
# Exercise 2
# ---------------------------------------------------------------------------------------------


def demo_normalization() -> None:
    section("Exercise 2: LayerNorm, BatchNorm1d, Dropout by hand vs PyTorch")
    rows = []
    for part in (layer_norm_rows, batch_norm_rows):
        got = run_part(part)
        if not is_skipped(got):
            rows += got
    if rows:
        table(["check", f"max |{whose()} - PyTorch|"], rows)
    run_part(batch_norm_worked_example)
    run_part(dropout_demo)
    with torch.random.fork_rng():  # its own draws: the later sections see the same random stream as without it
        torch.manual_seed(0)
        run_part(batch_norm_backward_and_group_norm)


def batch_norm_backward_and_group_norm() -> None:
    """Exercise 2's BatchNormFunction (hand-written backward) and GroupNorm against PyTorch."""
    x = torch.randn(8, 3, 5, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    g = torch.randn(8, 3, 5, 5, dtype=torch.float64)
    y = BatchNormFunction.apply(x, w, b, 1e-5)
    ours = torch.autograd.grad(y, (x, w, b), g)
    ref_y = F.batch_norm(x, None, None, w, b, training=True)
    ref = torch.autograd.grad(ref_y, (x, w, b), g)
    small = tuple(t.detach()[:4, :, :2, :2].clone().requires_grad_(True) for t in (x,)) + (w, b)
    ok = torch.autograd.gradcheck(lambda a, c, d: BatchNormFunction.apply(a, c, d, 1e-5), small)
    print(f"\nBatchNormFunction on (8, 3, 5, 5) float64 against F.batch_norm(training=True): output {max_diff(y, ref_y)}, "
          f"dx {max_diff(ours[0], ref[0])}, dweight {max_diff(ours[1], ref[1])}, dbias {max_diff(ours[2], ref[2])}; "
          f"gradcheck: {ok}")
    print(f"  per-channel sum of dx (shifting a channel changes nothing): {ours[0].sum(dim=(0, 2, 3)).abs().max().item():.1e}")
    xg = torch.randn(4, 6, 3, 3, dtype=torch.float64)
    gn, ref_gn = GroupNorm(3, 6).double(), nn.GroupNorm(3, 6).double()
    with torch.no_grad():
        ref_gn.weight.normal_()
        ref_gn.bias.normal_()
    gn.load_state_dict(ref_gn.state_dict())
    one, per_channel = GroupNorm(1, 6, affine=False), GroupNorm(6, 6, affine=False)
    print(f"GroupNorm(3, 6) against nn.GroupNorm on (4, 6, 3, 3): {max_diff(gn(xg), ref_gn(xg))}; "
          f"GroupNorm(1, 6) against F.layer_norm over (C, H, W): {max_diff(one(xg), F.layer_norm(xg, xg.shape[1:]))}; "
          f"GroupNorm(6, 6) against F.instance_norm: {max_diff(per_channel(xg), F.instance_norm(xg))}")
    print(f"  sample 0 alone against sample 0 in the batch of 4: {max_diff(gn(xg[:1]), gn(xg)[:1])} (no batch statistics)")


def layer_norm_rows() -> list[list[object]]:
    """Exercise 2's LayerNorm against nn.LayerNorm: rows (check, max difference)."""
    rows = []
    x = torch.randn(16, 10, 32, dtype=torch.float64)
    ours, ref = LayerNorm((10, 32)).double(), nn.LayerNorm((10, 32)).double()
    with torch.no_grad():
        ref.weight.normal_()
        ref.bias.normal_()
    ours.load_state_dict(ref.state_dict())
    xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    g = torch.randn_like(x)
    ya, yb = ours(xa), ref(xb)
    ya.backward(g)
    yb.backward(g)
    rows += [["LayerNorm((10, 32)) output", max_diff(ya, yb)], ["LayerNorm dloss/dx", max_diff(xa.grad, xb.grad)],
             ["LayerNorm dloss/dweight", max_diff(ours.weight.grad, ref.weight.grad)]]
    return rows


def batch_norm_rows() -> list[list[object]]:
    """Exercise 2's BatchNorm1d against nn.BatchNorm1d: rows (check, max difference)."""
    rows = []
    ours_bn, ref_bn = BatchNorm1d(6).double(), nn.BatchNorm1d(6).double()
    x = torch.randn(20, 6, 7, dtype=torch.float64) * 3 + 1
    for step in range(3):
        xa, xb = x[step:].clone().requires_grad_(True), x[step:].clone().requires_grad_(True)
        ya, yb = ours_bn(xa), ref_bn(xb)
        g = torch.randn_like(ya)
        ya.backward(g)
        yb.backward(g)
    rows += [["BatchNorm1d(6), (N, 6, 7), train output", max_diff(ya, yb)], ["BatchNorm1d dloss/dx", max_diff(xa.grad, xb.grad)],
             ["BatchNorm1d running_mean after 3 steps", max_diff(ours_bn.running_mean, ref_bn.running_mean)],
             ["BatchNorm1d running_var after 3 steps", max_diff(ours_bn.running_var, ref_bn.running_var)],
             ["BatchNorm1d num_batches_tracked", f"{ours_bn.num_batches_tracked.item()} vs {ref_bn.num_batches_tracked.item()}"]]
    ours_bn.eval()
    ref_bn.eval()
    rows.append(["BatchNorm1d eval output", max_diff(ours_bn(x), ref_bn(x))])
    return rows


def batch_norm_worked_example() -> None:
    """WORKED EXAMPLE (b), and frozen parameters versus buffers, with exercise 2's BatchNorm1d."""
    print("\nWORKED EXAMPLE (b): one training step of BatchNorm1d(1) on the column x = [1, 2, 3, 6]")
    bn = BatchNorm1d(1)
    xb = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    y = bn(xb)
    print("  batch mean = 3, biased var = (4 + 1 + 0 + 9) / 4 = 3.5, unbiased var = 14 / 3")
    print(f"  output (x - 3) / sqrt(3.5 + 1e-5)      = {[round(v, 6) for v in y.squeeze(1).tolist()]}")
    print(f"  running_mean = 0.9 * 0 + 0.1 * 3       = {bn.running_mean.item():.6f}")
    print(f"  running_var  = 0.9 * 1 + 0.1 * 14 / 3  = {bn.running_var.item():.6f}")
    bn.eval()
    print(f"  the same batch in eval mode, (x - 0.3) / sqrt(1.366667 + 1e-5) = {[round(v, 6) for v in bn(xb).squeeze(1).tolist()]}")

    try:
        nn.BatchNorm1d(3).train()(torch.randn(1, 3))
    except ValueError as err:
        print(f"\nnn.BatchNorm1d in training on a batch of one: ValueError: {err}")
    frozen_bn = BatchNorm1d(2)
    frozen_bn.requires_grad_(False)
    frozen_bn(torch.randn(8, 2) + 5.0)
    print(f"a BatchNorm1d with requires_grad_(False), run once in training mode: running_mean = "
          f"{[round(v, 4) for v in frozen_bn.running_mean.tolist()]} (freezing parameters does not freeze buffers; .eval() does)")


def dropout_demo() -> None:
    """Exercise 2's Dropout: the rate, the scale of the survivors, eval mode."""
    drop = Dropout(0.3)
    ones = torch.ones(1_000_000)
    out = drop(ones)
    kept = out[out != 0]
    print(f"\nDropout(0.3) on 1,000,000 ones, training: zeroed fraction {(out == 0).float().mean().item():.4f}, "
          f"survivors all equal {kept.unique().tolist()} (1 / 0.7 = {1 / 0.7:.6f}), mean {out.mean().item():.4f}")
    drop.eval()
    print(f"Dropout(0.3) in eval mode returns its input unchanged: {torch.equal(drop(ones), ones)}")


# ---------------------------------------------------------------------------------------------
# Exercise 3
# ---------------------------------------------------------------------------------------------


def saved_bytes(fn, x: torch.Tensor) -> tuple[int, int]:
    """(number of distinct tensors, their bytes) that autograd saves for the backward of fn(x)."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        seen[t.untyped_storage().data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return len(seen), sum(seen.values())


def demo_functions_and_containers() -> None:
    section("Exercise 3: custom autograd Functions and containers")
    run_part(custom_functions)
    run_part(containers)


def custom_functions() -> None:
    """Exercise 3's MemoryEfficientSiLU and FakeQuantize: gradcheck, saved memory, straight-through."""
    xg = torch.randn(30, dtype=torch.float64, requires_grad=True)
    print(f"gradcheck(MemoryEfficientSiLU, float64): {torch.autograd.gradcheck(MemoryEfficientSiLU.apply, (xg,))}")
    x = torch.randn(1024, 1024, requires_grad=True)
    rows = []
    for name, fn in [("x * torch.sigmoid(x) (composed)", lambda t: t * torch.sigmoid(t)),
                     ("F.silu(x)", F.silu), ("MemoryEfficientSiLU.apply(x)", MemoryEfficientSiLU.apply)]:
        n, b = saved_bytes(fn, x)
        rows.append([name, n, f"{b / 2**20:.1f} MiB"])
    print("tensors autograd keeps for backward, for a (1024, 1024) float32 input:")
    table(["forward", "saved tensors", "saved memory"], rows)

    q = torch.tensor([0.4, 0.5, 1.5, 2.6, -0.5], requires_grad=True)
    fq = FakeQuantize(1.0)(q)
    fq.sum().backward()
    print(f"FakeQuantize(step=1) on {[round(v, 2) for v in q.tolist()]}: forward {fq.tolist()} (ties to even), "
          f"gradient {q.grad.tolist()} (straight through)")


def containers() -> None:
    """Exercise 3's build_mlp, ResidualMLP and MultiTaskHeads, and the plain-list pitfall."""
    mlp = build_mlp([4, 16, 16, 2], activation=SiLU, dropout=0.1)
    print(f"\nbuild_mlp([4, 16, 16, 2], SiLU, dropout=0.1) = {mlp}")
    print(f"  state_dict keys: {list(mlp.state_dict())}")
    res = ResidualMLP(dim=8, hidden=32, depth=3)
    heads = MultiTaskHeads(8, 16, {"click": 1, "category": 5})
    out = heads(torch.randn(4, 8))
    print(f"ResidualMLP(8, 32, depth=3): {n_params(res)} parameters, keys {list(res.state_dict())[:4]} ...")
    print(f"MultiTaskHeads(8, 16, click=1, category=5): outputs {{{', '.join(f'{k}: {tuple(v.shape)}' for k, v in out.items())}}}, "
          f"keys {list(heads.state_dict())}")

    class ListMLP(nn.Module):  # the pitfall: a plain Python list does not register its modules
        def __init__(self) -> None:
            super().__init__()
            self.layers = [nn.Linear(8, 8) for _ in range(3)]

    print(f"the same three Linear(8, 8) in a plain list: count_parameters = {n_params(ListMLP())}; "
          f"in nn.ModuleList: {n_params(nn.ModuleList(nn.Linear(8, 8) for _ in range(3)))}")


# ---------------------------------------------------------------------------------------------
# Exercise 4
# ---------------------------------------------------------------------------------------------


def deep_net(activation: str, depth: int = 16, width: int = 64, scale: float | None = None) -> nn.Sequential:
    """``depth`` Linear(width, width) + activation blocks and a Linear(width, 1) head.

    scale None: nn.Linear's default init; otherwise Kaiming normal (ReLU gain) times ``scale``
    with zero biases. Built from PyTorch's own pieces, so that exercise 4 runs before 3 and 5 are done.
    """
    act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}[activation]
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), act()]
    net = nn.Sequential(*layers, nn.Linear(width, 1))
    if scale is not None:
        for m in net:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                with torch.no_grad():
                    m.weight.mul_(scale)
                    m.bias.zero_()
    return net


def scaled_copy(net: nn.Module, factor: float) -> nn.Module:
    """A deep copy of ``net`` with every Linear weight multiplied by ``factor`` (same random draw)."""
    twin = copy.deepcopy(net)
    with torch.no_grad():
        for m in twin.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(factor)
    return twin


def three_nets(seed: int) -> tuple[dict[str, nn.Module], torch.Tensor, torch.Tensor]:
    """The three networks of the gradient-flow table and their batch, all drawn from ``seed``."""
    torch.manual_seed(seed)
    x, target = torch.randn(128, 64), torch.randn(128, 1)
    sigmoid = deep_net("sigmoid")
    kaiming = deep_net("relu", scale=1.0)
    nets = {
        "sigmoid, default init": sigmoid,
        "relu, kaiming init": kaiming,
        "relu, kaiming x 1.5": scaled_copy(kaiming, 1.5),
    }
    return nets, x, target


def demo_hooks(seeds: int) -> dict[str, list[tuple[str, float, float]]]:
    section("Exercise 4: hooks and gradient flow")
    nets, x, target = three_nets(0)
    reports = run_part(gradient_flow, nets, x, target)
    run_part(homogeneity_check, reports, nets, x, target)
    run_part(gradient_flow_over_seeds, seeds)
    # The first Linear's input does not require grad, so PyTorch warns that its full backward hook
    # sees only output gradients; gradient_flow shows that warning once, not each time.
    warnings.filterwarnings("ignore", message="Full backward hook is firing")
    net = nets["relu, kaiming init"]
    run_part(capturing_activations, net, x)
    run_part(recording_grad_norms, net, x, target)
    pitfalls_of_hooks()
    return reports


def gradient_flow(nets: dict[str, nn.Module], x: torch.Tensor, target: torch.Tensor) -> dict[str, list[tuple[str, float, float]]]:
    """Exercise 4's gradient_flow_report and diagnose_gradient_flow on three deep networks."""
    reports = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, net in nets.items():
            reports[name] = gradient_flow_report(net, x, target)
    first_warning = next((str(w.message) for w in caught if "Full backward hook" in str(w.message)), None)
    print("16 blocks Linear(64, 64) + activation, then Linear(64, 1); MSE loss on a seeded batch of 128.")
    print("grad = ||dloss/d(output of the Linear layer)||, std = std of that layer's output")
    layers = [0, 1, 3, 7, 11, 15, 16]
    rows = []
    for i in layers:
        row: list[object] = [f"{i + 1} ({reports['sigmoid, default init'][i][0]})"]
        for name in nets:
            _, std, grad = reports[name][i]
            row += [f"{std:.3g}", f"{grad:.3g}"]
        rows.append(row)
    headers = ["Linear layer"]
    for name in nets:
        headers += [f"{name}: std", "grad"]
    table(headers, rows)
    table(["network", "first / last grad norm", "diagnose_gradient_flow"], [
        [name, f"{rep[0][2] / rep[-1][2]:.3g}", diagnose_gradient_flow(rep)] for name, rep in reports.items()
    ])
    if first_warning:
        print(f"PyTorch warned once about the first layer (its input does not require grad):\n  \"{first_warning.split(' See ')[0]}\"")
    return reports


def homogeneity_check(reports: dict[str, list[tuple[str, float, float]]], nets: dict[str, nn.Module],
                      x: torch.Tensor, target: torch.Tensor) -> None:
    """The x 1.5 network is the Kaiming one with its weights scaled: predicted ratios 1.5^k, measured."""
    base, scaled = reports["relu, kaiming init"], reports["relu, kaiming x 1.5"]
    n = len(base)
    print(f"\nthe x 1.5 network is a copy of the Kaiming one with every weight times 1.5 (biases 0): "
          f"layer k's output is exactly 1.5^k times the original's")
    rows = []
    for k in (1, 2, 8, n):
        rows.append([k, f"{scaled[k - 1][1] / base[k - 1][1]:.6g}", f"{1.5 ** k:.6g}"])
    table(["Linear layer k", "std ratio x 1.5 / x 1", "1.5^k"], rows)
    worst = max(abs(scaled[k][1] / base[k][1] / 1.5 ** (k + 1) - 1) for k in range(n))
    print(f"all {n} layers: std ratio within 1e-5 (relative) of 1.5^k: {worst < 1e-5}")
    measured = (scaled[0][2] / scaled[-1][2]) / (base[0][2] / base[-1][2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linear = {name: gradient_flow_report(nets[name], x, target, loss_fn=lambda out, t: (out * t).sum())
                  for name in ("relu, kaiming init", "relu, kaiming x 1.5")}
    lin_base, lin_scaled = linear["relu, kaiming init"], linear["relu, kaiming x 1.5"]
    measured_linear = (lin_scaled[0][2] / lin_scaled[-1][2]) / (lin_base[0][2] / lin_base[-1][2])
    print(f"first / last grad norm, x 1.5 net over x 1 net: predicted 1.5^{n - 1} = {1.5 ** (n - 1):.4g}; "
          f"measured {measured:.4g} with the MSE loss, {measured_linear:.4g} with the linear loss sum(output * target)")


def gradient_flow_over_seeds(seeds: int) -> None:
    """The first / last gradient-norm ratio of the three networks over seeds 0 .. seeds - 1."""
    ratios: dict[str, list[float]] = {}
    words: dict[str, set[str]] = {}
    heads: list[float] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(seeds):
            nets, x, target = three_nets(seed)
            for name, net in nets.items():
                rep = gradient_flow_report(net, x, target)
                ratios.setdefault(name, []).append(rep[0][2] / rep[-1][2])
                words.setdefault(name, set()).add(diagnose_gradient_flow(rep))
                if name == "sigmoid, default init":
                    heads.append(rep[-1][1])
    print(f"\nover seeds 0-{seeds - 1} (weights and batch redrawn each time):")
    table(["network", "first / last grad norm", "diagnose_gradient_flow"], [
        [name, spread(vals, fmt=".3g"), ", ".join(sorted(words[name]))] for name, vals in ratios.items()
    ])
    print(f"sigmoid, default init: std of the head's output {spread(heads, fmt='.3g')}")


def capturing_activations(net: nn.Module, x: torch.Tensor) -> None:
    """Exercise 4's capture_activations on the Kaiming ReLU network."""
    acts = capture_activations(net, x, ["0", "1", "32"])
    print(f"\ncapture_activations(net, x, ['0', '1', '32']): shapes {[tuple(v.shape) for v in acts.values()]}, "
          f"fraction of zeros after the first ReLU {(acts['1'] == 0).float().mean().item():.3f}")


def recording_grad_norms(net: nn.Module, x: torch.Tensor, target: torch.Tensor) -> None:
    """Exercise 4's GradNormRecorder: hooks while active, none after the with block."""
    with GradNormRecorder(net) as rec:
        for _ in range(2):
            F.mse_loss(net(x), target).backward()
        hooks_inside = sum(len(m._backward_hooks) for m in net.modules())
    hooks_after = sum(len(m._backward_hooks) + len(m._forward_hooks) for m in net.modules())
    F.mse_loss(net(x), target).backward()
    print(f"GradNormRecorder: {hooks_inside} backward hooks while active, {len(rec.norms['0'])} norms recorded per layer "
          f"over 2 backward passes; after the with block: {hooks_after} hooks, and a third backward records nothing "
          f"({len(rec.norms['0'])} norms)")


def pitfalls_of_hooks() -> None:
    """PyTorch's own behaviour (no exercise code): forward() skips hooks; in-place ops after a backward hook."""
    counter = []
    lin = nn.Linear(3, 3)
    handle = lin.register_forward_hook(lambda m, i, o: counter.append(1))
    lin(torch.randn(2, 3))
    lin.forward(torch.randn(2, 3))
    handle.remove()
    print(f"a forward hook fired {len(counter)} time(s) for lin(x) followed by lin.forward(x): calling forward() skips hooks")
    inplace = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 1))
    handle = inplace[0].register_full_backward_hook(lambda m, gi, go: None)
    try:
        inplace(torch.randn(2, 3)).sum().backward()
    except RuntimeError as err:
        print(f"ReLU(inplace=True) right after a module with a full backward hook: RuntimeError: {str(err).split('. ')[0]}.")
    handle.remove()


# ---------------------------------------------------------------------------------------------
# Exercise 5
# ---------------------------------------------------------------------------------------------


def demo_initialization(device: torch.device, full: bool, seeds: int) -> dict[tuple[str, str], list[float]]:
    section("Exercise 5: initialisation by hand vs torch.nn.init")
    run_part(init_by_hand_vs_nn_init)
    results = run_part(depth_study, device)
    if full:
        run_part(depth_study_over_seeds, device, seeds)
        run_part(orthogonal_signs_over_seeds, seeds)
    else:
        print("(python solution/solution.py --full repeats the depth study and the sign count over 5 seeds)")
    return results


def depth_study_over_seeds(device: torch.device, seeds: int) -> None:
    """--full: exercise 5's depth study over seeds 0 .. seeds - 1, the std at layers 1 and 50."""
    print(f"\nthe depth study over seeds 0-{seeds - 1}, std of the activations after layer l:")
    rows = []
    for init in INITS:
        for act in ACTIVATIONS:
            runs = [activation_std_through_depth(init, act, depth=50, width=256, batch=512, seed=s, device=device)
                    for s in range(seeds)]
            rows.append([init, act, spread([r[0] for r in runs], fmt=".3g"), spread([r[49] for r in runs], fmt=".3g")])
    table(["init", "activation", "l = 1", "l = 50"], rows)


def orthogonal_signs_over_seeds(seeds: int) -> None:
    """--full: how often W[0, 0] > 0 in 1000 draws of exercise 5's orthogonal_, per seed."""
    fixed, raw = [], []
    for seed in range(seeds):
        torch.manual_seed(seed)
        fixed.append(sum(orthogonal_(torch.empty(4, 4))[0, 0].item() > 0 for _ in range(1000)))
        raw.append(sum(torch.linalg.qr(torch.randn(4, 4))[0][0, 0].item() > 0 for _ in range(1000)))
    print(f"4 x 4 draws with W[0, 0] > 0, of 1000, over seeds 0-{seeds - 1}: with the sign fix {spread(fixed, fmt='.1f')}; "
          f"raw torch.linalg.qr {spread(raw, fmt='.1f')}")


def init_by_hand_vs_nn_init() -> None:
    """WORKED EXAMPLE (c) and exercise 5's init functions against torch.nn.init's."""
    shape = (1000, 500)
    fan_in, fan_out = 500, 1000
    print(f"WORKED EXAMPLE (c): a ({shape[0]}, {shape[1]}) weight, fan_in = {fan_in}, fan_out = {fan_out}")
    print(f"  Xavier: std = sqrt(2 / (fan_in + fan_out)) = {math.sqrt(2 / 1500):.6f}, uniform bound sqrt(6 / 1500) = {math.sqrt(6 / 1500):.6f}")
    print(f"  Kaiming (relu): std = sqrt(2) / sqrt(fan_in) = {math.sqrt(2 / 500):.6f}, uniform bound sqrt(3) * std = {math.sqrt(6 / 500):.6f}")
    cases = [
        ("xavier_uniform_", xavier_uniform_, nn.init.xavier_uniform_, {}, math.sqrt(2 / 1500)),
        ("xavier_normal_", xavier_normal_, nn.init.xavier_normal_, {}, math.sqrt(2 / 1500)),
        ("kaiming_uniform_ (relu)", kaiming_uniform_, nn.init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(2 / 500)),
        ("kaiming_normal_ (relu, fan_out)", kaiming_normal_, nn.init.kaiming_normal_, {"nonlinearity": "relu", "mode": "fan_out"}, math.sqrt(2 / 1000)),
        ("orthogonal_ (gain 1)", orthogonal_, nn.init.orthogonal_, {}, math.sqrt(1 / 1000)),
    ]
    rows = []
    for name, mine, theirs, kwargs, expected in cases:
        a, b = mine(torch.empty(shape), **kwargs), theirs(torch.empty(shape), **kwargs)
        rows.append([name, f"{expected:.6f}", f"{a.std().item():.6f}", f"{b.std().item():.6f}",
                     f"{a.abs().max().item():.4f}", f"{b.abs().max().item():.4f}"])
    table(["init", "theory std", f"{whose()}: std", "nn.init std", f"{whose()}: max|w|", "nn.init max|w|"], rows)
    w = orthogonal_(torch.empty(256, 512))
    w2 = orthogonal_(torch.empty(64, 32, 3, 3), gain=calculate_gain("relu"))
    m2 = w2.view(64, -1)
    print(f"orthogonal_ (256, 512): max |W W^T - I| = {max_diff(w @ w.T, torch.eye(256))};  "
          f"(64, 32, 3, 3) with relu gain: max |W W^T - 2 I| = {max_diff(m2 @ m2.T, 2 * torch.eye(64))}")
    signs = [orthogonal_(torch.empty(4, 4))[0, 0].item() > 0 for _ in range(1000)]
    raw = [torch.linalg.qr(torch.randn(4, 4))[0][0, 0].item() > 0 for _ in range(1000)]
    print(f"4 x 4 draws with W[0, 0] > 0: {sum(signs)} of 1000 with the sign fix (Haar: half), "
          f"{sum(raw)} of 1000 with the Q of a raw torch.linalg.qr")


def depth_study(device: torch.device) -> dict[tuple[str, str], list[float]]:
    """Exercise 5's activation_std_through_depth for every init and activation."""
    print(f"\nactivation std after layer l, h <- act(h W^T), width 256, batch 512, no bias (device: {device.type})")
    results: dict[tuple[str, str], list[float]] = {}
    rows = []
    for init in INITS:
        for act in ACTIVATIONS:
            stds = activation_std_through_depth(init, act, depth=50, width=256, batch=512, seed=0, device=device)
            results[(init, act)] = stds
            rows.append([init, act] + [f"{stds[l - 1]:.3g}" for l in (1, 10, 25, 50)])
    table(["init", "activation", "l = 1", "l = 10", "l = 25", "l = 50"], rows)
    print(f"theory: default + linear shrinks by 1/sqrt(3) = {1 / math.sqrt(3):.4f} per layer "
          f"({(1 / math.sqrt(3)) ** 10:.3g} after 10); kaiming + linear grows by sqrt(2) ({math.sqrt(2) ** 50:.3g} after 50);")
    print(f"        kaiming + relu keeps E[z^2] = 2, so relu(z) has std sqrt(1 - 1/pi) = {math.sqrt(1 - 1 / math.pi):.4f}; "
          f"xavier + relu halves E[z^2] per layer")
    return results


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def save_plots(reports: dict[str, list[tuple[str, float, float]]], depth_results: dict[tuple[str, str], list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = output_dir(LAB_DIR)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rep in reports.items():
        ax.plot(range(1, len(rep) + 1), [r[2] for r in rep], marker="o", ms=3, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("Linear layer (1 = first)")
    ax.set_ylabel("||dloss / d output||")
    ax.set_title("Gradient flow through 17 Linear layers")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "lab2_gradient_flow.png", dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(13, 4), sharey=True)
    for ax, act in zip(axes, ACTIVATIONS):
        for init in INITS:
            stds = depth_results[(init, act)]
            ax.plot(range(1, len(stds) + 1), stds, label=init)
        ax.set_yscale("log")
        ax.set_title(f"activation: {act}")
        ax.set_xlabel("layer")
    axes[0].set_ylabel("std of activations")
    axes[0].legend()
    fig.suptitle("Activation std through 50 layers (width 256)")
    fig.tight_layout()
    fig.savefig(out_dir / "lab2_activation_std_vs_depth.png", dpi=120)
    plt.close(fig)
    print(f"\nplots saved: {out_dir / 'lab2_gradient_flow.png'}, {out_dir / 'lab2_activation_std_vs_depth.png'}")


def main() -> None:
    args = runner_parser("Lab 1.2 runner: custom modules, normalisation, autograd Functions, hooks, initialisation").parse_args()
    seed_everything(0)
    device = get_device()
    start = time.perf_counter()
    print(f"Lab 1.2 custom modules | {describe_machine()}")
    where = "your exercises/ files" if whose() == "yours" else "solution/, the reference solution"
    print(f"code under test: {whose()} ({where})")
    demo_modules()
    demo_normalization()
    demo_functions_and_containers()
    reports = demo_hooks(args.seeds)
    depth_results = demo_initialization(device, args.full, args.seeds)
    run_part(save_plots, reports, depth_results)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
