"""The commands behind the Makefile targets: test-lab, check-stubs, run, progress, doctor, labs.

    python -m shared.cli test-lab LAB [--target exercises|solution] [--exercise N]
    python -m shared.cli check-stubs
    python -m shared.cli run [LAB] [-- ARGS...]
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

from shared.labs import REPO_ROOT, UnknownLabError, all_labs, resolve_lab

DEFAULT_LAB = "phase1_foundations/lab1_tensors"


def _pytest(args: list[str], target: str, quiet_output: bool = False) -> int:
    """Run pytest in a child process with ``LAB_TARGET=target`` (a fresh process per grading run,
    so a learner's edits are always re-imported)."""
    env = dict(os.environ, LAB_TARGET=target)
    cmd = [sys.executable, "-m", "pytest", *args]
    out = subprocess.DEVNULL if quiet_output else None
    return subprocess.call(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)


def cmd_test_lab(lab_name: str, target: str, exercise: int | None) -> int:
    lab = resolve_lab(lab_name)
    if not lab.test_file.is_file():
        print(f"{lab.rel} has no test suite yet ({lab.test_file.relative_to(REPO_ROOT)} is missing)")
        return 2
    args = [str(lab.test_file.relative_to(REPO_ROOT)), "-q"]
    if exercise is None:
        args += ["--tb=no", "-rs"]  # the scoreboard says what failed (and -rs why a test was skipped); EX=N shows tracebacks
    else:
        args += ["--exercise", str(exercise), "--tb=short"]
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


def cmd_run(lab_name: str, extra: list[str]) -> int:
    lab = resolve_lab(lab_name)
    script = lab.path / "solution" / "solution.py"
    if not script.is_file():
        print(f"{lab.rel} has no solution/solution.py")
        return 2
    print(f"Running {script.relative_to(REPO_ROOT)}")
    return subprocess.call([sys.executable, str(script), *extra], cwd=lab.path)


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
    print(f"\n{'lab':<48} {'exercises':>9}  {'tests':>9}")
    total_done = total_ex = 0
    for lab in all_labs():
        rows = sorted(by_lab.get(lab.rel, []), key=lambda r: r["exercise"])
        if not rows:
            print(f"{lab.short:<5}{lab.rel:<43} {'no tests':>9}")
            continue
        done = sum(r["failed"] == 0 and r["passed"] > 0 for r in rows)
        passed, total = sum(r["passed"] for r in rows), sum(r["passed"] + r["failed"] for r in rows)
        marks = "".join("#" if (r["failed"] == 0 and r["passed"] > 0) else "." for r in rows)
        print(f"{lab.short:<5}{lab.rel:<43} {done:>3}/{len(rows):<3} {marks:<6}{passed:>4}/{total:<4}")
        total_done += done
        total_ex += len(rows)
    print(f"\n{total_done}/{total_ex} exercises passed over {len(labs)} lab(s).")
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
    p.add_argument("--exercise", type=int, default=None)
    sub.add_parser("check-stubs", help="every exercise test must fail on the untouched stubs")
    p = sub.add_parser("run", help="run a lab's solution/solution.py")
    p.add_argument("lab", nargs="?", default=DEFAULT_LAB)
    p.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("progress", help="exercises passed per lab")
    sub.add_parser("doctor", help="check the environment")
    sub.add_parser("labs", help="list the labs")
    args = parser.parse_args(argv)
    try:
        if args.command == "test-lab":
            return cmd_test_lab(args.lab, args.target, args.exercise)
        if args.command == "check-stubs":
            return cmd_check_stubs()
        if args.command == "run":
            return cmd_run(args.lab, [a for a in args.args if a != "--"])
        if args.command == "progress":
            return cmd_progress()
        if args.command == "doctor":
            return cmd_doctor()
        return cmd_labs()
    except UnknownLabError as err:
        print(err, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
