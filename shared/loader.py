"""The target loader: lab code imported under a name that any process can import again.

A test never imports ``exercise2_ring.py`` by its file name: every lab has an ``exercise1_*.py``, and
one process may hold the same lab as solution and as exercises. The loader gives each (target, lab,
file) a module of its own in the package :mod:`shared.labcode`::

    shared.labcode.solution__phase2_intermediate__lab5_distributed_training__exercise2_ring

and installs an import hook (a meta-path finder) that knows how to build such a module from the
name alone. So a class or function defined in graded code can be pickled by reference and
unpickled in a process started with ``spawn`` or ``forkserver`` (a DataLoader worker, a
``torch.multiprocessing`` rank, a ``torchrun`` worker): importing the name there runs the finder,
which reads the same file (or generates the same stub, or applies the same known mistake named by
``LAB_MISTAKE``, which children inherit) and executes it.

The targets, chosen with ``LAB_TARGET``, are described in :mod:`shared.grading`.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.util
import os
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType, TracebackType

from shared.labs import REPO_ROOT, LabInfo, resolve_lab

TARGETS = ("solution", "exercises", "stubs", "mistake")
PACKAGE = "shared.labcode"

# target__phase__lab__stem, and __r<digest> for a lab outside this repository (tests of the loader).
_NAME = re.compile(rf"^{re.escape(PACKAGE)}\.(?P<target>[a-z]+)__(?P<phase>phase\d+_[a-z0-9_]+?)__"
                   r"(?P<lab>(?:lab|project)\d+_[a-z0-9_]+?)__(?P<stem>exercise\d+_\w+?)(?:__r(?P<root>[0-9a-f]{12}))?$")
_ROOTS: dict[str, Path] = {}


def current_target() -> str:
    """The target named by ``LAB_TARGET`` (default ``solution``); anything else is an error."""
    target = os.environ.get("LAB_TARGET", "solution").strip() or "solution"
    if target not in TARGETS:
        raise ValueError(f"LAB_TARGET={target!r} is not one of {', '.join(TARGETS)}")
    return target


class ExerciseImportError(AssertionError):
    """The exercise file could not be imported (a syntax error, a bad import, code that crashes at import)."""


def module_name(info: LabInfo, stem: str, target: str) -> str:
    """The importable name of one exercise file of ``info`` loaded as ``target``."""
    phase, lab = info.rel.split("/")
    name = f"{PACKAGE}.{target}__{phase}__{lab}__{stem}"
    if info.root.resolve() != REPO_ROOT:
        digest = hashlib.sha1(str(info.root.resolve()).encode()).hexdigest()[:12]
        _ROOTS[digest] = info.root
        name += f"__r{digest}"
    return name


def load_exercise(info: LabInfo, number: int, target: str) -> ModuleType:
    """Exercise ``number`` of ``info`` as ``target``; imported once per process, then cached."""
    __tracebackhide__ = True  # a learner's traceback starts at their file, not in the loader
    files = info.exercise_files("solution")
    if number not in files:
        raise LookupError(f"{info.rel} has no exercise {number}; it has {sorted(files)}")
    name = module_name(info, files[number].stem, target)
    if name in sys.modules:
        return sys.modules[name]
    return importlib.import_module(name)


def exercise_source(info: LabInfo, number: int, target: str) -> tuple[Path, str]:
    """(path, text) of exercise ``number`` of ``info`` as ``target`` would run it: the solution, the
    learner's file, a freshly generated stub, or the solution with the active known mistake applied.
    For code that must run as a script of its own (``torchrun file.py``): write the text to a file."""
    files = info.exercise_files("solution")
    if number not in files:
        raise LookupError(f"{info.rel} has no exercise {number}; it has {sorted(files)}")
    path, source, _ = _source(info, files[number].stem, target)
    return path, source


def _source(info: LabInfo, stem: str, target: str) -> tuple[Path, str, str]:
    """(path shown in tracebacks, source text, label) of one exercise file as ``target``."""
    from shared.stubgen import generate_stub

    solution_path = info.path / "solution" / f"{stem}.py"
    number = int(re.match(r"exercise(\d+)_", stem).group(1))
    if target == "stubs":
        path = info.path / "exercises" / solution_path.name
        return path, generate_stub(solution_path.read_text(encoding="utf-8"), number, str(solution_path)), f"{path} (generated stub)"
    if target == "mistake":
        from shared.mistakes import active_mistake

        source = solution_path.read_text(encoding="utf-8")
        mistake = active_mistake()
        if mistake.lab == info.rel and mistake.file == solution_path.name:
            return solution_path, mistake.apply(source), f"{solution_path} (with mistake {mistake.name})"
        return solution_path, source, str(solution_path)
    path = solution_path if target == "solution" else info.path / "exercises" / solution_path.name
    if not path.is_file():
        raise ExerciseImportError(f"{path.relative_to(info.root)} is missing (run `make stubs` to recreate it)")
    return path, path.read_text(encoding="utf-8"), str(path)


class _LabCodeLoader(importlib.abc.Loader):
    def __init__(self, info: LabInfo, stem: str, target: str):
        self.info, self.stem, self.target = info, stem, target

    def create_module(self, spec):  # noqa: ANN001 - the default module object
        return None

    def exec_module(self, module: ModuleType) -> None:
        __tracebackhide__ = True
        path, source, shown = _source(self.info, self.stem, self.target)
        module.__file__ = str(path)
        try:
            # dont_inherit: the file gets only its own __future__ imports, not this module's.
            exec(compile(source, shown, "exec", dont_inherit=True), module.__dict__)
        except BaseException as err:  # noqa: BLE001 - any failure at import is reported the same way
            where = ""
            if isinstance(err, SyntaxError) and f"line {err.lineno}" not in str(err):
                where = f" (line {err.lineno})"
            raise ExerciseImportError(
                f"{path.relative_to(self.info.root)} could not be imported: {type(err).__name__}: {err}{where}"
            ) from err


class LabCodeFinder(importlib.abc.MetaPathFinder):
    """Finds ``shared.labcode.<target>__<phase>__<lab>__<file>`` modules (see the module docstring)."""

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - the finder protocol
        match = _NAME.match(fullname)
        if match is None:
            return None
        if match["root"]:
            if match["root"] not in _ROOTS:
                return None  # a lab outside the repository is known only to the process that loaded it
            root = _ROOTS[match["root"]]
            info = LabInfo(f"{match['phase']}/{match['lab']}", 0, 0, root)
        else:
            info = resolve_lab(f"{match['phase']}/{match['lab']}")
        if not (info.path / "solution" / f"{match['stem']}.py").is_file():
            return None
        loader = _LabCodeLoader(info, match["stem"], match["target"])
        return importlib.util.spec_from_loader(fullname, loader, origin=str(info.path / "solution" / f"{match['stem']}.py"))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once per process; importing :mod:`shared.labcode` does it)."""
    if not any(isinstance(f, LabCodeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, LabCodeFinder())


def learner_frame(tb: TracebackType | None) -> str:
    """``path:line`` of the innermost traceback entry inside a lab's exercises/ or solution/ file."""
    for frame in reversed(traceback.extract_tb(tb)):
        path = Path(frame.filename.split(" (")[0])
        if path.parent.name in ("exercises", "solution"):
            try:
                rel = path.resolve().relative_to(REPO_ROOT)
            except ValueError:
                rel = path
            return f"{rel}:{frame.lineno}"
    return ""


install()
