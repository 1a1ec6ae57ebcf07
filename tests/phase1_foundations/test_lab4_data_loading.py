"""Grader of lab 1.4 (data loading): datasets, collation, samplers, augmentation, loader throughput.

Every test names the behaviour it checks and compares your code with PyTorch's own pieces
(torchvision's DatasetFolder, pad_sequence, DistributedSampler, WeightedRandomSampler,
torchvision's normalize and Compose) wherever one exists. Loader tests run real DataLoaders with
worker processes (the platform's default start method; one test starts them with spawn), on a few
hundred samples. Run it on your
exercises with

    make test-lab LAB=phase1_foundations/lab4_data_loading          (EX=2 for exercise 2 only)
"""
from __future__ import annotations

import math
import os
import pickle
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from shared.grading import Lab, close, forbid

lab = Lab("phase1_foundations/lab4_data_loading")

# More workers than this machine's cores is the point of some tests; PyTorch warns about it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This DataLoader will create:UserWarning",
    "ignore:.*pin_memory.*:UserWarning",
)


# Test datasets live at module level: a worker started with spawn or forkserver (the default on
# macOS, Windows, and Linux from Python 3.14) unpickles them by name, as it imports the code under test
# (shared.loader makes the graded files importable there too).
class Draws(Dataset):
    """Every random source a worker holds: torch's seed, random, numpy's global state and a Generator."""

    def __init__(self):
        self.rng = np.random.default_rng(0)  # created once, copied into every worker

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return (i, torch.initial_seed(), random.random(), int(np.random.randint(0, 2**31)),
                int(self.rng.integers(0, 2**62)))


class OtherRng(Dataset):
    def __init__(self):
        self.rng = random.Random(5)  # not a np.random.Generator: seed_worker must leave it alone

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return type(self.rng).__name__, self.rng.random()


def chi_square(observed: list[int] | np.ndarray, expected_p: np.ndarray) -> float:
    """Pearson's statistic of observed counts against expected probabilities."""
    observed = np.asarray(observed, dtype=np.float64)
    expected = expected_p * observed.sum()
    return float(((observed - expected) ** 2 / expected).sum())


def drain(loader: DataLoader) -> list:
    """Every batch of ``loader``, with its worker processes shut down even when the code under test
    raises. An error raised inside a worker comes back with the worker's own message first.

    (An iterator that raised keeps its workers alive until garbage collection, which then waits
    5 s per worker: shutting down here keeps a failing test from slowing down the ones after it.)
    """
    it = iter(loader)
    try:
        return list(it)
    except Exception as err:
        text = str(err)
        if "DataLoader worker" in text and "Original Traceback" in text:
            last = text.strip().splitlines()[-1]
            message = last.split(": ", 1)[1] if ": " in last else last
            try:
                clearer = type(err)(f"{message}  (raised in a DataLoader worker process)")
            except Exception:  # an exception type with another constructor: keep the original
                raise err from None
            raise clearer from None
        raise
    finally:
        shutdown = getattr(it, "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()


# ---------------------------------------------------------------------------------------------
# Exercise 1: datasets
# ---------------------------------------------------------------------------------------------


def write_class_tree(root: Path, same_shape: bool = False) -> dict[str, np.ndarray]:
    """A DatasetFolder-style tree with traps: unsorted names, '10' before '2', an upper-case
    extension, a capitalised class, files to ignore. Returns path -> array for the sample files."""
    rng = np.random.default_rng(0)
    layout = {
        "cat": ["2.npy", "10.npy", "1.npy", "notes.txt"],
        "Dog": ["b.npy", "A.NPY", "a.npy.bak"],
        "bird": ["z.npy", "m.npy", "c.npy", "x.npz"],
    }
    dtypes = [np.float32, np.float64, np.int16]
    arrays = {}
    for k, (cls, files) in enumerate(layout.items()):
        (root / cls).mkdir(parents=True)
        for j, name in enumerate(files):
            path = root / cls / name
            shape = (3, 4) if same_shape else (2 + j, 3)
            arr = (rng.standard_normal(shape) * 100).astype(dtypes[(k + j) % 3] if not same_shape else np.float32)
            with open(path, "wb") as f:
                np.save(f, arr)
            if name.lower().endswith(".npy"):
                arrays[os.path.normpath(str(path))] = arr
    return arrays


@pytest.mark.exercise(1)
class TestDatasets:
    def test_folder_dataset_lists_classes_and_samples_like_torchvision_datasetfolder(self, tmp_path):
        ex = lab.exercise(1)
        from torchvision.datasets import DatasetFolder

        root = tmp_path / "data"
        write_class_tree(root)
        oracle = DatasetFolder(str(root), loader=np.load, extensions=(".npy",))
        with forbid("numpy.load", why="FolderDataset(root) must only list files; reading belongs in __getitem__"):
            ds = ex.FolderDataset(root)
        assert ds.classes == oracle.classes, f"FolderDataset.classes is {ds.classes}; DatasetFolder gives {oracle.classes} (sorted names)"
        assert ds.class_to_idx == oracle.class_to_idx, (
            f"FolderDataset.class_to_idx is {ds.class_to_idx}; DatasetFolder gives {oracle.class_to_idx}"
        )
        got = [(os.path.normpath(str(p)), int(y)) for p, y in ds.samples]
        want = [(os.path.normpath(p), y) for p, y in oracle.samples]
        assert got == want, (
            "FolderDataset.samples differs from DatasetFolder's (classes in sorted order, files sorted by name within "
            "a class, extension matched case-insensitively, other files skipped):\n"
            f"  yours: {[(Path(p).parent.name + '/' + Path(p).name, y) for p, y in got]}\n"
            f"  torch: {[(Path(p).parent.name + '/' + Path(p).name, y) for p, y in want]}"
        )
        assert len(ds) == len(oracle), f"len(FolderDataset) is {len(ds)}; DatasetFolder has {len(oracle)} samples"

    def test_folder_dataset_items_are_the_stored_arrays_with_their_labels_and_transform(self, tmp_path):
        ex = lab.exercise(1)
        from torchvision.datasets import DatasetFolder

        root = tmp_path / "data"
        write_class_tree(root)
        oracle = DatasetFolder(str(root), loader=lambda p: torch.from_numpy(np.load(p)), extensions=(".npy",))
        ds = ex.FolderDataset(root)
        for i in range(len(oracle)):
            x, y = ds[i]
            ox, oy = oracle[i]
            assert isinstance(x, torch.Tensor), f"FolderDataset[{i}][0] is a {type(x).__name__}, not a tensor"
            assert x.dtype == ox.dtype and x.shape == ox.shape, (
                f"FolderDataset[{i}] gave a {x.dtype} tensor of shape {tuple(x.shape)}; the file holds {ox.dtype} {tuple(ox.shape)}"
            )
            assert torch.equal(x, ox), f"FolderDataset[{i}] does not hold the values of {oracle.samples[i][0]}"
            assert int(y) == oy, f"FolderDataset[{i}] has label {y}; DatasetFolder says {oy}"
        ds_t = ex.FolderDataset(root, transform=lambda t: t.double() * 2)
        x, _ = ds_t[1]
        close(x, oracle[1][0].double() * 2, "FolderDataset(root, transform=f)[1] should return f(x)")

    def test_folder_dataset_ignores_nested_folders_even_ones_named_like_samples(self, tmp_path):
        ex = lab.exercise(1)
        from torchvision.datasets import DatasetFolder

        root = tmp_path / "data"
        write_class_tree(root)
        flat = DatasetFolder(str(root), loader=np.load, extensions=(".npy",))  # before the nested folders exist
        for nested in (root / "cat" / "extra", root / "Dog" / "more.npy", root / "bird" / "a" / "b"):
            nested.mkdir(parents=True)
            np.save(nested / "0.npy", np.zeros(3, np.float32))
        ds = ex.FolderDataset(root)
        got = [(os.path.relpath(p, root), int(y)) for p, y in ds.samples]
        want = [(os.path.relpath(p, root), y) for p, y in flat.samples]
        extra = [p for p, _ in got if p not in dict(want)]
        assert got == want, (
            "FolderDataset must take only the files directly inside each class folder; with nested sub-folders "
            "(cat/extra/, bird/a/b/, and a folder named Dog/more.npy) it listed "
            + (f"{extra}, which are inside sub-folders or are folders" if extra else f"{got} instead of {want}")
        )
        assert ds.classes == flat.classes, f"FolderDataset.classes is {ds.classes}; nested folders are not classes: {flat.classes}"

    def test_folder_dataset_raises_file_not_found_without_classes_or_with_an_empty_class(self, tmp_path):
        ex = lab.exercise(1)
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty" / "stray.npy").write_bytes(b"")  # a file, not a class folder
        root = tmp_path / "one_empty_class"
        write_class_tree(root)
        (root / "fish").mkdir()
        (root / "fish" / "readme.txt").write_text("no arrays here")
        for where, what in [(tmp_path / "empty", "a root with no class folder"), (root, "a class folder 'fish' with no .npy file")]:
            try:
                ds = ex.FolderDataset(where)
            except FileNotFoundError:
                continue
            pytest.fail(f"FolderDataset on {what} should raise FileNotFoundError (as DatasetFolder does); it built {len(ds)} samples")

    def test_folder_dataset_feeds_a_dataloader_with_two_workers(self, tmp_path):
        ex = lab.exercise(1)
        from torchvision.datasets import DatasetFolder

        root = tmp_path / "data"
        arrays = write_class_tree(root, same_shape=True)
        oracle = DatasetFolder(str(root), loader=np.load, extensions=(".npy",))
        ds = ex.FolderDataset(root)
        xs, ys = [], []
        for x, y in drain(DataLoader(ds, batch_size=3, num_workers=2)):
            xs.append(x)
            ys.append(y)
        want_x = torch.stack([torch.from_numpy(arrays[os.path.normpath(p)]) for p, _ in oracle.samples])
        close(torch.cat(xs), want_x, "the batches a 2-worker DataLoader made from FolderDataset differ from the files, in DatasetFolder's order")
        assert torch.cat(ys).tolist() == oracle.targets, "the labels a 2-worker DataLoader delivered from FolderDataset are not DatasetFolder's"

    def test_folder_dataset_loads_in_a_spawned_worker(self, tmp_path):
        """spawn (the default on macOS and Windows) starts a fresh interpreter that unpickles the
        dataset, so your class must be importable by name there; it is, through shared.loader."""
        ex = lab.exercise(1)
        root = tmp_path / "data"
        arrays = write_class_tree(root, same_shape=True)
        ds = ex.FolderDataset(root)
        loader = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn")
        xs = torch.cat([x for x, _ in drain(loader)])
        want = torch.stack([ds[i][0] for i in range(len(ds))])
        close(xs, want, "a DataLoader whose worker was started with spawn delivered other arrays than FolderDataset[i] in this process")
        assert len(xs) == len(arrays), f"the spawned worker delivered {len(xs)} samples of {len(arrays)}"

    @staticmethod
    def write_record_files(root: Path, rows: list[int], dim: int = 3) -> tuple[list[Path], np.ndarray]:
        """Files of records; column 0 is a unique record id. Returns the paths and all rows in order."""
        root.mkdir(parents=True, exist_ok=True)
        paths, blocks, next_id = [], [], 0
        rng = np.random.default_rng(1)
        for k, n in enumerate(rows):
            block = rng.integers(0, 1000, size=(n, dim)).astype(np.int64)
            block[:, 0] = np.arange(next_id, next_id + n)
            next_id += n
            path = root / f"shard-{k:02d}.npy"
            np.save(path, block)
            paths.append(path)
            blocks.append(block)
        return paths, np.concatenate(blocks)

    @staticmethod
    def collect_ids(stream, num_workers: int) -> list[int]:
        ids = []
        for batch in drain(DataLoader(stream, batch_size=8, num_workers=num_workers)):
            ids.extend(batch[:, 0].tolist())
        return ids

    @staticmethod
    def describe_counts(ids: list[int], total: int) -> str:
        counts = Counter(ids)
        dup = sorted(i for i, c in counts.items() if c > 1)
        missing = sorted(set(range(total)) - set(counts))
        parts = []
        if dup:
            parts.append(f"{len(dup)} records came out more than once (record {dup[0]} {counts[dup[0]]} times)")
        if missing:
            parts.append(f"{len(missing)} records never came out (first: {missing[:5]})")
        return "; ".join(parts)

    def test_sharded_stream_in_the_main_process_yields_every_row_in_file_order(self, tmp_path):
        ex = lab.exercise(1)
        paths, rows = self.write_record_files(tmp_path / "shards", [5, 0, 7, 1])
        got = list(ex.ShardedRecordStream(paths))
        assert len(got) == len(rows), f"iterating ShardedRecordStream(4 files, {len(rows)} rows) outside a DataLoader gave {len(got)} records"
        for i, r in enumerate(got):
            assert isinstance(r, torch.Tensor) and r.shape == (3,) and r.dtype == torch.int64, (
                f"record {i} is {type(r).__name__} {getattr(r, 'shape', '')} {getattr(r, 'dtype', '')}; expected an int64 tensor of shape (3,)"
            )
        assert torch.equal(torch.stack(got), torch.from_numpy(rows)), (
            "ShardedRecordStream outside a DataLoader should yield every row of every file, in file order then row order"
        )

    def test_sharded_stream_yields_every_record_exactly_once_for_any_num_workers(self, tmp_path):
        ex = lab.exercise(1)
        paths, rows = self.write_record_files(tmp_path / "shards", [40, 0, 75, 9, 60, 33, 51])
        total = len(rows)
        for num_workers in (0, 1, 2, 3, 4):
            ids = self.collect_ids(ex.ShardedRecordStream(paths), num_workers)
            problem = self.describe_counts(ids, total)
            assert not problem, (
                f"DataLoader(ShardedRecordStream(7 files, {total} records), num_workers={num_workers}): {problem}. "
                "Every worker runs __iter__ on its own copy: each must yield only its share (get_worker_info())"
            )

    def test_sharded_stream_deals_whole_files_round_robin_over_readers(self, tmp_path):
        ex = lab.exercise(1)
        sizes = [6, 4, 9, 3, 7, 5, 8, 2]
        paths, rows = self.write_record_files(tmp_path / "shards", sizes)
        ids_of_file, start = [], 0
        for n in sizes:
            ids_of_file.append(list(range(start, start + n)))
            start += n
        for rank in range(3):
            got = [int(r[0]) for r in ex.ShardedRecordStream(paths, rank=rank, world_size=3)]
            want = [i for f in range(rank, len(paths), 3) for i in ids_of_file[f]]
            if got == list(range(len(rows))):
                pytest.fail(f"ShardedRecordStream(8 files, rank={rank}, world_size=3) outside a DataLoader yielded every record "
                            "of every file: the rank was ignored, so every rank of the job reads everything. Count the "
                            "ranks among the readers")
            assert got == want, (
                f"ShardedRecordStream(8 files, rank={rank}, world_size=3) outside a DataLoader should read whole files "
                f"{list(range(rank, len(paths), 3))} (every 3rd file from file {rank}), all their rows in order: expected "
                f"record ids {want}, got {got}. Deal files to readers, not rows: a reader must not open the other files"
            )
        # rank 1 of 2 with 2 workers: 4 readers in all. Each worker's stream fits in one batch of 100, so each
        # batch is one worker's whole share: every 4th file from some start, whole files in order.
        batches = drain(DataLoader(ex.ShardedRecordStream(paths, rank=1, world_size=2), batch_size=100, num_workers=2))
        file_of = {i: f for f, ids in enumerate(ids_of_file) for i in ids}
        shares = {tuple(range(r, len(paths), 4)): [i for f in range(r, len(paths), 4) for i in ids_of_file[f]] for r in range(4)}
        for w, b in enumerate(batches):
            got = b[:, 0].tolist()
            files = tuple(sorted({file_of[i] for i in got}))
            assert shares.get(files) == got, (
                f"DataLoader(ShardedRecordStream(8 files, rank=1, world_size=2), num_workers=2): one worker yielded records "
                f"of files {list(files)}, ids {got}. With 2 ranks x 2 workers = 4 readers, each worker must read every 4th "
                "file (its reader number, then + 4), whole files, in order"
            )

    # Eight loaders with workers: where workers are spawned (macOS, Windows), each starts a fresh interpreter.
    @pytest.mark.timeout(120)
    def test_sharded_stream_splits_across_ranks_and_their_workers(self, tmp_path):
        ex = lab.exercise(1)
        paths, rows = self.write_record_files(tmp_path / "shards", [21, 8, 30, 14, 5, 17, 26, 11, 3])
        total = len(rows)
        for world_size, num_workers in [(2, 2), (3, 0), (4, 1)]:
            all_ids = []
            for rank in range(world_size):
                ids = self.collect_ids(ex.ShardedRecordStream(paths, rank=rank, world_size=world_size), num_workers)
                assert len(ids) == len(set(ids)), (
                    f"rank {rank} of {world_size} (num_workers={num_workers}) yielded some records twice"
                )
                all_ids.extend(ids)
            problem = self.describe_counts(all_ids, total)
            assert not problem, (
                f"world_size={world_size}, num_workers={num_workers}, all ranks together: {problem}. "
                "Number the readers across ranks and workers: rank * max(num_workers, 1) + worker id, of world_size * max(num_workers, 1)"
            )

    def test_seed_worker_seeds_random_numpy_and_the_datasets_own_generator_per_worker(self):
        ex = lab.exercise(1)

        def run(seed: int) -> list[tuple]:
            loader = DataLoader(Draws(), batch_size=None, num_workers=2, worker_init_fn=ex.seed_worker,
                                generator=torch.Generator().manual_seed(seed))
            return drain(loader)

        first = run(123)
        for item in first[:2]:  # worker w's first item is index w
            i, seed, py, npy, own = item
            assert py == random.Random(seed % 2**32).random(), (
                f"in worker {i}, random.random() right after seed_worker is not the first draw of random.seed(torch.initial_seed() % 2**32)"
            )
            assert npy == np.random.RandomState(seed % 2**32).randint(0, 2**31), (
                f"in worker {i}, np.random.randint right after seed_worker is not the first draw of "
                "np.random.seed(torch.initial_seed() % 2**32)"
            )
            assert own == np.random.default_rng(seed).integers(0, 2**62), (
                f"in worker {i}, the dataset's rng was not replaced by np.random.default_rng(torch.initial_seed())"
            )
        own_draws = [item[4] for item in first]
        assert len(set(own_draws)) == len(own_draws), (
            "with seed_worker, the dataset's rng should give different numbers in the two workers; some repeated: "
            f"{own_draws} (the Generator made in __init__ is copied into every worker)"
        )
        again = run(123)
        assert [item[4] for item in again] == own_draws, "two runs with the same loader generator seed should draw the same numbers"
        other = run(124)
        assert [item[4] for item in other] != own_draws, "a different loader generator seed should give different draws"

    def test_seed_worker_replaces_only_a_numpy_generator(self):
        ex = lab.exercise(1)

        items = drain(DataLoader(OtherRng(), batch_size=None, num_workers=1, worker_init_fn=ex.seed_worker))
        assert [name for name, _ in items] == ["Random", "Random"], (
            f"inside a worker, seed_worker turned the dataset's rng, a random.Random, into a {items[0][0]}: replace "
            "dataset.rng only when it holds a np.random.Generator"
        )
        want = random.Random(5)
        assert [v for _, v in items] == [want.random(), want.random()], "seed_worker changed the state of a dataset rng that is not a np.random.Generator"

    def test_seed_worker_in_the_main_process_seeds_random_and_numpy_from_torch(self):
        ex = lab.exercise(1)
        torch.manual_seed(2**40 + 7)
        ex.seed_worker(0)
        want_seed = (2**40 + 7) % 2**32
        got_py, got_np = random.random(), np.random.randint(0, 2**31)
        assert got_py == random.Random(want_seed).random() and got_np == np.random.RandomState(want_seed).randint(0, 2**31), (
            "after torch.manual_seed(s) and seed_worker(0) outside a worker, random and np.random should be seeded with s % 2**32"
        )


# ---------------------------------------------------------------------------------------------
# Exercise 2: collation
# ---------------------------------------------------------------------------------------------

PAD_SHORTCUT = dict(why="Exercise 2.1 asks you to pad the batch yourself")


@pytest.mark.exercise(2)
class TestCollation:
    def test_pad_collate_matches_pad_sequence_for_both_sides_and_trailing_dims(self):
        ex = lab.exercise(2)
        from torch.nn.utils.rnn import pad_sequence

        g = torch.Generator().manual_seed(0)
        cases = [
            ([5, 1, 3], (), torch.int64, 0.0),
            ([4, 0, 7, 2], (3,), torch.float32, -1.0),
            ([1], (2, 2), torch.float64, 0.5),
            ([6, 6], (), torch.int64, 9.0),
            ([0, 0], (2,), torch.float32, 1.0),
        ]
        for lens, feat, dtype, pad in cases:
            seqs = [(torch.randn(L, *feat, generator=g) * 10).to(dtype) for L in lens]
            labels = [int(torch.randint(0, 5, (1,), generator=g)) for _ in lens]
            batch = list(zip(seqs, labels))
            for side in ("right", "left"):
                call = f"pad_collate(lengths {lens}, features {feat}, {dtype}, padding_value={pad}, padding_side={side!r})"
                expected = pad_sequence(seqs, batch_first=True, padding_value=pad, padding_side=side)
                with forbid("torch.nn.utils.rnn.pad_sequence", "aten.pad_sequence", **PAD_SHORTCUT):
                    out = ex.pad_collate(batch, padding_value=pad, padding_side=side)
                assert isinstance(out, tuple) and len(out) == 4, f"{call} should return (padded, lengths, mask, labels)"
                padded, lengths, mask, lab_t = out
                assert padded.dtype == dtype and padded.shape == expected.shape, (
                    f"{call}: padded is {padded.dtype} {tuple(padded.shape)}; pad_sequence gives {expected.dtype} {tuple(expected.shape)}"
                )
                assert torch.equal(padded, expected), f"{call}: padded differs from pad_sequence(..., batch_first=True)"
                assert lengths.dtype == torch.int64 and lengths.tolist() == lens, f"{call}: lengths is {lengths.tolist()} ({lengths.dtype}); expected {lens} int64"
                T = max(lens)
                assert mask.shape == (len(lens), T), f"{call}: mask has shape {tuple(mask.shape)}; expected (B, T) = {(len(lens), T)}"
                pos = torch.arange(T)[None, :]
                L = torch.tensor(lens)[:, None]
                want_mask = pos < L if side == "right" else pos >= T - L
                assert mask.dtype == torch.bool and torch.equal(mask, want_mask), (
                    f"{call}: mask should be a bool (B, T) tensor, True exactly at the real positions\n  got  {mask.int().tolist()}\n"
                    f"  want {want_mask.int().tolist()}"
                )
                assert lab_t.dtype == torch.int64 and lab_t.tolist() == labels, f"{call}: labels is {lab_t.tolist()}; expected {labels}"

    def test_pad_collate_reads_non_contiguous_sequences_and_leaves_them_unchanged(self):
        ex = lab.exercise(2)
        from torch.nn.utils.rnn import pad_sequence

        base = torch.randn(4, 9, 6)
        seqs = [base[0, :5, ::2], base[1].t()[:3, :3], base[2, 1::2, 1:4], base[3, :0, :3]]  # views, strided, one empty
        assert not any(s.is_contiguous() for s in seqs[:3])
        before = [s.clone() for s in seqs]
        for side in ("right", "left"):
            out = ex.pad_collate([(s, k) for k, s in enumerate(seqs)], padding_value=-2.0, padding_side=side)
            want = pad_sequence(before, batch_first=True, padding_value=-2.0, padding_side=side)
            assert torch.equal(out[0], want), (
                f"pad_collate(non-contiguous views of one tensor, lengths [5, 3, 4, 0], padding_side={side!r}) differs "
                "from pad_sequence on the same sequences"
            )
            assert all(torch.equal(s, b) for s, b in zip(seqs, before)), "pad_collate changed the sequences it was given"

    def test_pad_collate_rejects_an_unknown_padding_side(self):
        ex = lab.exercise(2)
        batch = [(torch.ones(2), 0), (torch.ones(3), 1)]
        try:
            got = ex.pad_collate(batch, padding_side="middle")
        except ValueError:
            return
        pytest.fail(f"pad_collate(..., padding_side='middle') should raise ValueError; it returned {type(got).__name__}")

    def test_pad_collate_as_collate_fn_of_a_dataloader_with_workers(self):
        ex = lab.exercise(2)
        g = torch.Generator().manual_seed(1)
        lengths = torch.randint(1, 30, (90,), generator=g).tolist()
        data = [(torch.full((L, 2), float(i)), i % 3) for i, L in enumerate(lengths)]
        loader = DataLoader(data, batch_size=16, num_workers=2, collate_fn=ex.pad_collate)
        seen = 0
        for padded, lens, mask, labels in drain(loader):
            assert padded.shape[0] == lens.shape[0] == mask.shape[0] == labels.shape[0], "batch parts disagree on B"
            for b in range(padded.shape[0]):
                i = int(padded[b, 0, 0])
                assert int(lens[b]) == lengths[i] and int(mask[b].sum()) == lengths[i] and int(labels[b]) == i % 3, (
                    f"in a DataLoader batch, sample {i} came with length {int(lens[b])}, mask sum {int(mask[b].sum())}; expected {lengths[i]}"
                )
            seen += padded.shape[0]
        assert seen == len(data), f"the DataLoader with collate_fn=pad_collate delivered {seen} samples of {len(data)}"

    def test_padding_waste_by_hand_and_on_random_batches(self):
        ex = lab.exercise(2)
        got = ex.padding_waste([[0, 1], [2, 3]], [3, 7, 2, 5])
        assert math.isclose(got, 1 - 17 / 24), (
            f"padding_waste([[0, 1], [2, 3]], lengths [3, 7, 2, 5]) is {got}; batches pad to 2*7 + 2*5 = 24 "
            f"positions of which 17 are real, so 1 - 17/24 = {1 - 17 / 24:.6f}"
        )
        assert ex.padding_waste([], [1, 2]) == 0.0, "padding_waste with no batch should be 0.0"
        assert ex.padding_waste([[0, 1]], [0, 0]) == 0.0, "padding_waste of a batch of empty sequences should be 0.0 (no position)"
        got = ex.padding_waste([[0, 1], [], [2]], [3, 7, 0])
        assert math.isclose(got, 1 - 10 / 14), (
            f"padding_waste([[0, 1], [], [2]], lengths [3, 7, 0]) is {got}; an empty batch adds no position and a batch holding "
            f"one empty sequence adds 0, so 1 - 10/(2*7) = {1 - 10 / 14:.6f}"
        )
        rng = random.Random(0)
        lengths = [rng.randint(0, 50) for _ in range(200)]
        idx = list(range(200))
        rng.shuffle(idx)
        batches = [idx[i:i + 13] for i in range(0, 200, 13)]
        padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
        want = 1 - sum(lengths) / padded
        got = ex.padding_waste(batches, torch.tensor(lengths))
        assert math.isclose(got, want, rel_tol=1e-9), f"padding_waste on 16 random batches is {got}; expected {want}"

    CASES = [(100, 8, 3, False), (100, 8, 3, True), (5, 8, 50, False), (5, 8, 50, True), (64, 16, 1, False), (257, 32, 2, True), (0, 4, 2, False)]

    def test_bucket_sampler_yields_each_index_once_in_full_batches_like_batchsampler(self):
        ex = lab.exercise(2)
        rng = random.Random(2)
        for n, bs, pool, drop_last in self.CASES:
            for shuffle in (True, False):
                lengths = [rng.randint(1, 100) for _ in range(n)]
                call = f"BucketBatchSampler(n={n}, batch_size={bs}, pool_batches={pool}, drop_last={drop_last}, shuffle={shuffle})"
                sampler = ex.BucketBatchSampler(lengths, bs, drop_last=drop_last, shuffle=shuffle, pool_batches=pool, seed=3)
                batches = list(sampler)
                want_len = len(BatchSampler(range(n), bs, drop_last))
                assert len(batches) == want_len, f"{call} yielded {len(batches)} batches; BatchSampler makes {want_len}"
                assert len(sampler) == want_len, f"len({call}) is {len(sampler)}; it yields {want_len} batches"
                assert all(isinstance(b, list) and all(isinstance(i, int) for i in b) for b in batches), (
                    f"{call} should yield lists of Python ints"
                )
                sizes = sorted(len(b) for b in batches)
                assert all(s == bs for s in sizes[1:]) and (not sizes or 0 < sizes[0] <= bs), (
                    f"{call} yielded batch sizes {Counter(sizes)}; all must be {bs} except at most one smaller batch"
                )
                flat = [i for b in batches for i in b]
                counts = Counter(flat)
                assert all(c == 1 for c in counts.values()), f"{call} yielded some index more than once"
                if drop_last:
                    assert all(len(b) == bs for b in batches) and len(flat) == n - n % bs, (
                        f"{call}: with drop_last every batch must be full and only n % batch_size = {n % bs} indices dropped"
                    )
                else:
                    assert sorted(flat) == list(range(n)), f"{call} did not yield every index 0..{n - 1} exactly once"

    @staticmethod
    def recipe(lengths: torch.Tensor, bs: int, drop_last: bool, shuffle: bool, pool_batches: int, seed: int, epoch: int) -> list:
        """The docstring's five steps, written out (lengths all distinct, so sorting has no ties)."""
        n = len(lengths)
        g = torch.Generator().manual_seed(seed + epoch)
        order = torch.randperm(n, generator=g).tolist() if shuffle else list(range(n))
        size = pool_batches * bs
        batches = []
        for start in range(0, n, size):
            pool = sorted(order[start:start + size], key=lambda i: int(lengths[i]))
            batches += [pool[b:b + bs] for b in range(0, len(pool), bs)]
        if drop_last and batches and len(batches[-1]) < bs:
            batches.pop()
        if shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]
        return batches

    def test_bucket_sampler_follows_the_documented_recipe_batch_for_batch(self):
        ex = lab.exercise(2)
        lengths = torch.randperm(203, generator=torch.Generator().manual_seed(8)) + 1  # distinct lengths: no ties
        for bs, drop_last, shuffle, pool, seed in [(8, False, True, 3, 0), (8, True, True, 3, 4), (16, False, False, 2, 0),
                                                   (5, True, False, 50, 1), (7, False, True, 1, 9)]:
            sampler = ex.BucketBatchSampler(lengths, bs, drop_last=drop_last, shuffle=shuffle, pool_batches=pool, seed=seed)
            for epoch in (0, 1, 5):
                sampler.set_epoch(epoch)
                got = [list(map(int, b)) for b in sampler]
                want = self.recipe(lengths, bs, drop_last, shuffle, pool, seed, epoch)
                call = (f"BucketBatchSampler(203 distinct lengths, batch_size={bs}, drop_last={drop_last}, shuffle={shuffle}, "
                        f"pool_batches={pool}, seed={seed}) after set_epoch({epoch})")
                if got != want and sorted(map(sorted, got)) == sorted(map(sorted, want)):
                    pytest.fail(f"{call}: the right batches, in the wrong order. Shuffle the batch order with the same "
                                "generator (seeded seed + epoch) right after it drew the permutation")
                assert got == want, (
                    f"{call} does not follow the docstring's steps (randperm from a generator seeded seed + epoch, pools "
                    "of pool_batches * batch_size, sorted by length, cut, drop_last, batch order from the same generator): "
                    f"first batches {got[:2]}, expected {want[:2]}"
                )

    def test_bucket_sampler_sorts_inside_pools_of_the_seeded_permutation(self):
        ex = lab.exercise(2)
        g = torch.Generator().manual_seed(4)
        n, bs, pool_batches, seed, epoch = 300, 10, 4, 7, 2
        lengths = torch.randint(1, 200, (n,), generator=g)
        sampler = ex.BucketBatchSampler(lengths, bs, pool_batches=pool_batches, seed=seed)
        sampler.set_epoch(epoch)
        batches = list(sampler)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch)).tolist()
        pool_of = {idx: pos // (bs * pool_batches) for pos, idx in enumerate(perm)}
        pools = []
        for b in batches:
            owners = {pool_of[i] for i in b}
            assert len(owners) == 1, (
                f"batch {b} mixes indices from pools {sorted(owners)} of torch.randperm(n, seed + epoch); "
                "each batch must come from one pool of pool_batches * batch_size consecutive permutation entries"
            )
            pools.append(owners.pop())
        for p in set(pools):
            ranges = sorted((int(lengths[b].min()), int(lengths[b].max())) for b, q in zip(batches, pools) if q == p)
            for (lo1, hi1), (lo2, hi2) in zip(ranges, ranges[1:]):
                assert hi1 <= lo2, (
                    f"in pool {p}, a batch with lengths {lo1}..{hi1} overlaps one with {lo2}..{hi2}: "
                    "sort each pool by length before cutting it into batches"
                )
        assert pools != sorted(pools), "the batches came out pool by pool; with shuffle=True their order must be random"
        fixed = list(ex.BucketBatchSampler(lengths, bs, pool_batches=pool_batches, shuffle=False))
        assert fixed[0] == sorted(range(bs * pool_batches), key=lambda i: int(lengths[i]))[:bs] or (
            sorted(int(lengths[i]) for i in fixed[0]) == sorted(int(lengths[i]) for i in range(bs * pool_batches))[:bs]
        ), "with shuffle=False the first batch should be the shortest batch_size indices of the first pool 0..pool_size-1"

    def test_bucket_sampler_cuts_padding_waste_versus_random_batches(self):
        ex = lab.exercise(2)
        ref = lab.reference(2)
        g = torch.Generator().manual_seed(5)
        lengths = torch.randint(1, 201, (2000,), generator=g)
        random_batches = list(BatchSampler(RandomSampler(range(2000), generator=torch.Generator().manual_seed(0)), 32, False))
        bucketed = list(ex.BucketBatchSampler(lengths, 32, pool_batches=50))
        w_rand = ref.padding_waste(random_batches, lengths)
        w_bucket = ref.padding_waste(bucketed, lengths)
        assert w_bucket < 0.25 * w_rand, (
            f"BucketBatchSampler's batches waste {w_bucket:.1%} of their positions on padding; random batches waste "
            f"{w_rand:.1%}: bucketing should cut that by far more (below a quarter)"
        )

    def test_bucket_sampler_is_reproducible_per_seed_and_epoch(self):
        ex = lab.exercise(2)
        lengths = torch.randint(1, 50, (200,), generator=torch.Generator().manual_seed(6))
        a = ex.BucketBatchSampler(lengths, 8, pool_batches=5, seed=1)
        first, again = list(a), list(a)
        assert first == again, "iterating the same BucketBatchSampler twice in one epoch gave different batches"
        assert list(ex.BucketBatchSampler(lengths, 8, pool_batches=5, seed=1)) == first, "two samplers with the same seed differ"
        a.set_epoch(1)
        second = list(a)
        assert second != first, "after set_epoch(1) the batches should change"
        composition = lambda bs: {frozenset(b) for b in bs}  # noqa: E731
        assert len(composition(first) & composition(second)) < len(first) // 2, (
            "after set_epoch(1) most batches hold the same indices as in epoch 0; pools must come from a new permutation"
        )
        assert list(ex.BucketBatchSampler(lengths, 8, pool_batches=5, seed=2)) != first, "a different seed should give different batches"


# ---------------------------------------------------------------------------------------------
# Exercise 3: samplers
# ---------------------------------------------------------------------------------------------


def long_tailed_labels(seed: int = 0) -> torch.Tensor:
    counts = [600, 200, 50, 0, 10]  # class 3 is absent
    labels = torch.cat([torch.full((c,), k, dtype=torch.int64) for k, c in enumerate(counts)])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]


def expected_class_p(labels: torch.Tensor, alpha: float) -> np.ndarray:
    counts = np.bincount(labels.numpy())
    present = counts > 0
    mass = np.where(present, counts.astype(np.float64) ** (1 - alpha), 0.0)
    return mass / mass.sum()


@pytest.mark.exercise(3)
class TestSamplers:
    def test_class_sampling_weights_are_count_to_the_minus_alpha_normalised(self):
        ex = lab.exercise(3)
        labels = long_tailed_labels()
        counts = torch.bincount(labels).double()
        for alpha in (0.0, 0.5, 1.0, 2.0):
            with forbid("torch.utils.data.WeightedRandomSampler", why="class_sampling_weights computes weights; it does not sample"):
                w = ex.class_sampling_weights(labels, alpha)
            want = counts[labels].pow(-alpha)
            want = want / want.sum()
            assert isinstance(w, torch.Tensor) and w.dtype == torch.float64 and w.shape == labels.shape, (
                f"class_sampling_weights(labels (N={len(labels)},), alpha={alpha}) should return (N,) float64; got "
                f"{getattr(w, 'dtype', type(w).__name__)} {tuple(getattr(w, 'shape', ()))}"
            )
            close(w, want, f"class_sampling_weights(labels, alpha={alpha}) should give w_i = n_(y_i)^(-alpha) / sum_j n_(y_j)^(-alpha)",
                  rtol=1e-12, atol=1e-15)

    def test_weighted_random_sampler_with_your_weights_draws_classes_at_the_target_rates(self):
        ex = lab.exercise(3)
        from torch.utils.data import WeightedRandomSampler

        labels = long_tailed_labels()
        for alpha in (1.0, 0.5):
            w = ex.class_sampling_weights(labels, alpha)
            sampler = WeightedRandomSampler(w, num_samples=20000, replacement=True, generator=torch.Generator().manual_seed(1))
            drawn = labels[torch.tensor(list(sampler))]
            p = expected_class_p(labels, alpha)
            present = p > 0
            observed = np.bincount(drawn.numpy(), minlength=len(p))
            stat = chi_square(observed[present], p[present])
            # 3 degrees of freedom: P(chi2 > 30) < 1e-5, so a correct solution essentially never fails.
            assert stat < 30 and observed[~present].sum() == 0, (
                f"WeightedRandomSampler with class_sampling_weights(alpha={alpha}) drew class frequencies "
                f"{np.round(observed / observed.sum(), 3).tolist()}; expected {np.round(p, 3).tolist()} (chi-square {stat:.1f})"
            )

    def test_balanced_sampler_is_a_seeded_weighted_random_sampler_with_replacement(self):
        ex = lab.exercise(3)
        from torch.utils.data import WeightedRandomSampler

        labels = long_tailed_labels()
        s = ex.balanced_sampler(labels, generator=torch.Generator().manual_seed(3))
        assert isinstance(s, WeightedRandomSampler), f"balanced_sampler returned a {type(s).__name__}, not a WeightedRandomSampler"
        assert s.replacement is True and s.num_samples == len(labels), (
            f"balanced_sampler(labels) drew num_samples={s.num_samples}, replacement={s.replacement}; expected N={len(labels)}, True"
        )
        first = list(s)
        again = list(ex.balanced_sampler(labels, generator=torch.Generator().manual_seed(3)))
        assert first == again, "two balanced_samplers with generators seeded the same drew different indices: pass the generator on"
        big = list(ex.balanced_sampler(labels, alpha=1.0, num_samples=12000, generator=torch.Generator().manual_seed(4)))
        assert len(big) == 12000, f"balanced_sampler(..., num_samples=12000) drew {len(big)} indices"
        observed = np.bincount(labels[torch.tensor(big)].numpy(), minlength=5)
        p = expected_class_p(labels, 1.0)
        stat = chi_square(observed[p > 0], p[p > 0])
        assert stat < 30, f"balanced_sampler(alpha=1) drew classes {observed.tolist()}; expected about equal counts of the 4 present classes"
        counts = torch.bincount(labels).double()
        for alpha in (0.0, 0.5, 2.0):
            s = ex.balanced_sampler(labels, alpha=alpha, generator=torch.Generator().manual_seed(0))
            w = torch.as_tensor(s.weights, dtype=torch.float64)
            want = counts[labels].pow(-alpha)
            close(w / w.sum(), want / want.sum(), f"balanced_sampler(labels, alpha={alpha}) should weight sample i by "
                  f"n_(y_i)^(-{alpha}) (class_sampling_weights(labels, alpha)); pass alpha on", rtol=1e-9, atol=1e-15)

    def test_sharding_sampler_matches_distributed_sampler_index_for_index(self):
        ex = lab.exercise(3)
        from torch.utils.data import DistributedSampler

        assert not issubclass(ex.ShardingSampler, DistributedSampler), "ShardingSampler must be written by hand, not derived from DistributedSampler"
        for n in (0, 1, 3, 10, 17, 64):
            for replicas in (1, 2, 3, 4, 7):
                for shuffle, drop_last, seed, epoch in [(True, False, 0, 0), (True, False, 5, 3), (False, False, 0, 0), (True, True, 2, 1), (False, True, 0, 0)]:
                    for rank in range(replicas):
                        oracle = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
                        oracle.set_epoch(epoch)
                        want = list(oracle)
                        call = (f"ShardingSampler(dataset_len={n}, num_replicas={replicas}, rank={rank}, shuffle={shuffle}, "
                                f"seed={seed}, drop_last={drop_last}) after set_epoch({epoch})")
                        with forbid("torch.utils.data.DistributedSampler", "torch.utils.data.distributed.DistributedSampler",
                                    why="Exercise 3.3 asks you to write the sharding yourself"):
                            s = ex.ShardingSampler(n, replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
                            s.set_epoch(epoch)
                            got = [int(i) for i in s]
                            size = len(s)
                        assert got == want, f"{call} yielded {got[:12]}{'...' if len(got) > 12 else ''}; DistributedSampler yields {want[:12]}"
                        assert size == len(want), f"len({call}) is {size}; each rank yields {len(want)}"

    def test_sharding_sampler_rejects_a_rank_outside_the_replicas(self):
        ex = lab.exercise(3)
        for rank in (4, -1):
            try:
                s = ex.ShardingSampler(10, 4, rank)
            except ValueError:
                continue
            pytest.fail(f"ShardingSampler(10, num_replicas=4, rank={rank}) should raise ValueError; it built {type(s).__name__}")


# ---------------------------------------------------------------------------------------------
# Exercise 4: augmentation
# ---------------------------------------------------------------------------------------------


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.exercise(4)
class TestAugmentation:
    def test_random_crop_cuts_a_window_of_the_padded_image_with_its_own_offset_per_image(self):
        ex = lab.exercise(4)
        B, C, H, W, p = 400, 2, 5, 6, 2
        images = torch.randn(B, C, H, W)
        before = images.clone()
        for mode in ("constant", "reflect"):
            out = ex.random_crop_with_padding(images, p, gen(0), padding_mode=mode)
            assert torch.equal(images, before), "random_crop_with_padding changed its input images"
            assert out.shape == images.shape, f"random_crop_with_padding returned shape {tuple(out.shape)}; expected {tuple(images.shape)}"
            padded = F.pad(images, (p, p, p, p), mode=mode)
            windows = padded.unfold(2, H, 1).unfold(3, W, 1)  # (B, C, 2p+1, 2p+1, H, W)
            match = (windows == out[:, :, None, None]).all(dim=-1).all(dim=-1).all(dim=1)  # (B, 2p+1, 2p+1)
            found = match.flatten(1).any(dim=1)
            bad = (~found).nonzero().flatten().tolist()
            assert not bad, (
                f"random_crop_with_padding(padding={p}, padding_mode={mode!r}): image {bad[0]} is not any (H, W) window of "
                f"F.pad(image, ({p},) * 4, mode={mode!r})"
            )
            offsets = match.flatten(1).float().argmax(dim=1)
            counts = torch.bincount(offsets, minlength=(2 * p + 1) ** 2)
            assert (counts > 0).all(), (
                f"over {B} images, the crop offsets (dy, dx) never took some of the {(2 * p + 1) ** 2} values in "
                f"{{0..{2 * p}}}^2: counts {counts.view(2 * p + 1, 2 * p + 1).tolist()}"
            )
            stat = chi_square(counts.numpy(), np.full((2 * p + 1) ** 2, 1 / (2 * p + 1) ** 2))
            assert stat < 70, f"the crop offsets are far from uniform over {{0..{2 * p}}}^2 (chi-square {stat:.0f}, 24 dof)"
        small = images[:5]
        assert torch.equal(ex.random_crop_with_padding(small, 0, gen(0)), small), (
            "random_crop_with_padding(images, padding=0) must return the images themselves: the only window is offset (0, 0)"
        )
        again = ex.random_crop_with_padding(images, p, gen(0))
        assert torch.equal(again, ex.random_crop_with_padding(images, p, gen(0))), (
            "random_crop_with_padding with generators seeded the same gave different crops: draw from the generator"
        )

    def test_random_horizontal_flip_flips_each_image_independently_with_probability_p(self):
        ex = lab.exercise(4)
        images = torch.randn(2000, 1, 3, 4)
        before = images.clone()
        for p in (0.0, 0.3, 1.0):
            out = ex.random_horizontal_flip(images, p, gen(1))
            assert torch.equal(images, before), "random_horizontal_flip changed its input images"
            same = (out == images).flatten(1).all(dim=1)
            flipped = (out == images.flip(-1)).flatten(1).all(dim=1)
            assert (same | flipped).all(), "random_horizontal_flip returned an image that is neither the input nor its left-right mirror"
            rate = flipped.float().mean().item()
            assert abs(rate - p) < 0.05, f"random_horizontal_flip(p={p}) flipped {rate:.1%} of 2000 images"
        a = ex.random_horizontal_flip(images, 0.5, gen(2))
        assert torch.equal(a, ex.random_horizontal_flip(images, 0.5, gen(2))), "same generator seed, different flips"

    def test_normalize_matches_torchvision(self):
        ex = lab.exercise(4)
        from torchvision.transforms.v2 import functional as TF

        mean, std = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]
        for shape in [(3, 5, 7), (4, 3, 6, 6)]:
            x = torch.rand(shape)
            before = x.clone()
            want = TF.normalize(x, mean, std)
            with forbid("torchvision.transforms.v2.functional.normalize", "torchvision.transforms.v2.functional.normalize_image",
                        "torchvision.transforms.functional.normalize", "torchvision.transforms.v2.Normalize.forward",
                        "torchvision.transforms.Normalize.forward", why="Exercise 4.3 asks you to normalise by hand"):
                got = ex.normalize(x, mean, std)
            close(got, want, f"normalize(images {shape}, CIFAR mean/std) differs from torchvision's normalize")
            assert torch.equal(x, before), "normalize changed its input"
        x64 = torch.rand(2, 3, 4, 4, dtype=torch.float64)
        got64 = ex.normalize(x64, mean, std)
        assert got64.dtype == torch.float64, f"normalize(float64 images) returned {got64.dtype}; keep the images' dtype"
        close(got64, TF.normalize(x64, mean, std), "normalize(float64 images, CIFAR mean/std) differs from torchvision's normalize "
              "beyond float64 rounding: make mean and std tensors of the images' dtype", rtol=1e-13, atol=1e-13)
        xt = torch.rand(3, 6, 5).transpose(1, 2)  # a non-contiguous (3, 5, 6) view
        close(ex.normalize(xt, mean, std), TF.normalize(xt.contiguous(), mean, std),
              "normalize on a non-contiguous (transposed) image differs from torchvision's normalize")
        try:
            got = ex.normalize(torch.rand(3, 2, 2), [0, 0, 0], [1, 0, 1])
        except ValueError:
            pass
        else:
            pytest.fail("normalize(..., std=[1, 0, 1]) should raise ValueError, as torchvision does")

    def test_compose_applies_the_transforms_in_order_like_torchvision(self):
        ex = lab.exercise(4)
        from torchvision.transforms import v2

        fs = [lambda t: t + 1, lambda t: t * 3, lambda t: t.flip(-1)]
        x = torch.randn(2, 3, 4)
        close(ex.Compose(fs)(x), v2.Compose(fs)(x), "Compose([+1, *3, flip])(x) should equal flip((x + 1) * 3), as v2.Compose gives")
        close(ex.Compose(fs[::-1])(x), v2.Compose(fs[::-1])(x), "Compose([flip, *3, +1])(x) should equal flip(x) * 3 + 1")
        assert torch.equal(ex.Compose([])(x), x), "Compose([]) should return its input unchanged"

    def test_sample_mix_params_draws_beta_lambda_and_a_permutation_from_the_generator(self):
        ex = lab.exercise(4)
        for bad in (0.0, -1.0):
            try:
                ex.sample_mix_params(4, bad, gen(0))
            except ValueError:
                continue
            pytest.fail(f"sample_mix_params(4, alpha={bad}, ...) should raise ValueError (alpha must be > 0)")
        torch.manual_seed(1)
        lam_a, perm_a = ex.sample_mix_params(16, 0.4, gen(9))
        torch.manual_seed(2)
        lam_b, perm_b = ex.sample_mix_params(16, 0.4, gen(9))
        assert lam_a == lam_b and torch.equal(perm_a, perm_b), (
            "sample_mix_params with generators seeded the same gave different results (the global RNG state differed): "
            "draw everything from the generator"
        )
        assert isinstance(lam_a, float), f"lam should be a Python float, got {type(lam_a).__name__}"
        assert perm_a.dtype == torch.int64 and sorted(perm_a.tolist()) == list(range(16)), f"perm {perm_a.tolist()} is not a permutation of 0..15"
        for alpha in (0.4, 2.0):
            g = gen(int(alpha * 10))
            lams = torch.tensor([ex.sample_mix_params(2, alpha, g)[0] for _ in range(3000)], dtype=torch.float64)
            torch.manual_seed(0)
            ref = torch.distributions.Beta(alpha, alpha).sample((3000,)).double()
            both = torch.cat([lams, ref]).sort().values
            cdf = lambda s: torch.searchsorted(s.sort().values, both, right=True) / len(s)  # noqa: E731
            ks = (cdf(lams) - cdf(ref)).abs().max().item()
            # two-sample Kolmogorov-Smirnov: the 0.1% critical value for 3000 + 3000 draws is 0.050
            assert ks < 0.06 and ((lams >= 0) & (lams <= 1)).all(), (
                f"3000 draws of sample_mix_params(alpha={alpha}) do not look like Beta({alpha}, {alpha}): KS distance "
                f"{ks:.3f} to torch.distributions.Beta samples (mean {lams.mean():.3f}, variance {lams.var():.4f}; "
                f"Beta has 0.5 and {1 / (4 * (2 * alpha + 1)):.4f})"
            )

    def test_mixup_is_the_convex_combination_and_leaves_inputs_alone(self):
        ex = lab.exercise(4)
        x = torch.randn(6, 3, 4, 4)
        y = F.one_hot(torch.tensor([0, 1, 2, 0, 1, 2]), 3).float()
        perm = torch.tensor([3, 0, 5, 1, 2, 4])
        xb, yb = x.clone(), y.clone()
        for lam in (0.7, 0.0, 1.0):
            mx, my = ex.mixup(x, y, lam, perm)
            assert torch.equal(x, xb) and torch.equal(y, yb), f"mixup(..., lam={lam}) modified its inputs"
            close(mx, lam * xb + (1 - lam) * xb[perm], f"mixup(lam={lam}) images should be lam * x + (1 - lam) * x[perm]")
            close(my, lam * yb + (1 - lam) * yb[perm], f"mixup(lam={lam}) targets should be lam * y + (1 - lam) * y[perm]")
            close(my.sum(dim=1), torch.ones(6), f"mixup(lam={lam}) target rows should still sum to 1")

    def test_cutmix_pastes_one_clipped_box_and_mixes_labels_by_its_exact_area(self):
        ex = lab.exercise(4)
        B, C, H, W = 5, 2, 12, 20
        x = torch.randn(B, C, H, W)
        y = F.one_hot(torch.arange(B) % 4, 4).float()
        perm = torch.roll(torch.arange(B), 1)  # no sample is its own partner
        xb = x.clone()
        g = gen(0)
        touched = dict.fromkeys(["top", "bottom", "left", "right", "inside", "clipped rows", "clipped columns"], False)
        for trial in range(300):
            lam = [0.3, 0.5, 0.8, 0.95][trial % 4]
            out, my, box, lam_adj = ex.cutmix(x, y, lam, perm, g)
            call = f"cutmix(lam={lam}) (H={H}, W={W}), call {trial}"
            assert torch.equal(x, xb), f"{call} modified its input images"
            y0, y1, x0, x1 = (int(v) for v in box)
            changed = (out != x).any(dim=1).any(dim=0)  # (H, W): pixels that differ in some image
            region = torch.zeros(H, W, dtype=torch.bool)
            region[y0:y1, x0:x1] = True
            assert torch.equal(changed, region), (
                f"{call}: the pixels that changed are not exactly the returned box rows [{y0}, {y1}) x columns [{x0}, {x1})"
            )
            assert torch.equal(out[:, :, y0:y1, x0:x1], x[perm][:, :, y0:y1, x0:x1]), f"{call}: inside the box, pixels must come from images[perm]"
            hh, hw = int(0.5 * math.sqrt(1 - lam) * H), int(0.5 * math.sqrt(1 - lam) * W)
            ok_y = any((max(cy - hh, 0), min(cy + hh, H)) == (y0, y1) for cy in range(H))
            ok_x = any((max(cx - hw, 0), min(cx + hw, W)) == (x0, x1) for cx in range(W))
            assert ok_y and ok_x, (
                f"{call}: box rows [{y0}, {y1}), columns [{x0}, {x1}) cannot come from a centre in the image with half-sizes "
                f"hh={hh}, hw={hw} (int(0.5 * sqrt(1 - lam) * H), the same with W), clipped at the borders"
            )
            area = (y1 - y0) * (x1 - x0)
            want_lam = 1 - area / (H * W)
            assert math.isclose(float(lam_adj), want_lam, abs_tol=1e-12), (
                f"{call}: lam_adj is {float(lam_adj):.6f}; the pasted box covers {area} of {H * W} pixels, so 1 - {area}/{H * W} = {want_lam:.6f}"
            )
            close(my, want_lam * y + (1 - want_lam) * y[perm], f"{call}: targets must mix with the weight of the pasted area")
            touched["top"] |= y0 == 0
            touched["bottom"] |= y1 == H
            touched["left"] |= x0 == 0
            touched["right"] |= x1 == W
            touched["inside"] |= 0 < y0 and y1 < H and 0 < x0 and x1 < W
            touched["clipped rows"] |= 0 < y1 - y0 < 2 * hh
            touched["clipped columns"] |= 0 < x1 - x0 < 2 * hw
        never = [k for k, v in touched.items() if not v]
        assert not never, (
            f"over 300 calls, no box was {' or '.join(never)}; its centre must be uniform over the whole image, so boxes near a border "
            "get clipped (top/bottom/left/right: touching that border; inside: touching none)"
        )
        out1 = ex.cutmix(x, y, 0.5, perm, gen(5))
        out2 = ex.cutmix(x, y, 0.5, perm, gen(5))
        assert tuple(out1[2]) == tuple(out2[2]), "cutmix with generators seeded the same chose different boxes"
        out, my, box, lam_adj = ex.cutmix(x, y, 1.0, perm, gen(0))
        assert torch.equal(out, x) and float(lam_adj) == 1.0, "cutmix(lam=1.0) pastes an empty box: images unchanged and lam_adj == 1"

    def test_tta_predict_averages_probabilities_in_eval_mode_and_restores_the_mode(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(3 * 4 * 4, 5))
        with torch.no_grad():
            model[2].weight.mul_(8)  # large logits, so averaging logits and averaging probabilities differ clearly
        model.train()
        x = torch.randn(7, 3, 4, 4)
        views = [lambda t: t, lambda t: t.flip(-1), lambda t: t.roll(1, dims=-2)]
        got = ex.tta_predict(model, x, views)
        assert model.training, "tta_predict left the model in eval mode; restore the mode it had"
        model.eval()
        with torch.no_grad():
            want = torch.stack([torch.softmax(model(v(x)), dim=1) for v in views]).mean(0)
            logit_avg = torch.softmax(torch.stack([model(v(x)) for v in views]).mean(0), dim=1)
        assert not got.requires_grad, "tta_predict's output requires grad: run the model under torch.no_grad()"
        if torch.allclose(got, logit_avg, atol=1e-5):
            pytest.fail("tta_predict averaged the logits and then took a softmax; average the probabilities of each view")
        close(got, want, "tta_predict should return the mean over views of softmax(model(view(x))) with the model in eval mode "
              "(dropout off)")
        model.eval()
        ex.tta_predict(model, x, views)
        assert not model.training, "tta_predict switched an eval-mode model to train mode"

    def test_tta_predict_restores_the_mode_even_when_a_view_raises(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(3 * 4 * 4, 5))
        x = torch.randn(2, 3, 4, 4)

        def broken_view(t):
            raise RuntimeError("this view fails on purpose")

        for training in (True, False):
            model.train(training)
            with pytest.raises(RuntimeError, match="on purpose"):
                ex.tta_predict(model, x, [lambda t: t, broken_view])
            assert model.training == training, (
                f"a view raised inside tta_predict and the model, in {'train' if training else 'eval'} mode before, was left in "
                f"{'train' if model.training else 'eval'} mode: put back the mode it had (model.train(was_training)) in a finally block, "
                "so it is restored on errors too"
            )


# ---------------------------------------------------------------------------------------------
# Exercise 5: throughput
# ---------------------------------------------------------------------------------------------


class SleepyDataset(Dataset):
    """Each item sleeps ``delay`` seconds (storage latency) and returns (index, a small tensor)."""

    def __init__(self, n: int, delay: float):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay)
        return torch.full((4,), float(i)), i


def write_in_a_child_process(x: torch.Tensor) -> str:
    """Write into ``x`` in a forked child; '' if that worked, else how the child died.

    A tensor viewing a read-only memory map cannot be written: the write is a segmentation fault,
    which must kill a throwaway child, not the grading process.
    """
    if not hasattr(os, "fork"):
        pytest.skip("this check forks a child process; this platform has no os.fork")
    pid = os.fork()
    if pid == 0:  # the child: write, and leave without running any of pytest's cleanup
        import faulthandler

        faulthandler.disable()  # a crash here is the expected failure, not worth a stack dump
        try:
            x.view(-1)[0] = 1234.0
            code = 0
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        import signal

        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return "" if os.WEXITSTATUS(status) == 0 else "the write raised an exception"


@pytest.mark.exercise(5)
class TestThroughput:
    def test_expensive_dataset_items_are_seeded_per_index_and_cost_the_latency(self):
        ex = lab.exercise(5)
        ds = ex.ExpensiveDataset(30, sample_shape=(2, 3), num_classes=4, io_seconds=0.01, seed=5)
        assert len(ds) == 30, f"len(ExpensiveDataset(30, ...)) is {len(ds)}"
        t0 = time.perf_counter()
        items = [ds[i] for i in (0, 7, 29)]
        elapsed = time.perf_counter() - t0
        for (x, y), i in zip(items, (0, 7, 29)):
            want = torch.randn((2, 3), generator=torch.Generator().manual_seed(5 + i))
            assert torch.equal(x, want) and y == i % 4, (
                f"ExpensiveDataset(seed=5)[{i}] should be (torch.randn((2, 3), generator seeded 5 + {i}), {i} % 4)"
            )
        assert elapsed >= 0.03, f"3 items with io_seconds=0.01 took {elapsed * 1e3:.1f} ms; each must sleep 10 ms"
        for bad in (30, 31, -1):
            try:
                ds[bad]
            except IndexError:
                continue
            pytest.fail(f"ExpensiveDataset(30)[{bad}] should raise IndexError (valid indices are 0..29)")

    def test_expensive_dataset_cpu_ops_cost_cpu_time(self):
        ex = lab.exercise(5)
        cheap = ex.ExpensiveDataset(4, sample_shape=(2,), cpu_ops=0)
        costly = ex.ExpensiveDataset(4, sample_shape=(2,), cpu_ops=1_000_000)
        cheap[0]
        t0 = time.process_time()
        cheap[1]
        t_cheap = time.process_time() - t0
        t0 = time.process_time()
        costly[1]
        t_costly = time.process_time() - t0
        assert t_costly >= 0.002 and t_costly > t_cheap, (
            f"ExpensiveDataset(cpu_ops=1_000_000)[1] used {t_costly * 1e3:.2f} ms of CPU time (cpu_ops=0: {t_cheap * 1e3:.2f} ms): "
            "__getitem__ must run cpu_ops iterations of a pure-Python loop (simulated decoding)"
        )

    def test_measure_throughput_counts_every_sample_of_every_epoch(self):
        ex = lab.exercise(5)
        for num_workers in (0, 2):
            r = ex.measure_throughput(SleepyDataset(50, 0.0), batch_size=8, num_workers=num_workers, epochs=3)
            call = f"measure_throughput(50 samples, batch_size=8, num_workers={num_workers}, epochs=3)"
            assert r.samples_per_epoch == 50, f"{call}: samples_per_epoch is {r.samples_per_epoch}; the dataset has 50 (batches have 8, 8, ..., 2)"
            assert len(r.epoch_seconds) == 3 and all(t > 0 for t in r.epoch_seconds), f"{call}: epoch_seconds is {r.epoch_seconds}"
            assert 0 < r.first_batch_seconds <= r.epoch_seconds[0], (
                f"{call}: first_batch_seconds {r.first_batch_seconds} should be positive and within the first epoch ({r.epoch_seconds[0]})"
            )
            assert (r.num_workers, r.batch_size) == (num_workers, 8), f"{call}: the result records num_workers={r.num_workers}, batch_size={r.batch_size}"

    def test_measure_throughput_times_the_whole_epoch(self):
        ex = lab.exercise(5)
        n, d = 30, 0.004
        r = ex.measure_throughput(SleepyDataset(n, d), batch_size=6, num_workers=0, epochs=2)
        for e, t in enumerate(r.epoch_seconds):
            assert t >= n * d, (
                f"measure_throughput(num_workers=0): epoch {e} took {t * 1e3:.1f} ms, less than the {n * d * 1e3:.0f} ms the "
                "items sleep in total: time the loop over every batch, not just the loader's creation"
            )
        assert r.first_batch_seconds >= 6 * d, f"the first batch of 6 items sleeping {d * 1e3:.0f} ms each arrived after {r.first_batch_seconds * 1e3:.1f} ms"
        assert math.isclose(r.samples_per_s, n / r.epoch_seconds[-1]), "samples_per_s should be samples_per_epoch / the last epoch's seconds"

    def test_measure_throughput_builds_one_loader_with_the_requested_settings(self, monkeypatch):
        ex = lab.exercise(5)
        calls = []
        real_init = DataLoader.__init__

        def spy(self, *args, **kwargs):
            calls.append(kwargs)
            real_init(self, *args, **kwargs)

        monkeypatch.setattr(DataLoader, "__init__", spy)
        ds = SleepyDataset(12, 0.0)
        ex.measure_throughput(ds, batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True, epochs=2, prefetch_factor=3)
        assert len(calls) == 1, f"measure_throughput(epochs=2) created {len(calls)} DataLoaders; one must serve every epoch (persistent workers live in it)"
        kw = calls[0]
        want = dict(batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True, prefetch_factor=3)
        wrong = {k: kw.get(k) for k, v in want.items() if kw.get(k) != v}
        assert not wrong, f"measure_throughput(batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True, prefetch_factor=3) built DataLoader(..., {wrong}) (pass them as keyword arguments)"
        assert calls[0].get("collate_fn") is None, "measure_throughput without collate_fn passed collate_fn to the DataLoader anyway"
        calls.clear()
        collated = []

        def as_dict(batch):
            collated.append(len(batch))
            return {"x": torch.stack([x for x, _ in batch]), "y": torch.tensor([y for _, y in batch])}

        r = ex.measure_throughput(ds, batch_size=5, num_workers=0, epochs=2, collate_fn=as_dict)
        assert calls and calls[0].get("collate_fn") is as_dict and collated == [5, 5, 2, 5, 5, 2], (
            f"measure_throughput(12 samples, batch_size=5, epochs=2, collate_fn=f): f made batches of {collated}; pass "
            "collate_fn on to the DataLoader (expected [5, 5, 2] per epoch)"
        )
        assert r.samples_per_epoch == 12, (
            f"measure_throughput with a collate_fn returning dicts counted {r.samples_per_epoch} samples per epoch; expected 12"
        )
        calls.clear()
        r = ex.measure_throughput(ds, batch_size=4, num_workers=0, persistent_workers=True, epochs=1)
        assert r.samples_per_epoch == 12, "measure_throughput(num_workers=0, persistent_workers=True) should still run"
        assert not calls[0].get("persistent_workers") and calls[0].get("prefetch_factor") is None, (
            "with num_workers=0, persistent_workers and prefetch_factor must not be passed on (DataLoader raises ValueError)"
        )

    def test_measure_throughput_clock_covers_starting_each_epochs_iterator(self, monkeypatch):
        ex = lab.exercise(5)
        real_iter = DataLoader.__iter__
        started = []

        def slow_iter(self):
            started.append(time.perf_counter())
            time.sleep(0.2 if len(started) == 1 else 0.05)  # the first start (worker start-up) is the slow one
            return real_iter(self)

        monkeypatch.setattr(DataLoader, "__iter__", slow_iter)
        r = ex.measure_throughput(SleepyDataset(12, 0.0), batch_size=4, num_workers=0, epochs=3)
        assert len(started) == 3, f"measure_throughput(epochs=3) asked the DataLoader for {len(started)} iterators; expected one per epoch"
        call = "measure_throughput(epochs=3) with a DataLoader whose iterator takes 200 ms to start in epoch 1, 50 ms later"
        assert r.epoch_seconds[0] >= 0.2 and all(t >= 0.05 for t in r.epoch_seconds[1:]), (
            f"{call}: epoch_seconds {[round(t, 3) for t in r.epoch_seconds]}; each epoch's clock must start before "
            "iter(loader) (starting the workers is part of the epoch), not after"
        )
        assert r.first_batch_seconds >= 0.2, (
            f"{call}: first_batch_seconds is {r.first_batch_seconds:.3f}; it runs from the start of the FIRST epoch (before "
            "iter(loader), when the workers start) to its first batch"
        )
        assert r.first_batch_seconds <= r.epoch_seconds[0], f"{call}: first_batch_seconds exceeds the first epoch's time"

    def test_more_workers_overlap_storage_latency(self):
        ex = lab.exercise(5)
        n, d = 64, 0.015
        r = ex.measure_throughput(SleepyDataset(n, d), batch_size=4, num_workers=4, persistent_workers=True, epochs=2)
        serial = n * d
        # a generous bound (a loaded machine adds IPC delays): 4 workers need about 0.25 * serial, one process serial
        assert r.epoch_seconds[-1] < 0.75 * serial, (
            f"with 4 persistent workers, an epoch of {n} items sleeping {d * 1e3:.0f} ms took {r.epoch_seconds[-1]:.2f} s; one "
            f"process needs {serial:.2f} s and 4 workers should need about a quarter: are the workers used?"
        )

    def test_write_memmap_streams_chunks_into_one_raw_file(self, tmp_path):
        ex = lab.exercise(5)
        rng = np.random.default_rng(0)
        chunks = [rng.standard_normal((n, 3, 2)).astype(np.float32) for n in (5, 0, 11, 1)]
        path = tmp_path / "data.bin"
        shape = ex.write_memmap(path, (c for c in chunks))  # a generator: no len(), one pass
        assert tuple(shape) == (17, 3, 2), f"write_memmap returned shape {shape}; the chunks hold (17, 3, 2)"
        assert path.read_bytes() == np.concatenate(chunks).tobytes(), (
            "the file write_memmap wrote differs from np.concatenate(chunks).tobytes() (rows back to back, C order, no header)"
        )
        ex.write_memmap(path, iter(chunks[3:]))
        assert path.read_bytes() == chunks[3].tobytes(), (
            "write_memmap into an existing file should replace its contents (open it with 'wb'), not append to them"
        )
        wide = rng.standard_normal((4, 5, 4)).astype(np.float32)
        strided = [wide[:, ::2, 1:3], wide.transpose(0, 2, 1)[:, :3, :2]]  # non-contiguous (4, 3, 2) views
        shape = ex.write_memmap(tmp_path / "views.bin", iter(strided))
        assert (tmp_path / "views.bin").read_bytes() == np.concatenate(strided).tobytes(), (
            "write_memmap of non-contiguous chunks (strided views) should write their rows in C order, as "
            "np.concatenate(chunks).tobytes() does, not their memory as it lies"
        )
        for bad, what in [
            ([np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)], "rows of shape (3,) then (4,)"),
            ([np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64)], "float32 then float64"),
            ([], "no chunk at all"),
        ]:
            try:
                ex.write_memmap(tmp_path / "bad.bin", iter(bad))
            except ValueError:
                continue
            pytest.fail(f"write_memmap with {what} should raise ValueError")

    def test_write_memmap_holds_at_most_one_chunk_besides_the_first(self, tmp_path):
        ex = lab.exercise(5)
        import weakref

        refs: list = []
        most_alive = [0]

        def chunks():
            rng = np.random.default_rng(3)
            for _ in range(8):
                # the chunks handed out before the previous one (first excepted) must be gone by now
                alive = [k for k, r in enumerate(refs[1:-1], start=1) if r() is not None]
                most_alive[0] = max(most_alive[0], len(alive))
                chunk = rng.standard_normal((50, 4)).astype(np.float32)
                refs.append(weakref.ref(chunk))
                yield chunk
                del chunk

        ex.write_memmap(tmp_path / "stream.bin", chunks())
        assert (tmp_path / "stream.bin").stat().st_size == 8 * 50 * 4 * 4, "write_memmap of 8 chunks (50, 4) float32 wrote the wrong number of bytes"
        assert most_alive[0] == 0, (
            f"when write_memmap asked for the next chunk, {most_alive[0]} older chunks were still held in memory: write each "
            "chunk as it comes and let it go (no list(chunks), no np.concatenate), so data larger than memory can be written"
        )

    def test_memmap_dataset_reads_rows_lazily_as_owned_tensors(self, tmp_path):
        ex = lab.exercise(5)
        data = np.random.default_rng(1).standard_normal((40, 2, 5)).astype(np.float32)
        path = tmp_path / "rows.bin"
        data.tofile(path)
        with forbid("numpy.fromfile", "numpy.load", why="MemmapDataset must read through np.memmap, not load the whole file"):
            ds = ex.MemmapDataset(path, (2, 5), np.float32)
            n = len(ds)
            items = [ds[i] for i in (0, 17, 39)]
            many = ds.__getitems__([3, 1, 39, 3])
        assert n == 40, f"len(MemmapDataset) is {n}; the file holds 40 samples of shape (2, 5) float32"
        for x, i in zip(items, (0, 17, 39)):
            assert isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.shape == (2, 5), (
                f"MemmapDataset[{i}] should be a float32 tensor of shape (2, 5); got {type(x).__name__} {getattr(x, 'shape', '')}"
            )
            assert torch.equal(x, torch.from_numpy(data[i])), f"MemmapDataset[{i}] differs from row {i} of the file"
        crashed = write_in_a_child_process(items[0])
        assert not crashed, (
            f"writing into MemmapDataset[0] killed the process ({crashed}): the tensor is a view of the read-only memmap "
            "(torch.from_numpy shares memory and warns that the array is not writable); copy the row out first"
        )
        items[0][0, 0] = 1234.0
        assert ds[0][0, 0].item() != 1234.0, "writing into MemmapDataset[0] changed what the next read returns: copy rows out of the memmap"
        assert isinstance(many, list) and len(many) == 4 and all(isinstance(m, torch.Tensor) for m in many), (
            f"MemmapDataset.__getitems__([3, 1, 39, 3]) should return a list of 4 tensors; got a {type(many).__name__}"
        )
        assert all(torch.equal(m, torch.from_numpy(data[i])) for m, i in zip(many, [3, 1, 39, 3])), (
            "MemmapDataset.__getitems__([3, 1, 39, 3]) should return the same tensors as [ds[3], ds[1], ds[39], ds[3]]"
        )
        (tmp_path / "odd.bin").write_bytes(b"\0" * 39)
        try:
            ex.MemmapDataset(tmp_path / "odd.bin", (2, 5), np.float32)
        except ValueError:
            pass
        else:
            pytest.fail("MemmapDataset on a 39-byte file of 40-byte samples should raise ValueError")

    def test_memmap_dataset_pickles_small_and_feeds_workers(self, tmp_path):
        ex = lab.exercise(5)
        data = np.random.default_rng(2).standard_normal((256, 32, 32)).astype(np.float32)  # 1 MiB
        path = tmp_path / "big.bin"
        data.tofile(path)
        ds = ex.MemmapDataset(path, (32, 32), np.float32)
        _ = ds[5], ds[200]
        before = dict(vars(ds))
        size = len(pickle.dumps(ds))
        changed = sorted(k for k in set(before) | set(vars(ds)) if vars(ds).get(k, None) is not before.get(k, None))
        assert not changed, (
            f"pickling the MemmapDataset changed the dataset itself (attributes {changed}): __getstate__ must return a "
            "copy of the attributes without the open memmap and leave self as it was, since it may still be reading"
        )
        assert size < 4096, (
            f"after reading two items, pickling the MemmapDataset takes {size} bytes (the file has {data.nbytes}): the open "
            "memmap is being pickled, and a spawned worker would receive the whole file. Leave it out of the pickled state"
        )
        clone = pickle.loads(pickle.dumps(ds))
        assert torch.equal(clone[9], torch.from_numpy(data[9])), "an unpickled MemmapDataset should reopen the file and read row 9"
        got = torch.cat(drain(DataLoader(ds, batch_size=32, num_workers=2)))
        assert torch.equal(got, torch.from_numpy(data)), "a 2-worker DataLoader over MemmapDataset did not deliver the file's rows in order"
