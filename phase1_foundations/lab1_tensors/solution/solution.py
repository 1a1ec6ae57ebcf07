"""Lab 1.1 runner: every exercise of the tensors lab on small, seeded examples.

    cd phase1_foundations/lab1_tensors && python solution/solution.py      (or: make run LAB=1.1)

Prints what it computed, section by section, including the worked examples the README quotes
(marked WORKED EXAMPLE), and saves two plots under $LAB_OUTPUT_DIR (default: outputs/ in the lab
folder): the spiral network's loss curve and its decision regions.

``make run LAB=1.1 TARGET=exercises`` runs this same script on your exercises/ files instead: every
part whose exercise still raises NotImplementedError prints one "skipped" line, the rest runs. The
random inputs are drawn outside the parts, so a skipped part does not change the numbers of the
parts after it.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.report import is_skipped, max_diff, output_dir, run_part, run_target, runner_parser, section, spread, table, whose  # noqa: E402
from shared.datasets import make_spirals  # noqa: E402
from shared.devices import describe_machine, seed_everything  # noqa: E402

from exercise1_tensor_basics import (  # noqa: E402
    contiguous_strides,
    from_numpy_shared,
    scale_,
    scaled,
    shares_storage,
    sliding_windows,
    tensor_summary,
    to_numpy_copy,
)
from exercise2_broadcasting import (  # noqa: E402
    attention_scores,
    broadcast_shape,
    gather_target_scores,
    masked_mean,
    pairwise_distances,
)
from exercise3_autograd import (  # noqa: E402
    accumulate_gradients,
    ema_update_,
    grads_of_two_losses,
    hvp,
    per_sample_grads,
    stable_softplus,
    tanh_regression_grads,
)
from exercise4_micrograd import Value  # noqa: E402
from exercise5_from_scratch import (  # noqa: E402
    closed_form_linear_regression,
    fit_linear_regression,
    fit_logistic_regression,
    init_mlp,
    logistic_regression_grads,
    mlp_forward_backward,
    train_mlp,
)


# ---------------------------------------------------------------------------------------------
# Small helpers: printing and data
# ---------------------------------------------------------------------------------------------


def show(t: torch.Tensor | float, digits: int = 6) -> object:
    """A tensor as (nested) lists of floats rounded to ``digits`` decimals, for printing."""
    def rnd(v):
        return [rnd(u) for u in v] if isinstance(v, list) else round(v, digits)

    return rnd(t.tolist() if isinstance(t, torch.Tensor) else t)


def make_blobs(n_per_class: int = 100, seed: int = 0):
    """Two Gaussian blobs in 2-D centred at (-2, -2) and (2, 2): X (2n, 2), y (2n,) of 0./1."""
    g = torch.Generator().manual_seed(seed)
    X = torch.cat([torch.randn(n_per_class, 2, generator=g) - 2.0, torch.randn(n_per_class, 2, generator=g) + 2.0])
    y = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)])
    return X, y


# ---------------------------------------------------------------------------------------------
# Exercise sections. Each part that calls an exercise runs through run_part: on your exercises/
# a part whose function is not written yet prints one "skipped" line and the runner goes on.
# ---------------------------------------------------------------------------------------------


def part_view_table(x: torch.Tensor) -> None:
    candidates = {
        "x": x,
        "x.T": x.T,
        "x[1:]": x[1:],
        "x[:, 1]": x[:, 1],
        "x.view(4, 3)": x.view(4, 3),
        "x.T.contiguous()": x.T.contiguous(),
        "x.clone()": x.clone(),
        "x.T.reshape(-1)": x.T.reshape(-1),
        "x.to(float16)": x.to(torch.float16),
    }
    rows = []
    for name, t in candidates.items():
        s = tensor_summary(t)
        rows.append([name, s["shape"], s["stride"], s["dtype"], s["nbytes"], s["is_contiguous"],
                     "yes" if shares_storage(t, x) else "no (copy)"])
    print(f"x = torch.arange(12.).view(3, 4); tensor_summary and shares_storage: {whose()}")
    table(["expression", "shape", "stride", "dtype", "nbytes", "contiguous", "shares x's storage"], rows)


def part_transpose_is_a_view(x: torch.Tensor) -> None:
    print("\nWORKED EXAMPLE (d): a transpose is a view")
    xt = x.T
    print(f"  x.stride() = {x.stride()}, x.T.stride() = {xt.stride()}, shares_storage(x, x.T) = {shares_storage(x, xt)}")
    xt[0, 1] = 100.0
    print(f"  after x.T[0, 1] = 100:  x[1, 0] = {x[1, 0].item():g}   (same memory, read with swapped strides)")
    try:
        xt.view(-1)
        view_result = "works"
    except RuntimeError:
        view_result = "raises RuntimeError"
    print(f"  x.T.is_contiguous() = {xt.is_contiguous()}; x.T.view(-1) {view_result}; "
          f"x.T.reshape(-1) shares storage with x: {shares_storage(xt.reshape(-1), x)} (it copies)")


def part_contiguous_strides() -> None:
    print("\ncontiguous_strides by hand vs torch.empty(shape).stride():")
    rows = [[shape, contiguous_strides(shape), tuple(torch.empty(shape).stride())] for shape in [(), (5,), (2, 3, 4), (2, 0, 3), (4, 1, 3)]]
    table(["shape", f"by hand ({whose()})", "torch"], rows)


def part_sliding_windows() -> None:
    signal = torch.arange(10.0)[::2]  # a non-contiguous 1-D view: 0, 2, 4, 6, 8
    win = sliding_windows(signal, 3)
    print(f"\nsliding_windows ({whose()}) of arange(10.)[::2], window 3 -> shape {tuple(win.shape)}, stride {win.stride()}, "
          f"shares storage: {win.untyped_storage().data_ptr() == signal.untyped_storage().data_ptr()}, "
          f"equals unfold: {torch.equal(win, signal.unfold(0, 3, 1))}")
    print("  rows:", win.tolist())


def part_scale_in_place(v: torch.Tensor) -> None:
    ptr, version = v.data_ptr(), v._version
    out = scale_(v, 2.0)
    print(f"\nscale_(v, 2) ({whose()}): returns v itself: {out is v}, same data_ptr: {v.data_ptr() == ptr}, "
          f"_version {version} -> {v._version}, v = {v.tolist()}")


def part_scaled(v: torch.Tensor) -> None:
    before = v.tolist()
    w = scaled(v, 3.0)
    unchanged = "unchanged" if v.tolist() == before else "CHANGED"
    print(f"scaled(v, 3) ({whose()}): v {unchanged} = {v.tolist()}, new tensor = {w.tolist()}, "
          f"shares storage: {v.untyped_storage().data_ptr() == w.untyped_storage().data_ptr()}")


def part_numpy_bridge() -> None:
    a = np.zeros(3)
    t = from_numpy_shared(a)
    a[0] = 7.0
    c = to_numpy_copy(t)
    t[1] = 5.0
    print(f"from_numpy_shared ({whose()}): dtype {t.dtype}; after a[0] = 7 and t[1] = 5: a = {a.tolist()}, t = {t.tolist()}")
    print(f"to_numpy_copy taken before t[1] = 5: {c.tolist()} (independent copy)")


def demo_tensors() -> None:
    section("Exercise 1: tensor headers, views and copies")
    x = torch.arange(12, dtype=torch.float32).view(3, 4)
    run_part(part_view_table, x)
    run_part(part_transpose_is_a_view, x)
    run_part(part_contiguous_strides)
    run_part(part_sliding_windows)
    v = torch.ones(3)
    run_part(part_scale_in_place, v)
    run_part(part_scaled, v)
    run_part(part_numpy_bridge)


def part_broadcast_shape() -> None:
    print(f"WORKED EXAMPLE (c): broadcast_shape((8, 1, 6, 1), (7, 1, 5)) ({whose()})")
    print("  right-aligned:   8  1  6  1")
    print("                      7  1  5")
    print(f"  result:        {broadcast_shape((8, 1, 6, 1), (7, 1, 5))}")
    rows = []
    for shapes in [((3,), ()), ((0, 1), (1, 4)), ((5, 1, 4), (3, 1), (1,)), ((2, 3), (3, 1))]:
        try:
            got: object = broadcast_shape(*shapes)
        except ValueError as err:
            got = f"ValueError: {err}"
        rows.append([", ".join(map(str, shapes)), got])
    table(["shapes", "broadcast_shape"], rows)


def part_pairwise_distances(x: torch.Tensor, y: torch.Tensor) -> None:
    d = pairwise_distances(x, y)
    dxx = pairwise_distances(x, x)
    print(f"\npairwise_distances ({whose()}) (200, 16) x (150, 16) -> {tuple(d.shape)}; max |diff| vs torch.cdist: "
          f"{max_diff(d, torch.cdist(x, y))}; x vs x: diagonal max {dxx.diagonal().max().item():.1e}, "
          f"NaN: {bool(dxx.isnan().any())}")


def part_gather() -> None:
    scores = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    target = torch.tensor([0, 2])
    print(f"gather_target_scores({show(scores)}, {target.tolist()}) = {show(gather_target_scores(scores, target))}  ({whose()})")


def part_masked_mean() -> None:
    vals = torch.tensor([[1.0, 2.0, 3.0, float("inf")], [4.0, float("nan"), 0.0, 0.0]])
    mask = torch.tensor([[True, True, True, False], [False, False, False, False]])
    print(f"masked_mean(rows [1, 2, 3, inf] and [4, nan, 0, 0], masks [T T T F] and [F F F F], dim=1) = "
          f"{masked_mean(vals, mask, 1).tolist()}  ({whose()})")


def part_attention_scores(q: torch.Tensor, k: torch.Tensor) -> None:
    got = attention_scores(q, k)
    ref = q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5
    print(f"attention_scores ({whose()}) via einsum('bhtd,bhsd->bhts'): q {tuple(q.shape)}, k {tuple(k.shape)} -> "
          f"{tuple(got.shape)}; max |diff| vs q @ k.transpose(-2, -1) / sqrt(8) (float64): {max_diff(got, ref)}")


def demo_broadcasting() -> None:
    section("Exercise 2: broadcasting, pairwise distances, gather, masks")
    run_part(part_broadcast_shape)
    x, y = torch.randn(200, 16), torch.randn(150, 16)
    run_part(part_pairwise_distances, x, y)
    run_part(part_gather)
    run_part(part_masked_mean)
    g = torch.Generator().manual_seed(5)  # its own generator: the draws of the later sections stay as they were
    q = torch.randn(2, 4, 5, 8, dtype=torch.float64, generator=g)
    k = torch.randn(2, 4, 7, 8, dtype=torch.float64, generator=g)
    run_part(part_attention_scores, q, k)


def part_tanh_regression(x, w, b, y) -> list[list[object]]:
    loss, dw, db = tanh_regression_grads(x, w, b, y)
    wa, ba = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    ((torch.tanh(x @ wa + ba) - y) ** 2).mean().backward()
    return [["tanh regression dloss/dw (by hand vs autograd)", max_diff(dw, wa.grad)],
            ["tanh regression dloss/db (by hand vs autograd)", max_diff(db, ba.grad)]]


def part_accumulate(xs, ys, w_acc) -> list[list[object]]:
    w_acc.grad = torch.full((4,), 99.0)  # a stale gradient that must not leak in
    mse = lambda w_, x_, y_: ((x_ @ w_ - y_) ** 2).mean()  # noqa: E731
    g_acc = accumulate_gradients(w_acc, [(xs[:3], ys[:3]), (xs[3:], ys[3:])], mse).clone()
    (g_full,) = torch.autograd.grad(mse(w_acc, xs, ys), w_acc)
    return [["accumulated over chunks of 3 + 7 vs one batch of 10", max_diff(g_acc, g_full)]]


def part_two_losses(xs, w2) -> list[list[object]]:
    g1, g2 = grads_of_two_losses(w2, lambda w_: torch.tanh(xs @ w_), lambda h: h.pow(2).mean(), lambda h: h.sum())
    (r1,) = torch.autograd.grad(torch.tanh(xs @ w2).pow(2).mean(), w2)
    (r2,) = torch.autograd.grad(torch.tanh(xs @ w2).sum(), w2)
    return [["two losses, one forward (retain_graph), loss 1", max_diff(g1, r1)],
            ["two losses, one forward (retain_graph), loss 2", max_diff(g2, r2)]]


def part_softplus_forward(z) -> list[list[object]]:
    # F.softplus returns x itself above its threshold (20 by default); raise the threshold so the
    # comparison is with the exact log(1 + e^x) everywhere
    return [[f"StableSoftplus forward vs F.softplus (float64, |x| up to {z.abs().max().item():.0f})",
             max_diff(stable_softplus(z), F.softplus(z, threshold=1000.0))]]


def part_softplus_backward(z) -> list[list[object]]:
    zz = z.clone().requires_grad_(True)
    stable_softplus(zz).sum().backward()
    return [["StableSoftplus backward vs sigmoid", max_diff(zz.grad, torch.sigmoid(z))]]


def part_hvp(A, xh, vh) -> list[list[object]]:
    f = lambda t: torch.tanh(t @ A).pow(2).sum() + t.pow(3).sum()  # noqa: E731
    return [["hvp by double backward vs torch.autograd.functional.hvp",
             max_diff(hvp(f, xh, vh), torch.autograd.functional.hvp(f, xh, vh)[1])]]


def part_hvp_forward_over_reverse(A, xh, vh) -> None:
    f = lambda t: torch.tanh(t @ A).pow(2).sum() + t.pow(3).sum()  # noqa: E731
    _, fwd = torch.func.jvp(torch.func.grad(f), (xh,), (vh,))
    rev = hvp(f, xh, vh)
    print(f"\nhvp ({whose()}, reverse over reverse) vs torch.func.jvp(torch.func.grad(f), (x,), (v,)) (forward over reverse): "
          f"agree to 1e-12: {torch.allclose(rev, fwd, rtol=0, atol=1e-12)}, max |difference| {max_diff(rev, fwd)}")


def part_per_sample_grads(wp, xp, yp) -> None:
    calls = []

    def loss_fn(w_, xi, yi):  # one sample's squared error of a tanh regression
        calls.append(1)
        return (torch.tanh(xi @ w_) - yi).pow(2).mean()

    got = per_sample_grads(loss_fn, wp, xp, yp)
    n_vmap = len(calls)
    loop = torch.stack([torch.autograd.grad(loss_fn(wp, xp[i], yp[i]), wp)[0] for i in range(xp.shape[0])])
    print(f"per_sample_grads ({whose()}) with vmap(grad(loss_fn)): w {tuple(wp.shape)}, x {tuple(xp.shape)} -> {tuple(got.shape)}; "
          f"loss_fn called {n_vmap} time(s) (the loop: {xp.shape[0]}); max |diff| vs a loop of torch.autograd.grad: {max_diff(got, loop)}")
    print(f"  the mean of the per-sample gradients equals the batch gradient: "
          f"{torch.allclose(got.mean(0), torch.autograd.grad(torch.stack([loss_fn(wp, a, b) for a, b in zip(xp, yp)]).mean(), wp)[0])}")


def part_softplus_extremes(xg) -> None:
    ok = torch.autograd.gradcheck(stable_softplus, (xg,))
    big = torch.tensor([-1000.0, -20.0, 0.0, 20.0, 1000.0])
    print(f"\ngradcheck(StableSoftplus ({whose()}), float64) passed: {ok}")

    def g6(t: torch.Tensor) -> str:
        return "[" + ", ".join(f"{v:.6g}" for v in t.tolist()) + "]"

    print(f"stable softplus at x = {g6(big)} (float32): {g6(stable_softplus(big))}")
    print(f"naive log(1 + exp(x)) there: {' ' * (len(g6(big)) + 1)}{g6(torch.log(1 + torch.exp(big)))}")


def part_ema(online) -> None:
    target = [torch.zeros(3, requires_grad=True)]
    before = target[0].data_ptr()
    ema_update_(target, online, decay=0.9)
    print(f"ema_update_(decay=0.9) ({whose()}): target = 0.1 * online: {torch.allclose(target[0], 0.1 * online[0])}, in place: "
          f"{target[0].data_ptr() == before}, still a leaf with no graph: {target[0].grad_fn is None}")


def demo_autograd() -> None:
    section("Exercise 3: autograd")
    # Every random input is drawn here, in one fixed order, before any part runs: a part that is
    # skipped on your exercises/ then leaves the numbers of the other parts as in the reference run.
    x, w, b, y = torch.randn(64, 5), torch.randn(5, 3), torch.randn(3), torch.randn(64, 3)
    xs, ys = torch.randn(10, 4), torch.randn(10)
    w_acc = torch.randn(4, requires_grad=True)
    w2 = torch.randn(4, 2, requires_grad=True)
    z = torch.randn(1000, dtype=torch.float64) * 30
    A = torch.randn(6, 6, dtype=torch.float64)
    xh, vh = torch.randn(3, 6, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
    xg = torch.randn(20, dtype=torch.float64, requires_grad=True)
    online = [torch.randn(3, requires_grad=True)]
    gp = torch.Generator().manual_seed(6)
    wp = torch.randn(4, 3, dtype=torch.float64, generator=gp).requires_grad_(True)
    xp, yp = torch.randn(8, 4, dtype=torch.float64, generator=gp), torch.randn(8, 3, dtype=torch.float64, generator=gp)

    rows: list[list[object]] = []
    for part in (run_part(part_tanh_regression, x, w, b, y), run_part(part_accumulate, xs, ys, w_acc),
                 run_part(part_two_losses, xs, w2), run_part(part_softplus_forward, z),
                 run_part(part_softplus_backward, z), run_part(part_hvp, A, xh, vh)):
        if not is_skipped(part):
            rows += part
    if rows:
        print(f"\n{whose()} code vs PyTorch's own autograd:")
        table(["check", "max |difference|"], rows)
    run_part(part_hvp_forward_over_reverse, A, xh, vh)
    run_part(part_per_sample_grads, wp, xp, yp)
    run_part(part_softplus_extremes, xg)
    run_part(part_ema, online)


def part_worked_example_micrograd() -> None:
    print("WORKED EXAMPLE (a): a = 2, b = -3, c = 10, L = tanh(a * b + c)")
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    L = (a * b + c).tanh()
    L.backward()
    ta, tb, tc = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, -3.0, 10.0))
    tL = torch.tanh(ta * tb + tc)
    tL.backward()
    print(f"  a * b + c = {a.data * b.data + c.data:g},  L = tanh(4) = {L.data:.6f}")
    print(f"  dL/d(ab+c) = 1 - tanh(4)^2 = {1 - L.data ** 2:.6f}")
    table(["", f"micrograd ({whose()})", "torch (float64)"], [
        ["L", f"{L.data:.6f}", f"{tL.item():.6f}"],
        ["dL/da = (1 - L^2) * b", f"{a.grad:.6f}", f"{ta.grad.item():.6f}"],
        ["dL/db = (1 - L^2) * a", f"{b.grad:.6f}", f"{tb.grad.item():.6f}"],
        ["dL/dc = (1 - L^2)", f"{c.grad:.6f}", f"{tc.grad.item():.6f}"],
    ])


def part_micrograd_expression() -> None:
    # A node used several times, division, pow, exp, log and relu, all in one expression.
    def expr(p, q):
        s = p * q + p ** 2 / (1 + q.exp())
        return (s.relu() + (p * p + 1).log() - 3 / (q * q + 2)).tanh() * s

    p, q = Value(1.5), Value(-0.7)
    out = expr(p, q)
    out.backward()
    tp, tq = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1.5, -0.7))
    tout = expr(tp, tq)
    tout.backward()
    label = f"micrograd ({whose()}):"
    width = len(label) + 1
    print(f"\nf(p, q) = tanh(relu(s) + log(p^2 + 1) - 3 / (q^2 + 2)) * s with s = p q + p^2 / (1 + e^q), p = 1.5, q = -0.7:")
    print(f"  {label:<{width}}f = {out.data:.10f}, df/dp = {p.grad:.10f}, df/dq = {q.grad:.10f}")
    print(f"  {'torch:':<{width}}f = {tout.item():.10f}, df/dp = {tp.grad.item():.10f}, df/dq = {tq.grad.item():.10f}")


def part_micrograd_deep_chain() -> None:
    xv = Value(0.5)
    node = xv
    for _ in range(5000):
        node = node * 1.0001 + 0.0001
    node.backward()
    print(f"  a chain 10000 operations deep: d/dx = {xv.grad:.6f} (1.0001^5000 = {1.0001 ** 5000:.6f}), no RecursionError")


def demo_micrograd() -> None:
    section("Exercise 4: micrograd (scalar autograd) vs torch")
    run_part(part_worked_example_micrograd)
    run_part(part_micrograd_expression)
    run_part(part_micrograd_deep_chain)


def part_closed_form(X, y):
    return closed_form_linear_regression(X, y)


def part_gradient_descent(X, y):
    return fit_linear_regression(X, y, lr=0.1, steps=500)


def part_agreement(cf, gd) -> None:
    (w_cf, b_cf), (w_gd, b_gd) = cf, gd
    gap = max((w_gd - w_cf).abs().max().item(), abs(float(b_gd) - float(b_cf)))
    # the last float32 digits of the gap vary with the BLAS kernel a run picks; its size does not
    print(f"  gradient descent and the closed form agree to within 1e-5: {gap < 1e-5}")


def linear_regression_spectrum(X: torch.Tensor, lr: float = 0.1, steps: int = 500) -> None:
    """Eigenvalues of A^T A / N (A = [X 1]) and the per-step contraction factors of gradient descent."""
    N = X.shape[0]
    A = torch.cat([X.double(), torch.ones(N, 1, dtype=torch.float64)], dim=1)
    lam = torch.linalg.eigvalsh(A.T @ A / N)
    factors = (1 - 2 * lr * lam).abs()
    rho = factors.max().item()
    print(f"  eigenvalues of A^T A / N (A = [X 1], float64): {show(lam, 4)}")
    print(f"  per-step factors |1 - 2 lr lambda_i / N| at lr = {lr}: {show(factors, 4)}; rho = max = {rho:.4f}; "
          f"rho^{steps} = {rho ** steps:.1e}")
    Ac = torch.cat([X.double(), torch.full((N, 1), 3.0, dtype=torch.float64), torch.ones(N, 1, dtype=torch.float64)], dim=1)
    print(f"  with a constant feature 3 appended: rank of A = {int(torch.linalg.matrix_rank(Ac))} of {Ac.shape[1]} columns "
          "(collinear with the bias column): A^T A is singular")


def part_worked_example_logistic() -> None:
    print("\nWORKED EXAMPLE (b): logistic-regression gradient on two samples")
    Xs = torch.tensor([[1.0, 2.0], [-1.0, 0.5]])
    ys = torch.tensor([1.0, 0.0])
    ws, bs = torch.tensor([0.5, -0.25]), torch.tensor(0.1)
    loss, dw, db = logistic_regression_grads(Xs, ys, ws, bs)
    z = Xs @ ws + bs
    s = torch.sigmoid(z)
    print(f"  X = {show(Xs)}, y = {show(ys)}, w = {show(ws)}, b = {show(bs)}")
    print(f"  z = Xw + b = {show(z)}")
    print(f"  sigmoid(z) = {show(s)},  sigmoid(z) - y = {show(s - ys)}")
    print(f"  loss = {loss.item():.6f}  ({whose()})")
    print(f"  dw = X^T (sigmoid(z) - y) / 2 = {show(dw)},  db = mean(sigmoid(z) - y) = {db.item():.6f}  ({whose()})")
    wa, ba = ws.clone().requires_grad_(True), bs.clone().requires_grad_(True)
    F.binary_cross_entropy_with_logits(Xs @ wa + ba, ys).backward()
    print(f"  autograd on F.binary_cross_entropy_with_logits: dw = {show(wa.grad)}, db = {ba.grad.item():.6f}")


def part_fit_logistic() -> None:
    Xb, yb = make_blobs(100, seed=2)
    wl, bl = fit_logistic_regression(Xb, yb, lr=0.5, steps=300)
    acc = ((Xb @ wl + bl > 0).float() == yb).float().mean().item()
    print(f"\nlogistic regression ({whose()}) on two 2-D blobs (200 points), 300 GD steps: train accuracy {acc:.3f}")


def part_mlp_backward(Xsp, ysp) -> None:
    params0 = init_mlp(2, 64, 3, seed=0)
    loss0, grads = mlp_forward_backward(Xsp, ysp, params0)
    leaves = {k: v.clone().requires_grad_(True) for k, v in params0.items()}
    F.cross_entropy(torch.tanh(Xsp @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"], ysp).backward()
    worst = max(float((grads[k] - leaves[k].grad).abs().max()) for k in grads)
    print(f"two-layer tanh MLP: hand-written backward ({whose()}) vs autograd, max |difference| over W1, b1, W2, b2: {worst:.1e}")


def part_train_mlp(Xsp, ysp):
    t0 = time.perf_counter()
    params, losses = train_mlp(Xsp, ysp, hidden=64, lr=0.5, steps=2000, seed=0)
    seconds = time.perf_counter() - t0
    h = torch.tanh(Xsp @ params["W1"] + params["b1"])
    acc = ((h @ params["W2"] + params["b2"]).argmax(1) == ysp).float().mean().item()
    print(f"spirals (3 classes x 100 points), hidden 64, lr 0.5, 2000 full-batch GD steps ({whose()}) in {seconds:.2f} s:"
          f" train accuracy {acc:.3f}")
    table(["step", "loss"], [[t, f"{losses[t]:.4f}"] for t in [0, 10, 100, 250, 500, 1000, 1999]])
    return losses, params


def spiral_run(seed: int) -> tuple[float, float]:
    """Final loss and train accuracy of train_mlp on the spirals drawn with ``seed``, initialised with ``seed``."""
    Xs, ys = make_spirals(100, 3, noise=0.05, seed=seed, turns=0.75)
    params, losses = train_mlp(Xs, ys, hidden=64, lr=0.5, steps=2000, seed=seed)
    h = torch.tanh(Xs @ params["W1"] + params["b1"])
    return losses[-1], ((h @ params["W2"] + params["b2"]).argmax(1) == ys).float().mean().item()


def part_train_mlp_seeds(trained, seeds: int) -> None:
    losses0, params0 = trained
    Xs, ys = make_spirals(100, 3, noise=0.05, seed=0, turns=0.75)
    h = torch.tanh(Xs @ params0["W1"] + params0["b1"])
    results = [(losses0[-1], ((h @ params0["W2"] + params0["b2"]).argmax(1) == ys).float().mean().item())]  # seed 0: above
    results += [spiral_run(s) for s in range(1, seeds)]
    print(f"\nspirals over seeds 0..{seeds - 1} (data and init drawn with the same seed), hidden 64, lr 0.5, 2000 steps ({whose()}):")
    print(f"  final loss:     {spread([r[0] for r in results], '.4f')}")
    print(f"  train accuracy: {spread([r[1] for r in results], '.3f')}")


def demo_from_scratch(seeds: int = 5):
    """Exercise 5; returns train_mlp's (losses, params) (or a skipped marker) and the spiral data."""
    section("Exercise 5: learning with raw tensors")
    g = torch.Generator().manual_seed(1)
    X = torch.randn(200, 3, generator=g)
    true_w, true_b = torch.tensor([2.0, -1.0, 0.5]), 0.3
    y = X @ true_w + true_b + 0.1 * torch.randn(200, generator=g)
    cf = run_part(part_closed_form, X, y)
    gd = run_part(part_gradient_descent, X, y)
    rows = [["true", show(true_w, 4), true_b]]
    if not is_skipped(cf):
        rows.append([f"closed form (lstsq), {whose()}", show(cf[0], 4), show(cf[1], 4)])
    if not is_skipped(gd):
        rows.append([f"gradient descent, 500 steps, {whose()}", show(gd[0], 4), show(gd[1], 4)])
    table(["linear regression", "w", "b"], rows)
    run_part(part_agreement, cf, gd)
    linear_regression_spectrum(X)

    run_part(part_worked_example_logistic)
    run_part(part_fit_logistic)

    Xsp, ysp = make_spirals(100, 3, noise=0.05, seed=0, turns=0.75)
    run_part(part_mlp_backward, Xsp, ysp)
    trained = run_part(part_train_mlp, Xsp, ysp)
    run_part(part_train_mlp_seeds, trained, seeds)
    return trained, Xsp, ysp


def save_plots(trained: tuple[list[float], dict[str, torch.Tensor]], X: torch.Tensor, y: torch.Tensor) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses, params = trained
    out_dir = output_dir(LAB_DIR)

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(losses)
    ax.set_yscale("log")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("cross-entropy (train)")
    ax.set_title("Two-layer tanh MLP on spirals")
    fig.tight_layout()
    fig.savefig(out_dir / "lab1_spiral_loss.png", dpi=120)
    plt.close(fig)

    xx, yy = torch.meshgrid(torch.linspace(-1.2, 1.2, 300), torch.linspace(-1.2, 1.2, 300), indexing="xy")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
    logits = torch.tanh(grid @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    fig, ax = plt.subplots(figsize=(6.0, 4.5))
    ax.contourf(xx.numpy(), yy.numpy(), logits.argmax(1).reshape(xx.shape).numpy(), alpha=0.3, cmap="brg")
    points = ax.scatter(X[:, 0].numpy(), X[:, 1].numpy(), c=y.numpy(), s=10, cmap="brg")
    handles, _ = points.legend_elements()
    ax.legend(handles, [f"class {c}" for c in range(len(handles))], loc="upper left", bbox_to_anchor=(1.02, 1.0),
              fontsize=8, title="points: true class\nshading: predicted", title_fontsize=7)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Decision regions after training (seed 0)")
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(out_dir / "lab1_spiral_decision_boundary.png", dpi=120)
    plt.close(fig)
    print(f"\nplots saved: {out_dir / 'lab1_spiral_loss.png'}, {out_dir / 'lab1_spiral_decision_boundary.png'}")


def main() -> None:
    args = runner_parser("Lab 1.1 runner: tensors, broadcasting, autograd, micrograd, learning from raw tensors").parse_args()
    seed_everything(0)
    # Every tensor in this lab is tiny: one thread is fastest, and it avoids the 10-50x slowdown of
    # small-op loops when two threads share two cores with another busy process.
    torch.set_num_threads(1)
    start = time.perf_counter()
    print(f"Lab 1.1 tensors | {describe_machine()}")
    folder = "exercises/" if run_target() == "exercises" else "solution/"
    print(f"code that runs: {whose()} ({LAB_DIR.name}/{folder})")
    demo_tensors()
    demo_broadcasting()
    demo_autograd()
    demo_micrograd()
    trained, X, y = demo_from_scratch(args.seeds)
    run_part(save_plots, trained, X, y)
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
