"""Run a lab's runner (``solution/solution.py``) on the learner's ``exercises/`` instead of the reference.

``make run LAB=1.3 TARGET=exercises`` comes here. A runner imports its exercise modules by plain
name (``from exercise2_optimizers import Adam``); this puts ``exercises/`` first on ``sys.path``,
so those names are the learner's files, sets ``LAB_RUN_TARGET=exercises`` (the runner then says
"yours", and :func:`shared.report.run_part` skips the parts whose exercise is not written yet),
and runs the script as ``__main__`` from the lab folder.

    python -m shared.runner LAB [ARGS...]
"""
from __future__ import annotations

import importlib
import os
import runpy
import sys
import types

from shared.labs import UnknownLabError, resolve_lab


class _Unimportable(types.ModuleType):
    """Stands in for a learner's exercise file that does not import: every name it is asked for
    raises ``NotImplementedError`` when used, so :func:`shared.report.run_part` skips those parts."""

    def __init__(self, name: str, problem: str):
        super().__init__(name)
        self._problem = f"exercises/{name}.py does not import: {problem}"

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        problem = self._problem

        def unavailable(*args, **kwargs):
            raise NotImplementedError(problem)

        unavailable.__name__ = attr
        return unavailable


def _unimportable(lab) -> dict[str, str]:  # noqa: ANN001 - a LabInfo
    """Exercise modules of ``lab``'s ``exercises/`` that fail to import, with the error in one line."""
    bad = {}
    folder = lab.path / "exercises"
    sys.path.insert(0, str(folder))
    try:
        for path in sorted(folder.glob("exercise*_*.py")):
            try:
                importlib.import_module(path.stem)
            except Exception as err:  # noqa: BLE001 - any failure at import is the learner's to fix
                where = f", line {err.lineno}" if isinstance(err, SyntaxError) and f"line {err.lineno}" not in str(err) else ""
                bad[path.stem] = f"{type(err).__name__}: {err}{where}"
                sys.modules.pop(path.stem, None)
    finally:
        sys.path.remove(str(folder))
    return bad


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
    for name, problem in _unimportable(lab).items():
        print(f"--- exercises/{name}.py does not import ({problem}): the parts that use it are skipped; "
              f"`make test-lab LAB={lab.short}` shows where")
        sys.modules[name] = _Unimportable(name, problem)
    os.chdir(lab.path)
    sys.path.insert(0, str(lab.path / "exercises"))
    sys.argv = [str(script), *argv[1:]]
    runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
