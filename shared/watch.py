"""``make watch LAB=… [EX=…]``: regrade whenever an exercise file of the lab is saved.

Like ``rustlings watch``: it grades once at the start, then again after every save of a file in
the lab's ``exercises/`` (with ``EX=N``, of that exercise's file only), until Ctrl-C. File-system
events come from ``watchfiles``; ``--poll`` (or a missing ``watchfiles``) compares modification
times every ``interval`` seconds instead, for file systems that deliver no events (some network
and container mounts).
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from shared.labs import REPO_ROOT, LabInfo


def _snapshot(folder: Path, names: set[str] | None) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.py")) if names is None or p.name in names}


def _changes_by_polling(folder: Path, names: set[str] | None, interval: float):
    """Yield the names of files whose modification time changed, polling every ``interval`` seconds."""
    before = _snapshot(folder, names)
    while True:
        time.sleep(interval)
        now = _snapshot(folder, names)
        changed = sorted(n for n in set(now) | set(before) if now.get(n) != before.get(n))
        before = now
        if changed:
            yield changed


def _changes_by_events(folder: Path, names: set[str] | None):
    from watchfiles import watch

    def wanted(_change: object, path: str) -> bool:
        p = Path(path)
        return p.suffix == ".py" and (names is None or p.name in names)

    for changes in watch(folder, watch_filter=wanted, raise_interrupt=True):
        yield sorted({Path(path).name for _, path in changes})


def watch_folder(folder: Path, command: list[str], names: set[str] | None = None, poll: bool = False,
                 max_runs: int | None = None, interval: float = 0.5, cwd: Path = REPO_ROOT) -> int:
    """Run ``command`` now and after every change to ``folder``'s ``.py`` files (only ``names`` if given).

    Stops on Ctrl-C, or after ``max_runs`` runs of the command (tests use that). Returns 0.
    """
    if not poll:
        try:
            import watchfiles  # noqa: F401
        except ImportError:
            print("watchfiles is not installed: polling for changes instead")
            poll = True
    which = ", ".join(sorted(names)) if names else "*.py"
    runs = 0
    try:
        print(f"Watching {folder} ({which}) {'by polling' if poll else 'for saves'}; Ctrl-C stops.", flush=True)
        subprocess.call(command, cwd=cwd)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            return 0
        changes = _changes_by_polling(folder, names, interval) if poll else _changes_by_events(folder, names)
        print(f"\nWaiting for you to save {which} in {folder.name}/ ...", flush=True)
        for changed in changes:
            print(f"\n=== {time.strftime('%H:%M:%S')} saved {', '.join(changed)}: grading again " + "=" * 30, flush=True)
            subprocess.call(command, cwd=cwd)
            runs += 1
            if max_runs is not None and runs >= max_runs:
                break
            print(f"\nWaiting for you to save {which} in {folder.name}/ ...", flush=True)
    except KeyboardInterrupt:
        print("\nStopped watching.")
    return 0


def watch_lab(lab: LabInfo, exercise: int | None, poll: bool = False, max_runs: int | None = None,
              interval: float = 0.5) -> int:
    """``make watch``: grade the learner's ``exercises/`` of ``lab`` (one exercise with ``exercise``) on every save."""
    command = [sys.executable, "-m", "shared.cli", "test-lab", lab.rel, "--target", "exercises"]
    names = None
    if exercise is not None:
        command += ["--exercise", str(exercise)]
        names = {lab.exercise_files("solution")[exercise].name}
    return watch_folder(lab.path / "exercises", command, names, poll=poll, max_runs=max_runs, interval=interval,
                        cwd=lab.root)
