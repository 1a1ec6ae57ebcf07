"""The commands behind the Makefile targets: test-lab, check-stubs, check-mistakes, run, hint, watch, progress, doctor, labs.

    python -m shared.cli test-lab LAB [--target exercises|solution] [--exercise N]
    python -m shared.cli check-stubs
    python -m shared.cli check-mistakes [LAB ...]
    python -m shared.cli run [LAB] [--target solution|exercises] [-- ARGS...]
    python -m shared.cli hint LAB [--exercise N] [--level K]
    python -m shared.cli watch LAB [--exercise N] [--poll] [--max-runs N]
    python -m shared.cli progress
    python -m shared.cli doctor
    python -m shared.cli labs
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from shared.labs import REPO_ROOT, LabInfo, UnknownLabError, all_labs, resolve_lab

DEFAULT_LAB = "phase1_foundations/lab1_tensors"


def _pytest(args: list[str], target: str, quiet_output: bool = False) -> int:
    """Run pytest in a child process with ``LAB_TARGET=target`` (a fresh process per grading run,
    so a learner's edits are always re-imported)."""
    env = dict(os.environ, LAB_TARGET=target)
    cmd = [sys.executable, "-m", "pytest", *args]
    out = subprocess.DEVNULL if quiet_output else None
    return subprocess.call(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)


class BadArgument(ValueError):
    """A command-line value that names nothing: the message says what the valid values are."""


def parse_exercise(lab: LabInfo, value: str | int | None) -> int | None:
    """``EX=`` as typed (``""``/None for all) -> an exercise number of ``lab``, or :class:`BadArgument`."""
    if value is None or str(value).strip() == "":
        return None
    numbers = sorted(lab.exercise_files("solution"))
    valid = f"{numbers[0]}-{numbers[-1]}" if numbers == list(range(numbers[0], numbers[-1] + 1)) else ", ".join(map(str, numbers))
    text = str(value).strip()
    if not text.isdigit() or int(text) not in numbers:
        raise BadArgument(f"EX={text} is not an exercise of lab {lab.short} ({lab.rel}): it has exercises {valid}")
    return int(text)


def cmd_test_lab(lab_name: str, target: str, exercise: str | int | None) -> int:
    lab = resolve_lab(lab_name)
    if not lab.test_file.is_file():
        print(f"{lab.rel} has no test suite yet ({lab.test_file.relative_to(REPO_ROOT)} is missing)")
        return 2
    exercise = parse_exercise(lab, exercise)
    # -v prints each test's name as it starts, so a slow or stuck test is never a silent wait.
    args = [str(lab.test_file.relative_to(REPO_ROOT)), "-v", "--no-header"]
    if exercise is None:
        args += ["--tb=no", "-rs"]  # the scoreboard says what failed (and -rs why a test was skipped); EX=N shows tracebacks
    else:
        args += ["--exercise", str(exercise), "--tb=short", "-rs"]
    print(f"Grading {lab.rel}/{'exercises' if target == 'exercises' else 'solution'}/"
          + (f", exercise {exercise} only" if exercise else ""))
    code = _pytest(args, target)
    if exercise is None and code != 0 and target == "exercises":
        print(f"\nFull tracebacks for one exercise: make test-lab LAB={lab.short} EX=<number>")
    return code


def cmd_check_stubs() -> int:
    suites = [str(l.test_file.relative_to(REPO_ROOT)) for l in all_labs() if l.test_file.is_file()]
    if not suites:
        print("check-stubs: no lab suites found")
        return 1
    return _pytest([*suites, "-q", "--tb=no", "-rN"], "stubs")


def cmd_check_mistakes(labs: list[str]) -> int:
    from shared.mistakes import main as mistakes_main

    return mistakes_main([resolve_lab(name).rel for name in labs])


def cmd_run(lab_name: str, extra: list[str], target: str = "solution") -> int:
    lab = resolve_lab(lab_name)
    script = lab.path / "solution" / "solution.py"
    if not script.is_file():
        print(f"{lab.rel} has no solution/solution.py")
        return 2
    if target == "exercises":
        print(f"Running {script.relative_to(REPO_ROOT)} on YOUR code in {lab.rel}/exercises/ "
              "(parts whose exercise is not written yet are skipped)")
        env = dict(os.environ, LAB_RUN_TARGET="exercises")
        return subprocess.call([sys.executable, "-m", "shared.runner", lab.rel, *extra], cwd=REPO_ROOT, env=env)
    print(f"Running {script.relative_to(REPO_ROOT)} (the reference; TARGET=exercises runs it on your code)")
    env = {k: v for k, v in os.environ.items() if k != "LAB_RUN_TARGET"}
    return subprocess.call([sys.executable, str(script), *extra], cwd=lab.path, env=env)


def cmd_progress() -> int:
    labs = [l for l in all_labs() if l.test_file.is_file()]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "results.json"
        suites = [str(l.test_file.relative_to(REPO_ROOT)) for l in labs]
        print("Grading exercises/ of every lab (this runs each suite once)...")
        _pytest([*suites, "-q", "--tb=no", "--grading-json", str(report)], "exercises", quiet_output=True)
        results = json.loads(report.read_text()) if report.exists() else []
    by_lab: dict[str, list[dict]] = {}
    for r in results:
        by_lab.setdefault(r["lab"], []).append(r)
    from shared.hints import hints_used

    print(f"\n{'lab':<48} {'exercises':<16} {'tests':>9}  hints seen")
    total_done = total_ex = 0
    for lab in all_labs():
        rows = sorted(by_lab.get(lab.rel, []), key=lambda r: r["exercise"])
        if not rows:
            print(f"{lab.short:<5}{lab.rel:<43} {'no tests':>9}")
            continue
        complete = [r["failed"] == 0 and r.get("not_run", 0) == 0 and r["passed"] > 0 for r in rows]
        done = sum(complete)
        passed, total = sum(r["passed"] for r in rows), sum(r["passed"] + r["failed"] + r.get("not_run", 0) for r in rows)
        marks = "".join("#" if ok else "." for ok in complete)
        seen, available = hints_used(lab)
        print(f"{lab.short:<5}{lab.rel:<43} {done:>3}/{len(rows):<3} {marks:<8} {passed:>4}/{total:<4}  {seen}/{available}")
        total_done += done
        total_ex += len(rows)
    print(f"\n{total_done}/{total_ex} exercises passed over {len(labs)} lab(s).")
    print("Marks, one per exercise in order: # passed, . not yet. 'tests': tests passed of all tests. "
          "'hints seen': hint levels `make hint` has shown you, of all there are.")
    return 0


def _check(label: str, ok: bool, detail: str) -> bool:
    print(f"{'OK  ' if ok else 'FAIL'}  {label:<28} {detail}")
    return ok


def cmd_doctor() -> int:
    """One OK/FAIL line per item the labs rely on."""
    results = []
    v = sys.version_info
    results.append(_check("python >= 3.10", v >= (3, 10), sys.version.split()[0]))
    pins = {}
    req = REPO_ROOT / "requirements.txt"
    for line in req.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    from importlib import metadata

    for dist in ("torch", "torchvision", "torchaudio", "numpy", "scikit-learn", "matplotlib", "pytest"):
        want = pins.get(dist)
        try:
            have = metadata.version(dist)
        except metadata.PackageNotFoundError:
            results.append(_check(dist, False, f"not installed (requirements.txt pins {want}); run make setup"))
            continue
        base = have.split("+")[0]
        results.append(_check(dist, want is None or base == want, f"{have}" + (f" (pinned {want})" if want and base != want else "")))
    try:
        import torch

        from shared.devices import available_devices, describe_machine

        results.append(_check("torch imports", True, describe_machine()))
        results.append(_check("devices seen", True, ", ".join(available_devices())))
        x = torch.randn(64, 64)
        results.append(_check("cpu matmul", bool(torch.isfinite(x @ x).all()), "64x64 float32"))
        if torch.cuda.is_available():
            y = torch.randn(64, 64, device="cuda")
            results.append(_check("cuda matmul", bool(torch.isfinite(y @ y).all()), torch.cuda.get_device_name(0)))
    except Exception as err:  # noqa: BLE001 - doctor reports, never crashes
        results.append(_check("torch imports", False, f"{type(err).__name__}: {err}"))
    for module, why in (("onnxscript", "ONNX export"), ("onnx", "ONNX models")):
        try:
            importlib.import_module(module)
            _check(f"optional: {module}", True, why)
        except ImportError:
            _check(f"optional: {module}", True, f"not installed ({why} labs need it; not required here)")
    from shared.datasets import data_dir

    outputs = Path(os.environ.get("LAB_OUTPUT_DIR") or REPO_ROOT / DEFAULT_LAB / "outputs")
    for label, folder in (("data cache writable", data_dir()), ("lab outputs writable", outputs)):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_text("ok")
            probe.unlink()
            results.append(_check(label, True, str(folder)))
        except OSError as err:
            results.append(_check(label, False, f"{folder}: {err}"))
    print(f"\n{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


def cmd_labs() -> int:
    for lab in all_labs():
        print(f"{lab.short:<5} {lab.rel}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("test-lab", help="grade one lab, exercise by exercise")
    p.add_argument("lab")
    p.add_argument("--target", default="exercises", choices=("exercises", "solution"))
    p.add_argument("--exercise", default=None)
    sub.add_parser("check-stubs", help="every exercise test must fail on the untouched stubs")
    p = sub.add_parser("check-mistakes", help="every known learner mistake must be caught by its exercise's tests")
    p.add_argument("labs", nargs="*")
    p = sub.add_parser("run", help="run a lab's solution/solution.py")
    p.add_argument("lab", nargs="?", default=DEFAULT_LAB)
    p.add_argument("--target", default="solution", choices=("solution", "exercises"))
    p = sub.add_parser("hint", help="the next hint for one exercise")
    p.add_argument("lab")
    p.add_argument("--exercise", default=None)
    p.add_argument("--level", default=None)
    p = sub.add_parser("watch", help="regrade whenever an exercise file is saved")
    p.add_argument("lab")
    p.add_argument("--exercise", default=None)
    p.add_argument("--poll", action="store_true", help="poll modification times instead of file-system events")
    p.add_argument("--max-runs", type=int, default=None, help="stop after this many gradings (for tests)")
    p.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    sub.add_parser("progress", help="exercises passed per lab")
    sub.add_parser("doctor", help="check the environment")
    sub.add_parser("labs", help="list the labs")
    # Arguments `run` does not know are the runner's own (`run 1.6 -- --seeds 0 1 2`).
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "test-lab":
            return cmd_test_lab(args.lab, args.target, args.exercise)
        if args.command == "check-stubs":
            return cmd_check_stubs()
        if args.command == "check-mistakes":
            return cmd_check_mistakes(args.labs)
        if args.command == "run":
            return cmd_run(args.lab, [a for a in extra if a != "--"], args.target)
        if args.command == "hint":
            from shared.hints import cmd_hint

            lab = resolve_lab(args.lab)
            return cmd_hint(lab, parse_exercise(lab, args.exercise), args.level)
        if args.command == "watch":
            from shared.watch import watch_lab

            lab = resolve_lab(args.lab)
            return watch_lab(lab, parse_exercise(lab, args.exercise), poll=args.poll, max_runs=args.max_runs,
                             interval=args.interval)
        if args.command == "progress":
            return cmd_progress()
        if args.command == "doctor":
            return cmd_doctor()
        return cmd_labs()
    except (UnknownLabError, BadArgument) as err:
        print(err, file=sys.stderr)
        return 2
    except BrokenPipeError:  # `make hint ... | head`: the reader left; nothing to report
        sys.stdout = None  # type: ignore[assignment]
        return 0


if __name__ == "__main__":
    sys.exit(main())
