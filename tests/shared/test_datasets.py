"""Tests for shared.datasets: synthetic generators, the bundled digits, and the real loaders.

The real loaders are exercised on tiny files written here in the real on-disk formats (idx for
MNIST and Fashion-MNIST, python pickles for CIFAR-10). Nothing touches the network: downloads
are replaced by fakes that stand in for torchvision's download helper.
"""
from __future__ import annotations

import pickle
import urllib.error
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

import shared
from shared import datasets as D

# ---------------------------------------------------------------------------------------------
# Helpers: tiny files in the real formats
# ---------------------------------------------------------------------------------------------

MNIST_LIKE = {  # loader name -> (folder under the cache, torchvision class it must return)
    "mnist": ("MNIST/raw", "MNIST"),
    "fashion-mnist": ("FashionMNIST/raw", "FashionMNIST"),
}
LOADERS = {"mnist": D.load_mnist, "fashion-mnist": D.load_fashion_mnist, "cifar10": D.load_cifar10}


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder under tmp_path, made the default through LAB_DATA_DIR."""
    root = tmp_path / "data"
    monkeypatch.setenv("LAB_DATA_DIR", str(root))
    return root


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in the idx format MNIST ships in (big-endian header)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_tiny_mnist(raw: Path, n_train: int = 5, n_test: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    """The four MNIST raw files with a few random 28x28 images; returns what was written."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        arrays[f"{split}-images"] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        arrays[f"{split}-labels"] = rng.integers(0, 10, size=n, dtype=np.uint8)
        write_idx(raw / f"{split}-images-idx3-ubyte", arrays[f"{split}-images"])
        write_idx(raw / f"{split}-labels-idx1-ubyte", arrays[f"{split}-labels"])
    return arrays


CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def write_cifar_batch(path: Path, data: np.ndarray, labels: list[int]) -> None:
    entry = {"batch_label": path.name, "labels": labels, "data": data, "filenames": [f"{i}.png" for i in labels]}
    path.write_bytes(pickle.dumps(entry, protocol=2))


def write_tiny_cifar10(folder: Path, rows: int = 2, seed: int = 0) -> dict[str, tuple[np.ndarray, list[int]]]:
    """A cifar-10-batches-py folder with `rows` images per batch; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name in CIFAR_BATCHES:
        data = rng.integers(0, 256, size=(rows, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=rows)]
        write_cifar_batch(folder / name, data, labels)
        written[name] = (data, labels)
    meta = {"label_names": list(D.CIFAR10_CLASSES), "num_cases_per_batch": rows, "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return written


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut a file short, as an interrupted download leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.fixture
def torchvision_must_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make torchvision's dataset constructors fail loudly if the loader ever reaches them."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("broken files were handed to torchvision instead of being rejected first")

    for cls in (torchvision.datasets.MNIST, torchvision.datasets.FashionMNIST, torchvision.datasets.CIFAR10):
        monkeypatch.setattr(cls, "__init__", refuse)


# ---------------------------------------------------------------------------------------------
# Synthetic generators
# ---------------------------------------------------------------------------------------------


def test_make_regression_returns_documented_shapes_and_repeats_per_seed():
    X, y, w, b = D.make_regression(50, 4, noise=0.1, seed=3)
    assert X.shape == (50, 4) and X.dtype == torch.float32, f"X should be (50, 4) float32, got {tuple(X.shape)} {X.dtype}"
    assert y.shape == (50,) and y.dtype == torch.float32, f"y should be (50,) float32, got {tuple(y.shape)} {y.dtype}"
    assert w.shape == (4,) and isinstance(b, float), "true_w should be (D,) and true_b a Python float"
    again = D.make_regression(50, 4, noise=0.1, seed=3)
    other = D.make_regression(50, 4, noise=0.1, seed=4)
    assert torch.equal(X, again.X) and torch.equal(y, again.y), "the same seed should give the same data"
    assert not torch.equal(X, other.X), "a different seed should give different data"


def test_make_regression_least_squares_recovers_the_true_weights():
    n, noise = 2000, 0.1
    X, y, true_w, true_b = D.make_regression(n, 5, noise=noise, seed=0)
    design = torch.cat([X, torch.ones(n, 1)], dim=1).double()
    solution = torch.linalg.lstsq(design, y.double()[:, None]).solution[:, 0]
    tolerance = 5 * noise / n**0.5  # five standard errors
    assert torch.allclose(solution[:5].float(), true_w, atol=tolerance), (
        f"least squares found w={solution[:5].tolist()}, but make_regression says true_w={true_w.tolist()}"
    )
    assert abs(float(solution[5]) - true_b) < tolerance, f"least squares found b={float(solution[5])}, true_b={true_b}"
    residual = y - X @ true_w - true_b
    assert abs(float(residual.std()) - noise) < 0.01, f"the noise should have std {noise}, got {float(residual.std())}"


@pytest.mark.parametrize("n_classes", [2, 3])
def test_make_spirals_has_balanced_classes_and_repeats_per_seed(n_classes):
    X, y = D.make_spirals(100, n_classes=n_classes, seed=1)
    assert X.shape == (100 * n_classes, 2) and X.dtype == torch.float32, f"X should be (N, 2) float32, got {X.shape} {X.dtype}"
    assert y.dtype == torch.int64, f"labels should be int64, got {y.dtype}"
    assert torch.bincount(y).tolist() == [100] * n_classes, f"each class should have 100 points, got {torch.bincount(y).tolist()}"
    X2, y2 = D.make_spirals(100, n_classes=n_classes, seed=1)
    assert torch.equal(X, X2) and torch.equal(y, y2), "the same seed should give the same spirals"
    assert not torch.equal(X, D.make_spirals(100, n_classes=n_classes, seed=2)[0]), "another seed should differ"


def test_make_spirals_without_noise_puts_every_point_on_its_class_arm():
    n_classes, turns = 3, 1.0
    X, y = D.make_spirals(200, n_classes=n_classes, noise=0.0, seed=0, turns=turns)
    r = X.norm(dim=1)
    expected_angle = 2 * torch.pi * (turns * r + y / n_classes)
    angle_error = torch.remainder(torch.atan2(X[:, 1], X[:, 0]) - expected_angle + torch.pi, 2 * torch.pi) - torch.pi
    assert angle_error.abs().max() < 1e-4, f"a noise-free point is {angle_error.abs().max():.3g} rad off its class arm"


def test_make_blobs_class_means_match_the_returned_centers():
    n, spread = 400, 1.0
    X, y, centers = D.make_blobs(n, n_classes=4, n_features=3, spread=spread, seed=0)
    assert X.shape == (4 * n, 3) and y.shape == (4 * n,) and centers.shape == (4, 3), "shapes should be (N, D), (N,), (K, D)"
    assert X.dtype == torch.float32 and y.dtype == torch.int64, f"dtypes should be float32/int64, got {X.dtype}/{y.dtype}"
    assert torch.bincount(y).tolist() == [n] * 4, "each blob should hold n_per_class points"
    for k in range(4):
        mean = X[y == k].mean(dim=0)
        assert (mean - centers[k]).norm() < 5 * spread / n**0.5 * 3**0.5, f"class {k} is centred on {mean}, not on {centers[k]}"
    assert torch.pdist(centers).min() >= 4 * spread, "centres should be at least 4*spread apart when the box allows it"
    assert torch.equal(X, D.make_blobs(n, 4, 3, spread, seed=0)[0]), "the same seed should give the same blobs"


def test_make_shapes_gives_balanced_labels_and_images_in_range():
    images, labels = D.make_shapes(120, size=32, seed=0)
    assert images.shape == (120, 3, 32, 32) and images.dtype == torch.float32, f"got {tuple(images.shape)} {images.dtype}"
    assert labels.shape == (120,) and labels.dtype == torch.int64, f"labels should be (N,) int64, got {labels.dtype}"
    assert images.min() >= 0 and images.max() <= 1, "pixel values should lie in [0, 1]"
    counts = torch.bincount(labels, minlength=len(D.SHAPE_CLASSES))
    assert counts.tolist() == [120 // len(D.SHAPE_CLASSES)] * len(D.SHAPE_CLASSES), f"classes should be balanced, got {counts.tolist()}"


def test_make_shapes_repeats_per_seed_and_images_differ():
    images, labels = D.make_shapes(60, size=24, seed=5)
    again, labels_again = D.make_shapes(60, size=24, seed=5)
    assert torch.equal(images, again) and torch.equal(labels, labels_again), "the same seed should give the same images"
    assert not torch.equal(images, D.make_shapes(60, size=24, seed=6)[0]), "another seed should give other images"
    flat = images.flatten(1)
    assert torch.pdist(flat).min() > 1.0, "no two images should be (nearly) identical"
    clean, _ = D.make_shapes(60, size=24, seed=5, noise=0.0)
    assert (clean.flatten(2).std(dim=2).mean(dim=1) > 0.05).all(), "every image should show a shape on a contrasting background"


@pytest.mark.parametrize("vocab_size, n_classes, min_len, max_len", [(16, 4, 8, 32), (5, 4, 1, 6), (9, 1, 3, 3)])
def test_make_marker_sequences_are_token_runs_of_lengths_in_range_padded_with_zeros(vocab_size, n_classes, min_len, max_len):
    n = 2000
    ids, labels = D.make_marker_sequences(n, vocab_size, n_classes, min_len=min_len, max_len=max_len, seed=0)
    assert ids.shape == (n, max_len) and ids.dtype == torch.int64, (
        f"ids should be ({n}, {max_len}) int64, got {tuple(ids.shape)} {ids.dtype}")
    assert labels.shape == (n,) and labels.dtype == torch.int64, (
        f"labels should be ({n},) int64, got {tuple(labels.shape)} {labels.dtype}")
    lengths = []
    for row in ids.tolist():
        length = next((i for i, token in enumerate(row) if token == 0), max_len)
        assert all(token == 0 for token in row[length:]), f"a sequence has tokens after its padding started: {row}"
        assert all(1 <= token < vocab_size for token in row[:length]), f"a token is outside 1 … {vocab_size - 1}: {row}"
        lengths.append(length)
    assert min(lengths) == min_len and max(lengths) == max_len, (
        f"lengths should be drawn from {min_len} … {max_len} (both ends included); "
        f"{n} sequences span {min(lengths)} … {max(lengths)}")
    assert set(labels.tolist()) == set(range(n_classes)), (
        f"labels should cover 0 … {n_classes - 1}, got {sorted(set(labels.tolist()))}")


def test_make_marker_sequences_label_the_most_frequent_marker_with_ties_to_the_smallest():
    n_classes = 4
    ids, labels = D.make_marker_sequences(3000, vocab_size=8, n_classes=n_classes, min_len=4, max_len=12, seed=2)
    ties = 0
    for row, label in zip(ids.tolist(), labels.tolist()):
        counts = Counter(token for token in row if 1 <= token <= n_classes)
        top = max((counts[m] for m in range(1, n_classes + 1)))
        winners = [m for m in range(1, n_classes + 1) if counts[m] == top]
        ties += len(winners) > 1
        assert label == winners[0] - 1, (
            f"sequence {row}: marker counts {dict(sorted(counts.items()))}; the label should be {winners[0] - 1} "
            f"(marker {winners[0]}, the smallest of the most frequent {winners}), got {label}")
    assert ties > 100, f"only {ties} of 3000 sequences have tied markers: the tie rule is barely exercised"


def test_make_marker_sequences_repeat_per_seed_and_differ_across_seeds():
    ids, labels = D.make_marker_sequences(200, seed=3)
    again, labels_again = D.make_marker_sequences(200, seed=3)
    assert torch.equal(ids, again) and torch.equal(labels, labels_again), "the same seed should give the same sequences"
    other, _ = D.make_marker_sequences(200, seed=4)
    assert not torch.equal(ids, other), "another seed should give other sequences"
    assert (ids != other).any(dim=1).float().mean() > 0.9, "another seed should change nearly every sequence"


@pytest.mark.parametrize("kwargs", [
    dict(n_samples=0), dict(min_len=0), dict(min_len=9, max_len=8), dict(n_classes=0), dict(n_classes=16),
    dict(vocab_size=4, n_classes=4),
])
def test_make_marker_sequences_rejects_bad_arguments(kwargs):
    args = dict(n_samples=10, vocab_size=16, n_classes=4, min_len=8, max_len=32) | kwargs
    with pytest.raises(ValueError, match="make_marker_sequences needs"):
        D.make_marker_sequences(**args)


# ---------------------------------------------------------------------------------------------
# scikit-learn's digits
# ---------------------------------------------------------------------------------------------


def test_load_digits_split_has_fixed_sizes_and_range():
    for split, size in (("train", D.DIGITS_TRAIN_SIZE), ("test", D.DIGITS_TEST_SIZE)):
        images, labels = D.load_digits(split)
        assert images.shape == (size, 1, 8, 8) and images.dtype == torch.float32, f"{split}: got {tuple(images.shape)} {images.dtype}"
        assert labels.shape == (size,) and labels.dtype == torch.int64, f"{split}: labels should be ({size},) int64"
        assert images.min() >= 0 and images.max() == 1, f"{split}: pixels should be scaled to [0, 1]"
    assert (D.DIGITS_TRAIN_SIZE, D.DIGITS_TEST_SIZE) == (1438, 359), "the documented split sizes changed"
    assert len(D.DIGITS_CLASSES) == 10


def test_load_digits_train_and_test_are_disjoint_stratified_and_stable():
    train_x, train_y = D.load_digits("train")
    test_x, test_y = D.load_digits("test")
    all_x, all_y = D.load_digits("all")
    rows = lambda x, y: sorted(zip(map(bytes, x.flatten(1).numpy()), y.tolist()))  # noqa: E731
    assert rows(torch.cat([train_x, test_x]), torch.cat([train_y, test_y])) == rows(all_x, all_y), (
        "train and test together should be exactly the 1797 digits, each once"
    )
    share = torch.bincount(test_y, minlength=10) / torch.bincount(all_y, minlength=10)
    assert ((share - 0.2).abs() < 0.01).all(), f"each digit should be 20% test, got {share.tolist()}"
    assert torch.equal(D.load_digits("test")[0], test_x), "the split should be the same on every call"


# ---------------------------------------------------------------------------------------------
# Real loaders on tiny files in the real formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MNIST_LIKE))
def test_mnist_like_loader_reads_tiny_idx_files(name, data_root):
    folder, tv_class = MNIST_LIKE[name]
    written = write_tiny_mnist(data_root / folder)
    to_tensor = torchvision.transforms.functional.pil_to_tensor
    train = LOADERS[name](train=True, transform=to_tensor)
    test = LOADERS[name](train=False)
    assert isinstance(train, getattr(torchvision.datasets, tv_class)), f"should return a torchvision {tv_class}"
    assert (len(train), len(test)) == (5, 3), f"expected 5 train and 3 test images, got {len(train)} and {len(test)}"
    assert np.array_equal(test.data.numpy(), written["t10k-images"]), "test images differ from the file"
    assert test.targets.tolist() == written["t10k-labels"].tolist(), "test labels differ from the file"
    image, label = train[4]
    assert torch.equal(image, torch.from_numpy(written["train-images"][4])[None]), "train[4] is not the 5th image"
    assert label == int(written["train-labels"][4]), "train[4] has the wrong label"


def test_cifar10_loader_reads_tiny_pickle_batches(data_root):
    written = write_tiny_cifar10(data_root / "cifar-10-batches-py", rows=2)
    train = D.load_cifar10(train=True)
    test = D.load_cifar10(train=False, transform=torchvision.transforms.functional.pil_to_tensor)
    assert isinstance(train, torchvision.datasets.CIFAR10), "should return a torchvision CIFAR10"
    assert (len(train), len(test)) == (10, 2), f"expected 10 train and 2 test images, got {len(train)} and {len(test)}"
    assert train.classes == list(D.CIFAR10_CLASSES), "class names should come from batches.meta"
    data, labels = written["test_batch"]
    image, label = test[1]
    assert torch.equal(image, torch.from_numpy(data[1].reshape(3, 32, 32))), "test[1] is not the 2nd test image"
    assert label == labels[1] and test.targets == labels, "test labels differ from the file"
    assert train.targets[2:4] == written["data_batch_2"][1], "train batches should be read in order"


@pytest.mark.parametrize("name", list(LOADERS))
def test_missing_dataset_raises_and_names_the_download_command(name, data_root, torchvision_must_not_load):
    with pytest.raises(D.DatasetNotFoundError) as caught:
        LOADERS[name]()
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError), "DatasetNotFoundError should be a FileNotFoundError"
    assert f"python -m shared.datasets download {name}" in message, f"the message should say how to download:\n{message}"
    assert str(data_root) in message, f"the message should say where it looked:\n{message}"
    assert "missing" in message, f"the message should say which files are missing:\n{message}"


def _truncate_images(raw: Path) -> str:
    truncate(raw / "train-images-idx3-ubyte")
    return "train-images-idx3-ubyte"


def _pad_labels(raw: Path) -> str:
    with (raw / "t10k-labels-idx1-ubyte").open("ab") as f:
        f.write(b"\0")
    return "t10k-labels-idx1-ubyte"


def _wrong_magic(raw: Path) -> str:
    path = raw / "t10k-images-idx3-ubyte"
    path.write_bytes(b"\0\0\x08\x01" + path.read_bytes()[4:])
    return "t10k-images-idx3-ubyte"


def _fewer_labels_than_images(raw: Path) -> str:
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8))
    return "train-labels-idx1-ubyte"


def _header_only(raw: Path) -> str:
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:6])
    return "train-images-idx3-ubyte"


@pytest.mark.parametrize("name", list(MNIST_LIKE))
@pytest.mark.parametrize("damage", [_truncate_images, _header_only, _pad_labels, _wrong_magic, _fewer_labels_than_images])
def test_broken_idx_file_is_rejected_before_torchvision(name, damage, data_root, torchvision_must_not_load):
    raw = data_root / MNIST_LIKE[name][0]
    write_tiny_mnist(raw)
    broken_file = damage(raw)
    assert D.check_dataset(name), "check_dataset should report the damaged file"
    with pytest.raises(D.DatasetNotFoundError, match=broken_file) as caught:
        LOADERS[name](train=False)
    assert f"download {name}" in str(caught.value), "the message should say how to get the data again"


def test_truncated_idx_file_says_partial_download(data_root, torchvision_must_not_load):
    write_tiny_mnist(data_root / "MNIST/raw")
    truncate(data_root / "MNIST/raw/t10k-labels-idx1-ubyte", keep=0.9)
    with pytest.raises(D.DatasetNotFoundError, match="partial download"):
        D.load_mnist()


@pytest.mark.parametrize("broken_file", ["data_batch_3", "test_batch", "batches.meta"])
def test_truncated_cifar_file_is_rejected_before_torchvision(broken_file, data_root, torchvision_must_not_load):
    folder = data_root / "cifar-10-batches-py"
    write_tiny_cifar10(folder)
    truncate(folder / broken_file)
    with pytest.raises(D.DatasetNotFoundError, match=f"{broken_file}: does not unpickle") as caught:
        D.load_cifar10()
    assert "download cifar10" in str(caught.value), "the message should say how to get the data again"


def test_cifar_batch_with_wrong_data_shape_or_label_count_is_rejected(data_root, torchvision_must_not_load):
    folder = data_root / "cifar-10-batches-py"
    write_tiny_cifar10(folder)
    write_cifar_batch(folder / "data_batch_1", np.zeros((2, 1024), dtype=np.uint8), [0, 1])
    write_cifar_batch(folder / "data_batch_2", np.zeros((2, 3072), dtype=np.uint8), [0])
    with pytest.raises(D.DatasetNotFoundError) as caught:
        D.load_cifar10()
    message = str(caught.value)
    assert "data_batch_1: 'data' should be a uint8 array of shape (n, 3072)" in message, message
    assert "data_batch_2: has 2 images but 1 labels" in message, message


def test_full_size_cifar_batch_must_match_the_published_checksum(data_root, torchvision_must_not_load):
    folder = data_root / "cifar-10-batches-py"
    write_tiny_cifar10(folder)
    write_cifar_batch(folder / "data_batch_1", np.zeros((10_000, 3072), dtype=np.uint8), [0] * 10_000)
    with pytest.raises(D.DatasetNotFoundError, match="data_batch_1: has the real dataset's size but not its published MD5"):
        D.load_cifar10()


def test_repaired_files_load_again_after_a_rejection(data_root):
    folder = data_root / "cifar-10-batches-py"
    write_tiny_cifar10(folder)
    assert len(D.load_cifar10()) == 10
    truncate(folder / "data_batch_5")
    with pytest.raises(D.DatasetNotFoundError):
        D.load_cifar10()
    write_tiny_cifar10(folder, rows=3)
    assert len(D.load_cifar10()) == 15, "after the files are fixed the loader should read them"


# ---------------------------------------------------------------------------------------------
# Downloads (through torchvision's own download code, with the network part faked)
# ---------------------------------------------------------------------------------------------


def test_download_true_fetches_through_torchvision_and_replaces_a_partial_file(data_root, monkeypatch):
    raw = data_root / "MNIST/raw"
    write_tiny_mnist(raw, seed=1)
    truncate(raw / "train-images-idx3-ubyte")
    fresh = write_tiny_mnist(data_root / "fresh", seed=2)  # what the "server" hands out
    fetched = []

    def fake_download_and_extract_archive(url, download_root, filename=None, md5=None, **kwargs):
        fetched.append(filename)
        name = filename.removesuffix(".gz")
        (Path(download_root) / name).write_bytes((data_root / "fresh" / name).read_bytes())

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", fake_download_and_extract_archive)
    dataset = D.load_mnist(train=True, download=True)
    assert sorted(fetched) == sorted(f"{f}.gz" for f in D.REAL_DATASETS["mnist"].files), (
        f"the partial file should make torchvision fetch the files again, it fetched {fetched}"
    )
    assert np.array_equal(dataset.data.numpy(), fresh["train-images"]), "the loader should read the freshly downloaded files"


def test_download_failure_raises_dataset_not_found_with_the_reason(data_root, monkeypatch):
    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", offline)
    with pytest.raises(D.DatasetNotFoundError, match="The download failed: URLError") as caught:
        D.load_cifar10(download=True)
    assert "data_batch_1: missing" in str(caught.value), "the message should still list the missing files"


def test_cli_download_and_info_report_what_is_present(data_root, monkeypatch, capsys):
    def fake_cifar_archive(url, download_root, filename=None, md5=None, **kwargs):
        write_tiny_cifar10(Path(download_root) / "cifar-10-batches-py")

    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", fake_cifar_archive)
    assert D.main(["download", "cifar10"]) == 0, "downloading should succeed"
    assert "CIFAR-10 is ready in" in capsys.readouterr().out
    assert D.main(["info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    state = {line.split()[0]: line.split()[1] for line in lines if line.startswith("  ") and len(line.split()) > 2}
    assert (state["cifar10"], state["mnist"], state["digits"]) == ("present", "missing", "present"), "\n".join(lines)


def test_cli_download_without_network_exits_1_and_explains(data_root, monkeypatch, capsys):
    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", offline)
    elsewhere = data_root.parent / "elsewhere"
    assert D.main(["download", "fashion-mnist", "--root", str(elsewhere)]) == 1, "a failed download should exit with 1"
    message = capsys.readouterr().err
    assert f"python -m shared.datasets download fashion-mnist --root {elsewhere}" in message, message
    assert "train-images-idx3-ubyte: missing" in message, message


# ---------------------------------------------------------------------------------------------
# Cache folder
# ---------------------------------------------------------------------------------------------


def test_data_dir_honours_LAB_DATA_DIR_and_root_overrides_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LAB_DATA_DIR", raising=False)
    repo_root = Path(shared.__file__).resolve().parent.parent  # the folder that holds the shared package
    assert D.data_dir() == repo_root / "data", "without LAB_DATA_DIR the cache should be <repo root>/data"
    monkeypatch.setenv("LAB_DATA_DIR", str(tmp_path / "cache"))
    assert D.data_dir() == tmp_path / "cache", "LAB_DATA_DIR should choose the cache folder"
    write_tiny_mnist(tmp_path / "other" / "MNIST" / "raw")
    assert len(D.load_mnist(root=tmp_path / "other")) == 5, "root= should override LAB_DATA_DIR"
    with pytest.raises(D.DatasetNotFoundError, match=str(tmp_path / "cache")):
        D.load_mnist()
