"""Real images: scikit-learn's handwritten digits (bundled, offline) and, through torchvision,
MNIST, Fashion-MNIST and CIFAR-10 from the cache folder.

:func:`load_digits` reads the 1,797 8x8 digits that ship with scikit-learn, with a fixed
stratified train/test split. :func:`load_mnist`, :func:`load_fashion_mnist` and
:func:`load_cifar10` read the cache folder (:func:`~shared.datasets.data_dir`) and stop with a
:class:`~shared.datasets.DatasetNotFoundError` that says what is missing and how to get it.
Files are checked structurally before torchvision sees them, so a partial download never counts
as present. :func:`check_dataset` reports what is wrong with a dataset's files; :func:`download`
fetches one through torchvision's own download code.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import math
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import torch

from ._common import DatasetNotFoundError, _BrokenFile, _not_usable_message, _resolve_root, data_dir

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_FOLDER",
    "DIGITS_CLASSES",
    "DIGITS_SEED",
    "DIGITS_TEST_SIZE",
    "DIGITS_TRAIN_SIZE",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "REAL_DATASETS",
    "check_dataset",
    "download",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
]


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
    note = None
    if download_error is not None:
        note = f"The download failed: {type(download_error).__name__}: {str(download_error).strip()}"
    ways = [
        f"  * with network, run:  {command}",
        f"    (or call {spec.loader}(download=True))",
        "  * without network: "
        + spec.how_to_copy.format(folder=folder, root=root, files=", ".join(spec.files)),
    ]
    return _not_usable_message(spec.title, folder, problems, ways, note)


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


