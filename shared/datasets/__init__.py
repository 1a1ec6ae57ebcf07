"""Datasets for the labs, offline first.

Three kinds of data, in the order a lab should reach for them:

1. Synthetic generators with a known ground truth (no files, no network):
   :func:`make_regression`, :func:`make_spirals`, :func:`make_blobs`, :func:`make_shapes`,
   :func:`make_marker_sequences`.
   Each takes a ``seed`` and returns the same tensors for the same arguments.
2. Real data that ships with an installed package: :func:`load_digits`, scikit-learn's 1,797
   handwritten digits (8x8 pixels), with a fixed stratified train/test split; and
   :func:`text_corpus`, Python's own documentation (``pydoc_data.topics``, English prose),
   split by topic into "train" and "validation".
3. Real data from the cache folder (:func:`data_dir`): :func:`load_mnist`,
   :func:`load_fashion_mnist`, :func:`load_cifar10` through torchvision, and the text corpora
   :func:`load_wikitext2` and :func:`load_tinystories`. They stop with a
   :class:`DatasetNotFoundError` that says what is missing, where it goes and how to get it.
   Files are checked structurally before they are read, so a partial download never counts as
   present.

One module per modality; everything public is re-exported here, so ``from shared.datasets
import load_mnist`` is the way to use any of it:

- ``_common``: the cache folder (:func:`data_dir`, ``root=`` resolution), seeded generators,
  :class:`DatasetNotFoundError` and the shared "not usable, here is how to get it" message;
- ``synthetic``: :func:`make_regression`, :func:`make_spirals`, :func:`make_blobs`,
  :func:`make_shapes` (:data:`SHAPE_CLASSES`), :func:`make_marker_sequences`;
- ``images``: :func:`load_digits` (scikit-learn), :func:`load_mnist`,
  :func:`load_fashion_mnist`, :func:`load_cifar10` (torchvision), :func:`check_dataset`,
  :func:`download`, :data:`REAL_DATASETS` and the class names;
- ``text``: :func:`load_pydoc_topics`, :func:`text_corpus`, :func:`corpus_topics`,
  :func:`corpus_info`, :func:`corpus_paragraphs`, :func:`corpus_section` (Python's
  documentation, its paragraphs labelled by section), :func:`load_wikitext2`,
  :func:`load_tinystories` (downloaded corpora), :data:`TEXT_DATASETS`;
- ``__main__``: the command line below.

Later modalities (audio, video, tabular and ranking data) are added the same way: a module of
their own, its public names re-exported here and listed in ``__all__``.

Command line::

    python -m shared.datasets info                       # what is present, and where
    python -m shared.datasets download mnist             # or fashion-mnist, cifar10
    python -m shared.datasets download cifar10 --root /big/disk/data

The cache folder is ``root=`` when given, else ``$LAB_DATA_DIR``, else ``<repo root>/data``.
"""
from __future__ import annotations

from typing import Optional

# REPO_ROOT, CIFAR10_FOLDER, DIGITS_SEED and RegressionData are not in __all__ but stay importable.
from ._common import REPO_ROOT, DatasetNotFoundError, data_dir  # noqa: F401
from .images import (
    CIFAR10_CLASSES,
    CIFAR10_FOLDER,  # noqa: F401
    DIGITS_CLASSES,
    DIGITS_SEED,  # noqa: F401
    DIGITS_TEST_SIZE,
    DIGITS_TRAIN_SIZE,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    REAL_DATASETS,
    check_dataset,
    download,
    load_cifar10,
    load_digits,
    load_fashion_mnist,
    load_mnist,
)
from .synthetic import (  # noqa: F401
    SHAPE_CLASSES,
    RegressionData,
    make_blobs,
    make_marker_sequences,
    make_regression,
    make_shapes,
    make_spirals,
)
from .text import (
    PYDOC_SECTIONS,
    TEXT_DATASETS,
    TINYSTORIES_SEPARATOR,
    corpus_info,
    corpus_paragraphs,
    corpus_section,
    corpus_topics,
    load_pydoc_topics,
    load_tinystories,
    load_wikitext2,
    text_corpus,
)

__all__ = [
    "CIFAR10_CLASSES",
    "DIGITS_CLASSES",
    "DIGITS_TEST_SIZE",
    "DIGITS_TRAIN_SIZE",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "PYDOC_SECTIONS",
    "REAL_DATASETS",
    "SHAPE_CLASSES",
    "TEXT_DATASETS",
    "TINYSTORIES_SEPARATOR",
    "DatasetNotFoundError",
    "check_dataset",
    "corpus_info",
    "corpus_paragraphs",
    "corpus_section",
    "corpus_topics",
    "data_dir",
    "download",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_pydoc_topics",
    "load_tinystories",
    "load_wikitext2",
    "make_blobs",
    "make_marker_sequences",
    "make_regression",
    "make_shapes",
    "make_spirals",
    "text_corpus",
    "main",
]


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m shared.datasets {info, download NAME} [--root DIR]``; returns the exit code.

    The command line lives in ``shared/datasets/__main__.py``; it is imported here only when
    called, so that ``python -m shared.datasets`` runs that file once.
    """
    from .__main__ import main as cli_main

    return cli_main(argv)
