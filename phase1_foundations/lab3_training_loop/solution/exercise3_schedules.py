"""Exercise 3: learning-rate schedules, and a learning-rate range finder.

A schedule here is a plain function of the step number: ``lr = schedule(step, ...)``. That
makes it easy to test, to plot and to reason about; to drive an optimizer with it, wrap it in
``torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: schedule(step, ...) / base_lr)``
(LambdaLR multiplies the base learning rate by what the lambda returns). Each schedule has a
``torch.optim.lr_scheduler`` twin, and must give the same learning rate at every step:

    step_decay_lr      StepLR
    warmup_cosine_lr   SequentialLR(LinearLR, CosineAnnealingLR)
    one_cycle_lr       OneCycleLR
    multistep_lr       MultiStepLR
    cosine_warm_restarts_lr   CosineAnnealingWarmRestarts (SGDR)

One schedule is not a function of the step: ``plateau_lrs`` follows a validation metric, as
``ReduceLROnPlateau`` does, and gives the learning rate after each epoch's ``step(metric)``.

The range finder answers "which learning rate?" empirically. Smith (2017) introduced the idea
(his "LR range test" raises the lr linearly over a few epochs and reads off where the accuracy
starts to rise and where it stalls); the version here is the one fastai's ``lr_find`` made
common: the lr grows exponentially for a few hundred steps, the loss is smoothed, and the run
stops once it blows up.

Run the checks with:  make test-lab LAB=phase1_foundations/lab3_training_loop EX=3
"""
from __future__ import annotations

import bisect
import copy
import itertools
import math
import warnings
from typing import Callable, Iterable, Sequence

import torch
from torch import nn



def scheduler_lrs(make_scheduler: Callable[[torch.optim.Optimizer], object], steps: int, base_lr: float = 0.1) -> list[float]:
    """The learning rate a ``torch.optim.lr_scheduler`` gives at steps 0 .. steps-1 (given, not an exercise).

    ``make_scheduler(optimizer)`` builds the scheduler around a one-parameter SGD with ``lr=base_lr``;
    the scheduler is stepped after each optimizer step, as in a training loop. Use it to compare your
    schedules with PyTorch's step by step.
    """
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=base_lr)
    sched = make_scheduler(opt)
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # OneCycleLR and friends warn about details irrelevant here
        for t in range(steps):
            lrs.append(sched.get_last_lr()[0])
            opt.step()
            if t < steps - 1:
                sched.step()
    return lrs


def plateau_scheduler_lrs(metrics: Sequence[float], lr: float, **kwargs) -> list[float]:
    """The lr after each ``ReduceLROnPlateau.step(metric)`` (given, not an exercise).

    Builds ``torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)`` around a one-parameter
    SGD with ``lr``, steps it once per metric (after an optimizer step, as in a training loop) and
    records the lr after each step. Use it to compare your ``plateau_lrs`` with PyTorch's.
    """
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for metric in metrics:
            opt.step()
            sched.step(metric)
            lrs.append(float(opt.param_groups[0]["lr"]))
    return lrs


def step_decay_lr(step: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """Learning rate at ``step`` (0, 1, 2, ...) when it is multiplied by ``gamma`` every ``step_size`` steps.

    Steps 0 .. step_size-1 use base_lr, the next step_size steps base_lr * gamma, and so on
    (``torch.optim.lr_scheduler.StepLR``). Raises ValueError for step_size < 1.
    """
    # BEGIN SOLUTION
    # TODO: how many whole decay periods have passed by this step? Integer division.
    if step_size < 1:
        raise ValueError(f"step_size must be at least 1, got {step_size}")
    return base_lr * gamma ** (step // step_size)
    # END SOLUTION


def warmup_cosine_lr(
    step: int,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    warmup_start_factor: float = 0.01,
    min_lr: float = 0.0,
) -> float:
    """Linear warm-up from ``base_lr * warmup_start_factor`` to ``base_lr``, then cosine decay to ``min_lr``.

    W = warmup_steps, T = total_steps, s0 = warmup_start_factor:
        step < W:       base_lr * (s0 + (1 - s0) * step / W)
        W <= step < T:  half a cosine period from base_lr (at step W) down towards min_lr
        step >= T:      min_lr
    Same values as SequentialLR([LinearLR(opt, s0, 1.0, total_iters=W),
    CosineAnnealingLR(opt, T_max=T - W, eta_min=min_lr)], milestones=[W]) for W >= 1, and as the
    CosineAnnealingLR alone for W = 0. s0 = 0 (a warm-up from exactly 0, the usual convention in
    language-model training code) is allowed: the lr at step 0 is then 0.0 (LinearLR itself needs
    s0 > 0, so compare it from step 1, or with a tiny positive s0).
    Raises ValueError unless 0 <= W < T and 0 <= s0 <= 1.
    """
    # BEGIN SOLUTION
    # TODO: three cases by step: the warm-up line of the docstring, the cosine part, min_lr from T on.
    # TODO: in the cosine part, measure how far through it the step is (0 to 1), and turn half a
    # TODO: cosine period into a weight going from 1 to 0 that blends base_lr into min_lr.
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got {warmup_steps} and {total_steps}")
    if not 0.0 <= warmup_start_factor <= 1.0:
        raise ValueError(f"warmup_start_factor must be in [0, 1], got {warmup_start_factor}")
    if step < warmup_steps:
        return base_lr * (warmup_start_factor + (1.0 - warmup_start_factor) * step / warmup_steps)
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0
    # END SOLUTION


def one_cycle_lr(
    step: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal_strategy: str = "cos",
) -> float:
    """The one-cycle policy (Smith and Topin, 2017), as ``torch.optim.lr_scheduler.OneCycleLR``.

    The learning rate rises from initial_lr = max_lr / div_factor to max_lr, then falls to
    min_lr = initial_lr / final_div_factor, over steps 0 .. total_steps - 1:
        phase 1 runs from step 0 to step e1 = pct_start * total_steps - 1 (a float),
        phase 2 from step e1 to step e2 = total_steps - 1,
    and within a phase from ``start`` to ``end`` at fraction pct of the way through it:
        "cos":     end + (start - end) * (1 + cos(pi * pct)) / 2
        "linear":  start + (end - start) * pct
    A step belongs to phase 1 when step <= e1. Raises ValueError for an anneal_strategy other
    than "cos" or "linear", or a step outside 0 .. total_steps - 1.
    """
    # BEGIN SOLUTION
    # TODO: compute initial_lr, min_lr, e1 (a float, not rounded) and e2 first, then pick the phase.
    # TODO: pct is how far the step is through its OWN phase: 0 at the phase's first step, 1 at its
    # TODO: last. Both anneal formulas move from start (pct = 0) to end (pct = 1).
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
    if not 0 <= step < total_steps:
        raise ValueError(f"step {step} is outside 0 .. {total_steps - 1}")
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    end1 = float(pct_start * total_steps) - 1
    end2 = float(total_steps - 1)
    if step <= end1:
        start, end, pct = initial_lr, max_lr, step / end1
    else:
        start, end, pct = max_lr, min_lr, (step - end1) / (end2 - end1)
    if anneal_strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start
    # END SOLUTION


def lr_range_test(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    smoothing: float = 0.98,
    diverge_factor: float = 4.0,
) -> tuple[list[float], list[float]]:
    """The learning-rate range test: train while the lr grows geometrically, record the smoothed loss.

    Step i = 0 .. num_steps - 1 sets the lr of every param group to
        lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1)),
    takes the next (x, y) of ``batches`` (starting over from the first batch when they run
    out), and takes one training step (model in training mode, gradients cleared, loss_fn(model(x), y)
    backpropagated, optimizer.step()). With L_i that step's loss (before its update) and
    beta = ``smoothing``, the recorded loss is the bias-corrected moving average
        a_i = beta * a_{i-1} + (1 - beta) * L_i   (a_{-1} = 0),     s_i = a_i / (1 - beta ** (i + 1)).
    After recording step i, stop early if s_i is not finite or s_i > diverge_factor * min(s_0 .. s_i).
    On return the model (parameters, buffers, training mode) and the optimizer (its state and
    every group's lr) are exactly as they were before the call.
    Returns (lrs, smoothed losses), two lists of Python floats of equal length (<= num_steps).
    Raises ValueError unless 0 < start_lr < end_lr and num_steps >= 2.
    """
    # BEGIN SOLUTION
    # TODO: snapshot the model, the optimizer and the training mode first. A state_dict holds
    # TODO: REFERENCES to the live tensors: training would change such a "copy" (the copy module helps).
    # TODO: restore in a `finally:` block, so a crash midway still leaves everything as it was.
    # TODO: when the batches run out, start over (itertools has a tool for it).
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2, got {num_steps}")
    model_state = copy.deepcopy(model.state_dict())
    optim_state = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    device = next(iter(model.parameters())).device
    lrs: list[float] = []
    losses: list[float] = []
    avg, best = 0.0, math.inf
    try:
        model.train()
        stream = itertools.cycle(batches)
        for i in range(num_steps):
            lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = next(stream)
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            avg = smoothing * avg + (1 - smoothing) * loss.item()
            smoothed = avg / (1 - smoothing ** (i + 1))
            lrs.append(lr)
            losses.append(smoothed)
            best = min(best, smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge_factor * best:
                break
    finally:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optim_state)
        model.train(was_training)
    return lrs, losses
    # END SOLUTION


def suggest_lr(lrs: Sequence[float], losses: Sequence[float]) -> float:
    """The learning rate where the loss falls fastest against log(lr).

    For each pair of neighbours i, i + 1 the slope is
    (losses[i+1] - losses[i]) / (log(lrs[i+1]) - log(lrs[i])); returns lrs[i] for the most
    negative slope (the first one on a tie). Non-finite losses are never part of the
    steepest pair. Raises ValueError with fewer than 2 points or unequal lengths.
    """
    # BEGIN SOLUTION
    # TODO: scan the neighbouring pairs, keeping the most negative slope seen so far (replace it only
    # TODO: when strictly steeper, so the first wins a tie); skip pairs with a non-finite loss.
    if len(lrs) != len(losses):
        raise ValueError(f"lrs and losses differ in length: {len(lrs)} and {len(losses)}")
    if len(lrs) < 2:
        raise ValueError("need at least 2 points to measure a slope")
    best_i, best_slope = None, math.inf
    for i in range(len(lrs) - 1):
        if not (math.isfinite(losses[i]) and math.isfinite(losses[i + 1])):
            continue
        slope = (losses[i + 1] - losses[i]) / (math.log(lrs[i + 1]) - math.log(lrs[i]))
        if slope < best_slope:
            best_i, best_slope = i, slope
    if best_i is None:
        raise ValueError("no two neighbouring finite losses")
    return float(lrs[best_i])
    # END SOLUTION


def multistep_lr(step: int, base_lr: float, milestones: Sequence[int], gamma: float = 0.1) -> float:
    """Learning rate at ``step`` when it is multiplied by ``gamma`` at each of the ``milestones``.

    The lr is base_lr * gamma ** k, with k the number of milestones m <= step (a milestone that
    appears twice counts twice; the milestones may come in any order), as
    ``torch.optim.lr_scheduler.MultiStepLR``: at step m itself the lr is already the decayed one.
    """
    # BEGIN SOLUTION
    # TODO: count the milestones that have been reached by this step (the bisect module counts in a
    # TODO: sorted list); a milestone equal to the step has been reached.
    return base_lr * gamma ** bisect.bisect_right(sorted(milestones), step)
    # END SOLUTION


def cosine_warm_restarts_lr(step: int, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> float:
    """SGDR (Loshchilov and Hutter, 2017): cosine decays from base_lr towards eta_min, restarted again and again.

    The first period lasts T_0 steps, each next one T_mult times longer (T_0, T_0 * T_mult, ...).
    With T_cur the steps since the last restart and T_i the current period's length:
        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2
    so the lr is base_lr at every restart (T_cur = 0), as
    ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`` stepped once per step.
    Raises ValueError for T_0 < 1 or T_mult < 1.
    """
    # BEGIN SOLUTION
    # TODO: find which period the step is in, and how far into it: walk the periods, subtracting
    # TODO: each length from the step until what is left is shorter than the current period.
    # TODO: integers only here: a logarithm finds the period too, but rounds wrongly at the restarts.
    if T_0 < 1 or T_mult < 1:
        raise ValueError(f"need T_0 >= 1 and T_mult >= 1, got {T_0} and {T_mult}")
    t_cur, t_i = step, T_0
    while t_cur >= t_i:
        t_cur -= t_i
        t_i *= T_mult
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * t_cur / t_i)) / 2.0
    # END SOLUTION


def plateau_lrs(
    metrics: Sequence[float],
    lr: float,
    factor: float = 0.1,
    patience: int = 10,
    threshold: float = 1e-4,
    threshold_mode: str = "rel",
    mode: str = "min",
    cooldown: int = 0,
    min_lr: float = 0.0,
    eps: float = 1e-8,
) -> list[float]:
    """The learning rate after each epoch of ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    ``metrics[i]`` is epoch i's validation metric, passed to ``step(metric)``; the lr starts at ``lr``.
    A metric *improves* on the best so far (best starts at +inf for mode "min", -inf for "max") when
        "min", "rel":  metric < best * (1 - threshold)      "min", "abs":  metric < best - threshold
        "max", "rel":  metric > best * (1 + threshold)      "max", "abs":  metric > best + threshold
    and then becomes the best; any other metric (one exactly at the threshold, a NaN) is a bad epoch.
    When the number of bad epochs in a row exceeds ``patience``, the lr becomes max(lr * factor, min_lr)
    (left unchanged if that would lower it by ``eps`` or less), the count starts again from 0 and the
    best is kept. The ``cooldown`` epochs right after a reduction never count as bad epochs.
    Returns one Python float per metric: the lr once that epoch's step is done.
    Raises ValueError for factor >= 1, a mode other than "min"/"max", or a threshold_mode other
    than "rel"/"abs".
    """
    # BEGIN SOLUTION
    # TODO: three numbers carry over from epoch to epoch: the best metric, the bad epochs in a row,
    # TODO: and the cooldown epochs still to go. Each epoch: is it an improvement? then the cooldown,
    # TODO: then "more than patience bad epochs?": patience=2 tolerates 2 and reduces on the 3rd.
    if factor >= 1.0:
        raise ValueError(f"factor must be below 1, got {factor}")
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
    best = math.inf if mode == "min" else -math.inf
    num_bad, cooldown_left = 0, 0
    lrs: list[float] = []
    for metric in metrics:
        current = float(metric)
        if mode == "min":
            bar = best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold
            improved = current < bar
        else:
            bar = best * (1.0 + threshold) if threshold_mode == "rel" else best + threshold
            improved = current > bar
        if improved:
            best, num_bad = current, 0
        else:
            num_bad += 1
        if cooldown_left > 0:
            cooldown_left -= 1
            num_bad = 0  # an epoch in the cooldown is never a bad epoch
        if num_bad > patience:
            new_lr = max(lr * factor, min_lr)
            if lr - new_lr > eps:
                lr = new_lr
            cooldown_left, num_bad = cooldown, 0
        lrs.append(float(lr))
    return lrs
    # END SOLUTION
