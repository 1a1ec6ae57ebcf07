"""The command line: ``python -m shared.datasets {info, download NAME} [--root DIR]``.

``info`` lists every dataset, whether it is present and where; ``download`` fetches a real image
dataset through torchvision (the text corpora are copied by hand: ``info`` says from where).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from . import __doc__ as _package_doc
from ._common import DatasetNotFoundError, _resolve_root
from .images import REAL_DATASETS, _digits_arrays, download
from .synthetic import SHAPE_CLASSES
from .text import TEXT_DATASETS, _text_problems, corpus_info


def _print_state(name: str, folder: Path, problems: list[str], get_it: str) -> None:
    """One dataset's line of ``info``: present, missing or incomplete (with its problems), and how to get it."""
    state = "present" if not problems else "missing" if not folder.exists() else "incomplete"
    print(f"  {name:<14} {state:<11} {folder}")
    for p in problems if state == "incomplete" else []:
        print(f"  {'':<14} - {p}")
    if problems:
        print(f"  {'':<14}   get it: {get_it}")


def _info(root: Path) -> int:
    print(f"cache folder: {root}  (root= / --root, else $LAB_DATA_DIR, else <repo root>/data)")
    for spec in REAL_DATASETS.values():
        folder = root / spec.folder
        _print_state(spec.name, folder, spec.problems(folder), f"python -m shared.datasets download {spec.name}")
    images, _, _, _ = _digits_arrays()
    print(f"  {'digits':<14} {'present':<11} bundled with scikit-learn ({len(images)} images of 8x8)")
    for text_spec in TEXT_DATASETS.values():
        folder = root / text_spec.folder
        _print_state(text_spec.name, folder, _text_problems(text_spec, folder), text_spec.get_it.format(root=root, folder=folder))
    pydoc = corpus_info()
    print(
        f"  {'pydoc-topics':<14} {'present':<11} bundled with Python {pydoc['python']} "
        f"({pydoc['topics']['all']} topics, {pydoc['characters']['all']:,} characters): text_corpus()"
    )
    print(f"  synthetic: make_regression, make_spirals, make_blobs, make_shapes ({', '.join(SHAPE_CLASSES)})")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m shared.datasets {info, download NAME} [--root DIR]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m shared.datasets", description=_package_doc.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser("info", help="show which datasets are present, and where")
    info.add_argument("--root", help="cache folder (default: $LAB_DATA_DIR, else <repo root>/data)")
    get = commands.add_parser("download", help="download a real dataset through torchvision")
    get.add_argument("name", choices=list(REAL_DATASETS))
    get.add_argument("--root", help="cache folder (default: $LAB_DATA_DIR, else <repo root>/data)")
    args = parser.parse_args(argv)

    root = _resolve_root(args.root)
    if args.command == "info":
        return _info(root)
    try:
        folder = download(args.name, root)
    except DatasetNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{REAL_DATASETS[args.name].title} is ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
