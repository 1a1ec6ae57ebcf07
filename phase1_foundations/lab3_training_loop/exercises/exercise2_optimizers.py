# Exercise stub generated from solution/exercise2_optimizers.py by `make stubs` [fingerprint f7b30f8c4eee]
"""Exercise 2: optimizers from their papers: SGD (momentum, Nesterov), RMSprop, Adam, AdamW, Lion.

Each optimizer is a ``torch.optim.Optimizer`` subclass, so everything built on that class works
with yours unchanged: ``zero_grad``, ``param_groups`` with their own hyperparameters,
``state_dict``/``load_state_dict`` for checkpoints, and every ``torch.optim.lr_scheduler``.
Two rules make that work:

* read every hyperparameter from the param GROUP, never from ``self.defaults`` (a scheduler
  writes ``group["lr"]``, and groups may differ: no weight decay on biases, a smaller lr for a
  pretrained backbone);
* keep every per-parameter buffer in ``self.state[p]`` (a dict per parameter), under the same
  names as torch.optim, so ``state_dict()`` saves it and a checkpoint written by torch.optim
  resumes with your optimizer.

Your optimizers are graded by running them beside torch.optim's on the same model and data for
many steps: the parameters must stay equal. Lion has no torch.optim twin: it is graded against
the update rule of its paper, written out in the test.

Run the checks with:  make test-lab LAB=phase1_foundations/lab3_training_loop EX=2
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Union

import torch

Params = Union[Iterable[torch.Tensor], Iterable[dict[str, Any]]]


class SGD(torch.optim.Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov.

    Same arguments, defaults, update and state as ``torch.optim.SGD``. Per parameter p with
    gradient g, learning rate lr, momentum mu, dampening tau, weight decay lambda:
        g <- g + lambda * p
        b <- g                               on the first step (no dampening on the first step)
        b <- mu * b + (1 - tau) * g          afterwards
        d <- g + mu * b  if nesterov  else  b           (d = g when mu = 0: no buffer at all)
        p <- p - lr * d
    State: ``self.state[p]["momentum_buffer"]`` (only when mu != 0).
    Raises ValueError for lr < 0, momentum < 0, weight_decay < 0, or nesterov without
    momentum > 0 and dampening == 0.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        # TODO: validate the arguments (ValueError with a message naming the bad one), then let the
        # TODO: torch.optim.Optimizer base class do the rest from a dict of every hyperparameter: it
        # TODO: builds self.param_groups (missing keys filled from those defaults) and self.state.
        raise NotImplementedError("Exercise 2.1: implement SGD.__init__")

    @torch.no_grad()  # the update must not be recorded by autograd
    def step(self, closure: Optional[Callable[[], torch.Tensor]] = None) -> Optional[torch.Tensor]:
        """Update every parameter that has a gradient (skip those whose ``.grad`` is None).

        closure: optional function that clears the gradients, recomputes the loss, calls
        backward and returns the loss; the step then uses those gradients and returns that loss.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # TODO: every hyperparameter comes from the param group; skip parameters without a gradient.
        # TODO: apply the docstring's update; weight decay must make a new tensor, never change p.grad.
        # TODO: the buffer lives in self.state[p]["momentum_buffer"]: its first value is an undampened
        # TODO: copy of g, later values are updated in place so the state keeps them.
        raise NotImplementedError("Exercise 2.2: implement SGD.step")
        return loss


class RMSprop(torch.optim.Optimizer):
    """RMSprop (Hinton's lecture 6e) with optional weight decay and momentum.

    Same arguments, defaults, update and state as ``torch.optim.RMSprop`` (centered=False).
    Per parameter p with gradient g, learning rate lr, smoothing alpha, weight decay lambda,
    momentum mu; v and b start at zero:
        g <- g + lambda * p
        v <- alpha * v + (1 - alpha) * g^2
        u <- g / (sqrt(v) + eps)
        b <- mu * b + u;  p <- p - lr * b        if mu > 0
        p <- p - lr * u                          otherwise
    State: ``self.state[p]``: "step" (number of updates so far), "square_avg" (v) and, when
    mu > 0, "momentum_buffer" (b).
    Raises ValueError for lr < 0, eps < 0, alpha < 0, momentum < 0 or weight_decay < 0.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
    ):
        # TODO: as in SGD: validate (every argument must be >= 0), then hand the defaults to the base class.
        raise NotImplementedError("Exercise 2.3: implement RMSprop.__init__")

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], torch.Tensor]] = None) -> Optional[torch.Tensor]:
        """Update every parameter that has a gradient; ``closure`` as in :meth:`SGD.step`."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # TODO: create the state the first time a parameter has a gradient, under the docstring's names
        # TODO: ("momentum_buffer" only when momentum > 0), and count "step".
        # TODO: follow the docstring's equations with in-place ops (addcmul_ and addcdiv_ fit them);
        # TODO: eps is added after the square root.
        raise NotImplementedError("Exercise 2.4: implement RMSprop.step")
        return loss


class Adam(torch.optim.Optimizer):
    """Adam (Kingma and Ba, 2014) with bias correction and L2 weight decay.

    Same arguments, defaults, update and state as ``torch.optim.Adam`` (amsgrad=False).
    Per parameter p with gradient g, learning rate lr, betas (b1, b2), weight decay lambda; m and
    v start at zero and t counts this parameter's updates (1 on the first):
        g <- g + lambda * p                   (L2 penalty: the decay passes through m and v)
        m <- b1 * m + (1 - b1) * g
        v <- b2 * v + (1 - b2) * g^2
        m_hat = m / (1 - b1^t),   v_hat = v / (1 - b2^t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    When the class attribute ``decoupled_weight_decay`` is True (as in :class:`AdamW`), the
    decay is applied to the parameter directly instead, BEFORE the moments are updated, and g is
    left alone:
        p <- p * (1 - lr * lambda)
    State: ``self.state[p]``: "step" (t), "exp_avg" (m), "exp_avg_sq" (v).
    Raises ValueError for lr < 0, eps < 0, a beta outside [0, 1), or weight_decay < 0.
    """

    decoupled_weight_decay: bool = False

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        # TODO: as in SGD: validate (each beta in [0, 1)), then hand the defaults to the base class.
        raise NotImplementedError("Exercise 2.5: implement Adam.__init__")

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], torch.Tensor]] = None) -> Optional[torch.Tensor]:
        """Update every parameter that has a gradient; ``closure`` as in :meth:`SGD.step`."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # TODO: the docstring's equations, per parameter, in that order; the state starts at zero on
        # TODO: the first gradient, and t must be 1 on the first update.
        # TODO: weight decay first: decoupled (self.decoupled_weight_decay) shrinks p and leaves g alone.
        # TODO: m and v change in place; eps goes OUTSIDE the square root of the bias-corrected v.
        raise NotImplementedError("Exercise 2.6: implement Adam.step")
        return loss


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2017): Adam with DECOUPLED weight decay.

    Same arguments, defaults, update and state as ``torch.optim.AdamW``: the update of
    :class:`Adam` with ``decoupled_weight_decay = True`` (so write that branch of
    :meth:`Adam.step`), and a default weight decay of 1e-2 instead of 0.
    """

    decoupled_weight_decay: bool = True

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class Lion(torch.optim.Optimizer):
    """Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2).

    EvoLved Sign Momentum: every coordinate moves by exactly lr (or 0) in the direction of the
    sign of an interpolation between the momentum and the new gradient. Per parameter p with
    gradient g, learning rate lr, betas (b1, b2), decoupled weight decay lambda; m starts at zero:
        c <- b1 * m + (1 - b1) * g            (the interpolation that gives the update's direction)
        p <- p - lr * (sign(c) + lambda * p)  (lambda * p uses p before this step: decoupled decay)
        m <- b2 * m + (1 - b2) * g            (the momentum, AFTER the update, with the other beta)
    sign(0) is 0. State: ``self.state[p]["exp_avg"]`` (m). Never changes ``p.grad``.
    Raises ValueError for lr < 0, a beta outside [0, 1), or weight_decay < 0.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ):
        # TODO: as in Adam: validate (lr >= 0, each beta in [0, 1), weight_decay >= 0), then hand
        # TODO: every hyperparameter to the base class.
        raise NotImplementedError("Exercise 2.7: implement Lion.__init__")

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], torch.Tensor]] = None) -> Optional[torch.Tensor]:
        """Update every parameter that has a gradient; ``closure`` as in :meth:`SGD.step`."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # TODO: the three lines of the docstring, in that order: the direction uses b1 and the OLD m;
        # TODO: the momentum is updated last, with b2. The decay multiplies p by (1 - lr * lambda).
        # TODO: c is a new tensor (m must not change until the last line); torch.sign gives the signs.
        raise NotImplementedError("Exercise 2.8: implement Lion.step")
        return loss
