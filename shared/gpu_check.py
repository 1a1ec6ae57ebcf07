"""``make gpu-check``: on a machine with a CUDA GPU, run every GPU-only check of the curriculum in one go.

CI has no GPU, so the CUDA paths (autocast in float16 with a GradScaler, CUDA-event timings,
memory snapshots, ``torch.compile(mode="reduce-overhead")``...) are verified by a maintainer who
has one, with this one command. It runs

1. every test marked ``@pytest.mark.gpu``, against the reference solutions;
2. the GPU sections of the runners listed in ``GPU_RUNNERS`` (each runner takes ``--gpu-only``);

and prints one verdict. The whole check is sized to finish in under 5 minutes on one GPU.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]

# Runners with sections that only run on CUDA: (lab folder, arguments).
GPU_RUNNERS: list[tuple[str, list[str]]] = [
    ("phase1_foundations/lab5_gpu_mixed_precision", ["--gpu-only"]),
]

BUDGET_S = 300


def main(argv: list[str] | None = None) -> int:
    if not torch.cuda.is_available():
        print("gpu-check: this machine has no CUDA GPU (torch.cuda.is_available() is False); "
              "run it on one that has. CI runs everything else.")
        return 2
    print(f"gpu-check on {torch.cuda.get_device_name(0)} (CUDA {torch.version.cuda}, torch {torch.__version__})")
    start = time.monotonic()
    env = dict(os.environ, LAB_TARGET="solution", LAB_DEVICE="cuda")
    failures = []
    tests = subprocess.run([sys.executable, "-m", "pytest", "tests", "-m", "gpu", "-v", "--no-header", "-rs"],
                           cwd=ROOT, env=env, timeout=BUDGET_S)
    if tests.returncode != 0:
        failures.append(f"gpu-marked tests (pytest exit {tests.returncode})")
    for lab, args in GPU_RUNNERS:
        left = BUDGET_S - (time.monotonic() - start)
        if left <= 0:
            failures.append(f"{lab}: not run, the {BUDGET_S} s budget is spent")
            continue
        print(f"\n--- {lab}/solution/solution.py {' '.join(args)}")
        try:
            run = subprocess.run([sys.executable, str(ROOT / lab / "solution" / "solution.py"), *args],
                                 cwd=ROOT / lab / "solution", env=env, timeout=left)
            if run.returncode != 0:
                failures.append(f"{lab} runner (exit {run.returncode})")
        except subprocess.TimeoutExpired:
            failures.append(f"{lab} runner: stopped after the {BUDGET_S} s budget")
    took = time.monotonic() - start
    if failures:
        print(f"\ngpu-check FAILED in {took:.0f} s: " + "; ".join(failures))
        return 1
    print(f"\ngpu-check passed in {took:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
