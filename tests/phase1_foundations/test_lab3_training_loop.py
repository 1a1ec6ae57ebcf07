"""Grader of lab 1.3 (the training loop): the loop, optimizers, schedules, healthy training, losses.

Every test names the behaviour it checks and compares your code with PyTorch's own
implementation wherever one exists (torch.optim, torch.optim.lr_scheduler,
torch.nn.utils.clip_grad_norm_, torch.nn.functional). Run it on your exercises with

    make test-lab LAB=phase1_foundations/lab3_training_loop          (EX=2 for exercise 2 only)
"""
from __future__ import annotations

import copy
import io
import math
import os
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from shared.datasets import make_spirals
from shared.grading import Lab, close, forbid

lab = Lab("phase1_foundations/lab3_training_loop")

INF = float("inf")


def scalar(x) -> float:
    return float(x.item() if isinstance(x, torch.Tensor) else x)


def save_that_dies_half_way(error: BaseException):
    """A ``torch.save`` that writes the first half of the file, then raises ``error`` (a crash mid-write)."""
    real_save = torch.save

    def save(obj, f, *args, **kwargs):
        buf = io.BytesIO()
        real_save(obj, buf, *args, **kwargs)
        half = buf.getvalue()[: len(buf.getvalue()) // 2]
        if isinstance(f, (str, os.PathLike)):
            with open(f, "wb") as out:
                out.write(half)
        else:
            f.write(half)
            f.flush()
        raise error

    return save


# ---------------------------------------------------------------------------------------------
# Exercise 1: the training loop
# ---------------------------------------------------------------------------------------------


class ModeRecorder(nn.Module):
    """Identity layer that remembers, at every forward call, whether the model was in training mode."""

    def __init__(self):
        super().__init__()
        self.seen: list[bool] = []

    def forward(self, x):
        self.seen.append(self.training)
        return x


def regression_setup(n: int = 70, seed: int = 0, dropout: float = 0.2):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 5, generator=g, dtype=torch.float64)
    y = (X @ torch.randn(5, 1, generator=g, dtype=torch.float64)).tanh() + 0.1 * torch.randn(n, 1, generator=g, dtype=torch.float64)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(dropout), ModeRecorder(), nn.Linear(16, 1)).double()
    return X, y, model


def canonical_epoch(model, loader, loss_fn, optimizer, scheduler=None) -> float:
    """What train_one_epoch must do, written out."""
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.item() * len(x)
        count += len(x)
    return total / count


def poison_grads(model: nn.Module, value: float = 1e3) -> None:
    for p in model.parameters():
        p.grad = torch.full_like(p, value)


@pytest.mark.exercise(1)
class TestTrainingLoop:
    def test_train_one_epoch_updates_like_the_canonical_loop(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup()
        ref = copy.deepcopy(model)
        loader = DataLoader(TensorDataset(X, y), batch_size=16)  # batches of 16, 16, 16, 16, 6
        for m in (model, ref):
            poison_grads(m)  # stale gradients from "before": they must not leak into the first update
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        ref_opt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
        torch.manual_seed(1)  # the same dropout masks for both runs
        got = ex.train_one_epoch(model, loader, F.mse_loss, opt)
        torch.manual_seed(1)
        want = canonical_epoch(ref, loader, F.mse_loss, ref_opt)
        for (name, p), q in zip(model.named_parameters(), ref.parameters()):
            close(p, q, f"after train_one_epoch, parameter {name} differs from the canonical loop's (per batch: "
                        "zero_grad, forward, loss, backward, step; the parameters held stale .grad values before the call)",
                  rtol=1e-10, atol=1e-12)
        assert isinstance(got, float), f"train_one_epoch returned a {type(got).__name__}; expected a Python float"
        assert math.isclose(got, want, rel_tol=1e-9), f"train_one_epoch returned mean loss {got}; the canonical loop gives {want}"

    def test_train_one_epoch_puts_the_model_in_training_mode(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup()
        model.eval()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        ex.train_one_epoch(model, DataLoader(TensorDataset(X, y), batch_size=32), F.mse_loss, opt)
        seen = model[3].seen
        assert seen and all(seen), (
            f"during train_one_epoch the model was in training mode in {sum(seen)} of {len(seen)} forward passes; "
            "the model came in eval() mode, so call model.train() first (dropout and batch norm depend on it)"
        )

    def test_train_one_epoch_returns_the_per_sample_mean_not_the_mean_of_batch_means(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup(dropout=0.0)
        loader = DataLoader(TensorDataset(X, y), batch_size=32)  # batches of 32, 32, 6
        opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the model stays fixed, so the answer is known
        got = ex.train_one_epoch(model, loader, F.mse_loss, opt)
        with torch.no_grad():
            want = F.mse_loss(model(X), y).item()
            batch_means = [F.mse_loss(model(xb), yb).item() for xb, yb in loader]
        assert isinstance(got, float), f"train_one_epoch returned a {type(got).__name__}; expected a Python float"
        assert math.isclose(got, want, rel_tol=1e-9), (
            f"train_one_epoch with lr=0 over batches of 32, 32, 6 returned {got}; the mean loss over all 70 samples is "
            f"{want} (the plain mean of the 3 batch means would be {sum(batch_means) / 3}: weight each batch by its size)"
        )

    def test_train_one_epoch_steps_the_scheduler_after_every_optimizer_step(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5**step)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ex.train_one_epoch(model, DataLoader(TensorDataset(X, y), batch_size=16), F.mse_loss, opt, sched)
        lr = opt.param_groups[0]["lr"]
        assert math.isclose(lr, 0.1 * 0.5**5, rel_tol=1e-12), (
            f"after one epoch of 5 batches with LambdaLR(lambda step: 0.5 ** step) the lr is {lr}; expected "
            f"{0.1 * 0.5 ** 5} (scheduler.step() once after each optimizer.step())"
        )
        order = [w for w in caught if "lr_scheduler.step()" in str(w.message)]
        assert not order, f"PyTorch warned: {order[0].message}"

    @pytest.mark.gpu
    @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
    def test_train_one_epoch_and_evaluate_move_batches_to_the_models_device(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup()
        model = model.cuda()
        loader = DataLoader(TensorDataset(X, y), batch_size=16)  # CPU batches
        loss = ex.train_one_epoch(model, loader, F.mse_loss, torch.optim.SGD(model.parameters(), lr=0.01))
        assert isinstance(loss, float) and math.isfinite(loss), (
            f"train_one_epoch on a CUDA model with CPU batches returned {loss!r}; move each batch to the model's device"
        )
        result = ex.evaluate(model, loader, F.mse_loss)
        assert isinstance(result["loss"], float) and math.isfinite(result["loss"]), (
            f"evaluate on a CUDA model with CPU batches returned {result!r}; move each batch to the model's device"
        )

    def test_evaluate_uses_eval_mode_and_records_no_graph(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup()
        model.insert(1, nn.BatchNorm1d(16).double())
        model.train()
        before = copy.deepcopy(model.state_dict())
        grad_enabled: list[bool] = []

        def loss_fn(out, target):
            grad_enabled.append(torch.is_grad_enabled() or out.requires_grad)
            return F.mse_loss(out, target)

        result = ex.evaluate(model, DataLoader(TensorDataset(X, y), batch_size=32), loss_fn)
        seen = model[4].seen
        assert seen and not any(seen), (
            f"during evaluate the model was in training mode in {sum(seen)} of {len(seen)} forward passes: call model.eval()"
        )
        for key, value in model.state_dict().items():
            assert torch.equal(value, before[key]), (
                f"evaluate changed the model's {key!r} (batch norm statistics move in training mode): call model.eval()"
            )
        assert grad_enabled and not any(grad_enabled), (
            "evaluate let autograd record the forward pass: wrap it in `with torch.no_grad():`"
        )
        assert all(p.grad is None for p in model.parameters()), "evaluate left gradients on the parameters"
        assert isinstance(result, dict) and isinstance(result.get("loss"), float), (
            f"evaluate returned {result!r}; expected a dict with a float under 'loss'"
        )

    def test_evaluate_leaves_parameters_and_existing_gradients_alone(self):
        ex = lab.exercise(1)
        X, y, model = regression_setup()
        poison_grads(model, 0.5)  # gradients a caller accumulated before validating
        params = {name: p.detach().clone() for name, p in model.named_parameters()}
        grads = {name: p.grad.clone() for name, p in model.named_parameters()}
        ex.evaluate(model, DataLoader(TensorDataset(X, y), batch_size=32), F.mse_loss)
        for name, p in model.named_parameters():
            assert torch.equal(p.detach(), params[name]), f"evaluate changed the parameter {name!r}; it must change none"
            assert p.grad is not None and torch.equal(p.grad, grads[name]), (
                f"evaluate changed {name}.grad (it was 0.5 everywhere, now "
                f"{'None' if p.grad is None else p.grad.flatten()[:3].tolist()}): evaluate must not call zero_grad or "
                "backward; the caller may still need those gradients"
            )

    def test_evaluate_weights_each_batch_by_its_size_for_loss_and_metrics(self):
        ex = lab.exercise(1)
        X, y = make_spirals(35, n_classes=2, noise=0.1, seed=3)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Dropout(0.5), nn.Linear(16, 2))
        loader = DataLoader(TensorDataset(X, y), batch_size=32)  # batches of 32, 32, 6
        result = ex.evaluate(model, loader, F.cross_entropy, metrics={"accuracy": ex.accuracy})
        model.eval()
        with torch.no_grad():
            out = model(X)
        want = {"loss": F.cross_entropy(out, y).item(), "accuracy": (out.argmax(1) == y).float().mean().item()}
        assert set(result) == set(want), f"evaluate returned the keys {sorted(result)}; expected {sorted(want)}"
        for key, value in want.items():
            assert isinstance(result[key], float) and math.isclose(result[key], value, rel_tol=1e-6), (
                f"evaluate(...)[{key!r}] over batches of 32, 32, 6 is {result[key]!r}; over all 70 samples in eval mode "
                f"it is {value} (weight each batch by its size)"
            )

    def test_fit_records_one_history_entry_per_epoch(self):
        ex = lab.exercise(1)
        X, y = make_spirals(30, n_classes=2, noise=0.1, seed=1)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
        train = DataLoader(TensorDataset(X[:40], y[:40]), batch_size=16)  # 3 batches per epoch
        val = DataLoader(TensorDataset(X[40:], y[40:]), batch_size=16)
        opt = torch.optim.SGD(model.parameters(), lr=0.2)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.9**step)
        hist = ex.fit(model, train, val, F.cross_entropy, opt, epochs=4, scheduler=sched, metrics={"accuracy": ex.accuracy})
        keys = {"lr", "train_loss", "val_loss", "val_accuracy"}
        assert isinstance(hist, dict) and set(hist) == keys, f"fit returned the keys {sorted(hist)}; expected {sorted(keys)}"
        for key in keys:
            assert len(hist[key]) == 4, f"fit(epochs=4) recorded {len(hist[key])} values under {key!r}; expected 4"
        want_lr = [0.2 * 0.9 ** (3 * e) for e in range(4)]
        assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(hist["lr"], want_lr)), (
            f"history['lr'] is {hist['lr']}; with 3 steps per epoch and lr 0.2 * 0.9^step it should be {want_lr} "
            "(the lr when each epoch began)"
        )
        model.eval()
        with torch.no_grad():
            out = model(X[40:])
        final = F.cross_entropy(out, y[40:]).item()
        assert math.isclose(hist["val_loss"][-1], final, rel_tol=1e-6), (
            f"history['val_loss'][-1] is {hist['val_loss'][-1]}; the trained model's validation loss is {final}"
        )
        acc = (out.argmax(1) == y[40:]).float().mean().item()
        assert math.isclose(hist["val_accuracy"][-1], acc, rel_tol=1e-6), (
            f"history['val_accuracy'][-1] is {hist['val_accuracy'][-1]}; the trained model's accuracy is {acc}"
        )

    def test_fit_learns_two_spirals(self):
        ex = lab.exercise(1)
        X, y = make_spirals(150, n_classes=2, noise=0.05, seed=0)
        Xv, yv = make_spirals(50, n_classes=2, noise=0.05, seed=1)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
        train = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
        val = DataLoader(TensorDataset(Xv, yv), batch_size=64)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        hist = ex.fit(model, train, val, F.cross_entropy, opt, epochs=40, metrics={"accuracy": ex.accuracy})
        assert hist["val_loss"][-1] < 0.25 and hist["val_accuracy"][-1] > 0.9, (
            f"after 40 epochs of Adam(lr=1e-2) on two spirals the validation loss is {hist['val_loss'][-1]:.3f} and "
            f"accuracy {hist['val_accuracy'][-1]:.3f}; a correct loop reaches a loss below 0.25 and accuracy above 0.9"
        )


# ---------------------------------------------------------------------------------------------
# Exercise 2: optimizers
# ---------------------------------------------------------------------------------------------

OPTIM_SHORTCUTS = (
    "torch.optim.SGD.step",
    "torch.optim.RMSprop.step",
    "torch.optim.Adam.step",
    "torch.optim.AdamW.step",
    "torch.optim._functional.sgd",
    "torch.optim._functional.rmsprop",
    "torch.optim._functional.adam",
    "torch.optim._functional.adamw",
    "torch.optim.sgd.sgd",
    "torch.optim.rmsprop.rmsprop",
    "torch.optim.adam.adam",
    "torch.optim.adamw.adamw",
)
BY_HAND_OPTIM = dict(why="Exercise 2 asks you to write the update yourself, not to call torch.optim's")

TORCH_OPTIMIZERS = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}

RACES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 3e-3, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.05, "momentum": 0.8}),
    ("Adam", {}),
    ("Adam", {"lr": 2e-2, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 2e-2, "weight_decay": 0.1}),
    ("AdamW", {}),
    ("AdamW", {"lr": 2e-2, "betas": (0.85, 0.995), "weight_decay": 0.3}),
]

HINTS = {
    "SGD": "b = g on the first step, then b = mu * b + (1 - dampening) * g; Nesterov uses g + mu * b",
    "RMSprop": "v = alpha * v + (1 - alpha) * g^2 from v = 0; eps is added to sqrt(v)",
    "Adam": "weight decay adds wd * p to g (L2); bias corrections use the step count t starting at 1; "
            "eps is added to sqrt(v_hat)",
    "AdamW": "decoupled decay shrinks p by (1 - lr * wd) BEFORE the moment updates and leaves g alone "
             "(Adam with weight_decay adds wd * p to g instead)",
}


def race_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    net.unused = nn.Parameter(torch.randn(2, dtype=torch.float64))  # never gets a gradient
    return net


def race_data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(32, 4, generator=g, dtype=torch.float64), torch.randn(32, 3, generator=g, dtype=torch.float64)


def describe(name: str, kwargs: dict) -> str:
    return f"{name}(params{''.join(f', {k}={v}' for k, v in kwargs.items())})"


def race(mine_net, mine_opt, ref_net, ref_opt, what: str, hint: str, steps: int = 50, lr_at=None, first_step: int = 0):
    """Take ``steps`` steps with both optimizers on the same data; fail at the first step where they part."""
    X, Y = race_data()
    for t in range(first_step, first_step + steps):
        if lr_at is not None:
            for g_mine, g_ref in zip(mine_opt.param_groups, ref_opt.param_groups):
                g_mine["lr"] = g_ref["lr"] = lr_at(t, g_ref["lr"])
        for net, opt in ((mine_net, mine_opt), (ref_net, ref_opt)):
            # both kinds of zero_grad: set_to_none=False zeroes the old .grad tensor in place, which wipes
            # any buffer that is p.grad itself instead of a copy of it
            opt.zero_grad(set_to_none=t % 2 == 0)
            F.mse_loss(net(X), Y).backward()
        grads = {name: p.grad.clone() for name, p in mine_net.named_parameters() if p.grad is not None}
        with forbid(*OPTIM_SHORTCUTS, **BY_HAND_OPTIM):
            mine_opt.step()
        ref_opt.step()
        for name, p in mine_net.named_parameters():
            if name in grads:
                assert p.grad is not None and torch.equal(p.grad, grads[name]), (
                    f"{what}: step {t + 1} changed {name}.grad; an optimizer must never change p.grad (the docstring). "
                    "Build g + wd * p, g + mu * b, ... as NEW tensors (grad.add(...), not grad.add_(...)), and give "
                    "the momentum buffer its own copy (torch.clone(g)), not p.grad itself"
                )
        for (name, p), q in zip(mine_net.named_parameters(), ref_net.parameters()):
            close(p, q, f"{what}: after step {t + 1}, parameter {name!r} differs from torch.optim's. Hint: {hint}",
                  rtol=1e-9, atol=1e-12)


def compare_state(mine, ref, what: str) -> None:
    """The per-parameter state of two optimizers over the same parameters: same names, same values."""
    mine_state = {i: s for i, s in mine.state_dict()["state"].items() if s}
    ref_state = {i: s for i, s in ref.state_dict()["state"].items() if s}
    extra = sorted(set(mine_state) - set(ref_state))
    assert not extra, (
        f"{what}: you keep state for parameter(s) {extra} ({ {i: sorted(mine_state[i]) for i in extra} }), where torch.optim "
        "keeps none (SGD without momentum has no buffer at all)"
    )
    for i, state in ref_state.items():
        got = mine_state.get(i, {})
        assert set(got) == set(state), (
            f"{what}: self.state of parameter {i} holds {sorted(got)}; torch.optim's holds {sorted(state)} "
            "(the same names, so that checkpoints move between the two)"
        )
        for key, value in state.items():
            want = torch.as_tensor(value, dtype=torch.float64)
            have = torch.as_tensor(got[key], dtype=torch.float64)
            close(have, want, f"{what}: self.state[p][{key!r}] of parameter {i} differs from torch.optim's"
                  + (" ('step' counts this parameter's updates)" if key == "step" else ""), rtol=1e-9, atol=1e-12)


@pytest.mark.exercise(2)
class TestOptimizers:
    @pytest.mark.parametrize("name,kwargs", RACES, ids=[describe(n, k).replace("params, ", "").replace("params", "") for n, k in RACES])
    def test_matches_torch_optim_for_50_steps(self, name, kwargs):
        ex = lab.exercise(2)
        mine_net, ref_net = race_net(), race_net()
        mine = getattr(ex, name)(mine_net.parameters(), **kwargs)
        assert isinstance(mine, torch.optim.Optimizer) and not isinstance(mine, tuple(TORCH_OPTIMIZERS.values())), (
            f"{name} must subclass torch.optim.Optimizer directly, not one of torch.optim's own optimizers"
        )
        ref = TORCH_OPTIMIZERS[name](ref_net.parameters(), **kwargs)
        race(mine_net, mine, ref_net, ref, describe(name, kwargs), HINTS[name])
        assert not mine.state.get(mine_net.unused), (
            f"{describe(name, kwargs)} created state for a parameter that never had a gradient (skip p.grad is None)"
        )
        compare_state(mine, ref, f"{describe(name, kwargs)} after 50 steps")

    @pytest.mark.parametrize("name", list(TORCH_OPTIMIZERS))
    def test_param_groups_keep_their_own_hyperparameters_and_follow_lr_changes(self, name):
        ex = lab.exercise(2)
        extra = {"SGD": {"momentum": 0.9}, "RMSprop": {"momentum": 0.5}, "Adam": {}, "AdamW": {}}[name]
        base_lr = {"SGD": 0.05, "RMSprop": 1e-3, "Adam": 1e-2, "AdamW": 1e-2}[name]

        def groups(net):
            return [
                {"params": [net[0].weight, net[2].weight], "weight_decay": 0.1},
                {"params": [net[0].bias, net[2].bias], "lr": base_lr / 10, "weight_decay": 0.0},
            ]

        mine_net, ref_net = race_net(1), race_net(1)
        mine = getattr(ex, name)(groups(mine_net), lr=base_lr, **extra)
        ref = TORCH_OPTIMIZERS[name](groups(ref_net), lr=base_lr, **extra)
        # a scheduler in disguise: the lr of every group is cut by 10x at step 25
        race(mine_net, mine, ref_net, ref, f"{name} with two param groups (lr {base_lr} and {base_lr / 10}, weight decay "
             "0.1 and 0), lr cut by 10x at step 25", "read lr, weight_decay, ... from each group at every step, not "
             "from self.defaults or from values stored in __init__", lr_at=lambda t, lr: lr / 10 if t == 25 else lr)

    @pytest.mark.parametrize("name", list(TORCH_OPTIMIZERS))
    def test_resumes_from_a_torch_optim_state_dict(self, name):
        ex = lab.exercise(2)
        kwargs = {"SGD": {"lr": 0.05, "momentum": 0.9}, "RMSprop": {"lr": 3e-3, "momentum": 0.5},
                  "Adam": {"lr": 1e-2}, "AdamW": {"lr": 1e-2}}[name]
        ref_net = race_net(2)
        ref = TORCH_OPTIMIZERS[name](ref_net.parameters(), **kwargs)
        X, Y = race_data()
        for _ in range(20):
            ref.zero_grad()
            F.mse_loss(ref_net(X), Y).backward()
            ref.step()
        mine_net = copy.deepcopy(ref_net)
        mine = getattr(ex, name)(mine_net.parameters(), **kwargs)
        mine.load_state_dict(copy.deepcopy(ref.state_dict()))  # load_state_dict alone would SHARE the buffers
        names = {"SGD": "'momentum_buffer'", "RMSprop": "'step', 'square_avg', 'momentum_buffer'",
                 "Adam": "'step', 'exp_avg', 'exp_avg_sq'", "AdamW": "'step', 'exp_avg', 'exp_avg_sq'"}[name]
        race(mine_net, mine, ref_net, ref, f"{describe(name, kwargs)} loaded with the state_dict of torch.optim.{name} "
             "after 20 steps", f"keep per-parameter buffers in self.state[p] under torch's names ({names}); "
             "'step' may come back as a tensor", steps=30, first_step=20)

    @pytest.mark.parametrize("name,kwargs", [
        ("SGD", {"lr": -0.1}),
        ("SGD", {"lr": 0.1, "momentum": -0.5}),
        ("SGD", {"lr": 0.1, "weight_decay": -1e-4}),
        ("SGD", {"lr": 0.1, "nesterov": True}),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
        ("RMSprop", {"alpha": -0.9}),
        ("RMSprop", {"eps": -1e-8}),
        ("RMSprop", {"lr": -1e-3}),
        ("RMSprop", {"momentum": -0.5}),
        ("RMSprop", {"weight_decay": -1e-4}),
        ("Adam", {"eps": -1e-8}),
        ("Adam", {"weight_decay": -0.1}),
        ("Adam", {"betas": (1.0, 0.999)}),
        ("Adam", {"betas": (0.9, -0.1)}),
        ("Adam", {"lr": -1e-3}),
        ("AdamW", {"weight_decay": -0.01}),
    ])
    def test_invalid_hyperparameters_raise_value_error(self, name, kwargs):
        ex = lab.exercise(2)
        param = nn.Parameter(torch.zeros(3))
        try:
            getattr(ex, name)([param], **kwargs)
        except ValueError:
            return
        pytest.fail(f"{describe(name, kwargs)} should raise ValueError (torch.optim.{name} does)")


def lion_reference_step(params, grads, state, lr, betas, weight_decay):
    """Lion as Chen et al. (2023), Algorithm 2, write it: c = b1 m + (1 - b1) g; p -= lr (sign(c) + wd p); m = b2 m + (1 - b2) g."""
    b1, b2 = betas
    for p, g in zip(params, grads):
        m = state.setdefault(id(p), torch.zeros_like(p))
        c = b1 * m + (1 - b1) * g
        p.copy_(p - lr * (torch.sign(c) + weight_decay * p))
        state[id(p)] = b2 * m + (1 - b2) * g


LION_HINT = ("c = b1 * m + (1 - b1) * g with the OLD m gives the direction; p <- p - lr * (sign(c) + wd * p) with p "
             "before the step; only then m <- b2 * m + (1 - b2) * g")


@pytest.mark.exercise(2)
class TestLion:
    @pytest.mark.parametrize("kwargs", [{}, {"lr": 1e-2, "weight_decay": 0.5}, {"lr": 3e-3, "betas": (0.8, 0.95), "weight_decay": 0.1}],
                             ids=["defaults", "lr 1e-2, wd 0.5", "betas (0.8, 0.95), wd 0.1"])
    def test_matches_the_papers_update_rule_for_40_steps(self, kwargs):
        ex = lab.exercise(2)
        net = race_net(3)
        ref = copy.deepcopy(net)
        opt = ex.Lion(net.parameters(), **kwargs)
        assert isinstance(opt, torch.optim.Optimizer), "Lion must subclass torch.optim.Optimizer"
        lr, betas, wd = kwargs.get("lr", 1e-4), kwargs.get("betas", (0.9, 0.99)), kwargs.get("weight_decay", 0.0)
        X, Y = race_data(3)
        state: dict = {}
        what = describe("Lion", kwargs)
        for t in range(40):
            opt.zero_grad(set_to_none=t % 2 == 0)
            F.mse_loss(net(X), Y).backward()
            grads = {name: p.grad.clone() for name, p in net.named_parameters() if p.grad is not None}
            with forbid(*OPTIM_SHORTCUTS, **BY_HAND_OPTIM):
                opt.step()
            ref_params = [p for name, p in ref.named_parameters() if name in grads]
            with torch.no_grad():
                lion_reference_step(ref_params, [grads[name] for name, _ in ref.named_parameters() if name in grads],
                                    state, lr, betas, wd)
            for name, p in net.named_parameters():
                if name in grads:
                    assert torch.equal(p.grad, grads[name]), f"{what}: step {t + 1} changed {name}.grad; an optimizer never changes p.grad"
            for (name, p), q in zip(net.named_parameters(), ref.parameters()):
                close(p, q, f"{what}: after step {t + 1}, parameter {name!r} differs from the paper's update. Hint: {LION_HINT}",
                      rtol=1e-10, atol=1e-13)
        assert not opt.state.get(net.unused), f"{what} created state for a parameter that never had a gradient (skip p.grad is None)"
        for (name, p), q in zip(net.named_parameters(), ref.parameters()):
            if name in grads:
                got = opt.state[p].get("exp_avg")
                assert got is not None, f"{what}: self.state[p] of {name!r} holds {sorted(opt.state[p])}; expected 'exp_avg' (m)"
                close(got, state[id(q)], f"{what}: self.state[p]['exp_avg'] of {name!r} after 40 steps is not the paper's m "
                      "(m <- b2 * m + (1 - b2) * g, after the update; computing c must leave m unchanged, so no in-place "
                      "ops on m before this line)", rtol=1e-10, atol=1e-13)

    def test_every_coordinate_moves_by_exactly_lr_without_decay(self):
        ex = lab.exercise(2)
        p = nn.Parameter(torch.tensor([1.0, -2.0, 3.0, 0.5], dtype=torch.float64))
        opt = ex.Lion([p], lr=0.25)
        moves = []
        for g in ([1e-6, -5.0, 0.0, 2.0], [-3.0, 1.0, 0.0, 1e3], [2.0, 2.0, 0.0, -1e-9]):
            before = p.detach().clone()
            p.grad = torch.tensor(g, dtype=torch.float64)
            with forbid(*OPTIM_SHORTCUTS, **BY_HAND_OPTIM):
                opt.step()
            moves.append((p.detach() - before).tolist())
        # signs of c = 0.9 m + 0.1 g with the old m, m = 0.99 m + 0.01 g afterwards; sign(0) = 0
        # (step 2, coordinate 1: m = -0.05 but c = +0.055; step 3, coordinate 3: g < 0 but c = +9.02, the momentum wins)
        want = [[-0.25, 0.25, 0.0, -0.25], [0.25, -0.25, 0.0, -0.25], [-0.25, -0.25, 0.0, -0.25]]
        assert moves == want, (
            f"Lion(lr=0.25) moved the coordinates by {moves} over three steps; the paper's rule moves each by exactly "
            f"-lr * sign(b1 * m + (1 - b1) * g), which is {want} here (sign(0) = 0). Hint: {LION_HINT}"
        )

    def test_param_groups_and_lr_changes_and_state_dict(self):
        ex = lab.exercise(2)
        net = race_net(4)
        ref = copy.deepcopy(net)
        groups = [{"params": [net[0].weight, net[2].weight], "weight_decay": 0.3},
                  {"params": [net[0].bias, net[2].bias], "lr": 1e-3, "weight_decay": 0.0}]
        opt = ex.Lion(groups, lr=1e-2)
        settings = [(1e-2, 0.3), (1e-3, 0.0)]
        ref_groups = [[ref[0].weight, ref[2].weight], [ref[0].bias, ref[2].bias]]
        X, Y = race_data(4)
        state: dict = {}
        for t in range(30):
            if t == 10:
                for group in opt.param_groups:
                    group["lr"] /= 10  # a scheduler in disguise
                settings = [(lr / 10, wd) for lr, wd in settings]
            if t == 20:  # resume in a new optimizer from a checkpoint of the old one
                saved = copy.deepcopy(opt.state_dict())
                opt = ex.Lion([{"params": g["params"]} for g in opt.param_groups], lr=0.5)
                opt.load_state_dict(saved)
            opt.zero_grad()
            F.mse_loss(net(X), Y).backward()
            with torch.no_grad():
                for params, (lr, wd) in zip(ref_groups, settings):
                    names = {id(q): n for n, q in ref.named_parameters()}
                    grads = [dict(net.named_parameters())[names[id(q)]].grad.clone() for q in params]
                    lion_reference_step(params, grads, state, lr, (0.9, 0.99), wd)
            opt.step()
            for (name, p), q in zip(net.named_parameters(), ref.parameters()):
                close(p, q, f"Lion with two param groups (lr 1e-2 with wd 0.3, lr 1e-3 without), lrs cut by 10x at step 10, "
                      f"reloaded from its state_dict at step 20: after step {t + 1}, {name!r} differs from the paper's update "
                      "(read lr and weight_decay from each group at every step; keep m in self.state[p]['exp_avg']). "
                      f"If the single-group tests fail too, fix those first. Hint: {LION_HINT}",
                      rtol=1e-10, atol=1e-13)

    @pytest.mark.parametrize("kwargs", [{"lr": -1e-4}, {"betas": (1.0, 0.99)}, {"betas": (0.9, -0.1)}, {"weight_decay": -0.1}])
    def test_invalid_hyperparameters_raise_value_error(self, kwargs):
        ex = lab.exercise(2)
        try:
            ex.Lion([nn.Parameter(torch.zeros(3))], **kwargs)
        except ValueError:
            return
        pytest.fail(f"{describe('Lion', kwargs)} should raise ValueError (lr >= 0, betas in [0, 1), weight_decay >= 0)")


# ---------------------------------------------------------------------------------------------
# Exercise 3: schedules and the range finder
# ---------------------------------------------------------------------------------------------

SCHEDULER_SHORTCUTS = tuple(
    f"torch.optim.lr_scheduler.{cls}"
    for cls in ("StepLR", "LinearLR", "CosineAnnealingLR", "SequentialLR", "OneCycleLR", "LambdaLR", "MultiplicativeLR",
                "MultiStepLR", "CosineAnnealingWarmRestarts", "ReduceLROnPlateau")
)
BY_HAND_SCHEDULE = dict(why="Exercise 3 asks for each schedule as a formula of the step, not through a torch scheduler")


def torch_lrs(make_scheduler, steps: int, base_lr: float = 0.1) -> list[float]:
    """The lr a torch scheduler gives at steps 0 .. steps-1 (the reference's given helper)."""
    return lab.reference(3).scheduler_lrs(make_scheduler, steps, base_lr)


def compare_schedule(got_fn, want: list[float], what: str) -> None:
    with forbid(*SCHEDULER_SHORTCUTS, **BY_HAND_SCHEDULE):
        got = [got_fn(t) for t in range(len(want))]
    for t, (a, b) in enumerate(zip(got, want)):
        assert isinstance(a, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15), (
            f"{what}: at step {t} you return {a!r}; torch gives {b!r}"
        )


@pytest.mark.exercise(3)
class TestSchedules:
    @pytest.mark.parametrize("step_size,gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
    def test_step_decay_matches_steplr(self, step_size, gamma):
        ex = lab.exercise(3)
        want = torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma), 30)
        compare_schedule(lambda t: ex.step_decay_lr(t, 0.1, step_size, gamma), want,
                         f"step_decay_lr(step, base_lr=0.1, step_size={step_size}, gamma={gamma}) vs StepLR")

    @pytest.mark.parametrize("warmup,total,start_factor,min_lr", [(5, 30, 0.01, 0.0), (3, 20, 0.1, 1e-3), (1, 10, 0.5, 0.0), (10, 11, 0.2, 0.0)])
    def test_warmup_cosine_matches_sequential_linear_then_cosine(self, warmup, total, start_factor, min_lr):
        ex = lab.exercise(3)

        def make(o):
            S = torch.optim.lr_scheduler
            return S.SequentialLR(o, [S.LinearLR(o, start_factor=start_factor, end_factor=1.0, total_iters=warmup),
                                      S.CosineAnnealingLR(o, T_max=total - warmup, eta_min=min_lr)], milestones=[warmup])

        want = torch_lrs(make, total + 1)
        what = (f"warmup_cosine_lr(step, base_lr=0.1, warmup_steps={warmup}, total_steps={total}, "
                f"warmup_start_factor={start_factor}, min_lr={min_lr}) vs SequentialLR(LinearLR, CosineAnnealingLR)")
        compare_schedule(lambda t: ex.warmup_cosine_lr(t, 0.1, warmup, total, start_factor, min_lr), want, what)
        after = ex.warmup_cosine_lr(total + 5, 0.1, warmup, total, start_factor, min_lr)
        assert math.isclose(after, min_lr, abs_tol=1e-15), f"{what}: past total_steps you return {after}; expected min_lr={min_lr}"

    def test_warmup_cosine_from_exactly_zero(self):
        ex = lab.exercise(3)
        what = "warmup_cosine_lr(step, base_lr=0.1, warmup_steps=8, total_steps=40, warmup_start_factor=0.0)"
        with forbid(*SCHEDULER_SHORTCUTS, **BY_HAND_SCHEDULE):
            try:
                got = [ex.warmup_cosine_lr(t, 0.1, 8, 40, 0.0) for t in range(41)]
            except ValueError as err:
                pytest.fail(f"{what} raised ValueError ({err}); a warm-up from exactly 0 is allowed (0 <= s0 <= 1)")
        assert got[0] == 0.0, f"{what}: at step 0 you return {got[0]!r}; a warm-up from 0 starts at exactly 0.0"
        for t in range(8):
            assert math.isclose(got[t], 0.1 * t / 8, rel_tol=1e-12, abs_tol=1e-15), (
                f"{what}: at step {t} you return {got[t]!r}; the warm-up rises linearly, base_lr * step / W = {0.1 * t / 8!r}"
            )
        # from step W on it is the cosine part; LinearLR itself refuses start_factor=0, so compare from there
        want = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=32), 33)
        for t in range(8, 41):
            assert math.isclose(got[t], want[t - 8], rel_tol=1e-9, abs_tol=1e-15), (
                f"{what}: at step {t} you return {got[t]!r}; CosineAnnealingLR(T_max=32) gives {want[t - 8]!r} "
                f"{t - 8} steps after the warm-up"
            )

    def test_warmup_cosine_without_warmup_is_cosine_annealing(self):
        ex = lab.exercise(3)
        want = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=25, eta_min=1e-4), 26)
        compare_schedule(lambda t: ex.warmup_cosine_lr(t, 0.1, 0, 25, min_lr=1e-4), want,
                         "warmup_cosine_lr(step, 0.1, warmup_steps=0, total_steps=25, min_lr=1e-4) vs CosineAnnealingLR(T_max=25)")

    @pytest.mark.parametrize("total,pct,div,final_div,anneal", [
        (100, 0.3, 25.0, 1e4, "cos"), (37, 0.25, 10.0, 100.0, "linear"), (10, 0.5, 25.0, 1e4, "cos"), (50, 0.1, 5.0, 1e3, "cos"),
    ])
    def test_one_cycle_matches_onecyclelr(self, total, pct, div, final_div, anneal):
        ex = lab.exercise(3)
        want = torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=0.5, total_steps=total, pct_start=pct, div_factor=div, final_div_factor=final_div,
            anneal_strategy=anneal, cycle_momentum=False), total)
        compare_schedule(lambda t: ex.one_cycle_lr(t, 0.5, total, pct, div, final_div, anneal), want,
                         f"one_cycle_lr(step, max_lr=0.5, total_steps={total}, pct_start={pct}, div_factor={div}, "
                         f"final_div_factor={final_div}, anneal_strategy={anneal!r}) vs OneCycleLR")

    @pytest.mark.parametrize("milestones,gamma", [([5, 12, 20], 0.5), ([20, 5], 0.1), ([3, 3, 10], 0.5), ([0, 7], 0.8)])
    def test_multistep_matches_multisteplr(self, milestones, gamma):
        ex = lab.exercise(3)
        want = torch_lrs(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=milestones, gamma=gamma), 30)
        compare_schedule(lambda t: ex.multistep_lr(t, 0.1, milestones, gamma), want,
                         f"multistep_lr(step, base_lr=0.1, milestones={milestones}, gamma={gamma}) vs MultiStepLR (the lr "
                         "at a milestone step is already decayed; a repeated milestone decays twice)")

    @pytest.mark.parametrize("T_0,T_mult,eta_min", [(10, 1, 0.0), (5, 2, 1e-3), (3, 3, 0.0), (1, 2, 0.0)])
    def test_cosine_warm_restarts_matches_sgdr(self, T_0, T_mult, eta_min):
        ex = lab.exercise(3)
        want = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=T_0, T_mult=T_mult,
                                                                                          eta_min=eta_min), 130)
        compare_schedule(lambda t: ex.cosine_warm_restarts_lr(t, 0.1, T_0, T_mult, eta_min), want,
                         f"cosine_warm_restarts_lr(step, base_lr=0.1, T_0={T_0}, T_mult={T_mult}, eta_min={eta_min}) vs "
                         f"CosineAnnealingWarmRestarts (periods of {T_0}, {T_0 * T_mult}, {T_0 * T_mult ** 2}, ... steps; "
                         "base_lr again at each restart)")

    @pytest.mark.parametrize("call", [
        "step_decay_lr(0, 0.1, step_size=0)",
        "warmup_cosine_lr(0, 0.1, warmup_steps=10, total_steps=10)",
        "warmup_cosine_lr(0, 0.1, warmup_steps=2, total_steps=10, warmup_start_factor=-0.1)",
        "warmup_cosine_lr(0, 0.1, warmup_steps=2, total_steps=10, warmup_start_factor=1.5)",
        "one_cycle_lr(0, 0.1, total_steps=10, anneal_strategy='exp')",
        "one_cycle_lr(10, 0.1, total_steps=10)",
        "cosine_warm_restarts_lr(0, 0.1, T_0=0)",
        "cosine_warm_restarts_lr(0, 0.1, T_0=5, T_mult=0)",
    ])
    def test_schedules_reject_invalid_arguments(self, call):
        ex = lab.exercise(3)
        try:
            got = eval("ex." + call)  # noqa: S307 - a fixed list of calls
        except ValueError:
            return
        pytest.fail(f"{call} should raise ValueError, but returned {got!r}")

    # -- the range finder ----------------------------------------------------------------------

    @staticmethod
    def finder_setup():
        g = torch.Generator().manual_seed(0)
        X = torch.randn(96, 3, generator=g, dtype=torch.float64)
        y = X @ torch.tensor([[1.5], [-2.0], [0.5]], dtype=torch.float64) + 0.1 * torch.randn(96, 1, generator=g, dtype=torch.float64)
        batches = [(X[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Dropout(0.1), nn.Linear(8, 1)).double()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for xb, yb in batches:  # some momentum state that the finder must leave as it was
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()
        model.eval()
        return model, opt, batches

    @staticmethod
    def simulate(model, opt, batches, start, end, n, beta=0.98, factor=4.0):
        model.train()
        lrs, losses, avg, best = [], [], 0.0, INF
        for i in range(n):
            lr = start * (end / start) ** (i / (n - 1))
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = batches[i % len(batches)]
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            avg = beta * avg + (1 - beta) * loss.item()
            s = avg / (1 - beta ** (i + 1))
            lrs.append(lr)
            losses.append(s)
            best = min(best, s)
            if not math.isfinite(s) or s > factor * best:
                break
        return lrs, losses

    @pytest.mark.parametrize("end_lr,stops_early", [(1e-1, False), (1e3, True)])
    def test_lr_range_test_matches_a_step_by_step_simulation(self, end_lr, stops_early):
        ex = lab.exercise(3)
        model, opt, batches = self.finder_setup()
        ref_model = copy.deepcopy(model)
        ref_opt = torch.optim.SGD(ref_model.parameters(), lr=0.01, momentum=0.9)
        ref_opt.load_state_dict(copy.deepcopy(opt.state_dict()))  # load_state_dict alone would SHARE the buffers
        torch.manual_seed(7)
        lrs, losses = ex.lr_range_test(model, F.mse_loss, opt, batches, start_lr=1e-5, end_lr=end_lr, num_steps=60)
        torch.manual_seed(7)
        want_lrs, want_losses = self.simulate(ref_model, ref_opt, batches, 1e-5, end_lr, 60)
        assert (len(want_lrs) < 60) == stops_early  # the setup itself
        what = f"lr_range_test(start_lr=1e-5, end_lr={end_lr}, num_steps=60)"
        assert len(lrs) == len(losses) == len(want_lrs), (
            f"{what} returned {len(lrs)} lrs and {len(losses)} losses; expected {len(want_lrs)} of each "
            + ("(the smoothed loss exceeds 4x its minimum there: stop after recording that step)" if stops_early
               else "(the loss never diverges here: run all num_steps steps)")
        )
        close(torch.tensor(lrs, dtype=torch.float64), torch.tensor(want_lrs, dtype=torch.float64),
              f"{what}: the learning rates should grow geometrically from start_lr to end_lr", rtol=1e-12, atol=0.0)
        close(torch.tensor(losses, dtype=torch.float64), torch.tensor(want_losses, dtype=torch.float64),
              f"{what}: the recorded losses differ from the bias-corrected moving average of the training losses "
              "(model in train mode, one step per batch, batches reused in order)", rtol=1e-9, atol=1e-12)

    def test_lr_range_test_leaves_model_and_optimizer_as_they_were(self):
        ex = lab.exercise(3)
        model, opt, batches = self.finder_setup()
        model_before = copy.deepcopy(model.state_dict())
        opt_before = copy.deepcopy(opt.state_dict())
        ex.lr_range_test(model, F.mse_loss, opt, batches, start_lr=1e-4, end_lr=1.0, num_steps=20)
        self.assert_restored(model, opt, model_before, opt_before, "after lr_range_test",
                             "restore the snapshot you took before training (and take it with copy.deepcopy: "
                             "model.state_dict() holds references to the live tensors)")

    @staticmethod
    def assert_restored(model, opt, model_before, opt_before, when: str, how: str) -> None:
        """The model's state and eval mode, and the optimizer's lrs and buffers, are what they were before."""
        for key, value in model.state_dict().items():
            assert torch.equal(value, model_before[key]), f"{when} the model's {key!r} changed: {how}"
        assert model.training is False, f"{when} the model, which came in eval() mode, is in training mode: {how}"
        after = opt.state_dict()
        assert [g["lr"] for g in after["param_groups"]] == [g["lr"] for g in opt_before["param_groups"]], (
            f"{when} the optimizer's lrs are {[g['lr'] for g in after['param_groups']]}; they were "
            f"{[g['lr'] for g in opt_before['param_groups']]}: {how}"
        )
        for idx, state in opt_before["state"].items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    assert torch.equal(after["state"][idx][key], value), (
                        f"{when} the optimizer's {key!r} buffer changed (restore it with optimizer.load_state_dict of a "
                        f"deep copy): {how}"
                    )

    @staticmethod
    def grouped_finder_setup():
        """A model with batch-norm buffers and two param groups of different lr, with momentum state."""
        model, _, batches = TestSchedules.finder_setup()
        torch.manual_seed(1)
        model.insert(1, nn.BatchNorm1d(8).double())
        opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[4].parameters(), "lr": 1e-3}],
                              lr=0.01, momentum=0.9)
        model.train()
        for xb, yb in batches:
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()
        model.eval()
        return model, opt, batches

    def test_lr_range_test_sets_the_lr_of_every_param_group(self):
        ex = lab.exercise(3)
        model, opt, batches = self.grouped_finder_setup()
        seen: list[list[float]] = []

        def loss_fn(out, target):
            seen.append([g["lr"] for g in opt.param_groups])
            return F.mse_loss(out, target)

        lrs, _ = ex.lr_range_test(model, loss_fn, opt, batches, start_lr=1e-4, end_lr=1e-1, num_steps=12)
        assert len(seen) == len(lrs) == 12, f"lr_range_test(num_steps=12) computed {len(seen)} losses and returned {len(lrs)} lrs"
        for i, (group_lrs, lr) in enumerate(zip(seen, lrs)):
            assert all(math.isclose(g, lr, rel_tol=1e-12) for g in group_lrs), (
                f"at step {i} of lr_range_test the param groups had lr {group_lrs}; every group must train at lr_i = {lr}"
            )

    def test_lr_range_test_restores_everything_even_when_training_fails(self):
        ex = lab.exercise(3)
        model, opt, batches = self.grouped_finder_setup()
        model_before = copy.deepcopy(model.state_dict())
        opt_before = copy.deepcopy(opt.state_dict())
        calls = []

        def loss_fn(out, target):
            calls.append(1)
            if len(calls) == 6:
                raise RuntimeError("simulated failure in the 6th step (out of memory, a bad batch, Ctrl-C...)")
            return F.mse_loss(out, target)

        with pytest.raises(RuntimeError, match="simulated failure"):
            ex.lr_range_test(model, loss_fn, opt, batches, start_lr=1e-3, end_lr=1.0, num_steps=20)
        self.assert_restored(model, opt, model_before, opt_before, "lr_range_test failed at step 6, and",
                             "restore everything in a `finally:` block, so that an error midway still puts it all back "
                             "(and let the error propagate)")

    @pytest.mark.parametrize("kwargs", [{"start_lr": 1.0, "end_lr": 0.1}, {"start_lr": 0.0, "end_lr": 1.0},
                                        {"start_lr": 0.1, "end_lr": 0.1}, {"num_steps": 1}])
    def test_lr_range_test_rejects_invalid_arguments(self, kwargs):
        ex = lab.exercise(3)
        model, opt, batches = self.finder_setup()
        before = copy.deepcopy(model.state_dict())
        try:
            got = ex.lr_range_test(model, F.mse_loss, opt, batches, **kwargs)
        except ValueError:
            for key, value in model.state_dict().items():
                assert torch.equal(value, before[key]), f"lr_range_test({kwargs}) raised ValueError but changed {key!r} first"
            return
        pytest.fail(f"lr_range_test(..., {', '.join(f'{k}={v}' for k, v in kwargs.items())}) should raise ValueError "
                    f"(it needs 0 < start_lr < end_lr and num_steps >= 2), but returned {len(got[0])} steps")

    def test_suggest_lr_takes_the_first_of_equal_slopes_and_skips_infinite_losses(self):
        ex = lab.exercise(3)
        lrs = [0.25, 0.5, 1.0, 2.0, 4.0]  # powers of 2: every log-difference is exactly log(2)
        losses = [1.0, 0.5, 0.5, 0.0, 0.25]  # pairs 0 and 2 fall equally steeply
        got = ex.suggest_lr(lrs, losses)
        assert got == 0.25, (
            f"suggest_lr({lrs}, {losses}) returned {got!r}; the pairs starting at 0.25 and at 1.0 are equally steep and "
            "the FIRST one wins a tie (replace the best only when a slope is strictly steeper)"
        )
        got = ex.suggest_lr([1e-3, 1e-2, 1e-1, 1.0], [INF, 1.0, 0.8, 0.9])
        assert got == 1e-2, (
            f"suggest_lr([1e-3, 1e-2, 1e-1, 1], [inf, 1.0, 0.8, 0.9]) returned {got!r}; the drop from inf is not a slope "
            "(non-finite losses are never part of the steepest pair), so the answer is 1e-2"
        )

    def test_suggest_lr_picks_the_steepest_descent(self):
        ex = lab.exercise(3)
        lrs = [10 ** (-6 + 0.1 * i) for i in range(71)]
        # falls fastest between 10^-3.1 and 10^-3.0 (centre -3.05), then climbs: the answer is lrs[29]
        losses = [2.0 - math.tanh(2 * (math.log10(lr) + 3.05)) + 0.5 * max(0.0, math.log10(lr) + 1) ** 2 for lr in lrs]
        losses[-1] = float("nan")
        got = ex.suggest_lr(lrs, losses)
        assert isinstance(got, float) and math.isclose(got, lrs[29], rel_tol=1e-12), (
            f"suggest_lr returned {got!r}; the most negative slope of loss against log(lr) starts at lrs[29] = {lrs[29]!r}"
        )
        got = ex.suggest_lr([1e-3, 1e-2, 1e-1, 1.0], [1.0, 0.9, 0.5, 0.45])
        assert math.isclose(got, 1e-2, rel_tol=1e-12), (
            f"suggest_lr([1e-3, 1e-2, 1e-1, 1], [1.0, 0.9, 0.5, 0.45]) returned {got!r}; the steepest drop is from 1e-2 to 1e-1"
        )



# -- ReduceLROnPlateau by hand (3.8) ----------------------------------------------------------
# Metrics at a tie are exact binary fractions (1.0 * (1 - 0.25) = 0.75), so every correct way of
# writing the threshold gives the same comparison.
NAN = float("nan")
PLATEAU_CASES = {
    "ties-and-patience": ("ties at the threshold count as bad epochs; patience=2 reduces on the 3rd bad epoch",
        [1.0, 0.75, 0.75, 0.75, 0.5, 0.5, 0.375, 0.375, 0.375, 0.375, 0.25, 0.25],
        dict(lr=0.1, factor=0.5, patience=2, threshold=0.25)),
    "rel-threshold": ("threshold_mode='rel' compares with best * (1 - threshold), not best - threshold",
        [4.0, 3.8, 3.7, 3.65, 3.5, 3.4, 3.3, 3.2, 3.1, 3.0, 2.9, 2.8],
        dict(lr=0.1, factor=0.5, patience=1, threshold=0.1)),
    "abs-threshold": ("threshold_mode='abs' compares with best - threshold, not best * (1 - threshold)",
        [10.0, 9.75, 9.5, 9.0, 8.75, 8.5, 8.0, 7.9, 7.5, 7.4, 7.3, 7.0],
        dict(lr=0.1, factor=0.5, patience=1, threshold=0.5, threshold_mode="abs")),
    "cooldown": ("cooldown=2: the 2 epochs after a reduction are never bad epochs",
        [1.0] * 14, dict(lr=0.1, factor=0.5, patience=1, cooldown=2)),
    "reset-on-improvement": ("an improvement resets the count of bad epochs",
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25],
        dict(lr=0.1, factor=0.5, patience=2)),
    "reset-after-reduction": ("a reduction resets the count of bad epochs (and keeps the best)",
        [1.0] * 10, dict(lr=0.1, factor=0.5, patience=1)),
    "min-lr": ("min_lr is a floor",[8.0] * 6, dict(lr=1.0, factor=0.1, patience=0, min_lr=0.05)),
    "eps": ("a reduction by eps (1e-8) or less is skipped",[1.0] * 5, dict(lr=1.5e-8, factor=0.1, patience=0)),
    "max-rel": ("mode='max', 'rel': improves above best * (1 + threshold); a tie is a bad epoch",
        [0.5, 0.625, 0.6, 0.75, 0.9, 0.9375, 0.8, 0.9, 1.25, 1.0, 1.0, 1.0],
        dict(lr=0.1, factor=0.5, patience=1, threshold=0.25, mode="max")),
    "max-abs": ("mode='max', 'abs': improves above best + threshold",
        [0.5, 0.625, 0.6, 0.75, 0.8, 0.875, 0.9, 0.95, 1.0, 1.125, 1.0, 1.0],
        dict(lr=0.1, factor=0.5, patience=1, threshold=0.125, threshold_mode="abs", mode="max")),
    "nan": ("a NaN metric is a bad epoch and never becomes the best",
        [1.0, NAN, NAN, 0.5, NAN, 0.25, NAN, NAN, NAN, 0.125],
        dict(lr=0.1, factor=0.5, patience=1)),
    "negative-rel": ("negative metrics in 'rel' mode: best * (1 - threshold) lies above a negative best",
        [-1.0, -0.8, -0.7, -0.6, -0.55, -0.5, -0.45, -0.9, -0.9, -0.9],
        dict(lr=0.1, factor=0.5, patience=1, threshold=0.25)),
    "defaults": ("the defaults (patience 10, threshold 1e-4, factor 0.1) over 80 epochs of a noisy loss",
        [max(0.3, 1.0 - 0.02 * t) + 0.01 * ((7 * t) % 5) for t in range(80)], dict(lr=0.1)),
}


@pytest.mark.exercise(3)
class TestPlateau:
    @pytest.mark.parametrize("case", list(PLATEAU_CASES))
    def test_plateau_lrs_matches_reduce_lr_on_plateau(self, case):
        ex = lab.exercise(3)
        what, metrics, kwargs = PLATEAU_CASES[case]
        kwargs = dict(kwargs)
        lr = kwargs.pop("lr")
        want = lab.reference(3).plateau_scheduler_lrs(metrics, lr, **kwargs)
        call = f"plateau_lrs(metrics, lr={lr}" + "".join(f", {k}={v!r}" for k, v in kwargs.items()) + ")"
        with forbid(*SCHEDULER_SHORTCUTS, **BY_HAND_SCHEDULE):
            got = ex.plateau_lrs(list(metrics), lr, **kwargs)
        assert isinstance(got, list) and len(got) == len(metrics), (
            f"{call} returned {type(got).__name__} of length {len(got) if hasattr(got, '__len__') else '?'}; "
            f"expected a list with one lr per metric ({len(metrics)})"
        )
        for i, (a, b) in enumerate(zip(got, want)):
            assert isinstance(a, float) and math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0), (
                f"{what}. {call}: after epoch {i} (metric {metrics[i]!r}; metrics so far {metrics[:i + 1]}) you give "
                f"lr {a!r}; ReduceLROnPlateau gives {b!r} (its lrs so far: {want[:i + 1]})"
            )

    def test_plateau_lrs_of_no_metrics_is_empty(self):
        ex = lab.exercise(3)
        got = ex.plateau_lrs([], 0.1)
        assert got == [], f"plateau_lrs([], 0.1) returned {got!r}; with no epochs there is no lr to report: []"

    @pytest.mark.parametrize("kwargs", [{"factor": 1.0}, {"factor": 2.0}, {"mode": "maximum"}, {"threshold_mode": "relative"}])
    def test_plateau_lrs_rejects_invalid_arguments(self, kwargs):
        ex = lab.exercise(3)
        try:
            got = ex.plateau_lrs([1.0, 0.5], 0.1, **kwargs)
        except ValueError:
            return
        pytest.fail(f"plateau_lrs([1.0, 0.5], 0.1, {', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) should raise "
                    f"ValueError (factor < 1, mode 'min' or 'max', threshold_mode 'rel' or 'abs'), but returned {got!r}")


# ---------------------------------------------------------------------------------------------
# Exercise 4: clipping, early stopping, checkpoints
# ---------------------------------------------------------------------------------------------

CLIP_SHORTCUTS = (
    "torch.nn.utils.clip_grad_norm_",
    "torch.nn.utils.clip_grad_norm",
    "torch.nn.utils.clip_grads_with_norm_",
    "torch.nn.utils.get_total_norm",
    "torch.nn.utils.clip_grad.clip_grad_norm_",
    "torch.nn.utils.clip_grad.clip_grad_norm",
)
BY_HAND_CLIP = dict(why="Exercise 4.1 asks you to compute the global norm and scale the gradients yourself")


def clip_net(seed: int, scale: float) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4))
    net.frozen = nn.Parameter(torch.randn(3))  # no gradient: must be skipped
    for p in net.parameters():
        if p is not net.frozen:
            p.grad = torch.randn_like(p) * scale
    return net


def tiny_run(model, opt, sched, loader, epochs):
    """A training loop that draws from every random generator: dropout, shuffling, NumPy and Python noise."""
    for _ in epochs:
        model.train()
        for x, y in loader:
            x = x + 0.01 * torch.from_numpy(np.random.randn(*x.shape)).float() * random.random()
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        sched.step()


def tiny_setup(seed: int):
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    X, y = make_spirals(40, n_classes=2, seed=0)
    model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    return model, opt, sched, loader


@pytest.mark.exercise(4)
class TestHealthyTraining:
    @pytest.mark.parametrize("norm_type", [2.0, 1.0, INF, 3.0])
    @pytest.mark.parametrize("max_norm", [0.5, 1e4])
    def test_clip_grad_norm_matches_torch(self, norm_type, max_norm):
        ex = lab.exercise(4)
        mine, ref = clip_net(0, 3.0), clip_net(0, 3.0)
        with forbid(*CLIP_SHORTCUTS, **BY_HAND_CLIP):
            got = ex.clip_grad_norm(mine.parameters(), max_norm, norm_type)  # a generator, as people pass it
        want = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type)
        what = f"clip_grad_norm(model.parameters(), max_norm={max_norm}, norm_type={norm_type})"
        assert isinstance(got, torch.Tensor) and got.dim() == 0, f"{what} returned {got!r}; expected a 0-d tensor"
        close(got, want, f"{what} returned the wrong total norm (the norm of ALL gradients together, before clipping)")
        for (name, p), q in zip(mine.named_parameters(), ref.parameters()):
            if q.grad is None:
                assert p.grad is None, f"{what} gave a gradient to {name!r}, which had none"
                continue
            close(p.grad, q.grad, f"{what}: the gradient of {name!r} after clipping differs from torch's (every gradient "
                  "is multiplied by the SAME factor min(1, max_norm / (total_norm + 1e-6)), with total_norm the norm of "
                  "all gradients together)")

    @pytest.mark.gpu
    @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
    def test_clip_grad_norm_on_cuda_matches_torch(self):
        ex = lab.exercise(4)
        mine, ref = clip_net(0, 3.0).cuda(), clip_net(0, 3.0).cuda()
        with forbid(*CLIP_SHORTCUTS, **BY_HAND_CLIP):
            got = ex.clip_grad_norm(mine.parameters(), 0.5)
        want = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
        close(got, want, "clip_grad_norm of CUDA gradients returned the wrong total norm")
        for (name, p), q in zip(mine.named_parameters(), ref.parameters()):
            if q.grad is not None:
                close(p.grad, q.grad, f"clip_grad_norm of CUDA gradients: {name!r} differs from torch's")

    def test_clip_grad_norm_divides_by_the_norm_plus_1e_minus_6_as_torch_does(self):
        ex = lab.exercise(4)
        g = torch.Generator().manual_seed(2)
        grads = [torch.randn(shape, generator=g, dtype=torch.float64) * 1e-5 for shape in ((5, 6), (5,), (4, 5), (4,))]

        def params():  # float64 parameters whose gradients have a global norm of about 8e-5
            ps = nn.ParameterList([nn.Parameter(torch.zeros_like(gr)) for gr in grads])
            for p, gr in zip(ps, grads):
                p.grad = gr.clone()
            return ps

        mine, ref = params(), params()
        with forbid(*CLIP_SHORTCUTS, **BY_HAND_CLIP):
            got = ex.clip_grad_norm(mine.parameters(), 1e-6)
        want = torch.nn.utils.clip_grad_norm_(ref.parameters(), 1e-6)
        assert 7e-5 < scalar(want) < 9e-5  # the setup itself
        close(got, want, "clip_grad_norm of float64 gradients with a global norm of about 8e-5 returned the wrong norm",
              rtol=1e-12, atol=0.0)
        for (name, p), q in zip(mine.named_parameters(), ref.parameters()):
            if q.grad is not None:
                close(p.grad, q.grad, f"clip_grad_norm(max_norm=1e-6) of gradients with a global norm of about 8e-5: "
                      f"{name!r} differs from torch's. Scale by max_norm / (total_norm + 1e-6), the docstring's formula "
                      "(the 1e-6 matters when the norm is small)", rtol=1e-9, atol=0.0)

    def test_clip_grad_norm_takes_a_single_tensor_and_parameters_without_gradients(self):
        ex = lab.exercise(4)
        w = torch.tensor([3.0, 4.0], requires_grad=True)
        w.grad = torch.tensor([3.0, 4.0])
        with forbid(*CLIP_SHORTCUTS, **BY_HAND_CLIP):
            total = ex.clip_grad_norm(w, 1.0)
        close(scalar(total), 5.0, "clip_grad_norm(w, 1.0) with w.grad = [3, 4] should return 5")
        close(w.grad, torch.tensor([0.6, 0.8]), "clip_grad_norm(w, 1.0) should scale w.grad = [3, 4] to [0.6, 0.8]", rtol=1e-5, atol=1e-6)
        none = [nn.Parameter(torch.ones(3)), nn.Parameter(torch.ones(2))]
        with forbid(*CLIP_SHORTCUTS, **BY_HAND_CLIP):
            total = ex.clip_grad_norm(none, 1.0)
        assert isinstance(total, torch.Tensor) and scalar(total) == 0.0, (
            f"clip_grad_norm over parameters without gradients returned {total!r}; expected tensor(0.)"
        )

    @pytest.mark.parametrize("values,patience,min_delta,mode,want_stop,best,best_step", [
        ([1.0, 0.9, 0.95, 0.91, 0.92], 3, 0.0, "min", [False, False, False, False, True], 0.9, 1),
        ([1.0, 0.995, 0.9905, 0.98], 2, 0.01, "min", [False, False, True, False], 0.98, 3),
        ([0.5, 0.6, 0.6, 0.7, 0.65, 0.64], 2, 0.0, "max", [False, False, False, False, False, True], 0.7, 3),
        ([1.0, float("nan"), 0.5, float("nan"), float("nan")], 2, 0.0, "min", [False, False, False, False, True], 0.5, 2),
        # An equal value is not an improvement (strictly below best - min_delta, or above best + min_delta):
        ([1.0, 0.9, 0.9, 0.9], 2, 0.0, "min", [False, False, False, True], 0.9, 1),
        ([0.5, 0.6, 0.6, 0.6], 2, 0.0, "max", [False, False, False, True], 0.6, 1),
        ([0.5, 1.0, 1.25, 1.5], 2, 0.25, "max", [False, False, False, False], 1.5, 3),  # exact in binary
    ], ids=["patience-3", "min_delta", "mode-max", "nan-never-improves", "tie-min", "tie-max", "min_delta-max"])
    def test_early_stopping(self, values, patience, min_delta, mode, want_stop, best, best_step):
        ex = lab.exercise(4)
        stopper = ex.EarlyStopping(patience=patience, min_delta=min_delta, mode=mode)
        start = INF if mode == "min" else -INF
        assert (stopper.best, stopper.best_step, stopper.bad_steps) == (start, -1, 0), (
            f"a new EarlyStopping(mode={mode!r}) has best={stopper.best}, best_step={stopper.best_step}, bad_steps="
            f"{stopper.bad_steps}; expected best={start}, best_step=-1, bad_steps=0"
        )
        got = [stopper.step(v) for v in values]
        what = f"EarlyStopping(patience={patience}, min_delta={min_delta}, mode={mode!r}) fed {values}"
        assert got == want_stop, f"{what}: step() returned {got}; expected {want_stop}"
        assert stopper.best == best and stopper.best_step == best_step, (
            f"{what}: best={stopper.best}, best_step={stopper.best_step}; expected best={best}, best_step={best_step}"
        )
        bad = len(values) - 1 - best_step
        assert stopper.bad_steps == bad, (
            f"{what}: bad_steps={stopper.bad_steps}; expected {bad}, the calls IN A ROW since the best one "
            "(an improvement resets the count to 0)"
        )

    @pytest.mark.parametrize("kwargs", [{"patience": 0}, {"patience": 2, "min_delta": -0.1}, {"patience": 2, "mode": "lowest"}])
    def test_early_stopping_rejects_invalid_arguments(self, kwargs):
        ex = lab.exercise(4)
        try:
            ex.EarlyStopping(**kwargs)
        except ValueError:
            return
        pytest.fail(f"EarlyStopping({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) should raise ValueError")

    def test_rng_state_round_trips_through_a_weights_only_file(self):
        ex = lab.exercise(4)

        def draw():
            return random.random(), np.random.rand(3).tolist(), np.random.randn(1).tolist(), torch.rand(3).tolist()

        np.random.randn(1)  # leave a cached Gaussian in NumPy's state
        state = ex.get_rng_state()
        first = draw()
        buf = io.BytesIO()
        torch.save(state, buf)
        buf.seek(0)
        try:
            loaded = torch.load(buf, weights_only=True)
        except Exception as err:  # noqa: BLE001 - report what weights_only refused
            pytest.fail(f"torch.load(weights_only=True) refused the get_rng_state() snapshot: {str(err).splitlines()[-1][:300]} "
                        "(only tensors and plain Python values are allowed: convert NumPy arrays to tensors)")
        for snapshot, label in ((state, "the snapshot"), (loaded, "the snapshot saved and loaded back")):
            ex.set_rng_state(snapshot)
            again = draw()
            assert again == first, (
                f"after set_rng_state({label}) the generators drew {again}; at the time of the snapshot they drew {first}"
            )

    def test_checkpoint_file_loads_with_weights_only_and_holds_everything(self, tmp_path):
        ex = lab.exercise(4)
        model, opt, sched, loader = tiny_setup(0)
        tiny_run(model, opt, sched, loader, range(2))
        path = tmp_path / "ckpt" / "latest.pt"
        ex.save_checkpoint(path, model, opt, sched, epoch=2, extra={"best_val": 0.25})
        try:
            ckpt = torch.load(path, weights_only=True)
        except Exception as err:  # noqa: BLE001
            pytest.fail(f"torch.load(path, weights_only=True) refused the checkpoint: {str(err).splitlines()[-1][:300]}")
        keys = {"model", "optimizer", "scheduler", "epoch", "rng", "extra"}
        assert isinstance(ckpt, dict) and keys <= set(ckpt), f"the checkpoint holds {sorted(ckpt)}; expected {sorted(keys)}"
        for key, value in model.state_dict().items():
            assert torch.equal(ckpt["model"][key], value), f"checkpoint['model'][{key!r}] differs from the model's"
        assert ckpt["optimizer"]["state"][0]["exp_avg"].equal(opt.state_dict()["state"][0]["exp_avg"]), (
            "checkpoint['optimizer'] is not the optimizer's state_dict()"
        )
        assert ckpt["scheduler"] == sched.state_dict(), "checkpoint['scheduler'] is not the scheduler's state_dict()"
        assert ckpt["epoch"] == 2 and ckpt["extra"] == {"best_val": 0.25}, (
            f"checkpoint epoch/extra are {ckpt['epoch']!r}/{ckpt['extra']!r}; expected 2/{{'best_val': 0.25}}"
        )

    def test_checkpoint_without_scheduler_or_extra_holds_none_and_an_empty_dict(self, tmp_path):
        ex = lab.exercise(4)
        model, opt, sched, _ = tiny_setup(0)
        path = ex.save_checkpoint(tmp_path / "plain.pt", model, opt, epoch=4)
        assert isinstance(path, Path) and path == tmp_path / "plain.pt", f"save_checkpoint returned {path!r}; expected the path as a Path"
        ckpt = torch.load(path, weights_only=True)
        assert ckpt["scheduler"] is None and ckpt["extra"] == {} and ckpt["epoch"] == 4, (
            f"save_checkpoint(path, model, optimizer, epoch=4) stored scheduler={ckpt['scheduler']!r}, extra={ckpt['extra']!r}, "
            f"epoch={ckpt['epoch']!r}; expected None, {{}} (extra or {{}}) and 4"
        )
        assert set(ckpt["rng"]) == {"python", "numpy", "torch", "cuda"}, (
            f"checkpoint['rng'] holds {sorted(ckpt['rng'])}; get_rng_state() returns the keys python, numpy, torch, cuda"
        )
        lr_before = sched.get_last_lr()
        info = ex.load_checkpoint(path, model, opt, sched)  # the file holds no scheduler: leave the one given alone
        assert info == {"epoch": 4, "extra": {}}, f"load_checkpoint returned {info!r}; expected {{'epoch': 4, 'extra': {{}}}}"
        assert sched.get_last_lr() == lr_before, "load_checkpoint changed the scheduler although the file holds none"

    def test_load_checkpoint_uses_weights_only(self, tmp_path, monkeypatch):
        ex = lab.exercise(4)
        model, opt, sched, _ = tiny_setup(0)
        path = lab.reference(4).save_checkpoint(tmp_path / "c.pt", model, opt, sched, epoch=1)
        calls = []
        real_load = torch.load

        def spy(*args, **kwargs):
            calls.append(kwargs)
            return real_load(*args, **kwargs)

        monkeypatch.setattr(torch, "load", spy)
        info = ex.load_checkpoint(path, model, opt, sched)
        assert calls and all(c.get("weights_only") is True for c in calls), (
            f"load_checkpoint called torch.load with {calls}; pass weights_only=True explicitly (a checkpoint "
            "loaded without it may run arbitrary code, and before PyTorch 2.6 that was the default)"
        )
        calls.clear()
        spy_args = []

        def spy2(*args, **kwargs):
            spy_args.append((args, kwargs))
            return real_load(*args, **kwargs)

        monkeypatch.setattr(torch, "load", spy2)
        ex.load_checkpoint(path, model, opt, sched, map_location="cpu")
        passed = [kw.get("map_location", a[1] if len(a) > 1 else None) for a, kw in spy_args]
        assert passed and all(str(m) == "cpu" for m in passed), (
            f"load_checkpoint(..., map_location='cpu') called torch.load with map_location {passed}; pass it on, "
            "or a checkpoint written on a GPU fails to load on a machine without one"
        )
        assert info.get("epoch") == 1, f"load_checkpoint returned {info!r}; expected 'epoch': 1"

    def test_load_checkpoint_with_restore_rng_false_leaves_the_generators_alone(self, tmp_path):
        ex = lab.exercise(4)
        model, opt, sched, _ = tiny_setup(0)
        path = lab.reference(4).save_checkpoint(tmp_path / "c.pt", model, opt, sched, epoch=1)
        random.seed(99)
        np.random.seed(99)
        torch.manual_seed(99)
        before = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
        ex.load_checkpoint(path, model, opt, sched, restore_rng=False)
        after = (random.getstate(), np.random.get_state()[1], torch.get_rng_state())
        changed = [name for name, a, b in zip(("Python's random", "NumPy's", "torch's"), before, after)
                   if not (a == b if name == "Python's random" else np.array_equal(np.asarray(a), np.asarray(b)))]
        assert not changed, (
            f"load_checkpoint(..., restore_rng=False) changed the state of {', '.join(changed)} generator: restore the "
            "generators only when restore_rng is True"
        )

    def test_an_interrupt_mid_write_removes_the_temporary_file(self, tmp_path, monkeypatch):
        ex = lab.exercise(4)
        model, opt, sched, _ = tiny_setup(0)
        path = tmp_path / "run" / "latest.pt"
        ex.save_checkpoint(path, model, opt, sched, epoch=1)
        real_save = torch.save
        monkeypatch.setattr(torch, "save", save_that_dies_half_way(KeyboardInterrupt("simulated Ctrl-C in the middle of torch.save")))
        with pytest.raises(KeyboardInterrupt):
            ex.save_checkpoint(path, model, opt, sched, epoch=2)
        monkeypatch.setattr(torch, "save", real_save)
        left = sorted(p.name for p in path.parent.iterdir())
        assert left == ["latest.pt"], (
            f"after a Ctrl-C (KeyboardInterrupt) in the middle of save_checkpoint the folder holds {left}; expected only "
            "['latest.pt']: remove the temporary file on ANY failure (`except BaseException:` or `finally:`; a plain "
            "`except Exception:` misses KeyboardInterrupt) and re-raise"
        )
        info = lab.reference(4).load_checkpoint(path, *tiny_setup(5)[:3], restore_rng=False)
        assert info["epoch"] == 1, f"after the interrupt latest.pt holds epoch {info['epoch']}; the old checkpoint has epoch 1"

    def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(self, tmp_path):
        ex = lab.exercise(4)
        model_a, opt_a, sched_a, loader_a = tiny_setup(0)
        tiny_run(model_a, opt_a, sched_a, loader_a, range(6))

        model_b, opt_b, sched_b, loader_b = tiny_setup(0)
        tiny_run(model_b, opt_b, sched_b, loader_b, range(3))
        ex.save_checkpoint(tmp_path / "latest.pt", model_b, opt_b, sched_b, epoch=3)
        # "the process dies": a fresh process builds everything anew, with other seeds
        model_c, opt_c, sched_c, loader_c = tiny_setup(123)
        info = ex.load_checkpoint(tmp_path / "latest.pt", model_c, opt_c, sched_c)
        assert info["epoch"] == 3, f"load_checkpoint returned epoch {info['epoch']!r}; the checkpoint was saved with epoch=3"
        tiny_run(model_c, opt_c, sched_c, loader_c, range(info["epoch"], 6))

        for (name, p), q in zip(model_c.named_parameters(), model_a.parameters()):
            assert torch.equal(p, q), (
                f"after 3 epochs + resume + 3 epochs, parameter {name!r} differs from 6 uninterrupted epochs by up to "
                f"{(p - q).abs().max().item():.2e}: restore the model, optimizer, scheduler AND every random generator "
                "(dropout masks, shuffling, NumPy and Python draws)"
            )
        for idx, state in opt_a.state_dict()["state"].items():
            for key, value in state.items():
                assert torch.equal(torch.as_tensor(opt_c.state_dict()["state"][idx][key]), torch.as_tensor(value)), (
                    f"after resuming, the optimizer's {key!r} for parameter {idx} differs from the uninterrupted run's"
                )
        assert sched_c.get_last_lr() == sched_a.get_last_lr(), (
            f"after resuming, the scheduler's lr is {sched_c.get_last_lr()}; the uninterrupted run has {sched_a.get_last_lr()}"
        )

    @pytest.mark.gpu
    @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
    def test_a_checkpoint_written_on_cuda_loads_on_the_cpu_and_restores_the_cuda_generator(self, tmp_path):
        ex = lab.exercise(4)
        torch.manual_seed(0)
        gpu = nn.Linear(4, 3).cuda()
        opt = torch.optim.Adam(gpu.parameters(), lr=1e-2)
        gpu(torch.randn(8, 4, device="cuda")).square().mean().backward()
        opt.step()
        ex.save_checkpoint(tmp_path / "gpu.pt", gpu, opt, epoch=1)
        after_save = torch.rand(5, device="cuda").cpu()
        cpu = nn.Linear(4, 3)
        cpu_opt = torch.optim.Adam(cpu.parameters(), lr=1e-2)
        ex.load_checkpoint(tmp_path / "gpu.pt", cpu, cpu_opt, map_location="cpu")
        for (name, p), q in zip(cpu.named_parameters(), gpu.parameters()):
            assert p.device.type == "cpu" and torch.equal(p, q.cpu()), f"the CPU model's {name!r} differs from the saved CUDA one"
        state = cpu_opt.state_dict()["state"][0]["exp_avg"]
        assert state.device.type == "cpu", f"the optimizer state loaded for a CPU model lives on {state.device}"
        again = torch.rand(5, device="cuda").cpu()
        assert torch.equal(again, after_save), (
            "after load_checkpoint the CUDA generator draws different numbers than right after the save: restore "
            "torch.cuda's generators too (torch.cuda.set_rng_state_all)"
        )

    def test_a_crash_mid_write_leaves_the_previous_checkpoint_intact(self, tmp_path, monkeypatch):
        ex = lab.exercise(4)
        model, opt, sched, loader = tiny_setup(0)
        path = tmp_path / "run" / "latest.pt"
        ex.save_checkpoint(path, model, opt, sched, epoch=1)
        saved = copy.deepcopy(model.state_dict())
        tiny_run(model, opt, sched, loader, range(1))
        real_save = torch.save
        monkeypatch.setattr(torch, "save", save_that_dies_half_way(
            OSError(28, "No space left on device (simulated crash in the middle of torch.save)")))
        with pytest.raises(OSError):
            ex.save_checkpoint(path, model, opt, sched, epoch=2)
        monkeypatch.setattr(torch, "save", real_save)
        left = sorted(p.name for p in path.parent.iterdir())
        assert left == ["latest.pt"], (
            f"after a crash in the middle of save_checkpoint the folder holds {left}; expected only ['latest.pt'] "
            "(remove the temporary file when the write fails)"
        )
        fresh, fresh_opt, fresh_sched, _ = tiny_setup(5)
        try:
            info = lab.reference(4).load_checkpoint(path, fresh, fresh_opt, fresh_sched)
        except Exception as err:  # noqa: BLE001
            pytest.fail(f"after a crash in the middle of save_checkpoint, latest.pt no longer loads ({type(err).__name__}: "
                        f"{str(err)[:200]}): write to a temporary file in the same folder, then os.replace it over the old one")
        assert info["epoch"] == 1, f"after the crash latest.pt holds epoch {info['epoch']}; the intact old checkpoint has epoch 1"
        for key, value in fresh.state_dict().items():
            assert torch.equal(value, saved[key]), f"after the crash latest.pt holds a different {key!r} than the old checkpoint"

    def test_checkpoint_is_fsynced_then_renamed_within_its_folder(self, tmp_path, monkeypatch):
        ex = lab.exercise(4)
        model, opt, sched, _ = tiny_setup(0)
        events: list[tuple] = []
        real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

        def fsync(fd):
            events.append(("fsync", os.fstat(fd).st_ino))
            return real_fsync(fd)

        def replace(src, dst, *args, **kwargs):
            events.append(("replace", os.stat(src).st_ino, Path(src).resolve().parent, Path(dst).resolve()))
            return real_replace(src, dst, *args, **kwargs)

        def rename(src, dst, *args, **kwargs):
            events.append(("replace", os.stat(src).st_ino, Path(src).resolve().parent, Path(dst).resolve()))
            return real_rename(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "rename", rename)
        path = tmp_path / "latest.pt"
        ex.save_checkpoint(path, model, opt, sched, epoch=0)
        renames = [e for e in events if e[0] == "replace" and e[3] == path.resolve()]
        assert renames, "save_checkpoint never renamed a finished file onto the checkpoint path (os.replace(tmp, path))"
        _, inode, src_dir, _ = renames[-1]
        assert src_dir == path.resolve().parent, (
            f"the temporary file was in {src_dir}, not in the checkpoint's folder {path.parent}: a rename is atomic only "
            "within one file system"
        )
        before = events[: events.index(renames[-1])]
        assert ("fsync", inode) in before, (
            "the temporary file was not fsync'ed before the rename: f.flush(); os.fsync(f.fileno()) puts the bytes on "
            "the disk, otherwise a power cut can leave the renamed file empty"
        )


@pytest.mark.exercise(4)
class TestUpdateToParamRatio:
    @staticmethod
    def scripted_model():
        model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor([[3.0, 0.0], [0.0, 4.0]]))  # norm 5
            model[0].bias.zero_()                                          # norm 0
            model[2].weight.copy_(torch.tensor([[1.0, -1.0]]))
            model[2].bias.fill_(2.0)
        return model

    def test_measures_the_actual_move_in_place_relative_to_the_size_before(self):
        ex = lab.exercise(4)
        model = self.scripted_model()
        calls = []

        def step():  # a scripted "optimizer step", in place like every torch.optim step
            calls.append(1)
            with torch.no_grad():
                model[0].weight.add_(torch.tensor([[0.03, 0.0], [0.0, 0.04]]))  # moves by 0.05: ratio 0.05 / 5 = 0.01
                model[0].bias.add_(torch.tensor([0.5, 0.0]))                    # from zero: inf
                model[2].bias.mul_(1.5)                                         # 2 -> 3: ratio 0.5
                # model[2].weight does not move: 0.0

        got = ex.update_to_param_ratio(model, step)
        assert len(calls) == 1, f"update_to_param_ratio called step_fn {len(calls)} times; it must take exactly one step"
        want = {"0.weight": 0.01, "0.bias": math.inf, "2.weight": 0.0, "2.bias": 0.5}
        assert isinstance(got, dict) and set(got) == set(want), (
            f"update_to_param_ratio returned the keys {sorted(got) if isinstance(got, dict) else got!r}; expected the "
            f"names of model.named_parameters(), {sorted(want)}"
        )
        for name, value in want.items():
            assert isinstance(got[name], float), f"update_to_param_ratio(...)[{name!r}] is a {type(got[name]).__name__}; expected a Python float"
            assert got[name] == value or math.isclose(got[name], value, rel_tol=1e-6), (
                f"update_to_param_ratio(...)[{name!r}] is {got[name]!r}; expected {value!r} (||p_after - p_before|| / "
                "||p_before||, 2-norms over the whole tensor, the size taken BEFORE the step; 0.0 for a parameter that "
                "did not move, inf for one that moved away from all zeros). A ratio of 0 everywhere means the snapshot "
                "shared memory with the parameters (clone it)"
            )

    def test_matches_a_real_adam_step(self):
        ex = lab.exercise(4)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()

        twin = copy.deepcopy(model)
        twin_opt = torch.optim.Adam(twin.parameters(), lr=1e-3)
        before = {n: p.detach().clone() for n, p in twin.named_parameters()}
        twin_opt.zero_grad()
        F.cross_entropy(twin(x), y).backward()
        twin_opt.step()
        want = {n: ((p.detach() - before[n]).norm() / before[n].norm()).item() for n, p in twin.named_parameters()}
        got = ex.update_to_param_ratio(model, step)
        for name, value in want.items():
            assert math.isclose(got[name], value, rel_tol=1e-5), (
                f"after one Adam(lr=1e-3) step, update_to_param_ratio(...)[{name!r}] is {got[name]!r}; the parameter moved "
                f"by {value!r} of its size (measure the actual change of the parameter, not lr * grad: Adam's step is "
                "not the gradient)"
            )


# ---------------------------------------------------------------------------------------------
# Exercise 5: losses
# ---------------------------------------------------------------------------------------------

LOSS_SHORTCUTS = (
    "torch.logsumexp",
    "torch.Tensor.logsumexp",
    "torch.special.logsumexp",
    "torch.log_softmax",
    "torch.Tensor.log_softmax",
    "torch.special.log_softmax",
    "torch.nn.functional.log_softmax",
    "torch.nn.functional.cross_entropy",
    "torch.nn.functional.nll_loss",
    "torch.nn.functional.binary_cross_entropy",
    "torch.nn.functional.binary_cross_entropy_with_logits",
    "torch.nn.functional.softplus",
    "torch.nn.functional.logsigmoid",
    "torch.nn.functional.mse_loss",
    "torch.nn.functional.l1_loss",
    "torch.nn.functional.huber_loss",
    "torch.nn.functional.smooth_l1_loss",
)
# the operators behind them too, so that torch.ops.aten.*, torch._C._nn.* or a module cannot walk around the traps
LOSS_SHORTCUTS += tuple(f"aten.{op}" for op in (
    "logsumexp", "_log_softmax", "nll_loss_forward", "nll_loss2d_forward", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "softplus", "log_sigmoid_forward", "mse_loss", "huber_loss", "smooth_l1_loss",
))
BY_HAND_LOSS = dict(why="Exercise 5 asks you to write the loss (and its log-sum-exp) yourself")


def value_and_grad(fn, *inputs):
    """fn(*inputs) and the gradient of its sum with respect to the first input."""
    x = inputs[0].detach().clone().requires_grad_(True)
    out = fn(x, *inputs[1:])
    (g,) = torch.autograd.grad(out.sum(), x)
    return out.detach(), g


def compare_loss(mine, ref, inputs, what: str, **tol) -> None:
    with forbid(*LOSS_SHORTCUTS, **BY_HAND_LOSS):
        got, got_grad = value_and_grad(mine, *inputs)
    want, want_grad = value_and_grad(ref, *inputs)
    assert torch.isfinite(got).all() and torch.isfinite(got_grad).all(), (
        f"{what} gave a non-finite value or gradient: {got.flatten()[:4].tolist()} (torch: {want.flatten()[:4].tolist()})"
    )
    close(got, want, f"{what}: the value differs from torch's", **tol)
    close(got_grad, want_grad, f"{what}: the gradient differs from torch's", **tol)


@pytest.mark.exercise(5)
class TestLosses:
    def test_logsumexp_matches_torch_on_random_shapes_and_huge_values(self):
        ex = lab.exercise(5)
        rng = random.Random(0)
        for trial in range(12):
            shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 3)))
            dim = rng.randrange(-len(shape), len(shape))
            keepdim = bool(trial % 2)
            scale = [1.0, 100.0, 1e4][trial % 3]
            x = torch.randn(shape, dtype=torch.float64) * scale
            compare_loss(lambda t: ex.logsumexp(t, dim, keepdim), lambda t: torch.logsumexp(t, dim, keepdim), (x,),
                         f"logsumexp(x of shape {shape} with entries of size ~{scale:g}, dim={dim}, keepdim={keepdim})")

    def test_logsumexp_handles_minus_infinity_entries(self):
        ex = lab.exercise(5)
        x = torch.tensor([[0.0, -INF, 1.0], [-INF, -INF, -INF], [1000.0, 1001.0, 1002.0]])
        with forbid(*LOSS_SHORTCUTS, **BY_HAND_LOSS):
            got = ex.logsumexp(x, dim=1)
        want = torch.logsumexp(x, dim=1)
        assert not torch.isnan(got).any(), (
            f"logsumexp of rows [0, -inf, 1], [-inf, -inf, -inf], [1000, 1001, 1002] gave {got.tolist()}: an all -inf row "
            "must give -inf, not NaN (max is -inf there, and -inf - (-inf) is NaN)"
        )
        close(got, want, "logsumexp of rows [0, -inf, 1], [-inf, -inf, -inf], [1000, 1001, 1002]")

    def test_logsumexp_of_a_non_contiguous_view_leaves_its_input_unchanged(self):
        ex = lab.exercise(5)
        base = torch.randn(6, 10, dtype=torch.float64) * 300
        x = base.t()[::2]  # a (5, 6) strided view into base
        kept = base.clone()
        with forbid(*LOSS_SHORTCUTS, **BY_HAND_LOSS):
            got = ex.logsumexp(x, dim=0)
        assert torch.equal(base, kept), (
            "logsumexp changed its input (x - max computed in place?): it must leave the caller's tensor as it was"
        )
        close(got, torch.logsumexp(x, 0), "logsumexp(x, dim=0) of a non-contiguous view (x = base.t()[::2]) differs from torch's")

    @pytest.mark.parametrize("call", ["huber(a, b, delta=0.0)", "huber(a, b, delta=-1.0)",
                                      "cross_entropy(z, t, label_smoothing=1.5)", "cross_entropy(z, t, label_smoothing=-0.1)"])
    def test_losses_reject_invalid_arguments(self, call):
        ex = lab.exercise(5)
        a, b = torch.randn(4, 3), torch.randn(4, 3)
        z, t = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
        try:
            got = eval("ex." + call, {"ex": ex, "a": a, "b": b, "z": z, "t": t})  # noqa: S307 - a fixed list of calls
        except ValueError:
            return
        pytest.fail(f"{call} should raise ValueError (huber needs delta > 0, cross_entropy label_smoothing in [0, 1]), "
                    f"but returned {got!r}")

    @pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5, 1.0])
    @pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
    def test_cross_entropy_matches_torch(self, label_smoothing, dtype):
        ex = lab.exercise(5)
        for n, c in [(1, 2), (8, 5), (33, 17)]:
            logits = torch.randn(n, c, dtype=dtype) * 3
            target = torch.randint(0, c, (n,))
            compare_loss(lambda t, y: ex.cross_entropy(t, y, label_smoothing),
                         lambda t, y: F.cross_entropy(t, y, label_smoothing=label_smoothing), (logits, target),
                         f"cross_entropy(logits {n}x{c} {dtype}, target, label_smoothing={label_smoothing})")

    @pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
    def test_cross_entropy_stays_finite_for_logits_of_ten_thousand(self, label_smoothing):
        ex = lab.exercise(5)
        logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [0.0, 0.0, 0.0]])
        target = torch.tensor([1, 2, 0, 1])  # includes a target whose logit is 2e4 below the top one
        compare_loss(lambda t, y: ex.cross_entropy(t, y, label_smoothing),
                     lambda t, y: F.cross_entropy(t, y, label_smoothing=label_smoothing), (logits, target),
                     f"cross_entropy(logits of +-1e4, label_smoothing={label_smoothing})")

    def test_binary_cross_entropy_with_logits_matches_torch(self):
        ex = lab.exercise(5)
        logits = torch.randn(16, 3, dtype=torch.float64) * 4
        hard = torch.randint(0, 2, (16, 3)).double()
        soft = torch.rand(16, 3, dtype=torch.float64)
        for target, label in ((hard, "0/1 targets"), (soft, "soft targets in [0, 1]")):
            compare_loss(ex.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, (logits, target),
                         f"binary_cross_entropy_with_logits(logits 16x3, {label})")
        for pos_weight in (torch.tensor(3.0, dtype=torch.float64), torch.tensor([0.5, 1.0, 4.0], dtype=torch.float64)):
            compare_loss(lambda t, y: ex.binary_cross_entropy_with_logits(t, y, pos_weight=pos_weight),
                         lambda t, y: F.binary_cross_entropy_with_logits(t, y, pos_weight=pos_weight), (logits, soft),
                         f"binary_cross_entropy_with_logits(logits 16x3, soft targets, pos_weight={pos_weight.tolist()})")

    def test_binary_cross_entropy_with_logits_at_extreme_and_zero_logits(self):
        ex = lab.exercise(5)
        logits = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0, 0.0, 0.0, 30.0, -30.0])
        target = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.0, 1.0])
        compare_loss(ex.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, (logits, target),
                     "binary_cross_entropy_with_logits at logits +-1e4, +-30 and exactly 0 (the gradient at 0 is "
                     "sigmoid(0) - y = 0.5 - y)")
        pw = torch.tensor(2.0)
        compare_loss(lambda t, y: ex.binary_cross_entropy_with_logits(t, y, pos_weight=pw),
                     lambda t, y: F.binary_cross_entropy_with_logits(t, y, pos_weight=pw), (logits, target),
                     "binary_cross_entropy_with_logits at logits +-1e4, +-30 and exactly 0, pos_weight=2")

    def test_mse_l1_huber_match_torch(self):
        ex = lab.exercise(5)
        pred = torch.randn(20, 3, dtype=torch.float64) * 2
        target = torch.randn(20, 3, dtype=torch.float64)
        target[0] = pred[0]  # exact ties: L1's gradient there is 0 in torch
        compare_loss(ex.mse, F.mse_loss, (pred, target), "mse(pred 20x3, target)")
        compare_loss(ex.l1, F.l1_loss, (pred, target), "l1(pred 20x3, target), with some pred == target exactly")
        for delta in (0.1, 1.0, 3.0):
            t = target.clone()
            t[1] = pred[1] - delta  # residuals exactly at +-delta
            t[2] = pred[2] + delta
            compare_loss(lambda a, b: ex.huber(a, b, delta), lambda a, b: F.huber_loss(a, b, delta=delta), (pred, t),
                         f"huber(pred 20x3, target, delta={delta}), with residuals of exactly +-delta and 0")
        big = torch.tensor([1e4, -1e4, 0.5])
        compare_loss(ex.huber, F.huber_loss, (big, torch.zeros(3)), "huber at residuals of +-1e4 and 0.5")

    @pytest.mark.parametrize("name", ["mse", "l1", "huber", "binary_cross_entropy_with_logits"])
    def test_losses_refuse_mismatched_shapes_instead_of_broadcasting(self, name):
        ex = lab.exercise(5)
        pred, target = torch.randn(8, 1), torch.rand(8)
        try:
            got = getattr(ex, name)(pred, target)
        except ValueError:
            return
        pytest.fail(f"{name}(input of shape (8, 1), target of shape (8,)) returned {got!r}; it should raise ValueError "
                    "(broadcasting pairs every prediction with every target: a (8, 8) loss, silently wrong)")
