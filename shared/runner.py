"""Run a lab's runner (``solution/solution.py``) on the learner's ``exercises/`` instead of the reference.

``make run LAB=1.3 TARGET=exercises`` comes here. A runner imports its exercise modules by plain
name (``from exercise2_optimizers import Adam``); this puts ``exercises/`` first on ``sys.path``,
so those names are the learner's files, sets ``LAB_RUN_TARGET=exercises`` (the runner then says
"yours", and :func:`shared.report.run_part` skips the parts whose exercise is not written yet),
and runs the script as ``__main__`` from the lab folder.

    python -m shared.runner LAB [ARGS...]
"""
from __future__ import annotations

import os
import runpy
import sys

from shared.labs import UnknownLabError, resolve_lab


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("usage: python -m shared.runner LAB [ARGS...]", file=sys.stderr)
        return 2
    try:
        lab = resolve_lab(argv[0])
    except UnknownLabError as err:
        print(err, file=sys.stderr)
        return 2
    script = lab.path / "solution" / "solution.py"
    os.environ["LAB_RUN_TARGET"] = "exercises"
    os.chdir(lab.path)
    sys.path.insert(0, str(lab.path / "exercises"))
    sys.argv = [str(script), *argv[1:]]
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
