"""What a lab's runner prints and saves: section headers, aligned tables, differences, the output folder.

Every ``solution/solution.py`` reports the same way, so a learner reads every lab's output alike::

    from shared.report import section, table, max_diff, output_dir

    section("Exercise 2: broadcasting")
    table(["check", "max |difference|"], [["ours vs torch.cdist", max_diff(d, torch.cdist(x, y))]])
    fig.savefig(output_dir(LAB_DIR) / "plot.png")
"""
from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path
from typing import Iterable

import torch

WIDTH = 89


def section(title: str) -> None:
    """Print a section header: a blank line, then ``=== title ====...`` padded to a fixed width."""
    print(f"\n=== {title} " + "=" * max(0, WIDTH - 5 - len(title)))


def table(headers: list[str], rows: list[list[object]]) -> None:
    """Print ``rows`` under ``headers`` as left-aligned columns with a dashed rule, indented two spaces."""
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for k, row in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


def max_diff(a: torch.Tensor, b: torch.Tensor) -> str:
    """Largest absolute elementwise difference, computed in float64 and printed as ``1.2e-07``."""
    return f"{(a.detach().double() - b.detach().double()).abs().max().item():.1e}"


def output_dir(lab_dir: Path) -> Path:
    """Where a runner saves plots and files: ``$LAB_OUTPUT_DIR`` if set, else ``<lab>/outputs`` (created)."""
    folder = Path(os.environ.get("LAB_OUTPUT_DIR") or Path(lab_dir) / "outputs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def spread(values: Iterable[float], fmt: str = ".3f", unit: str = "") -> str:
    """``mean ± sd (min–max, n=5)`` of a seed-dependent result: how a runner prints it and a README quotes it.

    ``sd`` is the sample standard deviation (n − 1). One run's number is a draw, not a result: a
    claim such as "A beats B" is made only where the ranges say so.
    """
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("spread() needs at least one value")
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return (f"{statistics.fmean(xs):{fmt}}{unit} ± {sd:{fmt}}{unit} "
            f"({min(xs):{fmt}}–{max(xs):{fmt}}{unit}, n={len(xs)})")


def runner_parser(description: str, seeds: int = 5) -> argparse.ArgumentParser:
    """The options every runner understands: ``--full`` (the slower, complete run) and ``--seeds N``.

    ``python solution/solution.py`` stays within the lab's budget; ``--full`` runs the sweeps
    whose ranges a README quotes when they do not fit in it. Seeds are ``0 … N-1``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--full", action="store_true", help="the complete run (all seeds, all sizes); slower")
    parser.add_argument("--seeds", type=int, default=seeds, help=f"seeds 0..N-1 for the multi-seed sections (default {seeds})")
    return parser


# --------------------------------------------------------------------------------------------
# Whose code a runner runs: `make run LAB=…` (the reference) or `make run LAB=… TARGET=exercises`
# --------------------------------------------------------------------------------------------


def run_target() -> str:
    """``"exercises"`` when the runner runs on the learner's files (``make run … TARGET=exercises``), else ``"solution"``."""
    return "exercises" if os.environ.get("LAB_RUN_TARGET") == "exercises" else "solution"


def whose() -> str:
    """``"yours"`` or ``"the reference"``: how a runner names the code it runs, truthfully."""
    return "yours" if run_target() == "exercises" else "the reference"


class _Skipped:
    """What :func:`run_part` returns for a part that could not run; passing it to another part skips that too."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"SKIPPED({self.reason})"

    def __bool__(self) -> bool:
        return False


def is_skipped(value: object) -> bool:
    return isinstance(value, _Skipped)


def run_part(fn, *args, **kwargs):  # noqa: ANN001, ANN201 - returns whatever fn returns
    """Run one part of a runner; a part whose exercise is not written yet is skipped, and says so.

    ``fn`` raises ``NotImplementedError("Exercise 2.1: implement SGD.step")`` while the learner's
    stub is untouched: the part prints one line naming it and returns a skipped marker instead of
    a result. A part given a skipped marker as an argument is skipped too (it needs that result),
    so the rest of the runner still runs. On the reference nothing is ever skipped.
    """
    name = getattr(fn, "__name__", "part")
    for value in (*args, *kwargs.values()):
        if is_skipped(value):
            print(f"\n--- {name}: skipped, it needs the result of a part that was skipped ({value.reason})")
            return _Skipped(value.reason)
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as err:
        if run_target() != "exercises":
            raise
        # One line: the stub's "Exercise N.k: implement f", also when it comes wrapped in a
        # DataLoader worker's re-raised traceback.
        lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
        named = [line for line in lines if "Exercise " in line]
        reason = (named[-1] if named else lines[0] if lines else "a function raises NotImplementedError")
        reason = reason.removeprefix("NotImplementedError: ")
        print(f"\n--- {name}: skipped, your exercise is not written yet ({reason})")
        return _Skipped(reason)
