# Exercise stub generated from solution/exercise5_restarts.py by `make stubs` [fingerprint 626fa8fdede6]
"""Exercise 5: checkpoints, restarts under torchrun, and collectives that do not match.

A job of N processes fails when any one of them does. ``torchrun --max-restarts K`` then stops
the survivors and starts all N again (up to K times), with ``TORCHELASTIC_RESTART_COUNT`` telling
them which attempt this is. What a restarted job knows is what it saved, so:

* save a checkpoint every few steps: model, optimizer state (momentum buffers!) and the step;
* save it from rank 0 only (every rank holds the same copy; N writers of one file can leave
  it torn), to a temporary name that ``os.replace`` then renames in one step (a crash during the
  write leaves the previous checkpoint intact), followed by a barrier so that no rank goes on
  (or reads it) before it exists;
* on start, every rank loads the latest checkpoint (if any) and continues from its step, with
  each step's data a function of the step alone: then the resumed run ends at exactly the
  parameters of a run that never stopped.

Collectives pair up by ORDER: the k-th collective call of rank 0 meets the k-th of rank 1. Code
whose collective calls depend on rank-local state (iterating a dict whose keys differ between
ranks, an ``if`` on this rank's data) pairs up the wrong calls: wrong sums when their shapes
happen to match, a hang until the process-group time-out when one rank makes a call the others
never make. ``TORCH_DISTRIBUTED_DEBUG=DETAIL`` wraps every collective with a check that all
ranks are calling the same one (type, shapes, dtypes) and raises on the first mismatch, naming
both; ``init_process_group(timeout=…)`` bounds the hang.

This file is also a torchrun script (the runner and the README show it):

    torchrun --standalone --nproc-per-node 2 --max-restarts 1 solution/exercise5_restarts.py \
        --checkpoint /tmp/ckpt.pt --steps 12 --every 4 --kill-at 6 --result /tmp/final.pt

Run the checks with:  make test-lab LAB=2.5 EX=5
"""
from __future__ import annotations

import argparse
import os
import signal
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

DIM, CLASSES, GLOBAL_BATCH = 8, 3, 16


class SimulatedFailure(RuntimeError):
    """Raised by ``train_resumable(fail_at=k)``: the stand-in for a process killed at step k."""


def save_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer, step: int) -> None:
    """Rank 0 writes {"model", "optimizer", "step"} to ``path`` through a temporary file renamed with
    ``os.replace``; no other rank writes anything; then every rank waits at a barrier.

    ``model`` may be a DDP wrapper: what is saved is the wrapped module's state_dict (keys without the
    ``module.`` prefix), so the checkpoint loads into a plain model too. Called by every rank.
    """
    # TODO: unwrap DDP (model.module); only rank 0 saves; tmp = path + ".tmp", torch.save, os.replace.
    # TODO: every rank ends at dist.barrier(), whatever its rank.
    raise NotImplementedError("Exercise 5.1: implement save_checkpoint")


def load_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Restore ``model`` (a plain module or its DDP wrapper) and ``optimizer`` from ``path``; return its step.

    Returns 0 and changes nothing when ``path`` does not exist (a first start). Loads onto the CPU
    (``map_location="cpu"``) with ``weights_only=True`` (a checkpoint is data, not code to run).
    """
    raise NotImplementedError("Exercise 5.2: implement load_checkpoint")


def make_model() -> nn.Module:
    """The small classifier of the restart demo, with fixed initial weights (seed 0)."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(DIM, 32), nn.Tanh(), nn.Linear(32, CLASSES))
    torch.random.set_rng_state(generator_state)
    return model


def batch_for_step(step: int, rank: int, world_size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's slice of the global batch of step ``step``: a function of (seed, step) alone, the
    same after a restart. Rank r gets rows r, r + N, r + 2N, … of the GLOBAL_BATCH rows."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    x = torch.randn(GLOBAL_BATCH, DIM, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return x[rank::world_size], y[rank::world_size]


def train_resumable(checkpoint: str | Path, steps: int, every: int, fail_at: int | None = None,
                    lr: float = 0.1) -> torch.Tensor:
    """Train ``make_model()`` in DDP for ``steps`` SGD steps (momentum 0.9), resuming from ``checkpoint``.

    Loads the checkpoint first (``load_checkpoint``: step 0 when there is none) and continues from
    its step; after every step s+1 that is a multiple of ``every``, saves (``save_checkpoint``). With
    ``fail_at=k``, raises SimulatedFailure on every rank just before step k (0-based) runs, the
    stand-in for a killed process. Returns the final parameters flattened into one vector.
    Data: ``batch_for_step(step, rank, world_size)``; loss: cross-entropy.
    """
    rank, world = dist.get_rank(), dist.get_world_size()
    model = DistributedDataParallel(make_model())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    # TODO: start = load_checkpoint(...); for step in range(start, steps): (fail_at check), one step,
    # TODO: and a save after each step whose count (step + 1) is a multiple of every.
    raise NotImplementedError("Exercise 5.3: implement train_resumable")
    return torch.cat([p.detach().reshape(-1) for p in model.module.parameters()])


def sync_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """The mean over ranks of every metric, on every rank, even when ranks hold different metrics.

    ``metrics`` maps a name to a number; one rank may have names another lacks, and the dicts'
    orders may differ. The result has the union of the names, each the mean over the ranks that
    reported it. The collectives must be the same calls in the same order on every rank: agree on
    the sorted union of names first (``dist.all_gather_object``), then one all-reduce of a
    (names, 2) float64 tensor of (sum, count).
    """
    # TODO: gather every rank's names; sort their union; fill (value, 1) where this rank has the
    # TODO: name and (0, 0) where not; all_reduce once; divide sums by counts.
    raise NotImplementedError("Exercise 5.4: implement sync_metrics")


def main(argv: list[str] | None = None) -> None:
    """The torchrun entry point: train with checkpoints; rank 1 kills itself before step --kill-at on the first attempt."""
    parser = argparse.ArgumentParser(description="Resumable DDP training under torchrun --max-restarts")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--every", type=int, default=4)
    parser.add_argument("--kill-at", type=int, default=None, help="rank 1 kills itself (SIGKILL) before this step, first attempt only")
    parser.add_argument("--result", default=None, help="rank 0 saves the final parameters here")
    args = parser.parse_args(argv)
    attempt = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
    # torchrun's store (at MASTER_ADDR:MASTER_PORT) outlives a restart, and with it the keys through
    # which attempt 0's processes found each other: give every attempt keys of its own.
    store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), is_master=False,
                          timeout=timedelta(seconds=60))
    print(f"[rank {os.environ['RANK']}] attempt {attempt}: the store holds {store.num_keys()} keys", flush=True)
    dist.init_process_group("gloo", store=dist.PrefixStore(f"attempt{attempt}", store), rank=int(os.environ["RANK"]),
                            world_size=int(os.environ["WORLD_SIZE"]), timeout=timedelta(seconds=60))
    rank = dist.get_rank()
    start = torch.load(args.checkpoint, weights_only=True)["step"] if Path(args.checkpoint).exists() else 0
    print(f"[rank {rank}] attempt {attempt}: starting at step {start}", flush=True)
    if args.kill_at is not None and attempt == 0 and rank == 1:
        # Train up to the kill step, then die the way an out-of-memory kill or a lost machine does.
        try:
            train_resumable(args.checkpoint, args.steps, args.every, fail_at=args.kill_at)
        except SimulatedFailure:
            print(f"[rank {rank}] killed before step {args.kill_at} (SIGKILL)", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    params = train_resumable(args.checkpoint, args.steps, args.every)
    if rank == 0 and args.result:
        torch.save(params, args.result)
        print(f"[rank 0] finished {args.steps} steps; final parameters saved", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
