"""What a lab's runner prints and saves: section headers, aligned tables, differences, the output folder.

Every ``solution/solution.py`` reports the same way, so a learner reads every lab's output alike::

    from shared.report import section, table, max_diff, output_dir

    section("Exercise 2: broadcasting")
    table(["check", "max |difference|"], [["ours vs torch.cdist", max_diff(d, torch.cdist(x, y))]])
    fig.savefig(output_dir(LAB_DIR) / "plot.png")
"""
from __future__ import annotations

import os
from pathlib import Path

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
