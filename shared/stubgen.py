"""One source for solution and stub: generate ``exercises/`` from ``solution/``.

In a solution file, the code a learner must write sits between two marker lines::

    def broadcast_shape(*shapes):
        \"\"\"Docstring: stays in the stub.\"\"\"
        # BEGIN SOLUTION
        # TODO: the leading comment block of the region is kept: these are the learner's hints.
        result = ...          # everything from the first code line on is solution-only
        # END SOLUTION

The stub keeps everything outside the regions (imports, signatures, docstrings) and replaces
each region by its hints and ``raise NotImplementedError("Exercise N.k: ...")``, where N comes
from the file name (``exercise2_*.py``) and k counts the regions of the file.

Each generated stub starts with a fingerprint line. ``make stubs`` overwrites a stub only if
its content still matches its fingerprint (nobody has edited it), unless forced, so a
learner's work is never lost. ``make check-sync`` fails when a committed stub differs from
what the generator makes now.

Command line::

    python -m shared.stubgen [LAB ...] [--check] [--force]
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
from pathlib import Path

from shared.labs import LabInfo, all_labs, resolve_lab

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_HEADER = re.compile(r"^# Exercise stub generated from solution/(\S+) by `make stubs` \[fingerprint ([0-9a-f]{12})\]\n")


class StubError(ValueError):
    """A solution file whose markers cannot be turned into a stub."""


def _enclosing_functions(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function in ``source``."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return spans


def generate_stub(source: str, exercise: int, filename: str = "<solution>") -> str:
    """Return the stub text (without fingerprint header) for one solution file's ``source``."""
    lines = source.splitlines(keepends=True)
    functions = _enclosing_functions(source)
    out: list[str] = []
    region = 0
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped == END:
            raise StubError(f"{filename}:{i + 1}: '{END}' without a matching '{BEGIN}'")
        if stripped != BEGIN:
            out.append(lines[i])
            i += 1
            continue
        start = i
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        owners = [f for f in functions if f[0] < start + 1 <= f[1]]
        if not owners:
            raise StubError(f"{filename}:{start + 1}: a solution region must sit inside a function body")
        owner = max(owners, key=lambda f: f[0])[2]  # innermost function
        i += 1
        hints: list[str] = []
        while i < len(lines) and lines[i].strip().startswith("#") and lines[i].strip() not in (BEGIN, END):
            hints.append(lines[i])
            i += 1
        while i < len(lines) and lines[i].strip() != END:
            if lines[i].strip() == BEGIN:
                raise StubError(f"{filename}:{i + 1}: nested '{BEGIN}' (the region at line {start + 1} is still open)")
            i += 1
        if i == len(lines):
            raise StubError(f"{filename}:{start + 1}: '{BEGIN}' is never closed by '{END}'")
        region += 1
        out.extend(hints)
        out.append(f'{indent}raise NotImplementedError("Exercise {exercise}.{region}: implement {owner}")\n')
        i += 1  # skip END
    if region == 0:
        raise StubError(f"{filename}: no '{BEGIN}' region, so the stub would be the full solution")
    return "".join(out)


def _fingerprint(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def render_stub(solution_path: Path) -> str:
    """The full stub file for ``solution_path``: fingerprint header plus :func:`generate_stub`."""
    m = re.match(r"exercise(\d+)_", solution_path.name)
    if not m:
        raise StubError(f"{solution_path}: not an exercise file (exercise<N>_<topic>.py)")
    body = generate_stub(solution_path.read_text(encoding="utf-8"), int(m.group(1)), str(solution_path))
    header = f"# Exercise stub generated from solution/{solution_path.name} by `make stubs` [fingerprint {_fingerprint(body)}]\n"
    return header + body


def is_untouched(stub_text: str) -> bool:
    """True when a stub file still has exactly the content its fingerprint records."""
    m = _HEADER.match(stub_text)
    return bool(m) and _fingerprint(stub_text[m.end():]) == m.group(2)


def sync_lab(lab: LabInfo, check: bool = False, force: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) every stub of ``lab``; return a list of problems."""
    problems = []
    ex_dir = lab.path / "exercises"
    for n, sol in lab.exercise_files("solution").items():
        try:
            wanted = render_stub(sol)
        except StubError as err:
            problems.append(str(err))
            continue
        stub = ex_dir / sol.name
        current = stub.read_text(encoding="utf-8") if stub.exists() else None
        if current == wanted:
            continue
        rel = stub.relative_to(lab.path.parent.parent)
        if check:
            problems.append(f"{rel} differs from the stub generated from its solution (run `make stubs`)")
        elif current is not None and not is_untouched(current) and not force:
            problems.append(f"{rel} was edited since it was generated; not overwritten (FORCE=1 overwrites it)")
        else:
            ex_dir.mkdir(exist_ok=True)
            stub.write_text(wanted, encoding="utf-8")
            print(f"wrote {rel}")
    if ex_dir.is_dir():
        wanted_names = {p.name for p in lab.exercise_files("solution").values()}
        for extra in sorted(ex_dir.glob("exercise*_*.py")):
            if extra.name not in wanted_names:
                problems.append(f"{extra.relative_to(lab.path.parent.parent)} has no solution twin")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.stubgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("labs", nargs="*", help="labs to process (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a committed stub is out of date")
    parser.add_argument("--force", action="store_true", help="overwrite stubs even where they were edited")
    args = parser.parse_args(argv)
    labs = [resolve_lab(name) for name in args.labs] if args.labs else all_labs()
    problems = [p for lab in labs for p in sync_lab(lab, check=args.check, force=args.force)]
    for p in problems:
        print(f"stubs: {p}", file=sys.stderr)
    if not problems:
        print(f"stubs: {len(labs)} lab(s) {'in sync' if args.check else 'up to date'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
