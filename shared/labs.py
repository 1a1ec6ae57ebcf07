"""Where the labs live, and how a short lab name resolves to its folder.

A lab is a folder ``phase<P>_<name>/<lab|project><L>_<topic>`` under the repository root,
holding ``README.md``, ``exercises/`` and ``solution/``. Every tool that takes ``LAB=`` goes
through :func:`resolve_lab`, so the same short forms work everywhere:

* the folder path, ``phase1_foundations/lab1_tensors``;
* a unique ending of it, ``lab1_tensors`` or ``tensors``;
* ``P.L``, phase and lab number, ``1.1``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

_LAB_DIR = re.compile(r"^(lab|project)(\d+)_")
_PHASE_DIR = re.compile(r"^phase(\d+)_")
_EXERCISE_FILE = re.compile(r"^exercise(\d+)_(\w+)\.py$")


@dataclass(frozen=True)
class LabInfo:
    """One lab folder: ``rel`` is its path from the repository root (``phase1_foundations/lab1_tensors``)."""

    rel: str
    phase: int
    number: int
    root: Path = REPO_ROOT

    @property
    def path(self) -> Path:
        return self.root / self.rel

    @property
    def short(self) -> str:
        return f"{self.phase}.{self.number}"

    @property
    def name(self) -> str:
        return self.rel.split("/")[1]

    def exercise_files(self, target: str = "solution") -> dict[int, Path]:
        """Exercise number -> file, read from ``solution/`` (the one source) or ``exercises/``."""
        folder = self.path / ("solution" if target in ("solution", "stubs") else "exercises")
        files: dict[int, Path] = {}
        for p in sorted(folder.glob("exercise*_*.py")):
            m = _EXERCISE_FILE.match(p.name)
            if m:
                files[int(m.group(1))] = p
        return files

    def exercise_titles(self) -> dict[int, str]:
        """Exercise number -> topic from the file name (``exercise2_broadcasting.py`` -> ``broadcasting``)."""
        return {n: _EXERCISE_FILE.match(p.name).group(2).replace("_", " ") for n, p in self.exercise_files().items()}

    @property
    def test_file(self) -> Path:
        phase_dir, lab_dir = self.rel.split("/")
        return self.root / "tests" / phase_dir / f"test_{lab_dir}.py"


def all_labs(root: Path = REPO_ROOT) -> list[LabInfo]:
    """Every lab folder that exists, in curriculum order (phase, then lab number)."""
    labs = []
    for phase in root.glob("phase*_*"):
        pm = _PHASE_DIR.match(phase.name)
        if not (pm and phase.is_dir()):
            continue
        for lab in phase.iterdir():
            lm = _LAB_DIR.match(lab.name)
            if lm and lab.is_dir() and (lab / "solution").is_dir():
                labs.append(LabInfo(f"{phase.name}/{lab.name}", int(pm.group(1)), int(lm.group(2)), root))
    return sorted(labs, key=lambda l: (l.phase, l.number))


class UnknownLabError(LookupError):
    """Raised by :func:`resolve_lab`; the message lists the valid names."""


def resolve_lab(name: str, root: Path = REPO_ROOT) -> LabInfo:
    """Turn a lab name as a learner types it into the lab (see the module docstring for the forms)."""
    labs = all_labs(root)
    wanted = name.strip().strip("/")
    if wanted.startswith("./"):
        wanted = wanted[2:]
    matches = [l for l in labs if l.rel == wanted or l.short == wanted]
    if not matches:
        matches = [l for l in labs if l.rel.endswith(wanted) or l.name.endswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    listing = "\n".join(f"  {l.short:5} {l.rel}" for l in labs) or "  (no labs found)"
    if not matches:
        raise UnknownLabError(f"no lab matches LAB={name!r}. Valid labs (either column works):\n{listing}")
    raise UnknownLabError(
        f"LAB={name!r} is ambiguous, it matches " + ", ".join(l.rel for l in matches) + f". Valid labs:\n{listing}"
    )
