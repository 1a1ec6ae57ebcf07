"""A world of worker processes for tests: run one function on every rank, get every rank's result.

Distributed code is graded the way ``torchrun`` runs it: in separate processes started with
``spawn`` (a fresh interpreter, the default start method on macOS and the only one on Windows), each with the
environment ``torchrun`` sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
``MASTER_PORT``...). Starting a process that imports torch costs seconds, so the processes are
started once and reused: :func:`shared_pool` is one pool per test session, and every
:meth:`RankPool.run` builds a fresh process group on a fresh port, runs the task and destroys the
group again, so no test sees another's group::

    from shared.ranks import shared_pool

    def _sum_of_ranks(n):                        # module level: the ranks import it by name
        t = torch.tensor([float(dist.get_rank())] * n)
        dist.all_reduce(t)
        return t

    results = shared_pool().run(_sum_of_ranks, 3, world_size=4)   # one result per rank, rank order

What goes wrong in a rank comes back in plain words naming the rank:

* an exception: :class:`RankError` ("rank 1 raised ValueError: ... (at .../exercise2_ring.py:41)");
  an untouched stub's ``NotImplementedError``, a guard's ``ShortcutUsed`` and an exercise file that
  does not import keep their type, so the scoreboard reports them as it does in one process;
* a rank that does not finish in ``timeout_s`` (a collective one rank never calls, an endless
  loop): :class:`RankTimeout`. Every rank process is then killed (with any process it started) and
  the pool starts afresh for the next task, so a hang never outlives its test;
* a rank that dies (``os._exit``, a signal): :class:`RankError` with its exit code.

The functions run and their arguments travel by pickle, so they must be importable by name: defined
at module level in a test file or in graded lab code (:mod:`shared.loader` makes that importable).
"""
from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import time
import traceback
from datetime import timedelta
from typing import Any, Callable

_START_TIMEOUT_S = 120.0
_GRACE_S = 3.0  # after one rank fails, how long the others get to report (their peers' errors) before the kill


class RankError(AssertionError):
    """A rank raised an exception or died; the message names the rank and says what happened."""


class RankTimeout(AssertionError):
    """Some rank did not finish in time (a hang); every rank process was killed."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun_env(rank: int, world_size: int, port: int, addr: str = "127.0.0.1") -> dict[str, str]:
    """The variables ``torchrun`` sets for one worker on a single machine."""
    return {"RANK": str(rank), "WORLD_SIZE": str(world_size), "LOCAL_RANK": str(rank),
            "LOCAL_WORLD_SIZE": str(world_size), "GROUP_RANK": "0", "MASTER_ADDR": addr, "MASTER_PORT": str(port)}


# ------------------------------------------------------------------------------------------
# The rank side
# ------------------------------------------------------------------------------------------


def _describe_error(rank: int, err: BaseException) -> dict[str, Any]:
    from shared.loader import learner_frame

    cls = type(err)
    return {"rank": rank, "module": cls.__module__, "qualname": cls.__qualname__, "message": str(err).strip(),
            "where": learner_frame(err.__traceback__), "traceback": "".join(traceback.format_exception(err))}


def _run_task(rank: int, task: dict[str, Any]) -> tuple[str, Any]:
    import torch
    import torch.distributed as dist

    saved = dict(os.environ)
    os.environ.update(torchrun_env(rank, task["world_size"], task["port"]))
    os.environ.update(task["env"])
    dist.set_debug_level_from_env()  # read once at import; a task may ask for TORCH_DISTRIBUTED_DEBUG=DETAIL
    try:
        os.chdir(task["cwd"])
        torch.manual_seed(0)
        if task["init"]:
            try:
                dist.init_process_group(task["backend"], timeout=timedelta(seconds=task["pg_timeout_s"]))
            except Exception as err:  # noqa: BLE001 - the pool's own set-up failed, not the task: the parent retries
                info = _describe_error(rank, err)
                info["during_init"] = True
                return "error", info
        fn, args, kwargs = pickle.loads(task["call"])
        result = fn(*args, **kwargs)
        return "ok", pickle.dumps(result)
    except BaseException as err:  # noqa: BLE001 - every failure is reported to the parent
        return "error", _describe_error(rank, err)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        dist.set_debug_level_from_env()


def _quiet_gloo(fd: int) -> None:
    """Drop gloo's "[Gloo] Rank 0 is connected to 1 peer ranks…" line, printed at every group's creation,
    from what this process writes to ``fd``; everything else (a learner's prints, warnings) goes through,
    line by line."""
    import threading

    read_end, write_end = os.pipe()
    real = os.dup(fd)
    os.dup2(write_end, fd)
    os.close(write_end)

    def forward() -> None:
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                if b"[Gloo] Rank" not in line:
                    os.write(real, line)

    threading.Thread(target=forward, daemon=True).start()


def _rank_main(rank: int, conn: multiprocessing.connection.Connection) -> None:
    """The loop of one pool process: receive a task, run it, send back the result, until EOF."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # its own process group: killing the rank kills whatever it started too
    if os.name == "posix":
        for fd in (1, 2):
            _quiet_gloo(fd)
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    conn.send_bytes(pickle.dumps(("ready", rank)))
    while True:
        try:
            task = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return  # the parent has gone
        kind, payload = _run_task(rank, task)
        # Report before tearing the group down: a peer blocked in a collective fails once the group
        # closes, and the first report that reaches the parent should be the cause, not that echo.
        conn.send_bytes(pickle.dumps((task["id"], kind, payload)))
        if dist.is_initialized():
            try:
                dist.destroy_process_group()
            except Exception:  # noqa: BLE001 - a broken group is thrown away either way
                pass


# ------------------------------------------------------------------------------------------
# The parent side
# ------------------------------------------------------------------------------------------


def _rebuild(info: dict[str, Any]) -> BaseException:
    """The parent-side exception for a rank's failure, in plain words that name the rank."""
    import importlib

    rank, message, where = info["rank"], info["message"], info["where"]
    first = message.splitlines()[0] if message else ""
    at = f" (at {where})" if where else ""
    try:
        cls = getattr(importlib.import_module(info["module"]), info["qualname"])
    except Exception:  # noqa: BLE001 - a class the parent cannot import is reported by name
        cls = None
    keep = ("NotImplementedError", "ShortcutUsed", "ExerciseImportError")
    if cls is not None and isinstance(cls, type) and cls.__name__ in keep:
        err = cls(f"{first} (in rank {rank}{', at ' + where if where else ''})")
    elif cls is AssertionError or (cls is not None and isinstance(cls, type) and issubclass(cls, AssertionError)):
        err = RankError(f"rank {rank}: {first or 'an assertion failed'}{at}")
    else:
        err = RankError(f"rank {rank} raised {info['qualname']}: {first}{at}")
    err.rank_traceback = info["traceback"]  # type: ignore[attr-defined]
    err.rank = rank  # type: ignore[attr-defined]
    err.during_init = info.get("during_init", False)  # type: ignore[attr-defined]
    return err


_ECHOES = ("Connection closed by peer", "Connection reset by peer", "DistBackendError")
_TIMEOUTS = ("Timed out waiting", "Watchdog caught collective operation timeout", "failed to pass monitoredBarrier")


def _root_cause(errors: list[BaseException]) -> BaseException:
    """The error to report: the lowest rank's among those that are not a peer's echo of another rank's
    failure (a collective that broke because the rank that failed closed its connections)."""
    def echo(err: BaseException) -> bool:
        return any(mark in str(err) for mark in _ECHOES)

    causes = [e for e in errors if not echo(e)] or errors
    return min(causes, key=lambda e: getattr(e, "rank", 1 << 30))


class RankPool:
    """Up to ``size`` worker processes, started with ``start_method`` when a task first needs them (a task
    on 2 ranks starts 2; one on 4 then adds 2 more), reused by every :meth:`run`."""

    def __init__(self, size: int = 4, start_method: str = "spawn"):
        self.size = size
        self.start_method = start_method
        self._procs: list[multiprocessing.process.BaseProcess] = []
        self._conns: list[multiprocessing.connection.Connection] = []
        self._next_id = 0
        self.starts = 0  # how many times the processes were (re)started

    # -- lifetime --------------------------------------------------------------------------
    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p.pid is not None]

    def _start(self, count: int) -> None:
        """Start ranks len(self._procs) … count-1 (the pool grows to what the tasks ask for, up to ``size``)."""
        ctx = multiprocessing.get_context(self.start_method)
        first = len(self._procs)
        for rank in range(first, count):
            parent, child = ctx.Pipe(duplex=True)
            proc = ctx.Process(target=_rank_main, args=(rank, child), name=f"rank{rank}", daemon=True)
            proc.start()
            child.close()
            self._procs.append(proc)
            self._conns.append(parent)
        self.starts += 1
        # Wait until every rank has imported torch (seconds), so that a task's time-out counts the task only.
        deadline = time.monotonic() + _START_TIMEOUT_S
        for rank, conn in enumerate(self._conns[first:], start=first):
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                self.close()
                raise RankError(f"rank {rank} did not start within {_START_TIMEOUT_S:g} s")
            conn.recv_bytes()

    def close(self) -> None:
        """Kill every rank process (and what each started) and wait for them."""
        for conn in self._conns:
            conn.close()
        for proc in self._procs:
            if proc.is_alive():
                try:
                    os.killpg(proc.pid, signal.SIGKILL) if hasattr(os, "killpg") else proc.kill()
                except (ProcessLookupError, PermissionError):
                    proc.kill()
        for proc in self._procs:
            proc.join(10)
        self._procs, self._conns = [], []

    def __enter__(self) -> "RankPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running ---------------------------------------------------------------------------
    def run(self, fn: Callable[..., Any], *args: Any, world_size: int | None = None, timeout_s: float = 20.0,
            init: bool = True, backend: str = "gloo", pg_timeout_s: float = 30.0,
            env: dict[str, str] | None = None, **kwargs: Any) -> list[Any]:
        """``fn(*args, **kwargs)`` on ranks ``0 … world_size-1``; their results, in rank order.

        With ``init`` each rank first joins a fresh default process group (``backend``, collectives
        time out after ``pg_timeout_s``); without it ``fn`` finds only the torchrun variables and
        creates the group itself. ``env`` adds variables (``TORCH_DISTRIBUTED_DEBUG``...) for the task.
        """
        world_size = self.size if world_size is None else world_size
        if not 1 <= world_size <= self.size:
            raise ValueError(f"world_size={world_size} needs 1 to {self.size} ranks (the pool has {self.size})")
        call = pickle.dumps((fn, args, kwargs))  # fails here, in words, if fn is not importable by name
        for attempt in range(2):
            try:
                return self._run_once(call, world_size, timeout_s, init, backend, pg_timeout_s, env)
            except RankError as err:
                # Joining the group failed (a port taken by another program between our check and the
                # bind, a connection refused under load): the task never ran, so run it again, once.
                if attempt or not getattr(err, "during_init", False):
                    raise
        raise AssertionError("unreachable")

    def _run_once(self, call: bytes, world_size: int, timeout_s: float, init: bool, backend: str,
                  pg_timeout_s: float, env: dict[str, str] | None) -> list[Any]:
        if not all(p.is_alive() for p in self._procs):
            self.close()
        if len(self._procs) < world_size:
            self._start(world_size)
        task_id, self._next_id = self._next_id, self._next_id + 1
        task = {"id": task_id, "call": call, "world_size": world_size, "port": free_port(), "init": init,
                "backend": backend, "pg_timeout_s": pg_timeout_s, "env": dict(env or {}), "cwd": os.getcwd()}
        done = False
        try:
            for rank in range(world_size):
                self._conns[rank].send_bytes(pickle.dumps(task))
            results, error, done = self._collect(task_id, world_size, timeout_s)
        finally:
            if not done:  # a failed, hung or interrupted task leaves ranks in an unknown state
                self.close()
        if error is not None:
            raise error
        return results

    @staticmethod
    def _explain(err: BaseException, errors: list[BaseException], finished: list[int], stuck: list[int]) -> BaseException:
        """``err`` with what the other ranks were doing; a process-group time-out becomes a RankTimeout."""
        def ranks_(rs: list[int]) -> str:
            return f"rank{'s' if len(rs) > 1 else ''} {', '.join(map(str, rs))}"

        def echo(e: BaseException) -> bool:
            return any(mark in str(e) for mark in _ECHOES)

        rank = getattr(err, "rank", "?")
        if echo(err) and finished:
            out = RankError(
                f"{str(err).splitlines()[0]}: its peer had already finished ({ranks_(finished)} returned while rank "
                f"{rank} was still communicating). The ranks made different calls: one skipped a collective, a send or "
                "a recv that the others made")
            out.rank = rank  # type: ignore[attr-defined]
            return out
        echoed = sorted(getattr(e, "rank", -1) for e in errors if e is not err and echo(e))
        others = []
        if echoed:
            others.append(f"{ranks_(echoed)} were still communicating when rank {rank} stopped: their calls failed "
                          "with 'Connection closed by peer'" if len(echoed) > 1 else
                          f"{ranks_(echoed)} was still communicating when rank {rank} stopped: its calls failed "
                          "with 'Connection closed by peer'")
        if finished:
            others.append(f"{ranks_(finished)} finished")
        if stuck:
            others.append(f"{ranks_(stuck)} had not finished {_GRACE_S:g} s later and {'were' if len(stuck) > 1 else 'was'} stopped")
        context = f" ({'; '.join(others)})" if others else ""
        text = str(err)
        if any(mark in text for mark in _TIMEOUTS):
            first = text.splitlines()[0] if text else ""
            out: BaseException = RankTimeout(
                f"rank {rank} waited in a collective or a recv until the process group's time-out: a hang{context}. "
                "Some rank did not make the matching call: a collective that one rank skips or calls in another "
                f"order, a send without its recv, or an endless loop. The time-out said: {first}")
        elif context and isinstance(err, RankError):
            out = RankError(text + context)
        else:
            return err
        out.rank = getattr(err, "rank", None)  # type: ignore[attr-defined]
        out.during_init = getattr(err, "during_init", False)  # type: ignore[attr-defined]
        return out

    def _collect(self, task_id: int, world_size: int, timeout_s: float) -> tuple[list[Any], BaseException | None, bool]:
        """(results in rank order, the first error or None, whether every rank reported and is reusable)."""
        results: dict[int, Any] = {}
        errors: list[BaseException] = []
        deadline = time.monotonic() + timeout_s
        waiting = {self._conns[r]: r for r in range(world_size)}
        sentinels = {self._procs[r].sentinel: r for r in range(world_size)}
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready = multiprocessing.connection.wait([*waiting, *sentinels], timeout=left)
            for obj in ready:
                if obj in waiting:
                    rank = waiting[obj]
                    try:
                        got_id, kind, payload = pickle.loads(obj.recv_bytes())
                    except (EOFError, OSError):
                        continue  # the process died; its sentinel reports it
                    if got_id != task_id:
                        continue
                    del waiting[obj]
                    sentinels = {s: r for s, r in sentinels.items() if r != rank}
                    if kind == "ok":
                        results[rank] = pickle.loads(payload)
                    else:
                        errors.append(_rebuild(payload))
                        deadline = min(deadline, time.monotonic() + _GRACE_S)
                elif obj in sentinels:
                    rank = sentinels.pop(obj)
                    self._procs[rank].join(1)
                    code = self._procs[rank].exitcode
                    how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
                    died = RankError(f"rank {rank} {how} before it finished (os._exit, a crash, or the "
                                     "machine's memory limit)")
                    died.rank = rank  # type: ignore[attr-defined]
                    errors.append(died)
                    waiting = {c: r for c, r in waiting.items() if r != rank}
                    deadline = min(deadline, time.monotonic() + _GRACE_S)
        if errors:
            return [], self._explain(_root_cause(errors), errors, sorted(results), sorted(waiting.values())), \
                not waiting and all(p.is_alive() for p in self._procs)
        if waiting:
            hung = sorted(waiting.values())
            names = ", ".join(f"rank {r}" for r in hung)
            finished = sorted(results)
            also = f" (rank{'s' if len(finished) > 1 else ''} {', '.join(map(str, finished))} finished)" if finished else ""
            return [], RankTimeout(
                f"{names} did not finish within {timeout_s:g} s{also}: a hang. Look for a collective or a recv "
                "that one rank calls and another does not (or in another order), a send without its recv, or an "
                "endless loop; every rank process was stopped"), False
        return [results[r] for r in range(world_size)], None, True


_POOL: RankPool | None = None


def shared_pool(size: int = 4) -> RankPool:
    """The pool of this process (started on first use, closed at exit), with at least ``size`` ranks."""
    global _POOL
    if _POOL is None or _POOL.size < size:
        if _POOL is not None:
            _POOL.close()
        _POOL = RankPool(size)
        atexit.register(_POOL.close)
    return _POOL
