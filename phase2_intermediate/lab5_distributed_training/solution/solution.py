"""Lab 2.5 runner: distributed training on torch.distributed, measured on this machine.

    cd phase2_intermediate/lab5_distributed_training && python solution/solution.py   (or: make run LAB=2.5)

Starts a world of 4 processes with spawn and torchrun's environment (``shared.ranks``: the same
variables torchrun sets; started once, a fresh process group for every part), and in it:
the collectives' worked example; the ring all-reduce checked against ``dist.all_reduce`` and its
bytes counted; the latency alpha and inverse bandwidth beta fitted from point-to-point times, and
the ring's time against ``dist.all_reduce`` over message sizes beside the alpha-beta prediction;
data parallelism by hand and DDP against one process on the full batch; the all-reduce calls
that ``no_sync`` saves; the error of fp16 and PowerSGD communication hooks; when DDP sends each
bucket during backward; DDP throughput on 1, 2 and 4 processes; a mismatched collective caught
by TORCH_DISTRIBUTED_DEBUG=DETAIL and by the process-group time-out. Then it starts ``torchrun
--max-restarts 1`` itself on exercise 5's script, kills a worker mid-run and checks that the
resumed run ends at the parameters of an uninterrupted one. ``--full`` repeats the timings more
often and adds larger messages.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.devices import describe_machine  # noqa: E402
from shared.ranks import RankError, RankPool  # noqa: E402
from shared.report import run_part, runner_parser, section, table, whose  # noqa: E402

from exercise1_collectives import (  # noqa: E402
    all_gather_cat,
    all_gather_varying,
    all_reduce_mean,
    broadcast_module,
    reduce_scatter_sum,
)
from exercise2_ring import chunk_bounds, fit_alpha_beta, ring_all_reduce, ring_elements_sent, ring_time  # noqa: E402
from exercise3_data_parallel import HandDDP, train_accumulated  # noqa: E402
from exercise4_ddp import fp16_compress_hook, gradient_error, hooked_gradients, make_ddp, timed_allreduce_hook  # noqa: E402
from exercise5_restarts import sync_metrics, train_resumable  # noqa: E402

EXERCISE5 = Path(sys.modules["exercise5_restarts"].__file__)


# ------------------------------------------------------------------------------------------
# Tasks: each runs on every rank of a fresh process group (module level: the ranks import them)
# ------------------------------------------------------------------------------------------


def task_hello() -> int:
    return dist.get_rank()


def task_collectives() -> dict:
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)
    layer = nn.Linear(2, 1)
    broadcast_module(layer, src=0)
    return {
        "x": torch.tensor([float(rank), 10.0 * rank]),
        "mean": all_reduce_mean(torch.tensor([float(rank), 10.0 * rank])),
        "gather": all_gather_cat(torch.tensor([float(rank)])),
        "varying": [t.tolist() for t in all_gather_varying(torch.full((rank,), float(rank)))],
        "scatter": reduce_scatter_sum(torch.arange(float(world)) + 10 * rank),
        "weight": layer.weight.detach().clone(),
    }


def task_ring_check(n: int) -> float:
    x = torch.randn(n, generator=torch.Generator().manual_seed(dist.get_rank()), dtype=torch.float64)
    want = x.clone()
    dist.all_reduce(want)
    return float((ring_all_reduce(x) - want).abs().max())


def task_ping_pong(sizes_bytes: list[int], repeats: int) -> list[tuple[float, float]] | None:
    """(fastest, median) one-way time of a message of each size between ranks 0 and 1 (half a round trip)."""
    rank = dist.get_rank()
    out = []
    for size in sizes_bytes:
        buf = torch.zeros(max(size // 4, 1), dtype=torch.float32)
        times = []
        for rep in range(repeats + 2):
            if rank == 0:
                t0 = time.perf_counter()
                dist.send(buf, 1)
                dist.recv(buf, 1)
                if rep >= 2:  # two warm-up round trips
                    times.append((time.perf_counter() - t0) / 2)
            elif rank == 1:
                dist.recv(buf, 0)
                dist.send(buf, 0)
        out.append((min(times), statistics.median(times)) if rank == 0 else (0.0, 0.0))
    return out if rank == 0 else None


def task_exchange(sizes_bytes: list[int], repeats: int) -> list[float] | None:
    """Fastest time of one simultaneous exchange between ranks 0 and 1 (each isends to the other and
    irecvs from it: one step of the ring for N = 2), per size."""
    rank = dist.get_rank()
    out = []
    for size in sizes_bytes:
        send, recv = torch.zeros(max(size // 4, 1)), torch.zeros(max(size // 4, 1))
        times = []
        for rep in range(repeats + 2):
            t0 = time.perf_counter()
            if rank < 2:
                handles = [dist.isend(send, 1 - rank), dist.irecv(recv, 1 - rank)]
                for h in handles:
                    h.wait()
            if rep >= 2:
                times.append(time.perf_counter() - t0)
        out.append(min(times))
    return out if rank == 0 else None


def task_allreduce_times(sizes_bytes: list[int], repeats: int) -> list[tuple[float, float]]:
    """(ring, dist.all_reduce) seconds per call for each size: the fastest of ``repeats`` timings of a run
    of back-to-back calls (after a barrier), each timing the slowest rank's."""
    out = []
    for size in sizes_bytes:
        x = torch.full((max(size // 4, 1),), 1e-3, dtype=torch.float32)
        calls = max(2, min(10, 2**22 // size))
        pair = []
        for fn in (ring_all_reduce, dist.all_reduce):
            times = []
            for rep in range(repeats + 1):
                x.fill_(1e-3)
                dist.barrier()
                t0 = time.perf_counter()
                for _ in range(calls):
                    fn(x)
                elapsed = torch.tensor([(time.perf_counter() - t0) / calls])
                dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
                if rep:  # the first is a warm-up
                    times.append(float(elapsed))
            pair.append(min(times))
        out.append(tuple(pair))
    return out


def _mlp(seed: int = 0, dtype: torch.dtype = torch.float64) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4)).to(dtype)


def _batches(steps: int, global_batch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(global_batch, 8, generator=g, dtype=torch.float64), torch.randint(0, 4, (global_batch,), generator=g))
            for _ in range(steps)]


def single_process_params(steps: int, global_batch: int) -> torch.Tensor:
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in _batches(steps, global_batch):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def task_data_parallel(kind: str, steps: int, global_batch: int) -> torch.Tensor:
    rank, world = dist.get_rank(), dist.get_world_size()
    model = _mlp(seed=rank)  # different on every rank: the wrapper's broadcast must fix that
    wrapped = HandDDP(model, bucket_bytes=2048) if kind == "hand" else make_ddp(model, bucket_cap_mb=2048 / 2**20)
    opt = torch.optim.SGD(wrapped.parameters(), lr=0.1, momentum=0.9)
    for x, y in _batches(steps, global_batch):
        opt.zero_grad()
        nn.functional.cross_entropy(wrapped(x[rank::world]), y[rank::world]).backward()
        opt.step()
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def task_count_allreduce(micro: int, use_no_sync: bool) -> int:
    """All-reduce calls of one accumulated step over ``micro`` micro-batches with HandDDP."""
    calls = [0]
    real = dist.all_reduce

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls[0] += 1
        return real(*args, **kwargs)

    rank, world = dist.get_rank(), dist.get_world_size()
    model = HandDDP(_mlp(), bucket_bytes=2048)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = _batches(1, 8 * micro * world)[0]
    shards = list(zip(x[rank::world].chunk(micro), y[rank::world].chunk(micro)))
    dist.all_reduce = counting
    try:
        if use_no_sync:
            train_accumulated(model, opt, shards, nn.functional.cross_entropy)
        else:  # what forgetting no_sync costs: every micro-batch's backward communicates
            opt.zero_grad()
            for xb, yb in shards:
                (nn.functional.cross_entropy(model(xb), yb) / micro).backward()
            opt.step()
    finally:
        dist.all_reduce = real
    return calls[0]


def _hook_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))


def task_hook_errors(ranks_: list[int], steps: int) -> dict:
    from torch.distributed.algorithms.ddp_comm_hooks import default_hooks, powerSGD_hook

    g = torch.Generator().manual_seed(100 + dist.get_rank())
    x, y = torch.randn(64, 64, generator=g), torch.randint(0, 10, (64,), generator=g)
    loss = nn.functional.cross_entropy
    exact = hooked_gradients(_hook_model, x, y, loss)
    out = {"fp16 (yours)": gradient_error(exact, hooked_gradients(_hook_model, x, y, loss, fp16_compress_hook)),
           "fp16 (library)": gradient_error(exact, hooked_gradients(_hook_model, x, y, loss, default_hooks.fp16_compress_hook))}
    for r in ranks_:
        state = powerSGD_hook.PowerSGDState(process_group=None, matrix_approximation_rank=r, start_powerSGD_iter=2,
                                            min_compression_rate=1, use_error_feedback=True, warm_start=True)
        got = hooked_gradients(_hook_model, x, y, loss, powerSGD_hook.powerSGD_hook, state, steps=steps)
        out[f"PowerSGD rank {r}"] = gradient_error(exact, got)
    return out


def task_overlap(steps: int) -> dict:
    """Launch times of DDP's buckets in the last of ``steps`` backward passes, relative to backward's start and end."""
    g = torch.Generator().manual_seed(dist.get_rank())
    torch.manual_seed(0)
    model = nn.Sequential(*[nn.Sequential(nn.Linear(256, 256), nn.ReLU()) for _ in range(6)], nn.Linear(256, 10))
    ddp = make_ddp(model, bucket_cap_mb=0.3)
    launches: list = []
    ddp.register_comm_hook(launches, timed_allreduce_hook)
    x, y = torch.randn(256, 256, generator=g), torch.randint(0, 10, (256,), generator=g)
    for _ in range(steps):
        launches.clear()
        ddp.zero_grad()
        loss = nn.functional.cross_entropy(ddp(x), y)
        t0 = time.perf_counter()
        loss.backward()
        t1 = time.perf_counter()
    return {"start": t0, "end": t1, "launches": list(launches)}


def task_throughput(steps: int, per_rank_batch: int) -> float:
    """Samples per second of DDP training, all ranks together (the slowest rank's time decides)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    world = dist.get_world_size()
    ddp = make_ddp(model) if world > 1 else model
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(dist.get_rank())
    x, y = torch.randn(per_rank_batch, 256, generator=g), torch.randint(0, 10, (per_rank_batch,), generator=g)
    for step in range(steps + 3):
        if step == 3:
            dist.barrier()
            t0 = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(ddp(x), y).backward()
        opt.step()
    elapsed = torch.tensor([time.perf_counter() - t0])
    dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
    return steps * per_rank_batch * world / float(elapsed)


def task_mismatch() -> None:
    """Rank 0 all-reduces while rank 1 broadcasts: the bug the DETAIL check names."""
    t = torch.ones(4)
    if dist.get_rank() == 0:
        dist.all_reduce(t)
    else:
        dist.broadcast(t, src=0)


def task_extra_collective(wait_s: float) -> tuple[float, str] | None:
    """Rank 0 makes one all-reduce more than rank 1, which stays alive: without DETAIL, only the time-out
    ends it. Rank 0 returns (seconds until its all-reduce failed, the error)."""
    t = torch.ones(1)
    if dist.get_rank() == 0:
        t0 = time.perf_counter()
        try:
            dist.all_reduce(t)
        except RuntimeError as err:
            return time.perf_counter() - t0, str(err).splitlines()[0]
        return time.perf_counter() - t0, "no error"
    time.sleep(wait_s)  # busy elsewhere (a rank that has left would close its connections at once)
    return None


def task_sync_metrics() -> dict:
    rank = dist.get_rank()
    mine = {"loss": 1.0 + rank, "accuracy": 0.5 + 0.1 * rank}
    if rank == 1:
        mine = {"grad_norm": 3.0, **mine}  # another name, first in this rank's order
    return sync_metrics(mine)


def task_resume(checkpoint: str, steps: int, every: int) -> torch.Tensor:
    return train_resumable(checkpoint, steps, every)


# ------------------------------------------------------------------------------------------
# Parts of the report
# ------------------------------------------------------------------------------------------


def part_collectives(pool: RankPool) -> None:
    section("Exercise 1: the collectives on 4 ranks (WORKED EXAMPLE)")
    res = pool.run(task_collectives, world_size=4)
    print("rank r holds x_r = [r, 10 r]:")
    table(["rank", "x", "all_reduce_mean", "all_gather_cat([r])", "reduce_scatter_sum(arange(4) + 10 r)", "all_gather_varying(r copies of r)"],
          [[r, res[r]["x"].tolist(), res[r]["mean"].tolist(), res[r]["gather"].tolist(), res[r]["scatter"].tolist(), res[r]["varying"]]
           for r in range(4)])
    same = all(torch.equal(res[0]["weight"], res[r]["weight"]) for r in range(4))
    print(f"broadcast_module: every rank's weights are rank 0's after the broadcast: {same}")


def part_ring(pool: RankPool, full: bool) -> tuple[float, float]:
    section("Exercise 2: ring all-reduce from isend/irecv")
    rows = []
    for world in (2, 3, 4):
        for n in (1, 5, 1000, 1001):
            errs = pool.run(task_ring_check, n, world_size=world)
            rows.append([world, n, f"{max(errs):.1e}"])
    print(f"{whose()} ring_all_reduce against dist.all_reduce, float64 vectors of n elements (largest |difference| over ranks):")
    table(["N ranks", "n", "max |ring - all_reduce|"], rows)

    n = 1_000_000
    print(f"\nElements each rank sends for n = {n:,} (WORKED EXAMPLE), with 2 (N-1) n / N beside it:")
    table(["N", "chunk lengths", "rank 0 sends", "2 (N-1) n / N", "= x n"],
          [[w, f"{chunk_bounds(n, w)[0][1]}..", f"{ring_elements_sent(n, w, 0):,}", f"{2 * (w - 1) * n / w:,.0f}",
            f"{2 * (w - 1) / w:.3f}"] for w in (2, 4, 8, 64)])
    print(f"n = 10, N = 4: chunks {chunk_bounds(10, 4)}; rank 0 sends "
          f"{ring_elements_sent(10, 4, 0)} elements, rank 1 sends {ring_elements_sent(10, 4, 1)}.")

    section("Latency and bandwidth: alpha and beta from point-to-point times (rank 0 <-> rank 1)")
    repeats = 30 if full else 15
    sizes = [2**k for k in range(2, 25 if full else 23, 2)]
    times = pool.run(task_ping_pong, sizes, repeats, world_size=2)[0]
    fastest = [t for t, _ in times]
    alpha, beta = fit_alpha_beta(sizes, fastest)
    table(["message bytes", "one-way, fastest", "one-way, median", "alpha + beta m"],
          [[f"{s:,}", f"{t * 1e6:,.1f} us", f"{m * 1e6:,.1f} us", f"{(alpha + beta * s) * 1e6:,.1f} us"]
           for s, (t, m) in zip(sizes, times)])
    print("(the fit uses the fastest of the round trips: on a shared machine the noise only ever adds time)")
    print(f"least squares over {len(sizes)} sizes, {repeats} round trips each: alpha = {alpha * 1e6:.1f} us, "
          f"beta = {beta * 1e9:.3f} ns/byte (1/beta = {1 / beta / 1e9:.2f} GB/s)")
    print("(gloo over TCP on loopback, on this machine: a network between machines has a larger alpha and beta)")
    swaps = pool.run(task_exchange, sizes, repeats, world_size=2)[0]
    alpha_x, beta_x = fit_alpha_beta(sizes, swaps)
    print(f"a ring step is an EXCHANGE (both ranks send and receive at once); timed the same way: alpha = {alpha_x * 1e6:.1f} us, "
          f"beta = {beta_x * 1e9:.3f} ns/byte, the values the model below uses")
    alpha, beta = alpha_x, beta_x

    section("Ring against dist.all_reduce (gloo's own algorithm) over message sizes, with the alpha-beta prediction")
    ar_sizes = [2**k for k in range(10, 25 if full else 23, 4)]
    for world in (2, 4):
        res = pool.run(task_allreduce_times, ar_sizes, 5 if full else 3, world_size=world)[0]
        print(f"N = {world} ranks (time per call, fastest of {5 if full else 3} runs of back-to-back calls; slowest rank's clock):")
        table(["bytes", "ring (yours)" if whose() == "yours" else "ring", "dist.all_reduce", "model 2(N-1)a + 2(N-1)/N n b"],
              [[f"{s:,}", f"{r * 1e3:.3f} ms", f"{a * 1e3:.3f} ms", f"{ring_time(s, world, alpha, beta) * 1e3:.3f} ms"]
               for s, (r, a) in zip(ar_sizes, res)])
    if os.cpu_count() and os.cpu_count() < 4:
        print(f"(this machine has {os.cpu_count()} cores: with 4 ranks, processes wait for a core, which the model does not count)")
    return alpha, beta


def part_data_parallel(pool: RankPool) -> None:
    section("Exercises 3 and 4: data parallelism by hand and DDP, against one process on the full batch")
    steps, batch = 5, 16
    want = single_process_params(steps, batch)
    rows = []
    for kind in ("hand", "ddp"):
        for world in (2, 4):
            got = pool.run(task_data_parallel, kind, steps, batch, world_size=world)
            same = all(torch.equal(got[0], g) for g in got)
            rows.append(["HandDDP" if kind == "hand" else "DistributedDataParallel", world, same,
                         f"{(got[0] - want).abs().max().item():.1e}"])
    print(f"float64 MLP ({want.numel()} parameters), SGD with momentum, {steps} steps, global batch {batch} split over the ranks:")
    table(["wrapper", "ranks", "ranks agree exactly", "max |params - one process|"], rows)

    rows = []
    for micro in (1, 4):
        for use in (True, False):
            if micro == 1 and not use:
                continue
            calls = pool.run(task_count_allreduce, micro, use, world_size=2)[0]
            rows.append([micro, "no_sync for all but the last" if use else "no no_sync (every backward syncs)", calls])
    print("\nall-reduce calls of one optimizer step with gradient accumulation (HandDDP, 2048-byte buckets, counted on rank 0):")
    table(["micro-batches", "how", "all_reduce calls"], rows)


def part_hooks(pool: RankPool, full: bool) -> None:
    section("Exercise 4: communication hooks and their error")
    steps = 6 if full else 4
    errs = pool.run(task_hook_errors, [1, 2, 4, 8], steps, world_size=2)[0]
    model = _hook_model()
    n = sum(p.numel() for p in model.parameters())
    print(f"MLP 64-128-128-10 ({n:,} parameters), 2 ranks; relative error ||g - g_exact|| / ||g_exact|| of the averaged "
          f"gradients (PowerSGD after {steps} passes with error feedback and warm start):")
    rows = [[k, f"{v:.2e}"] for k, v in errs.items()]
    table(["hook", "relative error"], rows)
    mats = [p.shape for p in model.parameters() if p.dim() == 2]
    for r in (1, 4):
        sent = sum(r * (a + b) for a, b in mats) + sum(p.numel() for p in model.parameters() if p.dim() == 1)
        print(f"PowerSGD rank {r} sends {sent:,} numbers per step instead of {n:,} ({n / sent:.1f}x fewer); fp16 sends {n:,} "
              "numbers of 2 bytes instead of 4")


def part_overlap(pool: RankPool) -> None:
    section("Exercise 4: DDP sends each bucket while backward goes on")
    res = pool.run(task_overlap, 3, world_size=2)[0]
    start, end = res["start"], res["end"]
    print(f"7-layer MLP of width 256, buckets of 0.3 MB, 2 ranks; backward of the third step took {(end - start) * 1e3:.1f} ms. "
          "Each bucket's launch, in ms after backward started (rank 0):")
    table(["bucket", "elements", "launched at", "before backward ended"],
          [[i, f"{n:,}", f"{(t - start) * 1e3:.1f} ms", t < end] for i, t, n in res["launches"]])


def part_throughput(pool: RankPool, full: bool) -> list:
    section("DDP throughput on 1, 2 and 4 processes (weak scaling: 64 samples per rank per step)")
    steps = 20 if full else 10
    rows, base = [], None
    for world in (1, 2, 4):
        reps = [pool.run(task_throughput, steps, 64, world_size=world)[0] for _ in range(5 if full else 3)]
        med = statistics.median(reps)
        base = base or med
        rows.append([world, f"{med:,.0f}", f"{min(reps):,.0f}-{max(reps):,.0f}", f"{med / base:.2f}", f"{med / (base * world):.0%}"])
    print(f"MLP 256-1024-1024-10, SGD, {steps} timed steps after 3 warm-up, median of {5 if full else 3} runs, 1 thread per process:")
    table(["processes", "samples/s", "range", "speed-up", "scaling efficiency"], rows)
    print(f"This machine has {os.cpu_count()} cores: 4 processes oversubscribe them (two per core), so the 4-process row measures "
          "time-sharing, not scaling. On separate GPUs or machines each rank has its own compute.")
    return rows


def part_debug(pool: RankPool) -> None:
    section("Exercise 5: collectives that do not match")
    try:
        pool.run(task_mismatch, world_size=2, env={"TORCH_DISTRIBUTED_DEBUG": "DETAIL"}, pg_timeout_s=5, timeout_s=30)
    except RankError as err:
        text = str(err)
        print("rank 0 all_reduce, rank 1 broadcast, with TORCH_DISTRIBUTED_DEBUG=DETAIL:\n  " + text[:220] + " ...")
    seconds, message = pool.run(task_extra_collective, 3.0, world_size=2, pg_timeout_s=2, timeout_s=30)[0]
    print(f"\nrank 0 makes one all_reduce more, no DETAIL, process-group timeout 2 s: its all_reduce failed after {seconds:.1f} s:\n  "
          + message[:200])
    res = pool.run(task_sync_metrics, world_size=2)
    print(f"\nsync_metrics with rank 0 {{loss: 1.0, accuracy: 0.5}} and rank 1 {{grad_norm: 3.0, loss: 2.0, accuracy: 0.6}}:\n  {res[0]}"
          f" (the same on both ranks: {res[0] == res[1]})")


def part_restart(pool: RankPool) -> None:
    section("Exercise 5: a worker killed mid-run, restarted by torchrun --max-restarts 1")
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    steps, every, kill_at = 12, 4, 6
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, final = Path(tmp) / "ckpt.pt", Path(tmp) / "final.pt"
        # The uninterrupted run first (in the pool): it is also what tells whether exercise 5 is written yet.
        uninterrupted = pool.run(task_resume, str(Path(tmp) / "fresh.pt"), steps, every, world_size=2)[0]
        cmd = [torchrun, "--standalone", "--nproc-per-node", "2", "--max-restarts", "1", str(EXERCISE5),
               "--checkpoint", str(ckpt), "--steps", str(steps), "--every", str(every), "--kill-at", str(kill_at), "--result", str(final)]
        shown = ["torchrun", *cmd[1:6], f"{'exercises' if whose() == 'yours' else 'solution'}/{EXERCISE5.name}",
                 "--checkpoint", "ckpt.pt", *cmd[9:15], "--result", "final.pt"]
        print("$ " + " ".join(shown))
        t0 = time.perf_counter()
        # TMPDIR: torchrun's agent keeps its log folders under it; they go away with this folder.
        env = dict(os.environ, PYTHONUNBUFFERED="1", TORCH_CPP_LOG_LEVEL="ERROR", TMPDIR=tmp)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
        elapsed = time.perf_counter() - t0
        for line in proc.stdout.splitlines() + proc.stderr.splitlines():
            if line.startswith("[rank ") and "] " in line:
                print("  " + line)
        if proc.returncode != 0 or not final.exists():
            print(f"torchrun failed (exit code {proc.returncode}); its last lines:\n" + "\n".join(proc.stderr.splitlines()[-8:]))
            return
        restarted = torch.load(final, weights_only=True)
    print(f"killed before step {kill_at}, resumed from the checkpoint of step {kill_at - kill_at % every}, {steps} steps in all "
          f"({elapsed:.1f} s including both starts); final parameters equal an uninterrupted run's: "
          f"{torch.equal(restarted, uninterrupted)} (max |difference| {(restarted - uninterrupted).abs().max().item():.1e})")


def main() -> None:
    args = runner_parser("Lab 2.5 runner: distributed training; --full repeats the timings more and adds larger messages.").parse_args()
    print(describe_machine())
    print(f"Code under test: {whose()}.")
    t0 = time.perf_counter()
    with RankPool(4) as pool:
        pool.run(task_hello, world_size=4)
        print(f"started 4 rank processes with spawn in {time.perf_counter() - t0:.1f} s (each imports torch)")
        run_part(part_collectives, pool)
        run_part(part_ring, pool, args.full)
        run_part(part_data_parallel, pool)
        run_part(part_hooks, pool, args.full)
        run_part(part_overlap, pool)
        run_part(part_throughput, pool, args.full)
        run_part(part_debug, pool)
        run_part(part_restart, pool)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
