"""Datasets for the labs, offline first.

Three kinds of data, in the order a lab should reach for them:

1. Synthetic generators with a known ground truth (no files, no network):
   :func:`make_regression`, :func:`make_spirals`, :func:`make_blobs`, :func:`make_shapes`.
   Each takes a ``seed`` and returns the same tensors for the same arguments.
2. Real data that ships with an installed package: :func:`load_digits`, scikit-learn's 1,797
   handwritten digits (8x8 pixels), with a fixed stratified train/test split.
3. Real data through torchvision: :func:`load_mnist`, :func:`load_fashion_mnist`,
   :func:`load_cifar10`. They read the cache folder (:func:`data_dir`) and stop with a
   :class:`DatasetNotFoundError` that says what is missing and how to get it. Files are checked
   structurally before torchvision sees them, so a partial download never counts as present.

Command line::

    python -m shared.datasets info                       # what is present, and where
    python -m shared.datasets download mnist             # or fashion-mnist, cifar10
    python -m shared.datasets download cifar10 --root /big/disk/data

The cache folder is ``root=`` when given, else ``$LAB_DATA_DIR``, else ``<repo root>/data``.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import math
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "CIFAR10_CLASSES",
    "DIGITS_CLASSES",
    "DIGITS_TEST_SIZE",
    "DIGITS_TRAIN_SIZE",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "REAL_DATASETS",
    "SHAPE_CLASSES",
    "DatasetNotFoundError",
    "check_dataset",
    "data_dir",
    "download",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "make_blobs",
    "make_regression",
    "make_shapes",
    "make_spirals",
    "main",
]


# --------------------------------------------------------------------------------------------
# Cache folder
# --------------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent


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


# --------------------------------------------------------------------------------------------
# Synthetic generators
# --------------------------------------------------------------------------------------------


class RegressionData(NamedTuple):
    """What :func:`make_regression` returns; unpacks as ``X, y, true_w, true_b``."""

    X: torch.Tensor  # (N, D) float32
    y: torch.Tensor  # (N,) float32
    true_w: torch.Tensor  # (D,) float32
    true_b: float


def make_regression(n_samples: int, n_features: int, noise: float = 0.1, seed: int = 0) -> RegressionData:
    """A linear regression problem with known weights.

    ``y = X @ true_w + true_b + noise * eps`` with ``X``, ``true_w``, ``true_b`` and ``eps`` all
    drawn from the standard normal distribution.

    Returns ``(X, y, true_w, true_b)``:
        X: (N, D) float32, y: (N,) float32, true_w: (D,) float32, true_b: Python float,
        with N = n_samples and D = n_features.
    """
    if n_samples < 1 or n_features < 1:
        raise ValueError(f"need n_samples >= 1 and n_features >= 1, got {n_samples} and {n_features}")
    g = _generator(seed)
    true_w = torch.randn(n_features, generator=g)
    true_b = float(torch.randn((), generator=g))
    X = torch.randn(n_samples, n_features, generator=g)
    eps = torch.randn(n_samples, generator=g)
    y = X @ true_w + true_b + noise * eps
    return RegressionData(X, y, true_w, true_b)


def _shuffled(g: torch.Generator, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors reordered along dim 0 by one shared random permutation."""
    order = torch.randperm(tensors[0].shape[0], generator=g)
    return tuple(t[order] for t in tensors)


def make_spirals(
    n_per_class: int,
    n_classes: int = 2,
    noise: float = 0.05,
    seed: int = 0,
    turns: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Interleaved spiral arms in the plane, one arm per class (not linearly separable).

    Point i of class k has radius ``r_i = 0.1 + 0.9 * i / (n_per_class - 1)`` and angle
    ``theta = 2*pi * (turns * r_i + k / n_classes)``; Gaussian noise with standard deviation
    ``noise`` is then added to each coordinate. With ``noise=0`` every point lies exactly on its
    arm. Neighbouring arms are ``1 / (n_classes * turns)`` apart along a ray.

    Returns ``(X, y)`` in shuffled order:
        X: (N, 2) float32, y: (N,) int64 in [0, n_classes), N = n_per_class * n_classes,
        exactly n_per_class points per class.
    """
    if n_classes < 2:
        raise ValueError(f"a spiral needs at least 2 classes, got n_classes={n_classes}")
    if n_per_class < 2:
        raise ValueError(f"need at least 2 points per class, got n_per_class={n_per_class}")
    g = _generator(seed)
    r = torch.linspace(0.1, 1.0, n_per_class).repeat(n_classes)  # (N,)
    y = torch.arange(n_classes).repeat_interleave(n_per_class)  # (N,)
    theta = 2 * math.pi * (turns * r + y / n_classes)
    X = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)
    X = X + noise * torch.randn(X.shape, generator=g)
    X, y = _shuffled(g, X, y)
    return X, y


def _spread_out_centres(n_classes: int, n_features: int, min_dist: float, box: float, g: torch.Generator) -> torch.Tensor:
    """(K, D) centres uniform in [-box, box]^D, each redrawn up to 100 times to stay min_dist away
    from the earlier ones (when that fails, the candidate farthest from them is kept)."""
    centres: list[torch.Tensor] = []
    for _ in range(n_classes):
        best, best_gap = None, -1.0
        for _ in range(100):
            candidate = (torch.rand(n_features, generator=g) * 2 - 1) * box
            gap = min((float((candidate - c).norm()) for c in centres), default=math.inf)
            if gap > best_gap:
                best, best_gap = candidate, gap
            if gap >= min_dist:
                break
        centres.append(best)
    return torch.stack(centres)


def make_blobs(
    n_per_class: int,
    n_classes: int,
    n_features: int = 2,
    spread: float = 1.0,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gaussian clusters around known centres, one cluster per class.

    Centres are uniform in the box [-10, 10]^D, drawn so that they are at least ``4 * spread``
    apart whenever that is possible; each class is ``centre + spread * N(0, I)``.

    Returns ``(X, y, centers)`` with X and y in shuffled order:
        X: (N, D) float32, y: (N,) int64 in [0, n_classes), centers: (n_classes, D) float32,
        N = n_per_class * n_classes, D = n_features; class k is centred on ``centers[k]``.
    """
    if n_classes < 1 or n_per_class < 1 or n_features < 1:
        raise ValueError("n_per_class, n_classes and n_features must all be >= 1")
    g = _generator(seed)
    centers = _spread_out_centres(n_classes, n_features, min_dist=4 * spread, box=10.0, g=g)
    y = torch.arange(n_classes).repeat_interleave(n_per_class)
    X = centers[y] + spread * torch.randn(len(y), n_features, generator=g)
    X, y = _shuffled(g, X, y)
    return X, y, centers


# --- make_shapes: a small CIFAR-like image set -------------------------------------------------
# Each shape is a predicate on (u, v), coordinates scaled so the shape fits in [-1, 1]^2
# (v points down, as image rows do).


def _circle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u * u + v * v <= 1.0


def _square(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return torch.maximum(u.abs(), v.abs()) <= 0.8


def _triangle(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return (v <= 0.8) & (u.abs() <= 0.55 * (v + 0.9))  # apex up at v = -0.9


def _cross(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    a, b = u.abs(), v.abs()
    return ((a <= 0.28) & (b <= 0.95)) | ((b <= 0.28) & (a <= 0.95))


def _ring(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    r2 = u * u + v * v
    return (r2 <= 1.0) & (r2 >= 0.55**2)


def _diamond(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    return u.abs() + v.abs() <= 1.0


_SHAPES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "circle": _circle,
    "square": _square,
    "triangle": _triangle,
    "cross": _cross,
    "ring": _ring,
    "diamond": _diamond,
}
SHAPE_CLASSES: tuple[str, ...] = tuple(_SHAPES)
"""Class names of :func:`make_shapes`; label k is ``SHAPE_CLASSES[k]``."""

_SUPERSAMPLE = 2  # draw at 2x resolution and average down: soft, anti-aliased edges
_CHUNK = 512  # images drawn at once, bounds memory for large n_samples


class _ShapeParams(NamedTuple):
    labels: torch.Tensor  # (N,) int64
    centre: torch.Tensor  # (N, 2) pixels, (x, y)
    half_size: torch.Tensor  # (N,) pixels
    angle: torch.Tensor  # (N,) radians
    colour: torch.Tensor  # (N, 3) in [0, 1]
    background: torch.Tensor  # (N, 3) in [0, 1]


def _draw_shape_params(n: int, size: int, g: torch.Generator) -> _ShapeParams:
    n_classes = len(SHAPE_CLASSES)
    labels = torch.arange(n) % n_classes
    labels = labels[torch.randperm(n, generator=g)]
    half = size * (0.22 + 0.20 * torch.rand(n, generator=g))
    centre = half[:, None] + (size - 2 * half[:, None]) * torch.rand(n, 2, generator=g)
    angle = math.radians(20) * (2 * torch.rand(n, generator=g) - 1)
    colour = torch.rand(n, 3, generator=g)
    # Background: every channel 0.3 to 0.7 away from the shape's (circularly), so shapes show.
    background = (colour + 0.5 + 0.2 * (2 * torch.rand(n, 3, generator=g) - 1)) % 1.0
    return _ShapeParams(labels, centre, half, angle, colour, background)


def _coverage(p: _ShapeParams, size: int) -> torch.Tensor:
    """(n, 1, size, size) float32: fraction of each pixel covered by the image's shape."""
    hi = size * _SUPERSAMPLE
    coords = (torch.arange(hi, dtype=torch.float32) + 0.5) / _SUPERSAMPLE  # pixel units
    dx = coords[None, None, :] - p.centre[:, 0, None, None]  # (n, 1, hi)
    dy = coords[None, :, None] - p.centre[:, 1, None, None]  # (n, hi, 1)
    cos, sin = torch.cos(p.angle)[:, None, None], torch.sin(p.angle)[:, None, None]
    scale = p.half_size[:, None, None]
    u = (cos * dx + sin * dy) / scale  # (n, hi, hi): rotate into the shape's own frame
    v = (-sin * dx + cos * dy) / scale
    mask = torch.zeros(u.shape, dtype=torch.bool)
    for k, inside in enumerate(_SHAPES.values()):
        rows = p.labels == k
        if rows.any():
            mask[rows] = inside(u[rows], v[rows])
    return F.avg_pool2d(mask.float()[:, None], _SUPERSAMPLE)


def make_shapes(n_samples: int, size: int = 32, seed: int = 0, noise: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """A small CIFAR-like image set: one coloured shape per image, the class is the shape.

    Classes are :data:`SHAPE_CLASSES` (circle, square, triangle, cross, ring, diamond). Each image
    has a random position, size (44% to 84% of the image), rotation (up to 20 degrees either way),
    shape colour and a contrasting background colour, plus Gaussian pixel noise of standard
    deviation ``noise``. Edges are anti-aliased. Classes are balanced (counts differ by at most
    one) and the order is shuffled. Deterministic for a given (n_samples, size, seed, noise).

    Returns ``(images, labels)``:
        images: (N, 3, size, size) float32 in [0, 1], labels: (N,) int64 in [0, len(SHAPE_CLASSES)).
    """
    if n_samples < 0 or size < 8:
        raise ValueError(f"need n_samples >= 0 and size >= 8, got {n_samples} and {size}")
    g = _generator(seed)
    p = _draw_shape_params(n_samples, size, g)
    images = torch.empty(n_samples, 3, size, size)
    for start in range(0, n_samples, _CHUNK):
        part = _ShapeParams(*(t[start : start + _CHUNK] for t in p))
        alpha = _coverage(part, size)  # (n, 1, S, S)
        img = alpha * part.colour[:, :, None, None] + (1 - alpha) * part.background[:, :, None, None]
        img = img + noise * torch.randn(img.shape, generator=g)
        images[start : start + _CHUNK] = img.clamp_(0.0, 1.0)
    return images, p.labels


# --------------------------------------------------------------------------------------------
# scikit-learn's handwritten digits (bundled with the package, no download)
# --------------------------------------------------------------------------------------------

DIGITS_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
DIGITS_SEED = 0
DIGITS_TRAIN_SIZE = 1438
DIGITS_TEST_SIZE = 359


def _read_digits() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) float64 in [0, 16], labels (1797,) int64) from scikit-learn.

    Reads the CSV that ``sklearn.datasets.load_digits`` reads, found without importing
    ``sklearn.datasets`` (which pulls in scipy, about a second); falls back to that public
    function when the file is not where scikit-learn keeps it.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is not None and spec.submodule_search_locations:
        csv = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
        if csv.is_file():
            table = np.loadtxt(csv, delimiter=",")
            if table.shape == (1797, 65):
                return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return bunch.images, np.asarray(bunch.target, dtype=np.int64)


@functools.cache
def _digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) float64 in [0, 16], labels (1797,), train_idx, test_idx)."""
    images, labels = _read_digits()
    # numpy's legacy RandomState has a frozen stream, so the split is the same on every version.
    rng = np.random.RandomState(DIGITS_SEED)
    test_parts = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        n_test = (len(members) + 2) // 5  # 20 %, rounded to the nearest integer
        test_parts.append(rng.permutation(members)[:n_test])
    test_idx = np.sort(np.concatenate(test_parts))
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    return images, labels, train_idx, test_idx


def load_digits(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's handwritten digits (1,797 images of 8x8 pixels), offline.

    A fixed stratified split: 20 % of each digit (rounded) goes to "test", chosen with
    ``numpy.random.RandomState(0)``; "train" has 1,438 images, "test" 359. Both keep the
    original order of the dataset. ``split="all"`` gives all 1,797.

    Returns ``(images, labels)``:
        images: (N, 1, 8, 8) float32 in [0, 1] (the original 0..16 intensities divided by 16),
        labels: (N,) int64 in [0, 10); ``DIGITS_CLASSES[label]`` is its name.
    """
    images, labels, train_idx, test_idx = _digits_arrays()
    choice = {"train": train_idx, "test": test_idx, "all": np.arange(len(labels))}
    if split not in choice:
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    idx = choice[split]
    x = torch.tensor(images[idx] / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(labels[idx], dtype=torch.int64)
    return x, y


# --------------------------------------------------------------------------------------------
# Real datasets through torchvision: structural checks
# --------------------------------------------------------------------------------------------


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are missing or broken. The message says what, where, and how to get them."""


class _BrokenFile(Exception):
    """Internal: one file failed its structural check; the message is the reason."""


_IDX_UBYTE = 0x08  # idx type code for unsigned bytes


def _idx_dims(path: Path, ndim: int) -> tuple[int, ...]:
    """The dimensions an idx file's header declares, after checking the magic number and that the
    file holds exactly the bytes the header promises. Raises _BrokenFile otherwise."""
    if not path.is_file():
        raise _BrokenFile("missing")
    size = path.stat().st_size
    header_len = 4 + 4 * ndim
    with path.open("rb") as f:
        header = f.read(header_len)
    if len(header) < header_len:
        raise _BrokenFile(f"only {size} bytes, shorter than the {header_len}-byte idx header (a partial download?)")
    magic = header[:4]
    if magic[0] != 0 or magic[1] != 0 or magic[2] != _IDX_UBYTE or magic[3] != ndim:
        raise _BrokenFile(
            f"not an idx file of {ndim}-D unsigned bytes: magic number is {magic.hex()}, expected 000008{ndim:02x}"
        )
    dims = tuple(int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header_len + math.prod(dims)
    if size != expected:
        raise _BrokenFile(
            f"the header declares shape {dims}, i.e. {expected} bytes, but the file has {size} bytes"
            + (" (a partial download?)" if size < expected else "")
        )
    return dims


def _mnist_split_problems(raw: Path, prefix: str) -> list[str]:
    """Problems with one split ("train" or "t10k") of an MNIST-format raw folder."""
    problems = []
    images_name, labels_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
    n_images = n_labels = None
    try:
        n_images, rows, cols = _idx_dims(raw / images_name, ndim=3)
        if (rows, cols) != (28, 28):
            raise _BrokenFile(f"images are {rows}x{cols} pixels, expected 28x28")
    except _BrokenFile as err:
        problems.append(f"{images_name}: {err}")
    try:
        (n_labels,) = _idx_dims(raw / labels_name, ndim=1)
        values = np.frombuffer((raw / labels_name).read_bytes(), dtype=np.uint8, offset=8)
        if values.size and values.max() > 9:
            raise _BrokenFile(f"has label {values.max()}, expected labels 0 to 9")
    except _BrokenFile as err:
        problems.append(f"{labels_name}: {err}")
    if not problems and n_images != n_labels:
        problems.append(f"{images_name} holds {n_images} images but {labels_name} holds {n_labels} labels")
    return problems


def _mnist_problems(raw: Path) -> list[str]:
    """Everything wrong with an MNIST-format raw folder (both splits); empty when usable."""
    return _mnist_split_problems(raw, "train") + _mnist_split_problems(raw, "t10k")


CIFAR10_FOLDER = "cifar-10-batches-py"
_CIFAR10_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
_CIFAR10_REAL_ROWS = 10_000  # rows in every batch file of the real dataset


def _unpickle(path: Path) -> Any:
    if not path.is_file():
        raise _BrokenFile("missing")
    try:
        with path.open("rb") as f:
            return pickle.load(f, encoding="latin1")  # how torchvision reads it
    except Exception as err:  # truncated pickles raise EOFError, UnpicklingError, ValueError, ...
        raise _BrokenFile(f"does not unpickle ({type(err).__name__}: {err}); a partial download?") from None


def _cifar_batch_rows(path: Path) -> int:
    """Number of images in a CIFAR-10 batch file, after checking its structure."""
    entry = _unpickle(path)
    if not isinstance(entry, dict) or "data" not in entry or "labels" not in entry:
        raise _BrokenFile("is not a dict with 'data' and 'labels'")
    data, labels = entry["data"], entry["labels"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", type(data).__name__)
        raise _BrokenFile(f"'data' should be a uint8 array of shape (n, 3072), got {shape}")
    if len(labels) != data.shape[0]:
        raise _BrokenFile(f"has {data.shape[0]} images but {len(labels)} labels")
    if any(not 0 <= int(label) <= 9 for label in labels):
        raise _BrokenFile("has labels outside 0 to 9")
    return data.shape[0]


def _cifar_meta_problems(path: Path) -> list[str]:
    try:
        meta = _unpickle(path)
        names = meta.get("label_names") if isinstance(meta, dict) else None
        if not isinstance(names, list) or len(names) != 10:
            raise _BrokenFile("should be a dict whose 'label_names' is a list of 10 names")
    except _BrokenFile as err:
        return [f"{path.name}: {err}"]
    return []


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _cifar10_checksums() -> dict[str, str]:
    """torchvision's published MD5 of every file of the real CIFAR-10 (batches and meta)."""
    from torchvision.datasets import CIFAR10

    sums = dict(CIFAR10.train_list + CIFAR10.test_list)
    sums[CIFAR10.meta["filename"]] = CIFAR10.meta["md5"]
    return sums


def _cifar10_problems(folder: Path) -> list[str]:
    """Everything wrong with a ``cifar-10-batches-py`` folder; empty when usable.

    Every batch must unpickle to ``data`` (n, 3072) uint8 with n labels in 0..9, and
    ``batches.meta`` must name 10 classes. A batch with the real dataset's 10,000 rows must also
    match torchvision's published MD5 (and then so must ``batches.meta``): full-size files are
    held to the real checksums, smaller files (test fixtures, subsets) to the structure only.
    """
    problems, real_size = [], []
    for name in _CIFAR10_BATCHES:
        try:
            rows = _cifar_batch_rows(folder / name)
            if rows == _CIFAR10_REAL_ROWS:
                real_size.append(name)
        except _BrokenFile as err:
            problems.append(f"{name}: {err}")
    problems += _cifar_meta_problems(folder / "batches.meta")
    if real_size and not problems:
        sums = _cifar10_checksums()
        for name in real_size + ["batches.meta"]:
            if _md5(folder / name) != sums[name]:
                problems.append(f"{name}: has the real dataset's size but not its published MD5 checksum (corrupted?)")
    return problems


# --------------------------------------------------------------------------------------------
# Real datasets through torchvision: checked subclasses and the loaders
# --------------------------------------------------------------------------------------------


@functools.cache
def _checked_mnist_class(base_name: str) -> type:
    """torchvision's MNIST or FashionMNIST class, with our structural check as its only gate.

    torchvision decides "present" by the files existing, so a truncated file would count; here
    ``_check_exists`` (which its ``download()`` also uses) runs the structural check instead, and
    the pre-0.9 ``processed/*.pt`` shortcut that would skip every check is switched off. The raw
    folder stays ``<root>/<base_name>/raw``, as torchvision lays it out.
    """
    import torchvision.datasets as tvd

    base = getattr(tvd, base_name)

    class Checked(base):  # type: ignore[misc, valid-type]
        @property
        def raw_folder(self) -> str:
            return os.path.join(self.root, base_name, "raw")

        @property
        def processed_folder(self) -> str:
            return os.path.join(self.root, base_name, "processed")

        def _check_legacy_exist(self) -> bool:
            return False

        def _check_exists(self) -> bool:
            return not _mnist_problems(Path(self.raw_folder))

    Checked.__name__ = Checked.__qualname__ = f"Checked{base_name}"
    return Checked


@functools.cache
def _checked_cifar10_class() -> type:
    """torchvision's CIFAR10, with :func:`_cifar10_problems` as its integrity check.

    torchvision checks the MD5 of every file, which rejects anything but the full real dataset
    (tiny files written in the real format, for tests, included). The structural check keeps the
    MD5 check for full-size files and checks the rest by structure. A passing folder is
    remembered by its files' sizes and modification times, so loading does not unpickle
    every batch twice.
    """
    from torchvision.datasets import CIFAR10

    class CheckedCIFAR10(CIFAR10):
        def _check_integrity(self) -> bool:
            return _cifar10_usable(Path(self.root) / self.base_folder)

        def _load_meta(self) -> None:  # the same as torchvision's, without its MD5 check
            with open(os.path.join(self.root, self.base_folder, self.meta["filename"]), "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    return CheckedCIFAR10


_CIFAR10_PASSED: dict[Path, tuple] = {}  # folder -> fingerprint of its files when they last passed


def _fingerprint(folder: Path) -> tuple:
    stats = []
    for name in _CIFAR10_BATCHES + ["batches.meta"]:
        try:
            st = (folder / name).stat()
            stats.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((name, None, None))
    return tuple(stats)


def _cifar10_usable(folder: Path) -> bool:
    fingerprint = _fingerprint(folder)
    if _CIFAR10_PASSED.get(folder) == fingerprint:
        return True
    if _cifar10_problems(folder):
        return False
    _CIFAR10_PASSED[folder] = fingerprint
    return True


@dataclass(frozen=True)
class _RealDataset:
    name: str  # as on the command line
    title: str
    loader: str  # the function that loads it
    folder: str  # relative to the cache folder, where the checked files live
    files: tuple[str, ...]  # what must be in `folder`
    how_to_copy: str  # the offline route, {folder} is filled in
    make_class: Callable[[], type]
    problems: Callable[[Path], list[str]]


_MNIST_FILES = tuple(
    f"{split}-{kind}" for split in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
)
_MNIST_COPY = (
    "copy the four files {files} (or their .gz archives, from {source}) into {folder}; "
    "with only the .gz archives there, the download command above checks and unpacks them without network"
)

REAL_DATASETS: dict[str, _RealDataset] = {
    "mnist": _RealDataset(
        name="mnist",
        title="MNIST",
        loader="load_mnist",
        folder="MNIST/raw",
        files=_MNIST_FILES,
        how_to_copy=_MNIST_COPY.replace("{source}", "https://ossci-datasets.s3.amazonaws.com/mnist/"),
        make_class=lambda: _checked_mnist_class("MNIST"),
        problems=_mnist_problems,
    ),
    "fashion-mnist": _RealDataset(
        name="fashion-mnist",
        title="Fashion-MNIST",
        loader="load_fashion_mnist",
        folder="FashionMNIST/raw",
        files=_MNIST_FILES,
        how_to_copy=_MNIST_COPY.replace("{source}", "https://github.com/zalandoresearch/fashion-mnist"),
        make_class=lambda: _checked_mnist_class("FashionMNIST"),
        problems=_mnist_problems,
    ),
    "cifar10": _RealDataset(
        name="cifar10",
        title="CIFAR-10",
        loader="load_cifar10",
        folder=CIFAR10_FOLDER,
        files=tuple(_CIFAR10_BATCHES) + ("batches.meta",),
        how_to_copy=(
            "unpack cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html) inside {root}, "
            "so that {folder} holds {files}"
        ),
        make_class=_checked_cifar10_class,
        problems=_cifar10_problems,
    ),
}
"""The real datasets, by their command-line name."""

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


def _spec(name: str) -> _RealDataset:
    if name not in REAL_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(REAL_DATASETS)}")
    return REAL_DATASETS[name]


def check_dataset(name: str, root: Optional[str | os.PathLike[str]] = None) -> list[str]:
    """What is wrong with a real dataset's files ("mnist", "fashion-mnist", "cifar10").

    Returns one line per missing or broken file, ``[]`` when the dataset is usable. Reads the
    files only; never downloads and never calls torchvision's loader.
    """
    spec = _spec(name)
    return spec.problems(_resolve_root(root) / spec.folder)


def _not_found_message(spec: _RealDataset, root: Path, problems: list[str], download_error: Optional[BaseException]) -> str:
    folder = root / spec.folder
    command = f"python -m shared.datasets download {spec.name}"
    if root.resolve() != data_dir().resolve():
        command += f" --root {root}"
    lines = [f"{spec.title} is not usable: the files in {folder} are missing or incomplete."]
    lines += [f"  - {p}" for p in problems]
    if download_error is not None:
        lines.append(f"The download failed: {type(download_error).__name__}: {str(download_error).strip()}")
    lines += [
        "To get it:",
        f"  * with network, run:  {command}",
        f"    (or call {spec.loader}(download=True))",
        "  * without network: "
        + spec.how_to_copy.format(folder=folder, root=root, files=", ".join(spec.files)),
        "The cache folder is root= when given, else $LAB_DATA_DIR, else <repo root>/data "
        f"(now: {data_dir()}).",
    ]
    return "\n".join(lines)


def _download(spec: _RealDataset, root: Path) -> Optional[BaseException]:
    """Fetch a dataset through torchvision's own download code; returns the error, if any.

    torchvision skips files whose check passes (ours, structural) and re-fetches the rest;
    archives already in the folder with the right MD5 are unpacked without network.
    """
    try:
        spec.make_class()(str(root), train=True, download=True)
    except (OSError, RuntimeError, ValueError) as err:  # URLError is an OSError
        return err
    return None


def download(name: str, root: Optional[str | os.PathLike[str]] = None) -> Path:
    """Download a real dataset ("mnist", "fashion-mnist", "cifar10") into the cache folder.

    Returns the folder that holds the checked files; raises :class:`DatasetNotFoundError`
    when, after the attempt, the files are still missing or broken.
    """
    spec = _spec(name)
    root = _resolve_root(root)
    error = _download(spec, root)
    problems = spec.problems(root / spec.folder)
    if problems:
        raise DatasetNotFoundError(_not_found_message(spec, root, problems, error))
    return root / spec.folder


def _load_real(
    name: str,
    train: bool,
    root: Optional[str | os.PathLike[str]],
    download: bool,
    transform: Optional[Callable],
    target_transform: Optional[Callable],
) -> Any:
    spec = _spec(name)
    root = _resolve_root(root)
    error = _download(spec, root) if download else None
    problems = spec.problems(root / spec.folder)
    if problems:  # checked before torchvision ever sees the files
        raise DatasetNotFoundError(_not_found_message(spec, root, problems, error))
    return spec.make_class()(str(root), train=train, transform=transform, target_transform=target_transform)


def load_mnist(
    train: bool = True,
    root: Optional[str | os.PathLike[str]] = None,
    download: bool = False,
    transform: Optional[Callable] = None,
    target_transform: Optional[Callable] = None,
) -> Any:
    """MNIST handwritten digits as a torchvision dataset (a checked ``torchvision.datasets.MNIST``).

    Files: ``<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (60,000 train and
    10,000 test images). Each item is ``(PIL image 28x28 mode "L", int label)``, or whatever
    ``transform`` makes of the image (``transforms.ToTensor()`` gives (1, 28, 28) float32 in
    [0, 1]); ``.data`` is (N, 28, 28) uint8 and ``.targets`` (N,) int64.

    Raises :class:`DatasetNotFoundError` when a file is missing or fails the structural check
    (idx magic number, 28x28 images, exact size implied by the header, labels 0..9).
    ``download=True`` fetches missing or broken files through torchvision first.
    """
    return _load_real("mnist", train, root, download, transform, target_transform)


def load_fashion_mnist(
    train: bool = True,
    root: Optional[str | os.PathLike[str]] = None,
    download: bool = False,
    transform: Optional[Callable] = None,
    target_transform: Optional[Callable] = None,
) -> Any:
    """Fashion-MNIST (Zalando's clothing images) as a checked ``torchvision.datasets.FashionMNIST``.

    Same format, sizes and checks as :func:`load_mnist`, in ``<root>/FashionMNIST/raw/``;
    class names in :data:`FASHION_MNIST_CLASSES`.
    """
    return _load_real("fashion-mnist", train, root, download, transform, target_transform)


def load_cifar10(
    train: bool = True,
    root: Optional[str | os.PathLike[str]] = None,
    download: bool = False,
    transform: Optional[Callable] = None,
    target_transform: Optional[Callable] = None,
) -> Any:
    """CIFAR-10 as a checked ``torchvision.datasets.CIFAR10``.

    Files: ``<root>/cifar-10-batches-py/data_batch_{1..5}``, ``test_batch``, ``batches.meta``
    (50,000 train and 10,000 test images). Each item is ``(PIL image 32x32 RGB, int label)``, or
    what ``transform`` makes of it; ``.data`` is (N, 32, 32, 3) uint8, ``.targets`` a list of N
    ints, ``.classes`` the names from ``batches.meta``.

    Raises :class:`DatasetNotFoundError` when a file is missing or fails the structural check
    (every batch unpickles to (n, 3072) uint8 data with n labels, batches.meta names 10 classes;
    full-size batches must also match the published MD5). ``download=True`` fetches the archive
    through torchvision first.
    """
    return _load_real("cifar10", train, root, download, transform, target_transform)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _info(root: Path) -> int:
    print(f"cache folder: {root}  (root= / --root, else $LAB_DATA_DIR, else <repo root>/data)")
    for spec in REAL_DATASETS.values():
        folder = root / spec.folder
        problems = spec.problems(folder)
        state = "present" if not problems else "missing" if not folder.exists() else "incomplete"
        print(f"  {spec.name:<14} {state:<11} {folder}")
        for p in problems if state == "incomplete" else []:
            print(f"  {'':<14} - {p}")
        if problems:
            print(f"  {'':<14}   get it: python -m shared.datasets download {spec.name}")
    images, _, _, _ = _digits_arrays()
    print(f"  {'digits':<14} {'present':<11} bundled with scikit-learn ({len(images)} images of 8x8)")
    print(f"  synthetic: make_regression, make_spirals, make_blobs, make_shapes ({', '.join(SHAPE_CLASSES)})")
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """``python -m shared.datasets {info, download NAME} [--root DIR]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m shared.datasets", description=__doc__.split("\n\n")[0])
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
