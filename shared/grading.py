"""The grading machinery: which code a test runs, shortcut guards, and the per-exercise scoreboard.

One test suite grades three targets, chosen with the ``LAB_TARGET`` environment variable:

* ``solution`` (default, what ``make test`` and CI run): the reference in ``solution/``;
* ``exercises`` (what ``make test-lab`` runs): the learner's files in ``exercises/``;
* ``stubs`` (what ``make check-stubs`` runs): stubs generated afresh from the solutions, so the
  check never depends on what a learner has typed;
* ``mistake`` (what ``make check-mistakes`` runs): the solution with one known learner mistake
  applied in memory, named by ``LAB_MISTAKE`` (see :mod:`shared.mistakes`).

A test reaches code only through :class:`Lab`::

    lab = Lab("phase1_foundations/lab1_tensors")

    @pytest.mark.exercise(2)
    def test_broadcast_matches_torch():
        ex = lab.exercise(2)                      # module exercise2_*.py of the target under test
        with forbid("torch.broadcast_shapes", why="Exercise 2.1 asks you to apply the rule by hand"):
            got = ex.broadcast_shape((8, 1, 6, 1), (7, 1, 5))
        assert got == (8, 7, 6, 5), f"..."

The pytest plugin at the bottom of this file (loaded by ``tests/conftest.py``) adds the test
hygiene every suite gets (seeding, a private working folder, no network) and prints the
scoreboard: passed k of n per exercise and the first failure in plain words.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pytest
import torch

from shared.labs import REPO_ROOT, LabInfo, resolve_lab
# The loader lives in shared.loader (no pytest there), so spawned child processes can import graded code by name.
from shared.loader import TARGETS, ExerciseImportError, current_target, learner_frame, load_exercise  # noqa: F401 - re-exported

class Lab:
    """Handle a test suite uses to reach one lab's code, whatever the target.

    ``Lab("phase1_foundations/lab1_tensors").exercise(2)`` is the module ``exercise2_*.py`` of the
    target under test; ``.reference(2)`` is always the solution's, for tests of one exercise that
    need a piece of another (so exercises can be worked in any order).
    """

    def __init__(self, lab: str | LabInfo):
        self.info = lab if isinstance(lab, LabInfo) else resolve_lab(lab)

    def exercise(self, number: int) -> ModuleType:
        __tracebackhide__ = True
        return load_exercise(self.info, number, current_target())

    def reference(self, number: int) -> ModuleType:
        return load_exercise(self.info, number, "solution")

    def __repr__(self) -> str:
        return f"Lab({self.info.rel!r}, target={current_target()!r})"


@contextlib.contextmanager
def expect_raises(exc_type: type[BaseException], call: str, why: str = ""):
    """``with expect_raises(ValueError, "sinusoidal_encoding(5, 7)", "d_model must be even"): ...``

    Like ``pytest.raises``, but a failure says in words which call should have raised and why,
    instead of "DID NOT RAISE". NotImplementedError (an untouched stub) passes through unchanged.
    """
    __tracebackhide__ = True
    because = f" ({why})" if why else ""
    try:
        yield
    except exc_type:
        return
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - the wrong exception is the finding
        raise AssertionError(f"{call} should raise {exc_type.__name__}{because}; it raised "
                             f"{type(err).__name__}: {err}") from err
    raise AssertionError(f"{call} should raise {exc_type.__name__}{because}; it returned without an error")


def close(actual: Any, expected: Any, what: str, **tolerances: Any) -> None:
    """``torch.testing.assert_close`` whose failure message starts with ``what``, in plain words.

    ``what`` names the call and the expectation ("masked_mean(x (6, 7), mask, dim=1) is wrong");
    PyTorch's own detail (how many elements differ, the largest difference) follows on the next line.
    """
    import torch.testing

    torch.testing.assert_close(actual, expected, msg=lambda detail: f"{what}\n{detail}", **tolerances)


# --------------------------------------------------------------------------------------------
# Shortcut guards
# --------------------------------------------------------------------------------------------


_INHERITED = object()


class ShortcutUsed(AssertionError):
    """A library function that the exercise asks you to write by hand was called."""


def _resolve(dotted: str) -> tuple[Any, str]:
    """``"torch.nn.functional.conv2d"`` -> (the object that owns the attribute, ``"conv2d"``)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:-1]:
            owner = getattr(owner, attr)
        if not hasattr(owner, parts[-1]):
            raise AttributeError(f"forbid({dotted!r}): {parts[-1]!r} does not exist")
        return owner, parts[-1]
    raise ImportError(f"forbid({dotted!r}): no importable module in that name")


class _OperatorTrap:
    """A ``TorchDispatchMode`` that raises on the named aten operators, whatever Python path led there.

    ``torch.ops.aten.conv2d``, ``torch.conv2d``, ``F.conv2d`` and ``nn.Conv2d`` all reach the kernel
    through the dispatcher as ``aten.convolution``; an attribute trap sees only the first name it
    replaced, this sees the operator itself.
    """

    def __init__(self, ops: set[str], on_call: Any):
        from torch.utils._python_dispatch import TorchDispatchMode

        ops_, on_call_ = ops, on_call

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
                name = f"{func.namespace}.{func.overloadpacket.__name__}"
                if name in ops_:
                    on_call_(f"torch.ops.{name} (the operator behind it)")
                return func(*args, **(kwargs or {}))

        self.mode = Mode()


@contextlib.contextmanager
def forbid(*names: str, why: str) -> Iterator[None]:
    """Make the named library functions raise :class:`ShortcutUsed` while the block runs.

    A dotted Python name (``"torch.nn.functional.conv2d"``, ``"torch.Tensor.unfold"``) is replaced
    by a trap. A name ``"aten.<op>"`` (``"aten.convolution"``) forbids the operator itself, at the
    dispatcher: every path to its kernel (``torch.ops.aten.conv2d``, ``torch.conv2d``, a module)
    raises, including the autograd backward of the block. ``why`` is the learner-facing reason. A
    call is reported even if the learner's code catches the exception: the guard checks again
    when the block ends.
    """
    calls: list[str] = []
    saved: list[tuple[Any, str, Any]] = []

    def refuse(name: str) -> None:
        calls.append(name)
        raise ShortcutUsed(f"{why}: your code called {name}, which is off limits in this exercise")

    def make_trap(name: str):
        def trap(*args: Any, **kwargs: Any) -> Any:
            refuse(name)

        return trap

    ops = {n for n in names if n.startswith("aten.")}
    for op in ops:
        if not hasattr(torch.ops.aten, op[len("aten."):]):
            raise AttributeError(f"forbid({op!r}): torch.ops.aten has no operator {op[len('aten.'):]!r}")
    with contextlib.ExitStack() as stack:
        try:
            for name in names:
                if name in ops:
                    continue
                owner, attr = _resolve(name)
                own = vars(owner) if hasattr(owner, "__dict__") else {}
                # Remember whether the attribute was the owner's own or inherited (torch.Tensor methods
                # live on a C base class): restoring must not leave a copy behind on the subclass.
                saved.append((owner, attr, own[attr] if attr in own else _INHERITED))
                setattr(owner, attr, make_trap(name))
            if ops:
                stack.enter_context(_OperatorTrap(ops, refuse).mode)
            yield
        finally:
            for owner, attr, original in reversed(saved):
                if original is _INHERITED:
                    delattr(owner, attr)
                else:
                    setattr(owner, attr, original)
    if calls:
        raise ShortcutUsed(f"{why}: your code called {calls[0]}, which is off limits in this exercise")


# --------------------------------------------------------------------------------------------
# Plain-words failure messages
# --------------------------------------------------------------------------------------------


def plain_failure(excinfo: pytest.ExceptionInfo[BaseException] | None, timeout_s: float | None = None) -> str:
    """One line a learner can act on, from a failed test's exception."""
    if excinfo is None:
        return "failed"
    err = excinfo.value
    text = str(err).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(err, NotImplementedError):
        return f"not written yet: {first or 'a stub still raises NotImplementedError'}"
    if isinstance(err, (ShortcutUsed, ExerciseImportError)):
        return first
    if type(err).__name__ == "RankTimeout":  # shared.ranks: a rank hung; its message says which and what to look for
        return first
    if is_timeout(excinfo):
        limit = f" {timeout_s:g} s" if timeout_s else ""
        return f"stopped after the{limit} time limit: look for an infinite loop or a much slower algorithm than asked"
    if isinstance(err, AssertionError):
        # A message written by the test comes first; pytest's own 'assert x == y' detail follows it.
        return first or "an assertion failed"
    where = _learner_frame(excinfo)
    line = f"{type(err).__name__}: {first}"
    cause = err.__cause__
    if cause is not None and str(cause).strip():  # a library's wrapper error: its cause says what went wrong
        line += f"; caused by {type(cause).__name__}: {str(cause).strip().splitlines()[0]}"
    return _ANSI.sub("", line) + (f" (raised at {where})" if where else "")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes some libraries put in their messages


def is_timeout(excinfo: pytest.ExceptionInfo[BaseException] | None) -> bool:
    """True when pytest-timeout stopped the test (its signal method fails the test with "Timeout >Ns"),
    or a rank of :mod:`shared.ranks` hung past its time-out."""
    if excinfo is None:
        return False
    name = type(excinfo.value).__name__
    return name == "RankTimeout" or (name == "Failed" and "Timeout" in str(excinfo.value))


def _learner_frame(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The innermost traceback line inside a lab's exercises/ or solution/ file."""
    return learner_frame(excinfo.tb)


# --------------------------------------------------------------------------------------------
# Test hygiene: applied to every test by the plugin
# --------------------------------------------------------------------------------------------


class NetworkBlocked(RuntimeError):
    """A test tried to open a connection to a host other than this machine."""


_LOOPBACK_NAMES = {"localhost", "ip6-localhost", "::1", ""}


def _is_local(family: int, address: Any) -> bool:
    if family == getattr(socket, "AF_UNIX", object()):
        return True
    host = address[0] if isinstance(address, tuple) else address
    host = str(host).lower()
    return host in _LOOPBACK_NAMES or host.startswith("127.") or host == "0.0.0.0"


@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Any connection other than loopback (or a Unix socket) raises :class:`NetworkBlocked`."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if not _is_local(sock.family, address):
            raise NetworkBlocked(f"tests run offline: a connection to {address!r} was blocked (only loopback is allowed)")

    def connect(self: socket.socket, address: Any) -> Any:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        check(self, address)
        return real_connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------
# Results and the scoreboard
# --------------------------------------------------------------------------------------------


@dataclass
class ExerciseResult:
    lab: str
    exercise: int
    title: str = ""
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    not_run: int = 0  # not run because an earlier test of the exercise timed out or its file did not import
    not_run_reason: str = ""
    first_failure: str = ""
    passing_tests: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.not_run

    @property
    def complete(self) -> bool:
        return self.failed == 0 and self.not_run == 0 and self.passed > 0


def _lab_of_test_file(path: Path) -> str | None:
    """``tests/phase1_foundations/test_lab1_tensors.py`` -> ``phase1_foundations/lab1_tensors``."""
    try:
        rel = path.resolve().relative_to(REPO_ROOT / "tests")
    except ValueError:
        return None
    if len(rel.parts) == 2 and rel.parts[0].startswith("phase") and rel.name.startswith("test_"):
        return f"{rel.parts[0]}/{rel.stem[len('test_'):]}"
    return None


def format_scoreboard(results: list[ExerciseResult], target: str) -> list[str]:
    """Lines of the per-exercise scoreboard, one block per lab."""
    lines: list[str] = []
    folder = {"solution": "solution/", "exercises": "exercises/", "stubs": "generated stubs", "mistake": "solution/ with one known mistake"}[target]
    for lab in sorted({r.lab for r in results}):
        rows = sorted((r for r in results if r.lab == lab), key=lambda r: r.exercise)
        lines.append(f"{lab}  ({folder})")
        width = max(len(r.title) for r in rows)
        for r in rows:
            mark = "PASS" if r.complete else ("skip" if r.total == 0 else "FAIL")
            count = f"{r.passed}/{r.total}"
            skipped = f" ({r.skipped} skipped)" if r.skipped else ""
            lines.append(f"  {mark}  exercise {r.exercise}  {r.title:<{width}}  {count:>5} tests passed{skipped}")
            if r.not_run:
                lines.append(f"        {r.not_run} not run: {r.not_run_reason}")
            if not r.complete and r.total:
                lines.append(f"        first failure: {r.first_failure}")
        done = sum(r.complete for r in rows)
        lines.append(f"  {done}/{len(rows)} exercises passed")
    return lines


class GradingPlugin:
    """pytest plugin: exercise markers, hygiene fixtures, per-exercise results and verdicts."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.target = current_target()
        self.results: dict[tuple[str, int], ExerciseResult] = {}
        self.item_exercise: dict[str, tuple[str, int]] = {}
        self.unmarked: list[str] = []
        self.files_before: set[Path] = set()
        self.new_files: list[Path] = []
        # An exercise whose test timed out, or whose file does not import, is not graded further:
        # its remaining tests are reported as not run at once, instead of each waiting out its own
        # time limit or repeating the same import error.
        self.blocked: dict[tuple[str, int], str] = {}
        self.not_run_items: set[str] = set()

    # -- collection ------------------------------------------------------------------------
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        only = config.getoption("--exercise")
        keep, drop = [], []
        for item in items:
            lab = _lab_of_test_file(Path(str(item.path)))
            marker = item.get_closest_marker("exercise")
            if lab is not None and marker is None:
                self.unmarked.append(item.nodeid)
            if marker is None or lab is None:
                # Tests of the shared package are graded on the reference only.
                (drop if self.target == "stubs" or only else keep).append(item)
                continue
            number = int(marker.args[0])
            if only and number != only:
                drop.append(item)
                continue
            keep.append(item)
            self.item_exercise[item.nodeid] = (lab, number)
            if (lab, number) not in self.results:
                titles = resolve_lab(lab).exercise_titles()
                self.results[(lab, number)] = ExerciseResult(lab, number, titles.get(number, "?"))
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    # -- hygiene ---------------------------------------------------------------------------
    @pytest.fixture(autouse=True)
    def _lab_test_hygiene(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        from shared.devices import seed_everything

        seed_everything(0)
        # Test tensors are small, where one thread is fastest; and with several threads on a
        # machine another process keeps busy, loops of small ops (training tests) slow down by
        # an order of magnitude. A test that measures parallel speed sets its own thread count.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("LAB_OUTPUT_DIR", str(tmp_path / "outputs"))
        monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("MPLBACKEND", "Agg")
        try:
            with no_network():
                yield
        finally:
            torch.set_num_threads(threads)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        key = self.item_exercise.get(item.nodeid)
        if key in self.blocked:
            self.not_run_items.add(item.nodeid)
            pytest.skip(f"not run: {self.blocked[key]}")

    # -- results ---------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome = yield
        report = outcome.get_result()
        if report.failed and item.nodeid in self.item_exercise:
            marker = item.get_closest_marker("timeout")
            limit = marker.args[0] if marker and marker.args else self.config.getini("timeout")
            try:
                limit = float(limit)
            except (TypeError, ValueError):
                limit = None
            report.user_properties.append(("plain", plain_failure(call.excinfo, limit)))
            key = self.item_exercise[item.nodeid]
            if key not in self.blocked:
                if is_timeout(call.excinfo):
                    self.blocked[key] = "an earlier test of this exercise timed out; fix that first"
                elif call.excinfo is not None and isinstance(call.excinfo.value, ExerciseImportError):
                    self.blocked[key] = "the exercise file could not be imported (see the first failure); fix that first"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        key = self.item_exercise.get(report.nodeid)
        if key is None:
            return
        res = self.results[key]
        name = report.nodeid.split("::", 1)[-1]
        if report.nodeid in self.not_run_items:
            if report.when == "setup":
                res.not_run += 1
                res.not_run_reason = self.blocked[key]
        elif report.when == "call" and report.passed:
            res.passed += 1
            res.passing_tests.append(report.nodeid)
        elif report.skipped and report.when in ("setup", "call"):
            res.skipped += 1
        elif report.failed:
            res.failed += 1
            if not res.first_failure:
                plain = dict(report.user_properties).get("plain", "failed")
                res.first_failure = f"{name}: {plain}"

    # -- the end ---------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.files_before = _repo_files()

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        write = terminalreporter.write_line
        results = list(self.results.values())
        if self.unmarked:
            terminalreporter.section("lab tests without an exercise marker", sep="-", red=True)
            for nodeid in self.unmarked:
                write(f"  {nodeid}: add @pytest.mark.exercise(N) so the scoreboard can count it")
        new_files = sorted(_repo_files() - self.files_before)
        if new_files:
            terminalreporter.section("files written inside the repository", sep="-", red=True)
            for p in new_files[:20]:
                write(f"  {p.relative_to(REPO_ROOT)}: tests must write only under tmp_path")
        self.new_files = new_files
        if self.target == "stubs":
            terminalreporter.section("check-stubs: exercise tests run against untouched stubs", sep="-")
            passing = [t for r in results for t in r.passing_tests]
            failed, skipped = sum(r.failed for r in results), sum(r.skipped for r in results)
            if passing:
                for t in passing:
                    write(f"  PASSES ON THE STUB (asserts nothing the learner wrote): {t}", red=True)
            else:
                note = f" ({skipped} skipped here, e.g. CUDA-only)" if skipped else ""
                write(f"  OK: all {failed} exercise tests run of {len({r.lab for r in results})} lab(s) fail on the stubs{note}")
        elif results:
            terminalreporter.section(f"scoreboard (LAB_TARGET={self.target})", sep="=")
            for line in format_scoreboard(results, self.target):
                write(line)
        json_path = config.getoption("--grading-json")
        if json_path:
            Path(json_path).write_text(json.dumps([r.__dict__ for r in results], indent=1), encoding="utf-8")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # Said last, after pytest's own "N passed" line, so a run that failed only for this says why.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.new_files and reporter is not None:
            shown = ", ".join(str(p.relative_to(REPO_ROOT)) for p in self.new_files[:3])
            more = f" and {len(self.new_files) - 3} more" if len(self.new_files) > 3 else ""
            reporter.write_line(
                f"FAILED: the tests wrote {len(self.new_files)} file(s) inside the repository ({shown}{more}); "
                "tests must write only under tmp_path, so the run fails even where every test passed",
                red=True,
            )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        broken = bool(self.unmarked) or bool(_repo_files() - self.files_before)
        if self.target == "stubs":
            # Against stubs, failing is the expected outcome; what fails the check is a test that passes.
            collected_ok = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
            passing = any(r.passing_tests for r in self.results.values())
            session.exitstatus = pytest.ExitCode.TESTS_FAILED if (passing or broken or not collected_ok) else pytest.ExitCode.OK
        elif broken and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


_SKIP_DIRS = {".git", ".lab_state", ".venv", "venv", "__pycache__", ".pytest_cache", "data", "outputs", "node_modules", ".mypy_cache", ".ruff_cache"}


def _repo_files() -> set[Path]:
    """Files in the repository outside caches, outputs and the virtual environment."""
    found: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(REPO_ROOT):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        found.update(Path(dirpath) / f for f in filenames)
    return found


# pytest entry points (this module is listed in tests/conftest.py's ``pytest_plugins``) ---------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lab grading")
    group.addoption("--exercise", type=int, default=None, help="run only the tests of exercise N")
    group.addoption("--grading-json", default=None, help="write per-exercise results to this JSON file")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "exercise(n): the test grades exercise n of its lab")
    config.addinivalue_line(
        "markers",
        "slow: needs more than a few seconds on a 2-core CPU (a first torch.compile, say); make test and CI "
        "run it, `-m 'not slow'` leaves it out, and a lab's 20 s budget is counted without it",
    )
    config.addinivalue_line(
        "markers",
        "gpu: needs a CUDA GPU (skipped here with a reason when there is none); `make gpu-check` runs every "
        "gpu-marked test, with the GPU sections of the runners, on a machine that has one",
    )
    config.pluginmanager.register(GradingPlugin(config), "lab-grading")


def pytest_report_header(config: pytest.Config) -> str:
    from shared.devices import describe_machine

    return f"grading target: {current_target()} (LAB_TARGET) | {describe_machine()}"
