"""shared.ranks and shared.loader: graded code runs in spawned ranks, and what goes wrong there comes back in words.

The pool's processes are started with spawn, as torchrun starts its workers: fresh interpreters that
import everything they run by name. One pool serves the whole test session (starting four ranks that
import torch takes seconds); each task gets a fresh process group.
"""
import os
import pickle
import time

import pytest
import torch
import torch.distributed as dist

from shared import grading, ranks
from shared.labs import resolve_lab
from shared.loader import load_exercise, module_name

pytestmark = pytest.mark.timeout(90)  # the first test starts the pool


def _sum_of_ranks(n):
    t = torch.full((n,), float(dist.get_rank()))
    dist.all_reduce(t)
    return t, int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), os.environ["MASTER_ADDR"]


def _raise_in_rank_1():
    if dist.get_rank() == 1:
        raise ValueError("chunk 3 has the wrong length")
    t = torch.zeros(2)
    dist.all_reduce(t)  # rank 0 waits here for a peer that has already failed
    return t


def _assert_in_rank(rank):
    assert dist.get_rank() != rank, "the ring sent chunk 2 where chunk 1 was due"
    return True


def _hang_in_rank_1(pid_file, child_file):
    with open(pid_file, "a") as f:
        f.write(f"{os.getpid()}\n")
    if dist.get_rank() == 1:
        import subprocess

        child = subprocess.Popen(["sleep", "600"])  # a process the rank started: it must not outlive the hang either
        with open(child_file, "w") as f:
            f.write(str(child.pid))
        time.sleep(600)
    return dist.get_rank()


def _all_reduce_while_rank_1_sleeps():
    t = torch.ones(1)
    if dist.get_rank() == 1:
        time.sleep(4)  # alive, but never calls the all-reduce
        return 1
    dist.all_reduce(t)
    return 0


def _skip_a_collective_on_rank_1():
    t = torch.ones(1)
    if dist.get_rank() != 1:
        dist.all_reduce(t)
    return 0


def _die_in_rank_1():
    if dist.get_rank() == 1:
        os._exit(7)
    return 0


def _load_graded_function(name):
    """In the rank: import an exercise module by its loader name, as unpickling would."""
    import importlib

    module = importlib.import_module(name)
    return module.__name__, module.__file__


def _stub_in_rank():
    raise NotImplementedError("Exercise 2.1: write ring_all_reduce")


def _debug_level():
    return str(dist.get_debug_level())


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has exited: its parent has not reaped it yet
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture(scope="module")
def pool():
    return ranks.shared_pool(4)


def test_every_rank_runs_the_task_with_the_torchrun_environment(pool):
    for world_size in (2, 4):
        results = pool.run(_sum_of_ranks, 3, world_size=world_size)
        want = float(sum(range(world_size)))
        assert len(results) == world_size
        for rank, (t, env_rank, env_world, addr) in enumerate(results):
            assert torch.equal(t, torch.full((3,), want)), f"rank {rank} got {t}"
            assert (env_rank, env_world, addr) == (rank, world_size, "127.0.0.1")


def test_the_pool_is_started_once_and_reused(pool):
    pool.run(_sum_of_ranks, 1, world_size=4)
    starts = pool.starts
    pool.run(_sum_of_ranks, 1, world_size=4)
    pool.run(_sum_of_ranks, 1, world_size=2)
    assert pool.starts == starts, "a task that succeeded must leave the ranks running for the next one"


def test_an_exception_in_rank_1_is_reported_in_words_naming_the_rank(pool):
    with pytest.raises(ranks.RankError, match=r"^rank 1 raised ValueError: chunk 3 has the wrong length"):
        pool.run(_raise_in_rank_1, world_size=2, timeout_s=20)
    with pytest.raises(ranks.RankError, match=r"^rank 2: the ring sent chunk 2 where chunk 1 was due"):
        pool.run(_assert_in_rank, 2, world_size=4)
    assert pool.run(_sum_of_ranks, 1, world_size=2)[0][0].item() == 1.0, "the pool must still work after a failure"


def test_a_stub_in_a_rank_is_still_not_written_yet_on_the_scoreboard(pool):
    with pytest.raises(NotImplementedError, match=r"Exercise 2.1: write ring_all_reduce \(in rank 0"):
        pool.run(_stub_in_rank, world_size=2)


def test_a_hung_rank_fails_within_its_time_out_and_leaves_no_process_behind(pool, tmp_path):
    pool.run(_sum_of_ranks, 1, world_size=2)  # the pool is up, so the time-out counts the task only
    pid_file, child_file = tmp_path / "pids", tmp_path / "child"
    pool_pids = pool.pids
    start = time.monotonic()
    with pytest.raises(ranks.RankTimeout, match=r"^rank 1 did not finish within 2 s \(rank 0 finished\): a hang"):
        pool.run(_hang_in_rank_1, str(pid_file), str(child_file), world_size=2, timeout_s=2)
    assert time.monotonic() - start < 8, "the time-out must stop the task promptly"
    task_pids = [int(line) for line in pid_file.read_text().split()]
    assert set(task_pids) <= set(pool_pids)
    left = [pid for pid in pool_pids if _alive(pid)]
    assert not left, f"processes {left} of the pool outlived the hang"
    grandchild = int(child_file.read_text())
    for _ in range(50):  # killed at once; init reaps it a moment later
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild), "a process started by the hung rank outlived it"
    assert pool.run(_sum_of_ranks, 1, world_size=2)[1][0].item() == 1.0, "the next task must get a fresh pool"


def test_a_process_group_time_out_is_reported_as_a_hang_naming_the_ranks(pool):
    with pytest.raises(ranks.RankTimeout, match=r"^rank 0 waited in a collective or a recv until the process group's "
                                                r"time-out: a hang \(rank 1 finished\)"):
        pool.run(_all_reduce_while_rank_1_sleeps, world_size=2, pg_timeout_s=1, timeout_s=20)


def test_a_collective_one_rank_skips_is_reported_as_different_calls(pool):
    with pytest.raises(ranks.RankError, match=r"its peer had already finished \(rank 1 returned .*made different calls"):
        pool.run(_skip_a_collective_on_rank_1, world_size=2, timeout_s=20)


def test_a_rank_that_dies_is_reported_with_its_exit_code(pool):
    with pytest.raises(ranks.RankError, match=r"rank 1 exited with code 7"):
        pool.run(_die_in_rank_1, world_size=2, timeout_s=20)


def test_a_rank_error_is_the_scoreboard_line_as_it_is():
    try:
        raise ranks.RankError("rank 1 raised ValueError: chunk 3 has the wrong length (at exercises/exercise2_ring.py:41)")
    except ranks.RankError:
        info = pytest.ExceptionInfo.from_current()
    assert grading.plain_failure(info) == "rank 1 raised ValueError: chunk 3 has the wrong length (at exercises/exercise2_ring.py:41)"


def test_a_rank_timeout_blocks_the_exercise_like_a_test_timeout():
    try:
        raise ranks.RankTimeout("rank 1 did not finish within 2 s: a hang")
    except ranks.RankTimeout:
        info = pytest.ExceptionInfo.from_current()
    assert grading.is_timeout(info)
    assert grading.plain_failure(info, 30) == "rank 1 did not finish within 2 s: a hang"


def test_graded_code_imports_by_name_in_a_spawned_rank(pool, monkeypatch):
    info = resolve_lab("phase1_foundations/lab1_tensors")
    for target in ("solution", "stubs"):
        monkeypatch.setenv("LAB_TARGET", target)
        module = load_exercise(info, 1, target)
        name = module_name(info, module.__name__.rsplit("__", 1)[1], target)
        assert module.__name__ == name
        got = pool.run(_load_graded_function, name, world_size=2)
        assert got[0] == (name, module.__file__), f"rank 0 imported {got[0]}, not {name} from {module.__file__}"


def test_objects_defined_in_graded_code_pickle_by_reference():
    module = load_exercise(resolve_lab("phase1_foundations/lab1_tensors"), 1, "solution")
    fn = next(v for v in vars(module).values() if callable(v) and getattr(v, "__module__", "") == module.__name__)
    assert pickle.loads(pickle.dumps(fn)) is fn


def test_the_pool_starts_only_the_ranks_tasks_ask_for():
    with ranks.RankPool(4) as small:
        small.run(_sum_of_ranks, 1, world_size=2)
        assert len(small.pids) == 2, "a task on 2 ranks should start 2 processes, not 4"
        got = small.run(_sum_of_ranks, 1, world_size=3)
        assert len(small.pids) == 3 and got[2][0].item() == 3.0, "a task on 3 ranks adds the third process"
    assert small.pids == [], "close() ends every process"


def test_a_task_can_ask_for_torch_distributed_debug_detail(pool):
    got = pool.run(_debug_level, world_size=2, env={"TORCH_DISTRIBUTED_DEBUG": "DETAIL"})
    assert got == ["DebugLevel.DETAIL"] * 2
    assert pool.run(_debug_level, world_size=2) == ["DebugLevel.OFF"] * 2, "the debug level must not outlive its task"


def test_a_function_that_cannot_be_pickled_is_refused_before_any_rank_runs(pool):
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pool.run(lambda: 1, world_size=2)
