"""Known learner mistakes: proof that each lab's grader catches the wrong answers learners write.

``make check-stubs`` proves every test fails on ``raise NotImplementedError``. This proves more:
that the tests of an exercise fail on the *plausible wrong answer* (Adam without bias correction,
softmax over the wrong axis, a sampler that ignores the epoch), with a message that names it.

A mistake is a small Python file under ``tests/<phase>/mistakes/<lab>/``, one per mistake, that
states which solution file it patches and with which replacements::

    \"\"\"Adam without bias correction: the first steps are too small by 1/(1 - beta1**t).\"\"\"
    FILE = "exercise2_optimizers.py"
    REPLACE = [
        ("m_hat = m / (1 - beta1**t)", "m_hat = m"),
    ]

The docstring's first line is the one line that says why it is wrong. ``FILE`` is a file of the
lab's ``solution/`` folder; its exercise number is the one graded. Each ``(old, new)`` pair
replaces text that must occur exactly once in that file (so a mistake cannot silently stop
applying when the solution changes). The file is only read, never imported: ``FILE`` and
``REPLACE`` must be literals.

The check grades only that exercise, with ``LAB_TARGET=mistake`` and ``LAB_MISTAKE=<file>``:
the loader in :mod:`shared.grading` applies the replacements to the solution in memory, so
nothing on disk changes. A mistake is *caught* when a test of its exercise fails; it *survives*
when they all pass (a missing test), and it is *broken* when the patched file does not import or
no test of the exercise ran (a mistake must be a wrong answer that runs, not a crash).

Command line (``make check-mistakes [LAB=…]``)::

    python -m shared.mistakes [LAB ...] [--jobs N] [--list] [--only NAME]
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shared.labs import REPO_ROOT, LabInfo, all_labs, resolve_lab


class MistakeError(ValueError):
    """A mistake file that cannot be read or no longer applies to its solution."""


@dataclass(frozen=True)
class Mistake:
    path: Path
    root: Path  # the repository the mistake belongs to
    lab: str  # phase1_foundations/lab3_training_loop
    file: str  # exercise2_optimizers.py
    exercise: int
    why: str
    replacements: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return self.path.stem

    def apply(self, source: str) -> str:
        """``source`` (the solution file's text) with every replacement made; each must match once."""
        for old, new in self.replacements:
            count = source.count(old)
            if count != 1:
                found = "does not occur" if count == 0 else f"occurs {count} times"
                raise MistakeError(
                    f"mistake {self.path.relative_to(self.root)}: the text to replace {found} in solution/{self.file} "
                    f"(the solution changed? update the mistake): {old.strip()[:80]!r}"
                )
            source = source.replace(old, new)
        return source


def mistakes_dir(lab: LabInfo) -> Path:
    """``tests/<phase>/mistakes/<lab>/``: where a lab's known mistakes live."""
    phase, name = lab.rel.split("/")
    return lab.root / "tests" / phase / "mistakes" / name


def load_mistake(path: Path) -> Mistake:
    """Read one mistake file (see the module docstring for the format)."""
    path = Path(path).resolve()
    parts = path.parts
    if len(parts) < 5 or parts[-5] != "tests" or parts[-3] != "mistakes":
        raise MistakeError(f"{path}: mistakes live under tests/<phase>/mistakes/<lab>/<name>.py")
    lab = f"{parts[-4]}/{parts[-2]}"
    # A set kept outside the repository (``--dir``) has the same layout and grades this repository's lab.
    root = path.parents[4] if (path.parents[4] / lab).is_dir() else REPO_ROOT
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    why = (ast.get_docstring(tree) or "").strip().splitlines()
    if not why or not why[0].strip():
        raise MistakeError(f"{path}: the docstring's first line must say why the code is wrong")
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    file, replace = values.get("FILE"), values.get("REPLACE")
    if not isinstance(file, str) or not isinstance(replace, list) or not replace:
        raise MistakeError(f"{path}: needs FILE = 'exerciseN_<topic>.py' and REPLACE = [(old, new), ...]")
    pairs = tuple((str(a), str(b)) for a, b in replace)
    if any(a == b or not a for a, b in pairs):
        raise MistakeError(f"{path}: every replacement must change something")
    info = resolve_lab(lab, root)
    by_name = {p.name: n for n, p in info.exercise_files("solution").items()}
    if file not in by_name:
        raise MistakeError(f"{path}: FILE={file!r} is not an exercise file of {lab} ({', '.join(sorted(by_name))})")
    return Mistake(path, root, lab, file, by_name[file], why[0].strip(), pairs)


def lab_mistakes(lab: LabInfo, base: Path | None = None) -> list[Mistake]:
    """The lab's known mistakes; with ``base``, those of a set kept elsewhere in the same layout."""
    folder = mistakes_dir(lab) if base is None else Path(base) / "tests" / lab.rel.split("/")[0] / "mistakes" / lab.name
    return [load_mistake(p) for p in sorted(folder.glob("*.py"))] if folder.is_dir() else []


def active_mistake() -> Mistake:
    """The mistake named by ``LAB_MISTAKE`` (used by the loader when ``LAB_TARGET=mistake``)."""
    path = os.environ.get("LAB_MISTAKE")
    if not path:
        raise MistakeError("LAB_TARGET=mistake needs LAB_MISTAKE=<path of a mistake file>")
    return load_mistake(Path(path))


@dataclass
class Verdict:
    mistake: Mistake
    status: str  # caught | SURVIVED | BROKEN
    message: str
    seconds: float


_WARM_IMPORTS = ("torch", "torchvision", "numpy", "scipy", "sklearn", "matplotlib", "pytest", "pytest_timeout", "shared.grading")


def _warm_up() -> None:
    """Import the heavy libraries once in the parent, so that every forked grading run starts with them."""
    import importlib

    for name in _WARM_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


@dataclass
class _Run:
    mistake: Mistake
    folder: tempfile.TemporaryDirectory
    start: float
    pid: int | None = None
    proc: subprocess.Popen | None = None

    @property
    def report(self) -> Path:
        return Path(self.folder.name) / "results.json"

    @property
    def log(self) -> Path:
        return Path(self.folder.name) / "log.txt"

    def done(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is not None
        pid, _ = os.waitpid(self.pid, os.WNOHANG)
        return pid != 0


def _start(mistake: Mistake, fork: bool) -> _Run | Verdict:
    """Begin grading ``mistake``'s exercise against the patched solution (stopping at the first failure).

    With ``fork`` the grading runs in a forked child of this process, which has imported torch and
    pytest already (a fresh interpreter spends seconds on that); otherwise in a new interpreter.
    """
    info = resolve_lab(mistake.lab)
    try:
        mistake.apply((info.path / "solution" / mistake.file).read_text(encoding="utf-8"))
    except MistakeError as err:
        return Verdict(mistake, "BROKEN", str(err), 0.0)
    run = _Run(mistake, tempfile.TemporaryDirectory(), time.perf_counter())
    args = [str(info.test_file.relative_to(REPO_ROOT)), "-q", "--tb=no", "-x", "-p", "no:cacheprovider",
            "--exercise", str(mistake.exercise), "--grading-json", str(run.report)]
    env = {"LAB_TARGET": "mistake", "LAB_MISTAKE": str(mistake.path)}
    if not fork:
        with run.log.open("w") as log:
            run.proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=REPO_ROOT,
                                        env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT)
        return run
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: grade, then leave without running the parent's clean-up
        code = 3
        try:
            fd = os.open(run.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.environ.update(env)
            os.chdir(REPO_ROOT)
            import pytest

            code = int(pytest.main(args))
        except BaseException:  # noqa: BLE001 - whatever happens, the child must not return into the parent's loop
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    run.pid = pid
    return run


def _verdict(run: _Run) -> Verdict:
    mistake = run.mistake
    seconds = time.perf_counter() - run.start
    results = json.loads(run.report.read_text()) if run.report.exists() else []
    log = run.log.read_text(errors="replace") if run.log.exists() else ""
    run.folder.cleanup()
    rows = [r for r in results if r["lab"] == mistake.lab and r["exercise"] == mistake.exercise]
    if not rows or rows[0]["passed"] + rows[0]["failed"] == 0:
        tail = log.strip().splitlines()[-3:]
        return Verdict(mistake, "BROKEN", "no test of exercise %d ran: %s" % (mistake.exercise, " | ".join(tail)), seconds)
    row = rows[0]
    if row["failed"] == 0:
        return Verdict(mistake, "SURVIVED", f"all {row['passed']} tests of exercise {mistake.exercise} passed", seconds)
    first = row["first_failure"]
    if "could not be imported" in first:
        return Verdict(mistake, "BROKEN", f"the patched file does not import, so it is a crash, not a mistake: {first}", seconds)
    return Verdict(mistake, "caught", first, seconds)


def grade_mistakes(mistakes: list[Mistake], jobs: int = 2, fork: bool | None = None):
    """Yield a :class:`Verdict` per mistake as its grading ends, ``jobs`` gradings at a time."""
    fork = hasattr(os, "fork") if fork is None else fork
    if fork:
        _warm_up()
    pending, running = list(mistakes), []
    while pending or running:
        while pending and len(running) < max(1, jobs):
            started = _start(pending.pop(0), fork)
            if isinstance(started, Verdict):
                yield started
            else:
                running.append(started)
        finished = [r for r in running if r.done()]
        if not finished:
            time.sleep(0.02)
        for r in finished:
            running.remove(r)
            yield _verdict(r)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.mistakes", description=__doc__.split("\n\n")[0])
    parser.add_argument("labs", nargs="*", help="labs to check (default: all)")
    parser.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)), help="grading runs at once")
    parser.add_argument("--list", action="store_true", help="list the mistakes and why each is wrong; grade nothing")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="grade only the mistakes with this name (the file name without .py); repeatable")
    parser.add_argument("--dir", type=Path, default=None,
                        help="grade a set of mistakes kept outside the repository, laid out as DIR/tests/<phase>/mistakes/<lab>/")
    parser.add_argument("--no-fork", action="store_true", help="grade each mistake in a new interpreter (slower)")
    args = parser.parse_args(argv)
    labs = [resolve_lab(n) for n in args.labs] if args.labs else all_labs()
    try:
        mistakes = [m for lab in labs for m in lab_mistakes(lab, args.dir)]
    except (MistakeError, SyntaxError, ValueError) as err:
        print(f"check-mistakes: {err}", file=sys.stderr)
        return 1
    if args.only:
        unknown = set(args.only) - {m.name for m in mistakes}
        if unknown:
            print(f"check-mistakes: no mistake named {', '.join(sorted(unknown))} (--list shows them)", file=sys.stderr)
            return 2
        mistakes = [m for m in mistakes if m.name in args.only]
    if args.list:
        for m in mistakes:
            print(f"{resolve_lab(m.lab).short:<5} ex {m.exercise}  {m.name:<36} {m.why}")
        return 0
    start = time.perf_counter()
    sys.stdout.reconfigure(line_buffering=True)
    print(f"check-mistakes: {len(mistakes)} known mistakes of {len(labs)} lab(s), each graded on its own exercise")
    problems = []
    for v in grade_mistakes(mistakes, args.jobs, fork=False if args.no_fork else None):
        m = v.mistake
        print(f"{v.status:<8} {resolve_lab(m.lab).short:<5} ex {m.exercise}  {m.name}  ({v.seconds:.1f} s)")
        print(f"           why it is wrong: {m.why}")
        print(f"           {'the learner sees' if v.status == 'caught' else 'problem'}: {v.message}")
        if v.status != "caught":
            problems.append(v)
    few = [] if args.only or args.dir else [lab for lab in labs if lab.test_file.is_file() and len(lab_mistakes(lab)) < 6]
    for lab in few:
        print(f"TOO FEW  {lab.short:<5} {lab.rel}: {len(lab_mistakes(lab))} known mistakes in "
              f"{mistakes_dir(lab).relative_to(REPO_ROOT)}/; at least 6 expected, one per exercise or more")
    uncovered = [] if args.only or args.dir else [(lab, n) for lab in labs if lab.test_file.is_file()
                 for n in lab.exercise_files("solution") if n not in {m.exercise for m in lab_mistakes(lab)}]
    for lab, n in uncovered:
        print(f"TOO FEW  {lab.short:<5} exercise {n} has no known mistake")
    caught = len(mistakes) - len(problems)
    print(f"check-mistakes: {caught}/{len(mistakes)} caught in {time.perf_counter() - start:.0f} s"
          + ("" if not problems else f"; {len(problems)} not: a surviving mistake means a missing test"))
    return 0 if not problems and not few and not uncovered else 1


if __name__ == "__main__":
    sys.exit(main())
