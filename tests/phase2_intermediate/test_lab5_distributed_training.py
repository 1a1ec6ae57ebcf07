"""Grader of lab 2.5 (distributed training): the collectives against their single-process meaning
on 2 and 4 ranks, and a process group started from torchrun's variables; a ring all-reduce built
from isend/irecv against dist.all_reduce (with every collective off limits inside it), the
elements it sends counted message by message, and the alpha-beta fit against numpy.polyfit;
bucketed data parallelism by hand and DistributedDataParallel against one process on the full
batch, no_sync counted in all-reduce calls, DistributedSampler's shards, an fp16 communication hook
against the library's own; a checkpoint and resume that end at the parameters of an uninterrupted
run, a real `torchrun --max-restarts` run (marked slow), and sync_metrics under
TORCH_DISTRIBUTED_DEBUG=DETAIL.

Your code runs the way torchrun runs it: in spawned processes, one per rank, each with RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set, in a fresh gloo process group for every
check (shared.ranks). A failure names the rank it happened in; a hang (a recv that no rank sends
to, a collective one rank skips) fails in seconds instead of blocking the run. Run it on your
exercises with

    make test-lab LAB=2.5          (EX=1 for exercise 1 only)
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.distributed.algorithms.ddp_comm_hooks import default_hooks, powerSGD_hook
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from shared.grading import Lab, close, expect_raises, forbid
from shared.labs import REPO_ROOT
from shared.loader import current_target, exercise_source, learner_frame
from shared.ranks import RankError, RankTimeout, shared_pool

lab = Lab("phase2_intermediate/lab5_distributed_training")

pytestmark = pytest.mark.timeout(60)  # the first test that uses the pool starts its processes


@pytest.fixture(scope="module")
def pool():
    return shared_pool(4)


# ---- Exercise 1: a process group from torchrun's environment, and the collectives ----------------
#
# Every rank's input is a function of its rank, so the parent computes here, in one process, what
# each collective must give (the mean, the concatenation, chunk r of the sum) and compares every
# rank's answer with it. One task per world size runs all the collectives (each check on its own,
# so one unwritten function does not hide the others); init_from_env runs in ranks that start with
# torchrun's variables and no group.

_E1_LENGTHS = {2: [3, 0], 4: [0, 1, 3, 2]}  # all_gather_varying: rows of each rank (a rank with none)
_E1_ORDER_HEADER = "written before the ranks\n"


def _e1_mean_inputs(rank: int) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.arange(6, dtype=torch.float64).reshape(2, 3) * (rank + 1) + rank**2,
            torch.tensor(float(rank) + 0.5))


def _e1_gather_input(rank: int) -> torch.Tensor:
    return torch.arange(6, dtype=torch.float64).reshape(2, 3) + 10.0 * rank


def _e1_varying_input(rank: int, world: int) -> torch.Tensor:
    n = _E1_LENGTHS[world][rank]
    return torch.arange(n * 6, dtype=torch.float64).reshape(n, 2, 3) + 100.0 * (rank + 1)


def _e1_scatter_input(rank: int, world: int) -> torch.Tensor:
    return (torch.arange(world * 2 * 3, dtype=torch.float64).reshape(world * 2, 3) + 1) * (rank + 1)


def _e1_many_inputs(rank: int) -> list[torch.Tensor]:
    return [torch.arange(3, dtype=torch.float64) + rank, torch.full((2, 2), 2.0**rank),
            torch.tensor(float(rank * rank), dtype=torch.float64)]


def _e1_module(rank: int) -> nn.Module:
    """A Linear and a BatchNorm1d whose weights AND running statistics differ from rank to rank."""
    torch.manual_seed(100 + rank)
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    with torch.no_grad():
        for _ in range(rank + 1):
            module(torch.randn(5, 3) * (rank + 1))
    return module


class _E1Work:
    """A Work handle whose wait() is recorded."""

    def __init__(self, work, index: int, events: list):
        self._work, self._index, self._events = work, index, events

    def wait(self, *args, **kwargs):
        self._events.append(("wait", self._index))
        return self._work.wait(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._work, name)


def _e1_check_mean(ex, rank, world):
    x, s = _e1_mean_inputs(rank)
    got_x, got_s = ex.all_reduce_mean(x), ex.all_reduce_mean(s)
    return {"x": got_x, "s": got_s, "x_after": x, "s_after": s}


def _e1_check_broadcast(ex, rank, world):
    out = {}
    for src in (0, world - 1):
        module = _e1_module(rank)
        before = {k: v.detach().clone() for k, v in module.state_dict().items()}
        params = list(module.parameters())
        ex.broadcast_module(module, src=src)
        same = all(p is q for p, q in zip(params, module.parameters()))
        out[src] = {"before": before, "after": {k: v.detach().clone() for k, v in module.state_dict().items()},
                    "same_parameters": same, "requires_grad": all(p.requires_grad for p in module.parameters())}
    return out


def _e1_check_gather_cat(ex, rank, world):
    t = _e1_gather_input(rank)
    return {0: ex.all_gather_cat(t, dim=0), 1: ex.all_gather_cat(t, dim=1)}


def _e1_check_gather_varying(ex, rank, world):
    return list(ex.all_gather_varying(_e1_varying_input(rank, world)))


def _e1_check_scatter(ex, rank, world):
    return ex.reduce_scatter_sum(_e1_scatter_input(rank, world))


def _e1_check_many(ex, rank, world):
    tensors = _e1_many_inputs(rank)
    ids = [id(t) for t in tensors]
    events: list = []
    original = dist.all_reduce

    def recorder(tensor, *args, **kwargs):
        async_op = kwargs.get("async_op", args[2] if len(args) > 2 else False)
        index = next((i for i, t in enumerate(tensors) if t is tensor), -1)
        events.append(("launch", index, bool(async_op)))
        work = original(tensor, *args, **kwargs)
        return _E1Work(work, index, events) if async_op else work

    dist.all_reduce = recorder
    try:
        out = ex.all_reduce_many(tensors)
    finally:
        dist.all_reduce = original
    return {"tensors": tensors, "returned_same": out is not None and len(out) == len(ids)
            and all(id(t) == i for t, i in zip(out, ids)), "events": events}


def _e1_check_order(ex, rank, world, path):
    time.sleep((world - 1 - rank) * 0.05)  # the last rank arrives first, rank 0 last
    ex.append_in_rank_order(path, f"line of rank {rank}")
    with open(path, encoding="utf-8") as f:
        return f.read()  # what this rank finds in the file on return


def _e1_short(t: torch.Tensor) -> str:
    values = [f"{v:.4g}" for v in t.flatten()[:4].tolist()]
    return "[" + ", ".join(values) + (", ...]" if t.numel() > 4 else "]")


def _e1_describe(rank: int, err: BaseException) -> dict:
    return {"rank": rank, "type": type(err).__name__, "message": (str(err).strip().splitlines() or [""])[0],
            "where": learner_frame(err.__traceback__)}


def _e1_task_collectives(world: int, order_path: str) -> dict:
    """In every rank: each collective of exercise 1 on this rank's input; an error is recorded, not raised."""
    ex = lab.exercise(1)
    rank = dist.get_rank()
    checks = {"mean": _e1_check_mean, "broadcast": _e1_check_broadcast, "gather_cat": _e1_check_gather_cat,
              "gather_varying": _e1_check_gather_varying, "scatter": _e1_check_scatter, "many": _e1_check_many}
    results = {}
    for name, check in checks.items():
        try:
            results[name] = ("ok", check(ex, rank, world))
        except Exception as err:  # noqa: BLE001 - reported by the test of this function
            results[name] = ("error", _e1_describe(rank, err))
    try:
        results["order"] = ("ok", _e1_check_order(ex, rank, world, order_path))
    except Exception as err:  # noqa: BLE001
        results["order"] = ("error", _e1_describe(rank, err))
    return results


_E1_RUNS: dict = {}


def _e1_collectives(pool, world: int, tmp_path_factory) -> list[dict]:
    """Every rank's results of the collectives task on ``world`` ranks (run once per world size)."""
    if world not in _E1_RUNS:
        path = tmp_path_factory.mktemp(f"order{world}") / "log.txt"
        path.write_text(_E1_ORDER_HEADER, encoding="utf-8")
        try:
            _E1_RUNS[world] = pool.run(_e1_task_collectives, world, str(path), world_size=world, timeout_s=15,
                                       pg_timeout_s=5)
        except BaseException as err:  # noqa: BLE001 - every test of these collectives reports it
            _E1_RUNS[world] = err
    got = _E1_RUNS[world]
    if isinstance(got, BaseException):
        raise type(got)(*got.args)
    return got


def _e1_results(pool, world, tmp_path_factory, name: str, call: str) -> list:
    """Per-rank results of one check; a rank's error is raised here, in words that name the call and the rank."""
    runs = _e1_collectives(pool, world, tmp_path_factory)
    for kind, value in (r[name] for r in runs):
        if kind == "error":
            at = f" (at {value['where']})" if value["where"] else ""
            if value["type"] == "NotImplementedError":
                where = f", at {value['where']}" if value["where"] else ""
                raise NotImplementedError(f"{value['message']} (in rank {value['rank']}{where})")
            raise AssertionError(f"{call} on {world} ranks: rank {value['rank']} raised {value['type']}: "
                                 f"{value['message']}{at}")
    return [value for _, value in (r[name] for r in runs)]


def _e1_task_init(machines: int) -> dict:
    """In every rank, with torchrun's variables and no group yet: init_from_env, then one all_reduce in its group."""
    ex = lab.exercise(1)
    rank = int(os.environ["RANK"])
    if machines == 2:  # two machines of two processes: LOCAL_RANK 0, 1, 0, 1
        os.environ["LOCAL_RANK"] = str(rank % 2)
        os.environ["LOCAL_WORLD_SIZE"] = "2"
    backend = "gloo" if torch.cuda.is_available() else None  # None picks gloo without CUDA
    info = ex.init_from_env(backend, timeout_s=5)
    total = torch.tensor([float(dist.get_rank())])
    dist.all_reduce(total)
    try:
        timeout = dist.distributed_c10d._get_default_group()._get_backend(torch.device("cpu")).options._timeout
        timeout_s = timeout.total_seconds()
    except Exception:  # noqa: BLE001 - a build that does not expose it: the test says so
        timeout_s = None
    return {"info": {k: getattr(info, k, None) for k in ("rank", "world_size", "local_rank", "local_world_size",
                                                         "backend")},
            "env": {k: os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")},
            "dist_rank": dist.get_rank(), "dist_world": dist.get_world_size(), "dist_backend": dist.get_backend(),
            "sum_of_ranks": float(total), "timeout_s": timeout_s}


_E1_INIT: dict = {}
_E1_INIT_CASES = {1: ("init_from_env() on 2 ranks of one machine", 2),
                  2: ("init_from_env(timeout_s=5) on 4 ranks, two machines of two processes (LOCAL_RANK 0, 1, 0, 1)", 4)}


def _e1_init(pool, machines: int) -> list[dict]:
    call, world = _E1_INIT_CASES[machines]
    if machines not in _E1_INIT:
        try:
            _E1_INIT[machines] = pool.run(_e1_task_init, machines, world_size=world, init=False, timeout_s=12)
        except (RankError, RankTimeout) as err:
            _E1_INIT[machines] = AssertionError(
                f"{call}: {err} (RANK is the place in the whole job, LOCAL_RANK only on one machine)")
        except BaseException as err:  # noqa: BLE001 - NotImplementedError and the like, as they are
            _E1_INIT[machines] = err
    got = _E1_INIT[machines]
    if isinstance(got, BaseException):
        raise type(got)(*got.args)
    return got


_E1_WORLDS = pytest.mark.parametrize("world", [2, 4], ids=["2 ranks", "4 ranks"])


@pytest.mark.exercise(1)
class TestInitFromEnv:
    @pytest.mark.parametrize("machines", [1, 2], ids=["one machine", "two machines"])
    def test_joins_the_group_at_torchruns_rank_with_its_local_place(self, pool, machines):
        call, world = _E1_INIT_CASES[machines]
        for rank, got in enumerate(_e1_init(pool, machines)):
            want = {"rank": rank, "world_size": world, "local_rank": rank % (world // machines),
                    "local_world_size": world // machines, "backend": "gloo"}
            assert got["info"] == want, (f"{call}: rank {rank} (RANK={got['env']['RANK']}, LOCAL_RANK="
                                         f"{got['env']['LOCAL_RANK']}) returned {got['info']}; expected {want}")
            assert (got["dist_rank"], got["dist_world"]) == (rank, world), (
                f"{call}: in rank {rank} the group has dist.get_rank() = {got['dist_rank']}, dist.get_world_size() = "
                f"{got['dist_world']}; expected {rank} of {world} (RANK, WORLD_SIZE)")
            assert got["dist_backend"] == "gloo", f"{call}: rank {rank}'s group uses {got['dist_backend']!r}, not gloo"
            assert got["sum_of_ranks"] == world * (world - 1) / 2, (
                f"{call}: an all_reduce of the ranks in the new group gave {got['sum_of_ranks']}, not "
                f"{world * (world - 1) / 2}")

    def test_collectives_time_out_after_timeout_s(self, pool):
        results = _e1_init(pool, 2)
        if results[0]["timeout_s"] is None:
            pytest.skip("this PyTorch build does not expose a process group's time-out")
        for rank, got in enumerate(results):
            assert got["timeout_s"] == 5, (f"init_from_env(timeout_s=5): rank {rank}'s group waits "
                                           f"{got['timeout_s']:g} s for a collective before it fails, not 5 s")

    @pytest.mark.parametrize("missing", [("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"),
                                         ("LOCAL_RANK", "MASTER_PORT"), ("WORLD_SIZE",)],
                             ids=["all five", "two", "one"])
    def test_names_every_missing_variable_and_torchrun(self, monkeypatch, missing):
        ex = lab.exercise(1)
        present = {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29999"}
        for name in (*present, "LOCAL_WORLD_SIZE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in present.items():
            if name not in missing:
                monkeypatch.setenv(name, value)
        call = f"init_from_env('gloo') without {', '.join(missing)}"
        try:
            ex.init_from_env("gloo", timeout_s=5)
        except NotImplementedError:
            raise
        except RuntimeError as err:
            message = str(err)
        except Exception as err:  # noqa: BLE001 - the wrong error is the finding
            raise AssertionError(f"{call} should raise RuntimeError naming them; it raised "
                                 f"{type(err).__name__}: {err}") from err
        else:
            raise AssertionError(f"{call} should raise RuntimeError naming them; it returned")
        finally:
            if dist.is_initialized():
                dist.destroy_process_group()
        for name in missing:
            assert re.search(rf"(?<![A-Z_]){name}(?![A-Z_])", message), (
                f"{call} raised RuntimeError({message!r}), which does not name {name}: name every missing variable")
        assert "torchrun" in message, f"{call} raised RuntimeError({message!r}); say to start the script with torchrun"


@pytest.mark.exercise(1)
class TestCollectives:
    @_E1_WORLDS
    def test_all_reduce_mean_is_the_mean_over_ranks_and_leaves_its_input(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "mean", "all_reduce_mean(t)")
        inputs = [_e1_mean_inputs(r) for r in range(world)]
        want_x = sum(x for x, _ in inputs) / world
        want_s = sum(s for _, s in inputs) / world
        for rank, g in enumerate(got):
            x, s = inputs[rank]
            close(g["x"], want_x, f"all_reduce_mean(t (2, 3) float64) on {world} ranks: rank {rank} got {g['x'].tolist()}, "
                                  "not the elementwise mean over ranks", rtol=1e-12, atol=1e-12)
            close(g["s"], want_s, f"all_reduce_mean(t) of a float32 scalar on {world} ranks: rank {rank} got "
                                  f"{g['s'].tolist()}, not the mean {want_s.item()}")
            assert torch.equal(g["x_after"], x) and torch.equal(g["s_after"], s), (
                f"all_reduce_mean(t) on {world} ranks changed rank {rank}'s t to {g['x_after'].tolist()} (it was "
                f"{x.tolist()}): dist.all_reduce works in place, so reduce a copy")

    @_E1_WORLDS
    def test_broadcast_module_copies_parameters_and_buffers_of_src(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "broadcast", "broadcast_module(module, src)")
        for src in (0, world - 1):
            want = got[src][src]["before"]
            for rank, g in enumerate(got):
                call = f"broadcast_module(Linear + BatchNorm1d, src={src}) on {world} ranks"
                for key, value in want.items():
                    kind = "buffer" if "running" in key or "num_batches" in key else "parameter"
                    assert torch.equal(g[src]["after"][key], value), (
                        f"{call}: rank {rank}'s {kind} {key} starts {_e1_short(g[src]['after'][key])}, not "
                        f"rank {src}'s {_e1_short(value)} (parameters AND buffers, from rank src)")
                assert g[src]["same_parameters"] and g[src]["requires_grad"], (
                    f"{call}: rank {rank}'s module has new or frozen parameters; copy into the existing ones in place")

    @_E1_WORLDS
    def test_all_gather_cat_concatenates_in_rank_order_along_dim(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "gather_cat", "all_gather_cat(t, dim)")
        inputs = [_e1_gather_input(r) for r in range(world)]
        for dim in (0, 1):
            want = torch.cat(inputs, dim=dim)
            for rank, g in enumerate(got):
                call = f"all_gather_cat(t (2, 3), dim={dim}) on {world} ranks"
                assert g[dim].shape == want.shape, f"{call}: rank {rank} got shape {tuple(g[dim].shape)}, not {tuple(want.shape)}"
                assert torch.equal(g[dim], want), (f"{call}: rank {rank} got {g[dim].tolist()}, not every rank's t "
                                                   f"in rank order, {want.tolist()}")

    @_E1_WORLDS
    def test_all_gather_varying_returns_each_ranks_rows_exactly(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "gather_varying", "all_gather_varying(t)")
        lengths = _E1_LENGTHS[world]
        call = f"all_gather_varying(t (n_r, 2, 3)) on {world} ranks with n_r = {lengths}"
        for rank, parts in enumerate(got):
            assert len(parts) == world, f"{call}: rank {rank} got {len(parts)} tensors, not one per rank"
            for r, part in enumerate(parts):
                want = _e1_varying_input(r, world)
                assert part.shape == want.shape, (f"{call}: rank {rank}'s entry {r} has shape {tuple(part.shape)}, "
                                                  f"not rank {r}'s {tuple(want.shape)} (cut the padding off)")
                assert torch.equal(part, want), f"{call}: rank {rank}'s entry {r} holds {part.tolist()}, not rank {r}'s t"

    @_E1_WORLDS
    def test_reduce_scatter_sum_gives_rank_r_chunk_r_of_the_sum(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "scatter", "reduce_scatter_sum(t)")
        total = sum(_e1_scatter_input(r, world) for r in range(world))
        for rank, g in enumerate(got):
            want = total.chunk(world)[rank]
            close(g, want, f"reduce_scatter_sum(t ({2 * world}, 3)) on {world} ranks: rank {rank} got {g.tolist()}, "
                           f"not chunk {rank} of the sum over ranks", rtol=0, atol=0)

    @_E1_WORLDS
    def test_all_reduce_many_launches_every_all_reduce_before_waiting(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "many", "all_reduce_many([a, b, c])")
        inputs = [_e1_many_inputs(r) for r in range(world)]
        call = f"all_reduce_many([a (3,), b (2, 2), c ()]) on {world} ranks"
        for rank, g in enumerate(got):
            for i, t in enumerate(g["tensors"]):
                want = sum(inp[i] for inp in inputs)
                close(t, want, f"{call}: rank {rank}'s tensor {i} is {t.tolist()} on return, not the sum over ranks "
                               "(in place)", rtol=0, atol=0)
            assert g["returned_same"], f"{call}: rank {rank} did not return the list of the same tensors it was given"
            events = g["events"]
            launches = [e for e in events if e[0] == "launch"]
            assert launches and all(e[2] for e in launches), (
                f"{call}: rank {rank} called dist.all_reduce without async_op=True (tensors "
                f"{[e[1] for e in launches if not e[2]]}): each such call waits for its result before the next starts")
            first_wait = next((i for i, e in enumerate(events) if e[0] == "wait"), len(events))
            late = [e for e in events[first_wait:] if e[0] == "launch"]
            assert not late, (f"{call}: rank {rank} waited on a handle before launching every all-reduce (calls in order: "
                              f"{[e[0] + ' ' + str(e[1]) for e in events]}): launch all of them first, then wait")
            waited = sorted(e[1] for e in events if e[0] == "wait")
            assert waited == sorted(e[1] for e in launches), (
                f"{call}: rank {rank} waited on handles {waited} of the all-reduces it launched "
                f"{sorted(e[1] for e in launches)}: wait on every one before returning")

    @_E1_WORLDS
    def test_append_in_rank_order_writes_rank_0_first_even_when_it_arrives_last(self, pool, world, tmp_path_factory):
        got = _e1_results(pool, world, tmp_path_factory, "order", "append_in_rank_order(path, line)")
        want = _E1_ORDER_HEADER + "".join(f"line of rank {r}\n" for r in range(world))
        for rank, text in enumerate(got):
            assert text == want, (
                f"append_in_rank_order(path, 'line of rank r') on {world} ranks, rank r arriving {0.05:g} * "
                f"({world - 1} - r) s late (the last rank first): on return rank {rank} finds {text!r} in the file, "
                f"not {want!r} (appended after what was there, rank 0's line first)")

    def test_reduce_scatter_sum_raises_value_error_for_a_first_dimension_not_divisible(self, pool):
        call = "reduce_scatter_sum(t (5, 3)) on 2 ranks"
        try:
            got = pool.run(_e1_task_scatter_indivisible, 5, world_size=2, timeout_s=10, pg_timeout_s=5)
        except (RankError, RankTimeout) as err:
            raise AssertionError(f"{call} should raise ValueError (5 rows do not cut into 2 equal chunks) before any "
                                 f"collective; instead {err}") from err
        for rank, outcome in enumerate(got):
            assert outcome == "ValueError", f"{call} should raise ValueError (5 rows in 2 equal chunks); rank {rank} {outcome}"


def _e1_task_scatter_indivisible(rows: int) -> str:
    ex = lab.exercise(1)
    try:
        out = ex.reduce_scatter_sum(torch.ones(rows, 3, dtype=torch.float64))
    except ValueError:
        return "ValueError"
    return f"returned a tensor of shape {tuple(out.shape)}"


# ---- Exercise 2: ring all-reduce from point-to-point messages, and its cost model ---------------
#
# ring_all_reduce is compared with dist.all_reduce on the same random float64 data, on 2, 3 and 4
# ranks, for lengths that do and do not divide into N chunks (down to fewer elements than ranks) and
# for a non-contiguous view, with every collective off limits while it runs. Each dist.isend/dist.send
# is counted, so the elements a rank sends are measured, not taken on trust.

_E2_COLLECTIVES = tuple(f"torch.distributed.{name}" for name in (
    "all_reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "broadcast",
    "reduce", "all_to_all", "all_to_all_single", "scatter", "gather", "all_gather_object", "broadcast_object_list")
    if hasattr(dist, name))
_E2_NO_COLLECTIVES = dict(why="Exercise 2 asks you to build the all-reduce from point-to-point messages "
                              "(dist.isend/dist.irecv); dist.all_reduce is the oracle the tests compare with")


@contextlib.contextmanager
def _e2_count_sends(sent: list):
    """Record the number of elements of every tensor passed to dist.isend or dist.send while the block runs."""
    originals = {"isend": dist.isend, "send": dist.send}

    def counting(name):
        def wrapper(tensor, *args, **kwargs):
            sent.append(tensor.numel())
            return originals[name](tensor, *args, **kwargs)
        return wrapper

    dist.isend, dist.send = counting("isend"), counting("send")
    try:
        yield
    finally:
        dist.isend, dist.send = originals["isend"], originals["send"]


def _e2_cases(world: int) -> list[tuple[str, tuple[int, ...], bool]]:
    """(label, shape, transposed): lengths that divide into N chunks first, then the rest, then a view."""
    lengths = list(dict.fromkeys([world, 1000, 1001, 7, world + 1, world - 1, 1, 2]))
    return [(f"n={n}", (n,), False) for n in lengths if n > 0] + [("a (3, 5) transposed view of a (5, 3) tensor", (5, 3), True)]


def _e2_task_ring(world: int) -> list[dict]:
    """In every rank: the learner's ring on each case, checked here against dist.all_reduce; the elements sent."""
    ex, ref = lab.exercise(2), lab.reference(2)
    rank = dist.get_rank()
    out = []
    for i, (label, shape, transposed) in enumerate(_e2_cases(world)):
        g = torch.Generator().manual_seed(1000 * i + rank)
        x = torch.randn(shape, generator=g, dtype=torch.float64)
        if transposed:
            x = x.T
        want = x.contiguous().clone()
        dist.all_reduce(want)
        sent: list = []
        with _e2_count_sends(sent), forbid(*_E2_COLLECTIVES, **_E2_NO_COLLECTIVES):
            got = ex.ring_all_reduce(x)
        call = f"ring_all_reduce on {world} ranks, {label}"
        if got is not x:
            fine = isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(got, want)
            raise AssertionError(f"{call}: returned a new tensor{' with the right sums' if fine else ''}; the sum must be "
                                 "written into t itself (in place) and t returned")
        wrong = ~torch.isclose(x, want, rtol=1e-12, atol=1e-12)
        if wrong.any():
            flat_wrong = wrong.reshape(-1)
            index = int(flat_wrong.nonzero()[0])
            bounds = ref.chunk_bounds(x.numel(), world)
            chunk = next(c for c, (a, b) in enumerate(bounds) if a <= index < b)
            raise AssertionError(
                f"{call}: element {index} (chunk {chunk} of {bounds}) holds {x.reshape(-1)[index].item():.6g} where "
                f"dist.all_reduce gives {want.reshape(-1)[index].item():.6g} ({int(flat_wrong.sum())} of {x.numel()} "
                "elements wrong)")
        out.append({"label": label, "n": x.numel(), "sent": sum(sent), "messages": len(sent)})
    return out


_E2_RUNS: dict = {}


def _e2_ring(pool, world: int) -> list[list[dict]]:
    if world not in _E2_RUNS:
        try:
            _E2_RUNS[world] = pool.run(_e2_task_ring, world, world_size=world, timeout_s=15, pg_timeout_s=5)
        except BaseException as err:  # noqa: BLE001 - every test of the ring reports it
            _E2_RUNS[world] = err
    got = _E2_RUNS[world]
    if isinstance(got, BaseException):
        raise type(got)(*got.args)
    return got


def _e2_task_reference_sends(lengths: list[int]) -> dict[int, int]:
    """In every rank: how many elements the reference ring sends, counted message by message, for each n."""
    ref = lab.reference(2)
    out = {}
    for n in lengths:
        sent: list = []
        with _e2_count_sends(sent):
            ref.ring_all_reduce(torch.zeros(n, dtype=torch.float64))
        out[n] = sum(sent)
    return out


@pytest.mark.exercise(2)
class TestChunkBounds:
    def test_matches_torch_tensor_split_for_every_n_and_world_size(self):
        ex = lab.exercise(2)
        for world in range(1, 9):
            for n in [*range(0, 20), 1000, 1001, 1003]:
                got = ex.chunk_bounds(n, world)
                starts = [0]
                for p in torch.tensor_split(torch.arange(n), world):
                    starts.append(starts[-1] + len(p))
                want = list(zip(starts[:-1], starts[1:]))
                assert [tuple(b) for b in got] == want, (f"chunk_bounds({n}, {world}) returned {got}; "
                                                         f"torch.tensor_split(torch.arange({n}), {world}) cuts at {want}")

    def test_raises_value_error_without_ranks_or_for_a_negative_length(self):
        ex = lab.exercise(2)
        for n, world in ((5, 0), (5, -1), (-1, 2)):
            with expect_raises(ValueError, f"chunk_bounds({n}, {world})", "needs world_size >= 1 and n >= 0"):
                ex.chunk_bounds(n, world)


_E2_WORLDS = pytest.mark.parametrize("world", [2, 3, 4], ids=["2 ranks", "3 ranks", "4 ranks"])


@pytest.mark.exercise(2)
class TestRingAllReduce:
    @_E2_WORLDS
    def test_equals_dist_all_reduce_in_place_for_every_length_and_a_non_contiguous_view(self, pool, world):
        got = _e2_ring(pool, world)
        labels = [c[0] for c in _e2_cases(world)]
        for rank, cases in enumerate(got):
            assert [c["label"] for c in cases] == labels, f"ring_all_reduce on {world} ranks: rank {rank} skipped cases"

    @_E2_WORLDS
    def test_each_rank_sends_one_chunk_per_step(self, pool, world):
        ref = lab.reference(2)
        for rank, cases in enumerate(_e2_ring(pool, world)):
            for case in cases:
                want = ref.ring_elements_sent(case["n"], world, rank)
                assert case["sent"] == want, (
                    f"ring_all_reduce on {world} ranks, {case['label']}: rank {rank} sent {case['sent']} elements in "
                    f"{case['messages']} messages; a ring sends one chunk per step, 2 (N-1) = {2 * (world - 1)} steps, "
                    f"{want} elements in all")


@pytest.mark.exercise(2)
class TestRingElementsSent:
    def test_is_2_n_minus_1_over_n_times_n_when_n_divides(self):
        ex = lab.exercise(2)
        for world in range(1, 9):
            for n in (0, world, 12 * world, 1000 * world):
                for rank in range(world):
                    got = ex.ring_elements_sent(n, world, rank)
                    want = 2 * (world - 1) * n // world
                    assert got == want, f"ring_elements_sent({n}, {world}, rank={rank}) returned {got}, not 2 (N-1) n / N = {want}"

    def test_counts_what_the_ring_really_sends_for_any_n(self, pool):
        ex = lab.exercise(2)
        world = 4  # chunks of unequal lengths: ranks whose two phases send different chunks send different counts
        wants = {world: pool.run(_e2_task_reference_sends, [7, 1001, 5, 6, 3, 1, 0], world_size=world, timeout_s=15,
                                 pg_timeout_s=5)}
        for world, per_rank in wants.items():
            for rank, measured in enumerate(per_rank):
                for n, want in measured.items():
                    got = ex.ring_elements_sent(n, world, rank)
                    assert got == want, (f"ring_elements_sent({n}, {world}, rank={rank}) returned {got}; in a ring "
                                         f"all-reduce of {n} elements on {world} ranks rank {rank} sends {want} "
                                         f"(chunks of {[b - a for a, b in lab.reference(2).chunk_bounds(n, world)]})")


@pytest.mark.exercise(2)
class TestRingTime:
    def test_is_the_alpha_beta_formula(self):
        ex = lab.exercise(2)
        for n_bytes, world, alpha, beta in ((1e6, 4, 1e-5, 1e-9), (4096.0, 2, 3e-6, 2e-10), (1e8, 8, 5e-5, 1e-10),
                                            (0.0, 3, 1e-5, 1e-9), (1e6, 4, 0.0, 1e-9)):
            got = ex.ring_time(n_bytes, world, alpha, beta)
            want = 2 * (world - 1) * alpha + 2 * (world - 1) / world * n_bytes * beta
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-18), (
                f"ring_time({n_bytes:g}, {world}, alpha={alpha:g}, beta={beta:g}) returned {got:.6g}; "
                f"2 (N-1) alpha + 2 (N-1)/N n beta = {want:.6g}")

    def test_is_zero_on_one_rank(self):
        got = lab.exercise(2).ring_time(1e6, 1, 1e-5, 1e-9)
        assert got == 0, f"ring_time(1e6, 1, alpha=1e-5, beta=1e-9) returned {got}: one rank sends nothing, 0 s"


@pytest.mark.exercise(2)
class TestFitAlphaBeta:
    def test_matches_numpy_polyfit_on_noisy_times(self):
        ex = lab.exercise(2)
        rng = np.random.default_rng(5)
        sizes = np.repeat([1e3, 4e3, 16e3, 64e3, 256e3, 1e6, 4e6], 5)
        rng.shuffle(sizes)
        times = 2e-5 + 1e-9 * sizes + rng.normal(0.0, 3e-6, sizes.shape) * (1 + sizes / 1e6)
        got = ex.fit_alpha_beta(list(sizes), list(times))
        beta, alpha = np.polyfit(sizes, times, 1)
        close(torch.tensor(got, dtype=torch.float64), torch.tensor([alpha, beta]),
              f"fit_alpha_beta(35 noisy (size, time) pairs) returned (alpha, beta) = ({got[0]:.6g}, {got[1]:.6g}); "
              f"numpy.polyfit(sizes, times, 1) gives beta, alpha = {beta:.6g}, {alpha:.6g}", rtol=1e-7, atol=1e-15)

    def test_recovers_an_exact_line_exactly(self):
        ex = lab.exercise(2)
        for alpha, beta, sizes in ((3.0, 2.0, [0.0, 1.0, 2.0, 5.0]), (1e-5, 2e-10, [1e3, 1e4, 1e5, 1e6, 1e7])):
            sizes = np.array(sizes)
            got = ex.fit_alpha_beta(sizes, alpha + beta * sizes)
            assert math.isclose(got[0], alpha, rel_tol=1e-9) and math.isclose(got[1], beta, rel_tol=1e-9), (
                f"fit_alpha_beta(sizes {sizes.tolist()}, times = {alpha:g} + {beta:g} size) returned {got}, "
                f"not (alpha, beta) = ({alpha:g}, {beta:g})")

    def test_raises_value_error_without_two_distinct_sizes(self):
        ex = lab.exercise(2)
        for sizes, times in (([1000.0, 1000.0, 1000.0], [1e-5, 2e-5, 3e-5]), ([1000.0], [1e-5])):
            with expect_raises(ValueError, f"fit_alpha_beta({sizes}, {times})", "a line needs two distinct sizes"):
                ex.fit_alpha_beta(sizes, times)


# ---- Exercise 3: data parallelism by hand: shards, buckets, HandDDP, accumulation ---------------
#
# shard_loader is compared index for index with DistributedSampler (same seed, set_epoch) on a
# dataset of arange, so every batch shows which samples it holds. bucket_assignment is checked on
# parameter lists small enough to work out by hand, then on random ones against the greedy rule.
# HandDDP and train_accumulated run on 2 and 4 ranks that start from DIFFERENT weights; after the
# steps every rank must hold the parameters of ONE process trained on the full batch (float64,
# 1e-12), computed without torch.distributed. All-reduce calls are counted by wrapping
# dist.all_reduce inside the ranks.

_E3_EXACT = dict(rtol=1e-12, atol=1e-12)
_E3_SMALL_BUCKETS = 2048  # bytes: the float64 net below then has 4 buckets
_E3_ONE_BUCKET = 25 * 2**20


class _E3Net(nn.Module):
    """A float64 MLP 8-32-32-4 with a buffer (a fixed shift of its input) that the wrapper must broadcast too."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.body = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 4))
        self.register_buffer("shift", torch.randn(8))
        self.double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x - self.shift)


def _e3_batches(steps: int, global_batch: int, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(global_batch, 8, generator=g, dtype=torch.float64), torch.randint(0, 4, (global_batch,), generator=g))
            for _ in range(steps)]


def _e3_flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in tensors])


class _E3SGD:
    """torch.optim.SGD(params, lr=0.1, momentum=0.9)'s update, written out: the first torch.optim optimizer a
    process builds imports torch._dynamo, seconds in every rank that these tests need not spend."""

    def __init__(self, params, lr: float = 0.1, momentum: float = 0.9):
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            buf = self.buffers[i]
            self.buffers[i] = buf = p.grad.clone() if buf is None else buf.mul_(self.momentum).add_(p.grad)
            p.add_(buf, alpha=-self.lr)


def _e3_sgd(params) -> _E3SGD:
    return _E3SGD(params)


def _e3_one_process(steps: int, global_batch: int) -> dict:
    """One process, rank 0's starting weights, the full batch: the gradients of the first step, the
    state before every step and the parameters after the last."""
    model = _E3Net(100)
    opt = _e3_sgd(model.parameters())
    out = {"grads": None, "params": [], "models": []}
    for step, (x, y) in enumerate(_e3_batches(steps, global_batch)):
        out["models"].append({k: v.clone() for k, v in model.state_dict().items()})
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        if step == 0:
            out["grads"] = [p.grad.clone() for p in model.parameters()]
        opt.step()
    out["params"] = _e3_flat(model.parameters())
    return out


def _e3_local_grads(state: dict, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    model = _E3Net(0)
    model.load_state_dict(state)
    F.cross_entropy(model(x), y).backward()
    return [p.grad.clone() for p in model.parameters()]


@contextlib.contextmanager
def _e3_counting_all_reduce():
    """Inside a rank: count the calls of dist.all_reduce while the block runs."""
    calls = [0]
    real = dist.all_reduce

    def counting(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    dist.all_reduce = counting
    try:
        yield calls
    finally:
        dist.all_reduce = real


def _e3_params_of(nbytes_and_dtypes: list[tuple[int, torch.dtype]]) -> list[torch.Tensor]:
    return [torch.zeros(n, dtype=dtype) for n, dtype in nbytes_and_dtypes]


@pytest.mark.exercise(3)
class TestShardLoader:
    @staticmethod
    def _batches(loader) -> list[list[int]]:
        return [batch.tolist() for (batch,) in loader]

    def test_matches_distributed_sampler_for_every_rank_epoch_and_world_size(self):
        shard_loader = lab.exercise(3).shard_loader
        for n in (12, 13, 10, 3):
            ds = TensorDataset(torch.arange(n))
            for world in (2, 3, 4):
                for drop_last in (False, True):
                    for epoch, seed in ((0, 0), (1, 0), (5, 7)):
                        for rank in range(world):
                            got = self._batches(shard_loader(ds, 2, rank, world, epoch, seed=seed, drop_last=drop_last))
                            sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=True, seed=seed,
                                                         drop_last=drop_last)
                            sampler.set_epoch(epoch)
                            want = self._batches(DataLoader(ds, batch_size=2, sampler=sampler))
                            assert got == want, (
                                f"shard_loader(arange({n}), batch_size=2, rank={rank}, world_size={world}, epoch={epoch}, "
                                f"seed={seed}, drop_last={drop_last}) gives the batches {got}; DistributedSampler with the "
                                f"same seed after set_epoch({epoch}) gives {want}. Every rank passes the SAME seed, "
                                "shuffles, and the sampler is told the epoch")

    def test_ranks_together_read_one_permutation_padded_or_cut(self):
        shard_loader = lab.exercise(3).shard_loader
        for n in (12, 13, 3):
            ds = TensorDataset(torch.arange(n))
            for world in (2, 3, 4):
                for drop_last in (False, True):
                    shards = [[i for b in self._batches(shard_loader(ds, 4, r, world, 1, drop_last=drop_last)) for i in b]
                              for r in range(world)]
                    call = f"shard_loader(arange({n}), batch_size=4, rank=r, world_size={world}, epoch=1, drop_last={drop_last})"
                    per_rank = n // world if drop_last else math.ceil(n / world)
                    lengths = [len(s) for s in shards]
                    assert lengths == [per_rank] * world, (
                        f"{call} for r = 0..{world - 1} gives shards of {lengths} samples; each rank reads {per_rank}")
                    order = [shards[r][i] for i in range(per_rank) for r in range(world)]  # rank r holds order[r::world]
                    head = order[:n] if not drop_last else order
                    assert len(set(head)) == len(head), (
                        f"{call}: the ranks' shards {shards} hold the same sample more than once (besides the padding): "
                        "every rank must shuffle with the same seed, so that together they split ONE permutation")
                    if not drop_last:
                        assert sorted(head) == list(range(n)), (
                            f"{call}: together the ranks' shards {shards} miss samples {sorted(set(range(n)) - set(head))}")
                        pad = order[n:]
                        assert pad == (head * world)[:len(pad)], (
                            f"{call}: the padding that fills the last round is {pad}; DistributedSampler repeats the first "
                            f"samples of the permutation, {(head * world)[:len(pad)]}")

    def test_epochs_reshuffle_and_the_same_call_gives_the_same_batches(self):
        shard_loader = lab.exercise(3).shard_loader
        ds = TensorDataset(torch.arange(40))
        for rank in (0, 1):
            epoch0 = self._batches(shard_loader(ds, 5, rank, 2, 0))
            epoch1 = self._batches(shard_loader(ds, 5, rank, 2, 1))
            again = self._batches(shard_loader(ds, 5, rank, 2, 1))
            assert epoch0 != epoch1, (
                f"shard_loader(arange(40), batch_size=5, rank={rank}, world_size=2) gives the same batches in epochs 0 "
                f"and 1 ({epoch0}): call sampler.set_epoch(epoch) so that each epoch has its own permutation")
            assert epoch1 == again, (
                f"shard_loader(arange(40), batch_size=5, rank={rank}, world_size=2, epoch=1) gave {epoch1}, then {again} "
                "when called again: the order must depend only on (seed, epoch)")
            flat = [i for b in epoch0 for i in b]
            assert flat != sorted(flat), (
                f"shard_loader(arange(40), batch_size=5, rank={rank}, world_size=2, epoch=0) reads its samples in "
                f"order, {flat}: the sampler shuffles (shuffle=True)")


@pytest.mark.exercise(3)
class TestBucketAssignment:
    def test_hand_made_lists_in_reverse_order_with_exact_fits_and_oversized_parameters(self):
        f32, f64, f16 = torch.float32, torch.float64, torch.float16
        cases = [
            # (what it shows, [(numel, dtype)], bucket_bytes, buckets)
            ("float32 tensors of 40, 120, 20, 80 bytes, cap 100: 80 + 20 fills the first bucket exactly; 120 alone",
             [(10, f32), (30, f32), (5, f32), (20, f32)], 100, [[3, 2], [1], [0]]),
            ("float64 tensors of 40, 240, 40 bytes, cap 100: the 240-byte tensor gets a bucket of its own, "
             "it does not join the half-full bucket before it",
             [(5, f64), (30, f64), (5, f64)], 100, [[2], [1], [0]]),
            ("a float64 tensor of 4 elements (32 bytes), float32 of 8 (32 bytes) and 9 (36 bytes), cap 64: "
             "sizes count bytes, numel * element_size",
             [(4, f64), (8, f32), (9, f32)], 64, [[2], [1, 0]]),
            ("float16 tensors of 20, 20, 20, 20 bytes, cap 40",
             [(10, f16), (10, f16), (10, f16), (10, f16)], 40, [[3, 2], [1, 0]]),
            ("three float32 tensors, cap 1 byte: each its own bucket", [(3, f32), (1, f32), (2, f32)], 1, [[2], [1], [0]]),
            ("three float32 tensors, cap 25 MiB: one bucket, last first", [(3, f32), (1, f32), (2, f32)], 25 * 2**20,
             [[2, 1, 0]]),
            ("one tensor", [(7, f64)], 8, [[0]]),
            ("no parameters", [], 100, []),
        ]
        for what, spec, cap, want in cases:
            got = lab.exercise(3).bucket_assignment(_e3_params_of(spec), cap)
            assert got == want, (
                f"bucket_assignment({what}) returned {got}; expected {want}. Walk from the LAST parameter to the first, "
                "add each to the current bucket while the total stays <= bucket_bytes, else open a new bucket")

    def test_random_lists_give_greedy_buckets_that_use_every_parameter_once(self):
        g = torch.Generator().manual_seed(3)
        dtypes = (torch.float16, torch.float32, torch.float64)
        for trial in range(40):
            n = int(torch.randint(1, 12, (1,), generator=g))
            spec = [(int(torch.randint(1, 50, (1,), generator=g)), dtypes[int(torch.randint(0, 3, (1,), generator=g))])
                    for _ in range(n)]
            cap = int(torch.randint(1, 300, (1,), generator=g))
            params = _e3_params_of(spec)
            size = [p.numel() * p.element_size() for p in params]
            got = lab.exercise(3).bucket_assignment(params, cap)
            call = f"bucket_assignment(tensors of {size} bytes, {cap})"
            assert [i for b in got for i in b] == list(reversed(range(n))), (
                f"{call} returned {got}: the buckets, read in order, must hold every index once, from {n - 1} down to 0")
            for b, bucket in enumerate(got):
                total = sum(size[i] for i in bucket)
                assert len(bucket) == 1 or total <= cap, f"{call} returned {got}: bucket {b} holds {total} bytes, over the cap"
                if b + 1 < len(got):
                    nxt = got[b + 1][0]
                    assert total + size[nxt] > cap, (
                        f"{call} returned {got}: parameter {nxt} ({size[nxt]} bytes) fits in bucket {b} ({total} bytes) "
                        "and should have joined it")

    def test_rejects_a_cap_below_one_byte(self):
        for cap in (0, -4):
            with expect_raises(ValueError, f"bucket_assignment([a tensor], {cap})", "a bucket must hold at least one byte"):
                lab.exercise(3).bucket_assignment([torch.zeros(3)], cap)


def _e3_task_hand_ddp(steps: int, global_batch: int) -> list[dict]:
    """HandDDP on every rank, each starting from its own seed, for small buckets and for one bucket."""
    ex = lab.exercise(3)
    rank, world = dist.get_rank(), dist.get_world_size()
    out = []
    for bucket_bytes in (_E3_SMALL_BUCKETS, _E3_ONE_BUCKET):
        model = _E3Net(100 + rank)  # different on every rank: the wrapper's broadcast must fix that
        wrapped = ex.HandDDP(model, bucket_bytes=bucket_bytes)
        res = {"bucket_bytes": bucket_bytes, "initial": _e3_flat(model.parameters()), "shift": model.shift.clone(),
               "buckets": [list(b) for b in wrapped.buckets], "launch_orders": []}
        opt = _e3_sgd(wrapped.parameters())
        for step, (x, y) in enumerate(_e3_batches(steps, global_batch)):
            opt.zero_grad()
            F.cross_entropy(wrapped(x[rank::world]), y[rank::world]).backward()
            if step == 0:
                res["grads"] = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
            res["launch_orders"].append(list(wrapped.launch_order))
            opt.step()
        res["final"] = _e3_flat(model.parameters())
        out.append(res)
    return out


@functools.lru_cache(maxsize=None)
def _e3_hand_ddp_runs(world: int) -> tuple[list[list[dict]], dict]:
    """([small buckets, one bucket], each a list of the ranks' results; one process on the full batch), run once per world size."""
    per_rank = shared_pool(4).run(_e3_task_hand_ddp, 5, 16, world_size=world, timeout_s=20, pg_timeout_s=10)
    return [list(config) for config in zip(*per_rank)], _e3_one_process(5, 16)


def _e3_task_no_sync(bucket_bytes: int) -> dict:
    """Backwards inside no_sync, then one that synchronises, counting the all-reduce calls of each."""
    ex = lab.exercise(3)
    rank, world = dist.get_rank(), dist.get_world_size()
    wrapped = ex.HandDDP(_E3Net(100), bucket_bytes=bucket_bytes)
    (xa, ya), (xb, yb), (xc, yc) = _e3_batches(3, 8, seed=2)
    params = list(wrapped.parameters())
    res = {"buckets": len(wrapped.buckets)}
    with _e3_counting_all_reduce() as calls:
        with wrapped.no_sync():
            F.cross_entropy(wrapped(xa[rank::world]), ya[rank::world]).backward()
        res["calls_inside"] = calls[0]
        res["grads_inside"] = [p.grad.clone() for p in params]
        with wrapped.no_sync():
            out = wrapped(xb[rank::world])
        F.cross_entropy(out, yb[rank::world]).backward()  # the forward ran inside no_sync: still no communication
        res["calls_forward_inside"] = calls[0] - res["calls_inside"]
        before = calls[0]
        F.cross_entropy(wrapped(xc[rank::world]), yc[rank::world]).backward()
        res["calls_synced"] = calls[0] - before
        res["grads_synced"] = [p.grad.clone() for p in params]
    return res


@pytest.mark.exercise(3)
class TestHandDDP:
    def test_every_rank_starts_from_rank_0s_parameters_and_buffers(self, pool):
        want = _E3Net(100)
        for world in (2, 4):
            for res in _e3_hand_ddp_runs(world)[0]:
                for rank, r in enumerate(res):
                    close(r["initial"], _e3_flat(want.parameters()),
                          f"HandDDP on {world} ranks, each rank's model built from its own seed: right after "
                          f"HandDDP(model), rank {rank}'s parameters are not rank 0's. The constructor broadcasts "
                          "rank 0's parameters (dist.broadcast(tensor, 0))", rtol=0, atol=0)
                    close(r["shift"], want.shift,
                          f"HandDDP on {world} ranks: right after HandDDP(model), rank {rank}'s buffer 'shift' is not "
                          "rank 0's: the constructor broadcasts the module's buffers too", rtol=0, atol=0)

    def test_each_gradient_is_the_full_batch_gradient_after_one_backward(self, pool):
        names = [name for name, _ in _E3Net(0).named_parameters()]
        for world in (2, 4):
            runs, reference = _e3_hand_ddp_runs(world)
            want = reference["grads"]
            for res in runs:
                for rank, r in enumerate(res):
                    for name, got, w in zip(names, r["grads"], want):
                        assert got is not None, f"HandDDP on {world} ranks: after backward, rank {rank}'s {name}.grad is None"
                        close(got, w, f"HandDDP on {world} ranks (buckets of {r['bucket_bytes']} bytes): after one backward "
                              f"on the rank's quarter or half of the batch, rank {rank}'s {name}.grad is not the gradient "
                              "of one process on the full batch. It is the SUM of the ranks' gradients divided by the "
                              "world size, copied back into each p.grad in the order the bucket was flattened",
                              **_E3_EXACT)

    def test_training_on_2_and_4_ranks_equals_one_process_on_the_full_batch(self, pool):
        for world in (2, 4):
            runs, reference = _e3_hand_ddp_runs(world)
            want = reference["params"]
            for res in runs:
                for rank, r in enumerate(res):
                    close(r["final"], want,
                          f"HandDDP on {world} ranks (buckets of {r['bucket_bytes']} bytes), SGD with momentum, 5 steps, "
                          f"global batch 16 split x[rank::{world}]: rank {rank}'s parameters differ from one process "
                          "trained on the full batch", **_E3_EXACT)

    def test_buckets_are_sent_in_the_order_they_fill_last_layer_first(self, pool):
        for world in (2, 4):
            small, one = _e3_hand_ddp_runs(world)[0]
            for res in (small, one):
                for rank, r in enumerate(res):
                    k = len(r["buckets"])
                    for step, order in enumerate(r["launch_orders"]):
                        assert order == list(range(k)), (
                            f"HandDDP on {world} ranks with {k} bucket(s) of {r['bucket_bytes']} bytes ({r['buckets']}): "
                            f"rank {rank}'s launch_order after backward {step + 1} is {order}; backward produces the last "
                            f"layer's gradients first, so the buckets fill, and are sent, in the order {list(range(k))}")
            assert len(small[0]["buckets"]) == 4, (
                f"HandDDP(net, bucket_bytes={_E3_SMALL_BUCKETS}).buckets is {small[0]['buckets']}; "
                "bucket_assignment(params, 2048) on this net gives 4 buckets")

    def test_no_sync_communicates_nothing_and_the_next_backward_averages_the_sum(self, pool):
        world = 2
        res = pool.run(_e3_task_no_sync, _E3_SMALL_BUCKETS, world_size=world, timeout_s=20, pg_timeout_s=10)
        start = _E3Net(100).state_dict()
        (xa, ya), (xb, yb), (xc, yc) = _e3_batches(3, 8, seed=2)
        local = [[_e3_local_grads(start, x[r::world], y[r::world]) for x, y in ((xa, ya), (xb, yb), (xc, yc))]
                 for r in range(world)]
        for rank, r in enumerate(res):
            assert r["calls_inside"] == 0, (
                f"HandDDP on 2 ranks: a forward and backward inside `with model.no_sync():` called dist.all_reduce "
                f"{r['calls_inside']} times on rank {rank}; inside no_sync nothing is communicated")
            for got, want in zip(r["grads_inside"], local[rank][0]):
                close(got, want, f"HandDDP on 2 ranks: after a backward inside no_sync, rank {rank}'s grads must be its "
                      "own local gradients, neither averaged nor changed", **_E3_EXACT)
            assert r["calls_forward_inside"] == 0, (
                f"HandDDP on 2 ranks: a forward inside no_sync followed by its backward outside the block called "
                f"dist.all_reduce {r['calls_forward_inside']} times on rank {rank}; as with DDP, whether a backward "
                "communicates is decided by its forward (forward records it, the hooks read that)")
            assert r["calls_synced"] == r["buckets"], (
                f"HandDDP on 2 ranks with {r['buckets']} buckets: the backward after the no_sync block called "
                f"dist.all_reduce {r['calls_synced']} times on rank {rank}; one call per bucket")
            for i, got in enumerate(r["grads_synced"]):
                want = sum(sum(local[q][j][i] for j in range(3)) for q in range(world)) / world
                close(got, want, f"HandDDP on 2 ranks: two backwards inside no_sync, then one outside: rank {rank}'s "
                      f"parameter {i} grad is not the average over ranks of the three local gradients summed", **_E3_EXACT)


def _e3_task_accumulated(steps: int, micro: int, global_batch: int) -> dict:
    """The learner's train_accumulated on the reference HandDDP, counting all-reduce calls per step."""
    ex = lab.exercise(3)
    rank, world = dist.get_rank(), dist.get_world_size()
    model = lab.reference(3).HandDDP(_E3Net(100 + rank), bucket_bytes=_E3_SMALL_BUCKETS)
    opt = _e3_sgd(model.parameters())
    res = {"buckets": len(model.buckets), "calls": [], "losses": []}
    for x, y in _e3_batches(steps, global_batch):
        shards = list(zip(x[rank::world].chunk(micro), y[rank::world].chunk(micro)))
        with _e3_counting_all_reduce() as calls:
            res["losses"].append(ex.train_accumulated(model, opt, shards, F.cross_entropy))
        res["calls"].append(calls[0])
    res["final"] = _e3_flat(model.parameters())
    return res


def _e3_accumulated_one_process(micro: int, steps: int, batch: int) -> list[dict]:
    """The learner's train_accumulated on a plain module (no no_sync) beside plain full-batch steps."""
    ex = lab.exercise(3)
    want_model, got_model = _E3Net(100), _E3Net(100)
    want_opt, got_opt = _e3_sgd(want_model.parameters()), _e3_sgd(got_model.parameters())
    out = []
    for x, y in _e3_batches(steps, batch):
        want_opt.zero_grad()
        want_loss = F.cross_entropy(want_model(x), y)
        want_loss.backward()
        want_opt.step()
        for p in got_model.parameters():
            p.grad = torch.ones_like(p)  # left over from before: train_accumulated zeroes the gradients first
        got_loss = ex.train_accumulated(got_model, got_opt, list(zip(x.chunk(micro), y.chunk(micro))), F.cross_entropy)
        out.append({"got": _e3_flat(got_model.parameters()), "want": _e3_flat(want_model.parameters()),
                    "got_loss": got_loss, "want_loss": want_loss.item()})
    return out


@pytest.mark.exercise(3)
class TestTrainAccumulated:
    def test_micro_batches_on_one_process_equal_one_step_on_the_full_batch(self):
        for micro in (4, 3):
            res = _e3_accumulated_one_process(micro, 3, 12)
            for step, r in enumerate(res):
                call = (f"train_accumulated(plain module with stale .grad, SGD with momentum, {micro} micro-batches of "
                        f"{12 // micro}) at step {step + 1}")
                close(r["got"], r["want"], f"{call}: the parameters differ from one step on the whole batch of 12. Zero "
                      "the gradients first and divide each micro-batch's loss by the number of micro-batches", **_E3_EXACT)
                got, want = r["got_loss"], r["want_loss"]
                assert isinstance(got, float) and math.isclose(got, want, rel_tol=1e-12), (
                    f"{call} returned {got!r}; the mean loss over the micro-batches is {want!r} (a float)")

    def test_on_2_ranks_syncs_once_per_step_and_equals_one_process(self, pool):
        steps, micro, batch, world = 3, 4, 32, 2
        res = pool.run(_e3_task_accumulated, steps, micro, batch, world_size=world, timeout_s=20, pg_timeout_s=10)
        ref = _e3_one_process(steps, batch)
        call = f"train_accumulated(HandDDP on 2 ranks, {micro} micro-batches of 4 per rank)"
        for rank, r in enumerate(res):
            for step, calls in enumerate(r["calls"]):
                assert calls == r["buckets"], (
                    f"{call}: step {step + 1} called dist.all_reduce {calls} times on rank {rank}; with {r['buckets']} "
                    f"buckets only the last micro-batch's backward communicates, {r['buckets']} calls"
                    + (" (every micro-batch but the last runs inside model.no_sync())" if calls > r["buckets"] else
                       " (the last micro-batch's backward runs outside no_sync, or the gradients are never averaged)"))
        for rank, r in enumerate(res):
            close(r["final"], ref["params"], f"{call}: after {steps} steps rank {rank}'s parameters differ from one process "
                  "trained on the full batch of 32", **_E3_EXACT)
            for step, (got, x_y) in enumerate(zip(r["losses"], _e3_batches(steps, batch))):
                model = _E3Net(0)
                model.load_state_dict(ref["models"][step])
                x, y = x_y
                want = F.cross_entropy(model(x[rank::world]), y[rank::world]).item()
                assert math.isclose(got, want, rel_tol=1e-12), (
                    f"{call}: at step {step + 1} rank {rank} returned the loss {got!r}; the mean loss of its micro-batches "
                    f"is {want!r}")


# ---- Exercise 4: DistributedDataParallel and its communication hooks ------------------------------
#
# make_ddp is checked for its bucket cap and trained against one process on the full batch and
# against the reference HandDDP of exercise 3. The hooks run inside a DistributedDataParallel built
# here, so that only the hook is graded: fp16_compress_hook against default_hooks.fp16_compress_hook
# (bit for bit, also where an undivided float16 sum overflows), timed_allreduce_hook against DDP's
# own averaging, with a spy on dist.all_reduce for the launch times. gradient_error is checked
# against its formula; hooked_gradients against DDP run here, without a hook and with PowerSGD.

_E4_CAP_MB = 2048 / 2**20  # 2048 bytes


def _e4_ddp_grads(make_model, x, y, loss_fn, hook=None, state=None, steps: int = 1, bucket_cap_mb: float = 25.0):
    """The gradients of a DistributedDataParallel built here after ``steps`` backward passes (no optimizer step)."""
    ddp = DistributedDataParallel(make_model(), bucket_cap_mb=bucket_cap_mb)
    if hook is not None:
        ddp.register_comm_hook(state, hook)
    for _ in range(steps):
        ddp.zero_grad(set_to_none=True)
        loss_fn(ddp(x), y).backward()
    return [p.grad.detach().clone() for p in ddp.parameters()]


def _e4_hook_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def _e4_data(n: int, features: int = 32, classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(300 + dist.get_rank())
    return torch.randn(n, features, generator=g), torch.randint(0, classes, (n,), generator=g)


def _e4_exact_error(exact: list[torch.Tensor], approx: list[torch.Tensor]) -> float:
    e = torch.cat([t.double().reshape(-1) for t in exact])
    a = torch.cat([t.double().reshape(-1) for t in approx])
    return float((a - e).norm() / e.norm())


def _e4_task_make_ddp(steps: int, global_batch: int) -> dict:
    ex, ref3 = lab.exercise(4), lab.reference(3)
    rank, world = dist.get_rank(), dist.get_world_size()
    res = {"caps": {}}
    for mb in (25.0, 0.5, _E4_CAP_MB):
        ddp = ex.make_ddp(_E3Net(0), bucket_cap_mb=mb)
        res["caps"][mb] = (type(ddp).__name__, getattr(ddp, "bucket_bytes_cap", None))
    ddp = ex.make_ddp(_E3Net(0))
    res["caps"]["default"] = (type(ddp).__name__, getattr(ddp, "bucket_bytes_cap", None))
    for kind in ("ddp", "hand"):
        model = _E3Net(100 + rank)  # different on every rank: DDP broadcasts rank 0's state
        wrapped = ex.make_ddp(model, bucket_cap_mb=_E4_CAP_MB) if kind == "ddp" else ref3.HandDDP(model, _E3_SMALL_BUCKETS)
        opt = _e3_sgd(wrapped.parameters())
        for x, y in _e3_batches(steps, global_batch):
            opt.zero_grad()
            F.cross_entropy(wrapped(x[rank::world]), y[rank::world]).backward()
            opt.step()
        res[kind] = _e3_flat(model.parameters())
    return res


def _e4_task_fp16() -> dict:
    ex = lab.exercise(4)
    rank = dist.get_rank()
    x, y = _e4_data(16)
    ce = F.cross_entropy
    res = {"exact": _e4_ddp_grads(_e4_hook_model, x, y, ce),
           "library": _e4_ddp_grads(_e4_hook_model, x, y, ce, default_hooks.fp16_compress_hook),
           "yours": _e4_ddp_grads(_e4_hook_model, x, y, ce, ex.fp16_compress_hook)}

    # Gradients near float16's largest value (65504): the undivided sum of two ranks overflows, the average does not.
    def linear() -> nn.Module:
        torch.manual_seed(0)
        return nn.Linear(4, 1, bias=False)

    big = torch.tensor([[40000.0, 1000.0, -50000.0, 3.0]]) * (1 + 0.2 * rank)
    total = lambda out, _: out.sum()  # noqa: E731 - the gradient of the weight is the input itself
    res["big_library"] = _e4_ddp_grads(linear, big, None, total, default_hooks.fp16_compress_hook)
    res["big_yours"] = _e4_ddp_grads(linear, big, None, total, ex.fp16_compress_hook)
    return res


def _e4_task_timed(delay_s: float) -> dict:
    """timed_allreduce_hook in a DDP of several buckets; rank 1 enters its first all-reduce of the second
    backward ``delay_s`` late, so a bucket recorded only once its all-reduce is done shows that delay on rank 0."""
    ex = lab.exercise(4)
    rank = dist.get_rank()

    def deep() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(*[nn.Sequential(nn.Linear(128, 128), nn.ReLU()) for _ in range(4)], nn.Linear(128, 10))

    x, y = _e4_data(32, features=128)
    model = deep()
    ddp = DistributedDataParallel(model, bucket_cap_mb=0.03)
    launches: list = []
    ddp.register_comm_hook(launches, ex.timed_allreduce_hook)
    calls: list[float] = []
    real = dist.all_reduce

    def spy(*args, **kwargs):
        calls.append(time.perf_counter())
        if rank == 1 and len(calls) == 1 and delay_s:
            time.sleep(delay_s)
        return real(*args, **kwargs)

    res = {"params": sum(p.numel() for p in model.parameters()), "backwards": []}
    for step in range(2):  # DDP rebuilds its buckets after the first iteration
        launches.clear()
        calls.clear()
        ddp.zero_grad(set_to_none=True)
        loss = F.cross_entropy(ddp(x), y)
        dist.all_reduce = spy if step == 1 else real
        try:
            t0 = time.perf_counter()
            loss.backward()
            t1 = time.perf_counter()
        finally:
            dist.all_reduce = real
        res["backwards"].append({"launches": list(launches), "calls": list(calls), "start": t0, "end": t1})
    res["grads"] = [p.grad.clone() for p in model.parameters()]
    res["default"] = _e4_ddp_grads(deep, x, y, F.cross_entropy, bucket_cap_mb=0.03)
    return res


def _e4_task_hooked(steps: int) -> dict:
    ex = lab.exercise(4)
    x, y = _e4_data(16)
    ce = F.cross_entropy

    def state() -> powerSGD_hook.PowerSGDState:
        return powerSGD_hook.PowerSGDState(process_group=None, matrix_approximation_rank=1, start_powerSGD_iter=2,
                                           min_compression_rate=1, use_error_feedback=True, warm_start=True)

    return {
        "plain": _e4_ddp_grads(_e4_hook_model, x, y, ce),
        "yours": ex.hooked_gradients(_e4_hook_model, x, y, ce),
        "yours_steps": ex.hooked_gradients(_e4_hook_model, x, y, ce, steps=steps),
        "fp16": _e4_ddp_grads(_e4_hook_model, x, y, ce, default_hooks.fp16_compress_hook),
        "powersgd": _e4_ddp_grads(_e4_hook_model, x, y, ce, powerSGD_hook.powerSGD_hook, state(), steps=steps),
        "yours_powersgd": ex.hooked_gradients(_e4_hook_model, x, y, ce, powerSGD_hook.powerSGD_hook, state(), steps=steps),
    }


@functools.lru_cache(maxsize=None)
def _e4_fp16_run() -> list[dict]:
    return shared_pool(4).run(_e4_task_fp16, world_size=2, timeout_s=30, pg_timeout_s=10)


@pytest.mark.exercise(4)
class TestMakeDDP:
    def test_wraps_in_distributed_data_parallel_with_the_bucket_cap_and_trains_like_one_process(self, pool):
        steps, batch = 5, 16
        res = pool.run(_e4_task_make_ddp, steps, batch, world_size=2, timeout_s=30, pg_timeout_s=10)
        for mb, (kind, cap) in res[0]["caps"].items():
            call = "make_ddp(model)" if mb == "default" else f"make_ddp(model, bucket_cap_mb={mb:g})"
            want = int((25.0 if mb == "default" else mb) * 2**20)
            assert kind == "DistributedDataParallel", f"{call} returned a {kind}, not a DistributedDataParallel"
            assert cap == want, (
                f"{call} made a DistributedDataParallel whose bucket_bytes_cap is {cap} bytes; {want} expected "
                "(bucket_cap_mb megabytes of 2**20 bytes: pass bucket_cap_mb to DistributedDataParallel)")
        want = _e3_one_process(steps, batch)["params"]
        for rank, r in enumerate(res):
            close(r["ddp"], want, f"make_ddp(model, bucket_cap_mb={_E4_CAP_MB:.6f}) on 2 ranks, each rank's model from its "
                  f"own seed, SGD with momentum, {steps} steps: rank {rank}'s parameters differ from one process trained on "
                  "the full batch", **_E3_EXACT)
            close(r["ddp"], r["hand"], f"make_ddp on 2 ranks: rank {rank}'s parameters after {steps} steps differ from the "
                  "reference HandDDP's (exercise 3) trained the same way", **_E3_EXACT)


@pytest.mark.exercise(4)
class TestFp16CompressHook:
    def test_divides_before_the_sum_so_large_gradients_stay_finite(self, pool):
        res = _e4_fp16_run()
        for rank, r in enumerate(res):
            (got,), (want,) = r["big_yours"], r["big_library"]
            assert torch.isfinite(got).all(), (
                f"DDP with fp16_compress_hook on 2 ranks, weight gradients [40000, 1000, -50000, 3] on rank 0 and 1.2 "
                f"times that on rank 1: rank {rank}'s grad is {got.tolist()}. The float16 SUM (88000, -110000) is past "
                "float16's largest value, 65504: divide by the world size BEFORE the all-reduce")
            close(got, want, f"DDP with fp16_compress_hook on 2 ranks, gradients near float16's limit: rank {rank}'s grad "
                  "differs from default_hooks.fp16_compress_hook's", rtol=0, atol=0)

    def test_gives_the_gradients_of_default_hooks_fp16_compress_hook(self, pool):
        res = _e4_fp16_run()
        for rank, r in enumerate(res):
            for i, (got, want) in enumerate(zip(r["yours"], r["library"])):
                assert got.dtype == torch.float32, (
                    f"DDP with fp16_compress_hook on 2 ranks: rank {rank}'s parameter {i} grad is {got.dtype}; the hook "
                    "copies the float16 result back into the float32 bucket buffer and returns that buffer")
                close(got, want, f"DDP with your fp16_compress_hook on 2 ranks: rank {rank}'s parameter {i} grad differs "
                      "from default_hooks.fp16_compress_hook's (cast to float16, divide by the world size, all-reduce, "
                      "cast back into the buffer)", rtol=0, atol=0)
            err = _e4_exact_error(r["exact"], r["yours"])
            assert 1e-6 < err < 1e-2, (
                f"DDP with fp16_compress_hook on 2 ranks: rank {rank}'s gradients differ from exact DDP's by a relative "
                f"{err:.2e}; a bucket sent in float16 (11 significant bits) is off by about 1e-4 to 1e-3")


@pytest.mark.exercise(4)
class TestTimedAllreduceHook:
    def test_averages_like_ddp_and_records_each_bucket_when_it_is_sent(self, pool):
        delay = 0.2
        res = pool.run(_e4_task_timed, delay, world_size=2, timeout_s=30, pg_timeout_s=10)
        for rank, r in enumerate(res):
            for i, (got, want) in enumerate(zip(r["grads"], r["default"])):
                close(got, want, f"DDP with timed_allreduce_hook on 2 ranks: rank {rank}'s parameter {i} grad differs from "
                      "DDP's without a hook: divide the buffer by the world size and all-reduce it", rtol=1e-6, atol=1e-9)
            for step, b in enumerate(r["backwards"]):
                launches = b["launches"]
                k = len(launches)
                call = f"DDP(5-layer MLP of width 128, bucket_cap_mb=0.03) with timed_allreduce_hook, backward {step + 1}, rank {rank}"
                indices = sorted(i for i, _, _ in launches)
                assert indices == list(range(k)), f"{call}: launches holds the bucket indices {indices}; one entry per bucket"
                assert sum(n for _, _, n in launches) == r["params"], (
                    f"{call}: the element counts in launches sum to {sum(n for _, _, n in launches)}; the buckets hold the "
                    f"model's {r['params']} parameters (bucket.buffer().numel())")
                if step == 1:
                    assert k >= 3, f"{call}: launches has {k} entries; after the first iteration DDP rebuilds its buckets, 4 of them here"
                    assert all(b["start"] <= t <= b["end"] for _, t, _ in launches), (
                        f"{call}: launch times fall outside the backward pass; record time.perf_counter() in the hook")
        r = res[0]["backwards"][1]
        if len(r["calls"]) == len(r["launches"]):
            late = r["launches"][0][1] - r["calls"][0]
            assert late < delay / 2, (
                f"DDP with timed_allreduce_hook on 2 ranks, rank 1 {delay:g} s late for the first bucket: rank 0 recorded "
                f"bucket {r['launches'][0][0]} {late * 1e3:.0f} ms after it called dist.all_reduce. Record the time when "
                "the bucket is SENT, before the all-reduce, not once it is done")


@pytest.mark.exercise(4)
class TestGradientError:
    def test_is_the_norm_over_all_gradients_together(self):
        gradient_error = lab.exercise(4).gradient_error
        exact = [torch.tensor([3.0, 0.0]), torch.tensor([[100.0]])]
        approx = [torch.tensor([3.0, 4.0]), torch.tensor([[100.0]])]
        got = gradient_error(exact, approx)
        want = 4.0 / math.sqrt(9.0 + 10000.0)
        assert isinstance(got, float) and math.isclose(got, want, rel_tol=1e-12), (
            f"gradient_error([3, 0] and [[100]], [3, 4] and [[100]]) = {got!r}; ||approx - exact|| / ||exact|| over "
            f"all the gradients flattened together is 4 / sqrt(9 + 10000) = {want!r} (not the mean of each tensor's "
            "error, and divided by the norm of the EXACT gradients)")
        g = torch.Generator().manual_seed(4)
        shapes = [(3, 4), (4,), (2, 3, 2)]
        exact = [torch.randn(s, generator=g) for s in shapes]
        approx = [e + 0.01 * torch.randn(e.shape, generator=g) * (i + 1) for i, e in enumerate(exact)]
        got = gradient_error(exact, approx)
        want = _e4_exact_error(exact, approx)
        assert math.isclose(got, want, rel_tol=1e-6), (
            f"gradient_error(three float32 gradients, each perturbed) = {got!r}; ||approx - exact|| / ||exact|| is {want!r}")
        assert gradient_error(exact, [e.clone() for e in exact]) == 0.0, "gradient_error of identical gradients must be 0.0"

    def test_rejects_lists_of_different_lengths_or_shapes(self):
        gradient_error = lab.exercise(4).gradient_error
        a = [torch.ones(3), torch.ones(2, 2)]
        with expect_raises(ValueError, "gradient_error([(3,), (2, 2)], [(3,)])", "the lists differ in length"):
            gradient_error(a, a[:1])
        with expect_raises(ValueError, "gradient_error([(3,), (2, 2)], [(3,), (4,)])", "shapes (2, 2) and (4,) differ"):
            gradient_error(a, [torch.ones(3), torch.ones(4)])


@pytest.mark.exercise(4)
class TestHookedGradients:
    def test_without_a_hook_gives_ddps_gradients_and_with_powersgd_honours_the_steps(self, pool):
        steps = 4
        res = pool.run(_e4_task_hooked, steps, world_size=2, timeout_s=30, pg_timeout_s=10)
        for rank, r in enumerate(res):
            for i, (got, want) in enumerate(zip(r["yours"], r["plain"])):
                close(got, want, f"hooked_gradients(make_model, x, y, cross_entropy) on 2 ranks, no hook: rank {rank}'s "
                      f"parameter {i} grad differs from DDP's averaged gradient", rtol=1e-6, atol=1e-9)
            for i, (got, want) in enumerate(zip(r["yours_steps"], r["plain"])):
                close(got, want, f"hooked_gradients(..., steps={steps}) on 2 ranks, no hook: rank {rank}'s parameter {i} "
                      f"grad differs from DDP's after one pass; with no optimizer step every pass gives the same "
                      "gradients, if each starts from zeroed gradients", rtol=1e-6, atol=1e-9)
            for i, (got, want) in enumerate(zip(r["yours_powersgd"], r["powersgd"])):
                assert torch.isfinite(got).all(), f"hooked_gradients with PowerSGD: rank {rank}'s parameter {i} grad is not finite"
                close(got, want, f"hooked_gradients(..., powerSGD_hook, PowerSGDState(rank 1, start_powerSGD_iter=2), "
                      f"steps={steps}) on 2 ranks: rank {rank}'s parameter {i} grad differs from DDP's with the same hook "
                      f"after {steps} passes (PowerSGD only compresses from pass 3 on: run all the passes)",
                      rtol=1e-5, atol=1e-7)
            err_psgd, err_fp16 = _e4_exact_error(r["plain"], r["yours_powersgd"]), _e4_exact_error(r["plain"], r["fp16"])
            assert err_psgd > err_fp16, (
                f"hooked_gradients with PowerSGD rank 1 after {steps} passes: relative error {err_psgd:.2e} on rank {rank}, "
                f"not above fp16 compression's {err_fp16:.2e}; a rank-1 factorisation of each matrix loses far more")


# ---- Exercise 5: checkpoints, restarts under torchrun, and collectives that match -----------------
#
# save_checkpoint runs on 2 ranks with torch.save and os.replace wrapped to record every call: only
# rank 0 may write, through a temporary file renamed onto the checkpoint, and rank 1 (which calls
# save_checkpoint 0.3 s before rank 0 does) must not return before the file exists. load_checkpoint
# is checked in this process on plain modules (a momentum step after loading equals the step without
# the save and load) and in 2 ranks on a DDP wrapper. train_resumable is failed at step 6 and resumed;
# it must end at exactly the parameters of a run that never stopped. sync_metrics runs with
# TORCH_DISTRIBUTED_DEBUG=DETAIL on ranks that hold different metric names in different orders, so
# collectives that do not pair up fail in seconds with a message that names them. The slow test runs
# the file under the real torchrun --max-restarts 1, with a worker killed by SIGKILL.

_E5_STEPS, _E5_EVERY, _E5_FAIL_AT = 12, 4, 6


def _e5_net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))


def _e5_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(8, 4, generator=g), torch.randint(0, 2, (8,), generator=g)


def _e5_sgd_step(model: nn.Module, optimizer: torch.optim.Optimizer, seed: int) -> None:
    x, y = _e5_batch(seed)
    optimizer.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()


def _e5_trained(seed: int, steps: int) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A small model and its SGD-with-momentum optimizer after ``steps`` steps (momentum buffers filled)."""
    model = _e5_net(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for s in range(steps):
        _e5_sgd_step(model, optimizer, 100 + s)
    return model, optimizer


def _e5_params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _e5_momenta(optimizer: torch.optim.Optimizer) -> list[torch.Tensor | None]:
    return [None if optimizer.state.get(p, {}).get("momentum_buffer") is None
            else optimizer.state[p]["momentum_buffer"].clone()
            for group in optimizer.param_groups for p in group["params"]]


def _e5_max_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def _e5_same_tensors(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and torch.equal(x, y)) for x, y in zip(a, b))


def _e5_write_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, step: int, **extra) -> None:
    """A checkpoint in the documented format, written here (not by the code under test)."""
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step, **extra}, path)


# -- save_checkpoint -------------------------------------------------------------------------------


def _e5_task_save(folder: str) -> dict:
    """Both ranks save the same model twice (plain, then wrapped in DDP), with torch.save and os.replace recorded."""
    ex = lab.exercise(5)
    rank = dist.get_rank()
    plain_path, ddp_path = os.path.join(folder, "plain.pt"), os.path.join(folder, "ddp.pt")
    model, optimizer = _e5_trained(1, 2)
    saves: list[str] = []
    replaces: list[tuple[str, str]] = []
    real_save, real_replace = torch.save, os.replace

    def recording_save(obj, f, *args, **kwargs):
        saves.append(os.path.abspath(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else repr(f))
        return real_save(obj, f, *args, **kwargs)

    def recording_replace(src, dst, *args, **kwargs):
        replaces.append((os.path.abspath(os.fspath(src)), os.path.abspath(os.fspath(dst))))
        return real_replace(src, dst, *args, **kwargs)

    torch.save, os.replace = recording_save, recording_replace
    try:
        if rank == 0:
            time.sleep(0.3)  # rank 1 reaches save_checkpoint first: the barrier must hold it until rank 0 has written
        ex.save_checkpoint(plain_path, model, optimizer, 7)
        if rank == 1:
            assert os.path.exists(plain_path), (
                "save_checkpoint on 2 ranks (rank 0 called it 0.3 s after rank 1): it returned on rank 1 before rank 0 "
                "had written the checkpoint; every rank must end at a barrier (dist.barrier()), whatever its rank, so "
                "that no rank goes on, or reads the file, before it exists")
        ex.save_checkpoint(ddp_path, DistributedDataParallel(model), optimizer, 9)
    finally:
        torch.save, os.replace = real_save, real_replace
    return {"saves": saves, "replaces": replaces, "model": model.state_dict(), "optimizer": optimizer.state_dict()}


@pytest.mark.exercise(5)
def test_save_checkpoint_writes_from_rank_0_only_through_a_temporary_file_and_os_replace(pool, tmp_path):
    got = pool.run(_e5_task_save, str(tmp_path), world_size=2, timeout_s=15, pg_timeout_s=5)
    plain, ddp = str(tmp_path / "plain.pt"), str(tmp_path / "ddp.pt")
    assert not got[1]["saves"], (
        f"save_checkpoint on 2 ranks: rank 1 called torch.save {len(got[1]['saves'])} times in 2 calls; only rank 0 "
        "may write (every rank holds the same copy, and two writers of one file can leave it torn)")
    for path, call in ((plain, "save_checkpoint(path, model, optimizer, 7)"),
                       (ddp, "save_checkpoint(path, DistributedDataParallel(model), optimizer, 9)")):
        renamed = [src for src, dst in got[0]["replaces"] if dst == path]
        assert renamed, (
            f"{call} on rank 0 never called os.replace(tmp, path) onto {Path(path).name} (it called torch.save on "
            f"{[Path(s).name for s in got[0]['saves']]}); write to a temporary file first and rename it with os.replace, "
            "so a crash during the write leaves the previous checkpoint whole")
        assert all(src != path and src in got[0]["saves"] for src in renamed), (
            f"{call} on rank 0 renamed {[Path(s).name for s in renamed]} onto {Path(path).name}, but torch.save wrote "
            f"{[Path(s).name for s in got[0]['saves']]}: torch.save the temporary file, then os.replace it onto the path")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["ddp.pt", "plain.pt"], (
        f"after save_checkpoint the folder holds {left}; only the checkpoints should remain (the temporary file is "
        "renamed onto the checkpoint, not copied)")


@pytest.mark.exercise(5)
def test_save_checkpoint_holds_model_optimizer_and_step_without_the_ddp_prefix(pool, tmp_path):
    got = pool.run(_e5_task_save, str(tmp_path), world_size=2, timeout_s=15, pg_timeout_s=5)[0]
    for name, step, how in (("plain.pt", 7, "a plain module"), ("ddp.pt", 9, "a DistributedDataParallel wrapper")):
        state = torch.load(tmp_path / name, weights_only=True)
        call = f"save_checkpoint(path, {how}, optimizer, {step}) on 2 ranks"
        assert isinstance(state, dict) and {"model", "optimizer", "step"} <= set(state), (
            f"{call} wrote {type(state).__name__} with keys {sorted(state) if isinstance(state, dict) else '-'}; "
            "the checkpoint is a dict with 'model', 'optimizer' and 'step'")
        assert state["step"] == step, f"{call}: the checkpoint's 'step' is {state['step']!r}, not {step}"
        keys = list(state["model"])
        assert keys == list(got["model"]), (
            f"{call}: the checkpoint's model keys are {keys}; expected the wrapped module's {list(got['model'])} "
            "(save model.module's state_dict when given a DDP wrapper, so the checkpoint loads into a plain model)")
        for key, value in got["model"].items():
            assert torch.equal(state["model"][key], value), f"{call}: the checkpoint's {key} is not the model's"
        want = got["optimizer"]
        assert state["optimizer"]["param_groups"] == want["param_groups"], (
            f"{call}: the checkpoint's optimizer param_groups differ from optimizer.state_dict()'s")
        momenta = {k: v.get("momentum_buffer") for k, v in state["optimizer"]["state"].items()}
        assert set(momenta) == set(want["state"]) and all(
            torch.equal(momenta[k], want["state"][k]["momentum_buffer"]) for k in want["state"]), (
            f"{call}: the checkpoint does not hold the optimizer's momentum buffers (save optimizer.state_dict())")


# -- load_checkpoint -------------------------------------------------------------------------------


# The optimizer's first construction in a process imports torch._dynamo (seconds); the ranks pay it once
# for every test, so the load checks run there too (one rank, no process group needed).


def _e5_task_load_missing(folder: str) -> None:
    ex = lab.exercise(5)
    path = os.path.join(folder, "none.pt")
    model, optimizer = _e5_trained(2, 1)
    params, momenta = _e5_params(model), _e5_momenta(optimizer)
    step = ex.load_checkpoint(path, model, optimizer)
    assert step == 0, f"load_checkpoint(a path that does not exist, ...) returned {step!r}; a first start is step 0"
    assert _e5_same_tensors(_e5_params(model), params), "load_checkpoint(a missing path, ...) changed the model"
    assert _e5_same_tensors(_e5_momenta(optimizer), momenta), "load_checkpoint(a missing path, ...) changed the optimizer"
    assert not os.path.exists(path), "load_checkpoint(a missing path, ...) created the file"


@pytest.mark.exercise(5)
def test_load_checkpoint_of_a_missing_file_returns_0_and_changes_nothing(pool, tmp_path):
    pool.run(_e5_task_load_missing, str(tmp_path), world_size=1, init=False)


def _e5_task_load_round_trip(folder: str) -> None:
    ex = lab.exercise(5)
    path = os.path.join(folder, "ckpt.pt")
    saved_model, saved_opt = _e5_trained(3, 2)  # two SGD steps with momentum 0.9: the buffers are not zero
    _e5_write_checkpoint(path, saved_model, saved_opt, 7)
    at_save = _e5_params(saved_model)
    _e5_sgd_step(saved_model, saved_opt, 999)  # the step a run that never stopped would take next
    want = _e5_params(saved_model)

    model, optimizer = _e5_trained(4, 1)  # other weights, other momentum
    step = ex.load_checkpoint(path, model, optimizer)
    assert step == 7, f"load_checkpoint(a checkpoint of step 7, model, optimizer) returned {step!r}, not 7"
    assert _e5_same_tensors(_e5_params(model), at_save), (
        f"after load_checkpoint the model's parameters differ from the checkpoint's by up to "
        f"{_e5_max_diff(_e5_params(model), at_save):.2e}")
    _e5_sgd_step(model, optimizer, 999)
    assert _e5_same_tensors(_e5_params(model), want), (
        f"load_checkpoint, then one SGD step with momentum 0.9: the parameters differ by up to "
        f"{_e5_max_diff(_e5_params(model), want):.2e} from the same step without the save and load; restore the "
        "optimizer's state too (optimizer.load_state_dict: its momentum buffers)")


@pytest.mark.exercise(5)
def test_load_checkpoint_restores_parameters_and_momentum_so_the_next_step_is_the_same(pool, tmp_path):
    pool.run(_e5_task_load_round_trip, str(tmp_path), world_size=1, init=False)


_E5_RAN: list[str] = []


def _e5_ran_at_load(what: str) -> str:
    _E5_RAN.append(what)
    return what


class _E5CodeAtLoad:
    """An object whose unpickling calls a function: what a checkpoint from someone else could hold."""

    def __reduce__(self):
        return (_e5_ran_at_load, ("a function named in the checkpoint file ran",))


def _e5_task_load_code(folder: str) -> None:
    ex = lab.exercise(5)
    path = os.path.join(folder, "ckpt.pt")
    saved_model, saved_opt = _e5_trained(5, 1)
    _e5_write_checkpoint(path, saved_model, saved_opt, 3, extra=_E5CodeAtLoad())
    model, optimizer = _e5_trained(6, 1)
    _E5_RAN.clear()
    with expect_raises(pickle.UnpicklingError, "load_checkpoint(a checkpoint that holds a pickled object, ...)",
                       "load with torch.load(..., weights_only=True): a checkpoint is data, not code to run"):
        ex.load_checkpoint(path, model, optimizer)
    assert not _E5_RAN, "load_checkpoint ran a function named inside the checkpoint file; use weights_only=True"


@pytest.mark.exercise(5)
def test_load_checkpoint_refuses_a_checkpoint_that_would_run_code(pool, tmp_path):
    pool.run(_e5_task_load_code, str(tmp_path), world_size=1, init=False)


def _e5_task_load_ddp(folder: str) -> None:
    ex = lab.exercise(5)
    rank = dist.get_rank()
    path = os.path.join(folder, "ckpt.pt")
    saved_model, saved_opt = _e5_trained(8, 2)
    if rank == 0:
        _e5_write_checkpoint(path, saved_model, saved_opt, 5)
    dist.barrier()
    ddp = DistributedDataParallel(_e5_net(7))
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    step = ex.load_checkpoint(path, ddp, optimizer)
    call = "load_checkpoint(a checkpoint of step 5 without 'module.' keys, DistributedDataParallel(model), optimizer)"
    assert step == 5, f"{call} returned {step!r}, not 5"
    assert _e5_same_tensors(_e5_params(ddp.module), _e5_params(saved_model)), (
        f"{call}: the wrapped module's parameters differ from the checkpoint's by up to "
        f"{_e5_max_diff(_e5_params(ddp.module), _e5_params(saved_model)):.2e} (load into model.module when given a DDP wrapper)")
    assert _e5_same_tensors(_e5_momenta(optimizer), _e5_momenta(saved_opt)), (
        f"{call}: the optimizer's momentum buffers were not restored")


@pytest.mark.exercise(5)
def test_load_checkpoint_restores_a_ddp_wrapper_from_a_plain_checkpoint(pool, tmp_path):
    pool.run(_e5_task_load_ddp, str(tmp_path), world_size=2, timeout_s=15, pg_timeout_s=5)


# -- train_resumable -------------------------------------------------------------------------------


def _e5_task_resume(folder: str) -> dict:
    """An uninterrupted run; a run failed before step 6, then resumed; the reference's uninterrupted run."""
    ex, ref = lab.exercise(5), lab.reference(5)
    rank = dist.get_rank()
    straight, failed, fresh = (os.path.join(folder, n) for n in ("straight.pt", "failed.pt", "reference.pt"))
    out: dict = {"uninterrupted": ex.train_resumable(straight, _E5_STEPS, _E5_EVERY)}
    dist.barrier()
    out["uninterrupted_step"] = torch.load(straight, weights_only=True)["step"] if os.path.exists(straight) else None
    try:
        ex.train_resumable(failed, _E5_STEPS, _E5_EVERY, fail_at=_E5_FAIL_AT)
        out["raised"] = False
    except ex.SimulatedFailure:
        out["raised"] = True
    if not out["raised"]:
        return out
    dist.barrier()
    out["step_after_failure"] = torch.load(failed, weights_only=True)["step"] if os.path.exists(failed) else None
    dist.barrier()
    trained: list[int] = []
    real_batch = ex.batch_for_step

    def recording_batch(step, *args, **kwargs):
        trained.append(int(step))
        return real_batch(step, *args, **kwargs)

    ex.batch_for_step = recording_batch
    try:
        out["resumed"] = ex.train_resumable(failed, _E5_STEPS, _E5_EVERY)
    finally:
        ex.batch_for_step = real_batch
    out["resumed_steps"] = trained
    out["reference"] = ref.train_resumable(fresh, _E5_STEPS, _E5_EVERY)
    return out


@pytest.mark.exercise(5)
def test_train_resumable_failed_at_step_6_then_resumed_ends_exactly_where_an_uninterrupted_run_does(pool, tmp_path):
    got = pool.run(_e5_task_resume, str(tmp_path), world_size=2, timeout_s=20, pg_timeout_s=5)
    run = f"train_resumable(checkpoint, steps={_E5_STEPS}, every={_E5_EVERY}) on 2 ranks"
    r0 = got[0]
    assert r0["uninterrupted_step"] == _E5_STEPS, (
        f"{run} without a failure left a checkpoint of step {r0['uninterrupted_step']!r}, not 12; it saves once 4, 8 and "
        "12 steps are done, and the checkpoint holds the number of steps done (step + 1 after the step of index step)")
    for rank, res in enumerate(got):
        assert res["raised"], f"{run[:-12]}, fail_at={_E5_FAIL_AT}) on 2 ranks returned on rank {rank} without raising SimulatedFailure"
    ref = r0["reference"]
    close(r0["uninterrupted"], ref, f"{run} without a failure ended at other parameters than the reference's run",
          rtol=1e-5, atol=1e-6)
    assert r0["step_after_failure"] == 4, (
        f"{run[:-12]}, fail_at={_E5_FAIL_AT}) on 2 ranks left a checkpoint of step {r0['step_after_failure']!r}; "
        "the last checkpoint before step index 6 is the one saved after 4 steps (step + 1 = 4, a multiple of every)")
    for rank, res in enumerate(got):
        resumed, straight = res["resumed"], res["uninterrupted"]
        assert torch.equal(resumed, straight), (
            f"{run} failed before step {_E5_FAIL_AT}, then run again with the same checkpoint: rank {rank} ended at "
            f"parameters that differ from an uninterrupted run's by up to {(resumed - straight).abs().max().item():.2e}; "
            f"after the restart it trained steps {res['resumed_steps']} (expected 4 to 11, from the checkpoint's step, "
            "with the optimizer's momentum restored)")
    assert torch.equal(got[0]["resumed"], got[1]["resumed"]), f"{run}, resumed: rank 0 and rank 1 ended at different parameters"


# -- sync_metrics ----------------------------------------------------------------------------------

_E5_METRICS = {
    2: [{"loss": 1.0, "accuracy": 0.5},
        {"grad_norm": 3.0, "loss": 2.0, "accuracy": 0.25}],  # a name rank 0 lacks, first in rank 1's order
    3: [{"loss": 0.5, "tokens": 100.0},
        {"tokens": 80.0, "loss": 1.5, "lr": 0.1},
        {"accuracy": 0.75, "loss": 2.5}],
}


def _e5_task_sync(world: int) -> dict:
    ex = lab.exercise(5)
    got = ex.sync_metrics(dict(_E5_METRICS[world][dist.get_rank()]))
    dist.barrier()  # the training loop's next collective: it must meet the same call on every rank
    return got


@pytest.mark.exercise(5)
@pytest.mark.parametrize("world", [2, 3])
def test_sync_metrics_gives_every_rank_the_mean_over_the_ranks_that_reported_each_name(pool, world):
    per_rank = _E5_METRICS[world]
    call = f"sync_metrics on {world} ranks holding " + "; ".join(f"rank {r} {m}" for r, m in enumerate(per_rank))
    try:
        got = pool.run(_e5_task_sync, world, world_size=world, env={"TORCH_DISTRIBUTED_DEBUG": "DETAIL"},
                       pg_timeout_s=5, timeout_s=15)
    except RankError as err:
        if "mismatch between collectives" in str(err):
            raise AssertionError(
                f"{call}: the ranks made different collective calls (TORCH_DISTRIBUTED_DEBUG=DETAIL caught it): {err}. "
                "Collectives pair up by order: make the same calls on every rank, whatever names this rank holds "
                "(agree on the sorted union of names first)") from None
        raise
    names = sorted(set().union(*per_rank))
    want = {n: sum(m[n] for m in per_rank if n in m) / sum(n in m for m in per_rank) for n in names}
    for rank, res in enumerate(got):
        assert isinstance(res, dict) and sorted(res) == names, (
            f"{call}: rank {rank} got the names {sorted(res) if isinstance(res, dict) else res!r}; expected the union {names}")
        for n in names:
            assert math.isclose(float(res[n]), want[n], rel_tol=1e-9), (
                f"{call}: rank {rank} got {n} = {float(res[n])!r}; the mean over the "
                f"{sum(n in m for m in per_rank)} ranks that reported it is {want[n]!r}")


# -- the real torchrun -----------------------------------------------------------------------------


def _e5_task_reference_run(path: str, steps: int, every: int) -> torch.Tensor:
    return lab.reference(5).train_resumable(path, steps, every)


def _e5_processes_naming(text: str) -> list[int]:
    """Pids of the processes whose command line contains ``text`` (from /proc)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry))
    return pids


@pytest.mark.exercise(5)
@pytest.mark.slow
@pytest.mark.timeout(150)
def test_torchrun_restarts_a_killed_worker_and_the_resumed_run_ends_where_an_uninterrupted_one_does(pool, tmp_path):
    _, source = exercise_source(lab.info, 5, current_target())
    script = tmp_path / "exercise5_restarts.py"
    script.write_text(source, encoding="utf-8")
    ckpt, final = tmp_path / "ckpt.pt", tmp_path / "final.pt"
    torchrun = str(Path(sys.executable).parent / "torchrun")
    cmd = [torchrun, "--standalone", "--nproc-per-node", "2", "--max-restarts", "1", str(script),
           "--checkpoint", str(ckpt), "--steps", str(_E5_STEPS), "--every", str(_E5_EVERY),
           "--kill-at", str(_E5_FAIL_AT), "--result", str(final)]
    shown = f"torchrun --standalone --nproc-per-node 2 --max-restarts 1 exercise5_restarts.py --steps {_E5_STEPS} " \
            f"--every {_E5_EVERY} --kill-at {_E5_FAIL_AT}"
    # TMPDIR: torchrun keeps its workers' logs in a temporary folder, which then stays inside tmp_path.
    env = dict(os.environ, PYTHONUNBUFFERED="1", TORCH_CPP_LOG_LEVEL="ERROR", TMPDIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            cwd=tmp_path, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{shown} did not finish within 120 s; its last lines:\n" + "\n".join(out.splitlines()[-10:]))
    finally:
        for pid in _e5_processes_naming(str(script)):  # workers torchrun left behind (they run in sessions of their own)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    time.sleep(0.2)
    assert not _e5_processes_naming(str(script)), f"{shown}: worker processes were still running after torchrun exited"
    tail = "\n".join(out.splitlines()[-12:])
    assert proc.returncode == 0, f"{shown} exited with code {proc.returncode}; its last lines:\n{tail}"
    ranks_said = [line for line in out.splitlines() if line.startswith("[rank ")]
    assert "[rank 0] attempt 1: starting at step 4" in out, (
        f"{shown}: the restarted attempt should start at step 4 (the checkpoint saved after 4 steps); the workers said:\n"
        + "\n".join(ranks_said))
    assert final.exists(), f"{shown} exited with code 0 but rank 0 saved no final parameters"
    restarted = torch.load(final, weights_only=True)
    uninterrupted = pool.run(_e5_task_reference_run, str(tmp_path / "fresh.pt"), _E5_STEPS, _E5_EVERY,
                             world_size=2, timeout_s=15)[0]
    assert torch.equal(restarted, uninterrupted), (
        f"{shown}: after the kill and the restart the final parameters differ from an uninterrupted run's by up to "
        f"{(restarted - uninterrupted).abs().max().item():.2e}")
