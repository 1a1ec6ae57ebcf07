"""What every dataset module shares: the cache folder, seeded generators, and the "not usable,
here is how to get it" error with its message."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The folder that holds the ``shared`` package (``shared/datasets/_common.py`` is two levels down)."""


def data_dir() -> Path:
    """The cache folder for downloaded datasets.

    ``$LAB_DATA_DIR`` when it is set (and not empty), else ``<repo root>/data``, where the repo
    root is the folder that holds the ``shared`` package. The folder is not created here.
    Every loader's ``root=`` argument overrides both.
    """
    env = os.environ.get("LAB_DATA_DIR", "")
    if env:
        return Path(env).expanduser()
    return REPO_ROOT / "data"


def _resolve_root(root: Optional[str | os.PathLike[str]]) -> Path:
    return Path(root).expanduser() if root is not None else data_dir()


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are missing or broken. The message says what, where, and how to get them."""


class _BrokenFile(Exception):
    """Internal: one file failed its structural check; the message is the reason."""


def _not_usable_message(title: str, folder: Path, problems: list[str], ways: list[str], note: Optional[str] = None) -> str:
    """The text of a :class:`DatasetNotFoundError`, the same layout for every dataset.

    ``problems`` are one line per missing or broken file, ``note`` an extra line after them (a
    failed download), ``ways`` the lines under "To get it:" (each already indented). The last
    line says how the cache folder is chosen and what it is now.
    """
    lines = [f"{title} is not usable: the files in {folder} are missing or incomplete."]
    lines += [f"  - {p}" for p in problems]
    if note is not None:
        lines.append(note)
    lines += ["To get it:", *ways]
    lines.append(
        "The cache folder is root= when given, else $LAB_DATA_DIR, else <repo root>/data "
        f"(now: {data_dir()})."
    )
    return "\n".join(lines)
