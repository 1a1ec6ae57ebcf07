"""Lab 1.4 runner: datasets, collation, samplers, augmentation and loader throughput, measured here.

    cd phase1_foundations/lab4_data_loading && python solution/solution.py      (or: make run LAB=1.4)
    python solution/solution.py --full     (adds test-time augmentation over training seeds 0..4, --seeds N for
                                            more, and the spawn start method to the worker start-up timing)
    make run LAB=1.4 TARGET=exercises      (the same runner on your exercises/; unwritten parts are skipped)

Prints, section by section: the worker-sharding proof, the worker-seeding pitfall, the padding
waste of random versus bucketed batches, class-balanced sampling, DistributedSampler padding,
Mixup/CutMix/TTA, and the DataLoader throughput table measured on this machine (it varies from
machine to machine and from run to run). The worked examples the README quotes are marked
WORKED EXAMPLE. Files and two plots go under $LAB_OUTPUT_DIR (default: outputs/ in the lab folder).
"""
from __future__ import annotations

import os
import pickle
import random
import shutil
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler, get_worker_info

LAB_DIR = Path(__file__).resolve().parent.parent
try:
    import shared  # noqa: F401  (installed by `make setup`)
except ImportError:  # run with a Python that lacks the editable install: use the repository root
    sys.path.insert(0, str(LAB_DIR.parent.parent))

from shared.datasets import make_shapes  # noqa: E402
from shared.devices import cpu_name, describe_machine, get_device, seed_everything  # noqa: E402
from shared.report import is_skipped, output_dir, run_part, runner_parser, section, spread, table, whose  # noqa: E402
from shared.timing import benchmark, format_seconds  # noqa: E402

from exercise1_datasets import FolderDataset, ShardedRecordStream, seed_worker  # noqa: E402
from exercise2_collation import BucketBatchSampler, pad_collate, padding_waste  # noqa: E402
from exercise3_samplers import ShardingSampler, balanced_sampler, class_sampling_weights  # noqa: E402
from exercise4_augmentation import (  # noqa: E402
    Compose,
    cutmix,
    mixup,
    normalize,
    random_crop_with_padding,
    random_horizontal_flip,
    sample_mix_params,
    tta_predict,
)
from exercise5_throughput import ExpensiveDataset, MemmapDataset, measure_throughput, write_memmap  # noqa: E402

# More workers than cores is part of what this runner measures; PyTorch warns about it each time.
warnings.filterwarnings("ignore", message="This DataLoader will create")


# ---------------------------------------------------------------------------------------------
# Datasets used by the demos. Module level, so a spawned worker can unpickle them by name.
# ---------------------------------------------------------------------------------------------


class UnshardedStream(IterableDataset):
    """The bug this lab's ShardedRecordStream fixes: every worker iterates the whole stream."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = [str(p) for p in paths]

    def __iter__(self):
        for path in self.paths:
            for row in np.load(path):
                yield torch.from_numpy(np.array(row))


class RngInInit(Dataset):
    """Draws its 'augmentation' from a NumPy Generator created once, in __init__."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.rng = np.random.default_rng(0)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        info = get_worker_info()
        return i, (info.id if info else -1), int(self.rng.integers(0, 1000)), int(np.random.randint(0, 1000))


# ---------------------------------------------------------------------------------------------
# Exercise 1
# ---------------------------------------------------------------------------------------------


def write_record_files(folder: Path, rows: list[int], dim: int = 4) -> list[Path]:
    """Shard files of records; column 0 is the record id."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, next_id = [], 0
    for k, n in enumerate(rows):
        block = np.zeros((n, dim), dtype=np.int64)
        block[:, 0] = np.arange(next_id, next_id + n)
        next_id += n
        paths.append(folder / f"shard-{k:02d}.npy")
        np.save(paths[-1], block)
    return paths


def count_ids(dataset: IterableDataset, num_workers: int) -> Counter:
    ids: Counter = Counter()
    for batch in DataLoader(dataset, batch_size=16, num_workers=num_workers):
        ids.update(batch[:, 0].tolist())
    return ids


# ---------------------------------------------------------------------------------------------
# Each part that calls an exercise runs through run_part: on your exercises/ a part whose function
# is not written yet prints one "skipped" line and the runner goes on with the next part.
# ---------------------------------------------------------------------------------------------


def part_folder_dataset(work: Path) -> None:
    section("Exercise 1: a map-style dataset over files")
    root = work / "folder_dataset"
    rng = np.random.default_rng(0)
    for cls, n in [("cat", 3), ("dog", 2), ("bird", 4)]:
        (root / cls).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            np.save(root / cls / f"{j:03d}.npy", rng.standard_normal((3, 8, 8)).astype(np.float32))
    (root / "cat" / "notes.txt").write_text("not a sample")
    ds = FolderDataset(root)
    print(f"FolderDataset ({whose()}) of {root.name}/: classes {ds.classes}, {len(ds)} samples (notes.txt skipped)")
    table(["index", "file", "label", "x"], [[i, f"{Path(p).parent.name}/{Path(p).name}", y,
                                             f"{tuple(ds[i][0].shape)} {ds[i][0].dtype}"] for i, (p, y) in enumerate(ds.samples[:4])])


def part_sharding_proof(work: Path) -> None:
    section("Exercise 1: an IterableDataset across workers (the sharding proof)")
    rows = [120, 45, 0, 200, 77, 31, 150]
    paths = write_record_files(work / "shards", rows)
    total = sum(rows)
    print(f"{len(paths)} shard files, {total} records (one file is empty); a DataLoader with batch_size=16 reads them.")
    print(f"ShardedRecordStream: {whose()}")
    out = []
    for num_workers in (0, 1, 2, 3, 4):
        for name, ds_ in [("no sharding", UnshardedStream(paths)), ("ShardedRecordStream", ShardedRecordStream(paths))]:
            ids = count_ids(ds_, num_workers)
            out.append([name, num_workers, sum(ids.values()), len(ids), sum(c - 1 for c in ids.values()),
                        total - len(set(ids) & set(range(total)))])
    table(["dataset", "num_workers", "records out", "distinct", "duplicates", "missing"], out)
    dist = []
    for world_size, num_workers in [(2, 2), (3, 1), (4, 0)]:
        ids: Counter = Counter()
        per_rank = []
        for rank in range(world_size):
            got = count_ids(ShardedRecordStream(paths, rank=rank, world_size=world_size), num_workers)
            per_rank.append(sum(got.values()))
            ids.update(got)
        dist.append([world_size, num_workers, per_rank, sum(ids.values()), sum(c - 1 for c in ids.values()), total - len(ids)])
    table(["world_size", "num_workers", "records per rank", "all ranks", "duplicates", "missing"], dist)
    print("Whole files go to readers: the ranks get unequal record counts. A distributed job must then stop")
    print("all ranks at the same step (or pad): otherwise the ranks still training block in their next collective")
    print("op, waiting for the rank that ran out, until the process group's timeout (init_process_group(timeout=...))")
    print("ends the job with an error.")


def part_worker_seeding() -> None:
    section("Exercise 1: randomness inside workers")
    # Call seed_worker once here first, so that an unwritten one says so from this process rather than from
    # inside a worker; the random states it seeds are put back, so the numbers below do not change.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        seed_worker(0)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    rows_ = []
    for label, init in [("no worker_init_fn", None), ("worker_init_fn=seed_worker", seed_worker)]:
        loader = DataLoader(RngInInit(6), batch_size=None, num_workers=2, worker_init_fn=init,
                            generator=torch.Generator().manual_seed(0))
        items = list(loader)
        for w in (0, 1):
            mine = [it for it in items if it[1] == w]
            rows_.append([label, w, [it[0] for it in mine], [it[2] for it in mine], [it[3] for it in mine]])
    table(["loader", "worker", "indices", "self.rng draws (Generator from __init__)", "np.random draws (global)"], rows_)
    print(f"(seed_worker: {whose()})")
    print("Without seed_worker both workers replay the same copy of self.rng: identical 'random' augmentations.")
    print("NumPy's global RNG differs per worker either way: the worker loop seeds it (PyTorch PR #56488).")


def demo_loader_draws_from_the_global_rng() -> None:
    """No exercise code: a DataLoader without a generator advances the global torch RNG."""
    torch.manual_seed(0)
    plain = torch.rand(1).item()
    torch.manual_seed(0)
    for _ in DataLoader(list(range(4)), batch_size=2, shuffle=False):
        pass
    after = torch.rand(1).item()
    print(f"torch.manual_seed(0); torch.rand(1) = {plain:.4f}, but after iterating a DataLoader (shuffle=False, no workers, "
          f"no generator) = {after:.4f}:")
    print("each new iterator draws its base seed from the global RNG unless the loader has its own generator.")


# ---------------------------------------------------------------------------------------------
# Exercise 2
# ---------------------------------------------------------------------------------------------


def part_padding() -> None:
    section("Exercise 2: padding and padding waste")
    lengths = [3, 7, 2, 5]
    batch = [(torch.arange(1, L + 1), k) for k, L in enumerate(lengths)]
    padded, lens, mask, labels = pad_collate(batch)
    print(f"WORKED EXAMPLE (a): pad_collate ({whose()}) of token sequences of lengths [3, 7, 2, 5]")
    for b in range(len(lengths)):
        print(f"  row {b}: {padded[b].tolist()}  mask {mask[b].int().tolist()}")
    in_order = [[0, 1], [2, 3]]
    by_length = [[0, 2], [1, 3]]
    print(f"  batches {in_order}: padded to 2*7 + 2*5 = 24 positions for 17 tokens, waste = "
          f"{padding_waste(in_order, lengths):.4f}")
    print(f"  batches {by_length}: padded to 2*3 + 2*7 = 20 positions for 17 tokens, waste = "
          f"{padding_waste(by_length, lengths):.4f}")


def part_bucketing() -> None:
    g = torch.Generator().manual_seed(0)
    n, bs = 8000, 32
    # log-normal lengths, clipped to [1, 512]: many short sequences, a long tail (like sentences)
    lens_all = torch.exp(torch.randn(n, generator=g) * 0.8 + 4.0).round().clamp(1, 512).long()
    rows = []
    rand = list(BatchSampler(RandomSampler(range(n), generator=torch.Generator().manual_seed(1)), bs, False))
    rows.append(["random batches (RandomSampler + BatchSampler)", "-", len(rand), f"{padding_waste(rand, lens_all):.3f}"])
    for pool in (1, 4, 16, 64, 250):
        batches = list(BucketBatchSampler(lens_all, bs, pool_batches=pool, seed=1))
        name = "BucketBatchSampler" if pool < 250 else "BucketBatchSampler (one pool: whole epoch sorted)"
        rows.append([name, pool, len(batches), f"{padding_waste(batches, lens_all):.3f}"])
    print(f"\n{n} sequences, lengths log-normal (median {int(lens_all.median())}, max {int(lens_all.max())}), batch_size {bs}; "
          f"BucketBatchSampler and padding_waste: {whose()}")
    table(["batching", "pool_batches", "batches", "padding waste"], rows)
    mean_len = lens_all.double().mean().item()
    mean_max = sum(int(lens_all[b].max()) for b in rand) / len(rand)
    print(f"random batches: mean length {mean_len:.1f}, mean batch maximum {mean_max:.1f}; all batches full, so "
          f"waste = 1 - {mean_len:.1f}/{mean_max:.1f} = {1 - mean_len / mean_max:.3f}")
    print("Waste falls as pools grow; with one pool the batch compositions are the same every epoch")
    print("(only their order changes), which is why pools are kept to tens of batches.")


# ---------------------------------------------------------------------------------------------
# Exercise 3
# ---------------------------------------------------------------------------------------------


def part_balanced_sampling() -> None:
    section("Exercise 3: class-balanced sampling")
    counts = [4000, 1500, 400, 90, 10]
    labels = torch.cat([torch.full((c,), k, dtype=torch.int64) for k, c in enumerate(counts)])
    labels = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    draws = {}
    for alpha in (0.0, 0.5, 1.0):
        sampler = balanced_sampler(labels, alpha=alpha, num_samples=60000, generator=torch.Generator().manual_seed(1))
        idx = torch.tensor(list(sampler))
        draws[alpha] = (torch.bincount(labels[idx], minlength=5).double() / len(idx), idx)
    rows = []
    for c, n_c in enumerate(counts):
        rows.append([c, n_c] + [f"{draws[a][0][c]:.3f}" for a in (0.0, 0.5, 1.0)])
    print(f"{len(labels)} samples, 60000 draws with replacement per row ({whose()} balanced_sampler), frequencies of the drawn classes:")
    table(["class", "n_c", "alpha=0 (natural)", "alpha=0.5 (square root)", "alpha=1 (balanced)"], rows)
    idx1 = draws[1.0][1]
    rare = labels[idx1] == 4
    print(f"alpha=1: class 4 (10 samples) drawn {int(rare.sum())} times: its 10 samples repeat ~{int(rare.sum()) // 10}x each.")
    w = class_sampling_weights(labels, 1.0)
    print(f"weights: a class-0 sample {w[labels == 0][0].item():.3e}, a class-4 sample {w[labels == 4][0].item():.3e} "
          f"(ratio {w[labels == 4][0].item() / w[labels == 0][0].item():.0f} = 4000/10)")


def part_sharding_sampler() -> None:
    section("Exercise 3: sharding for distributed training")
    print(f"WORKED EXAMPLE (b): ShardingSampler ({whose()}), dataset_len=10, num_replicas=4, shuffle=False (then shuffle=True, seed 0, epoch 0 and 1)")
    rows = []
    for shuffle, epoch in [(False, 0), (True, 0), (True, 1)]:
        for rank in range(4):
            s = ShardingSampler(10, 4, rank, shuffle=shuffle)
            s.set_epoch(epoch)
            rows.append([shuffle, epoch, rank, list(s)])
    table(["shuffle", "epoch", "rank", "indices"], rows)
    print("ceil(10 / 4) = 3 per rank, 12 slots: the first 2 indices of the order are repeated at the end.")
    s0 = ShardingSampler(1000, 4, 0, seed=0)
    first, second = list(s0), list(s0)
    print(f"without set_epoch, rank 0 reads the same {len(first)} indices in the same order in every epoch: {first == second}")


# ---------------------------------------------------------------------------------------------
# Exercise 4
# ---------------------------------------------------------------------------------------------


def part_cutmix() -> None:
    section("Exercise 4: CutMix, Mixup and test-time augmentation")
    print(f"WORKED EXAMPLE (c): CutMix ({whose()}) on 32x32 images with lam = 0.7")
    x = torch.zeros(2, 1, 32, 32)
    x[1] = 1.0
    y = torch.eye(2)
    hh = int(0.5 * (1 - 0.7) ** 0.5 * 32)
    print(f"  half-size int(0.5 * sqrt(1 - 0.7) * 32) = int({0.5 * (1 - 0.7) ** 0.5 * 32:.4f}) = {hh}, "
          f"so an unclipped box is {2 * hh}x{2 * hh} = {(2 * hh) ** 2} pixels, 1 - {(2 * hh) ** 2}/1024 = {1 - (2 * hh) ** 2 / 1024:.4f}")
    g = torch.Generator().manual_seed(3)
    for _ in range(3):
        out, my, (y0, y1, x0, x1), lam_adj = cutmix(x, y, 0.7, torch.tensor([1, 0]), g)
        area = (y1 - y0) * (x1 - x0)
        print(f"  box rows [{y0}, {y1}) cols [{x0}, {x1}): {area} pixels pasted, lam_adj = 1 - {area}/1024 = {lam_adj:.4f}; "
              f"image 0 now holds {out[0].mean().item():.4f} of image 1; its label {[round(v, 4) for v in my[0].tolist()]}")

    gm = torch.Generator().manual_seed(4)
    adj = torch.tensor([cutmix(x, y, 0.7, torch.tensor([1, 0]), gm)[3] for _ in range(20000)], dtype=torch.float64)
    per_axis = 2 * hh / 32 - (hh / 32) ** 2
    print(f"  over 20000 boxes: mean lam_adj {adj.mean():.4f}; formula 1 - (2h/H - (h/H)^2)^2 = 1 - {per_axis:.4f}^2 = "
          f"{1 - per_axis ** 2:.4f} (clipping at the borders makes the mean pasted area smaller than asked for)")


def part_mix_lambda() -> None:
    for alpha in (0.2, 1.0):
        gg = torch.Generator().manual_seed(0)
        lams = torch.tensor([sample_mix_params(8, alpha, gg)[0] for _ in range(20000)])
        print(f"Mixup lam ~ Beta({alpha}, {alpha}), 20000 draws: mean {lams.mean():.4f} (theory 0.5), variance "
              f"{lams.var():.4f} (theory 1/(4(2a+1)) = {1 / (4 * (2 * alpha + 1)):.4f}), P(lam < 0.1 or > 0.9) = "
              f"{((lams < 0.1) | (lams > 0.9)).float().mean():.3f}")

TTA_VIEWS = {"identity": lambda t: t, "flip": lambda t: t.flip(-1), "shift right 1": lambda t: t.roll(1, -1),
             "shift down 1": lambda t: t.roll(1, -2)}
TTA_ROWS = [("single view (identity)", ["identity"]), ("identity + flip", ["identity", "flip"]),
            ("identity + flip + 2 shifts", list(TTA_VIEWS))]


def part_train_with_augmentation(seed: int = 0) -> tuple:
    """A small classifier on the lab's synthetic shapes, trained with crop + flip + Mixup (evaluated with TTA next).

    Everything random comes from ``seed``: the weights from ``torch.manual_seed(seed)``, the batches, crops,
    flips and Mixup draws from one generator seeded with ``seed + 1``. The data set is the same for every seed.
    """
    X, Y = make_shapes(1800, size=16, seed=0)
    mean, std = X.mean(dim=(0, 2, 3)).tolist(), X.std(dim=(0, 2, 3)).tolist()
    Xtr, Ytr, Xte, Yte = X[:1500], Y[:1500], X[1500:], Y[1500:]
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(12, 24, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(24 * 4 * 4, 6))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed + 1)
    augment = Compose([lambda t: random_crop_with_padding(t, 2, g), lambda t: random_horizontal_flip(t, 0.5, g),
                       lambda t: normalize(t, mean, std)])
    for step in range(400):
        idx = torch.randint(0, len(Xtr), (64,), generator=g)
        xb, yb = augment(Xtr[idx]), F.one_hot(Ytr[idx], 6).float()
        lam, perm = sample_mix_params(64, 0.2, g)
        xb, yb = mixup(xb, yb, lam, perm)
        loss = -(yb * F.log_softmax(model(xb), dim=1)).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, Xtr, Xte, Yte, mean, std


def evaluate_tta(trained: tuple) -> dict:
    """{row name: (accuracy, NLL of the averaged probabilities, mean NLL of its single views)} on the test set."""
    model, _, Xte, Yte, mean, std = trained
    xte = normalize(Xte, mean, std)

    def nll_of(probs: torch.Tensor) -> float:
        return F.nll_loss(probs.clamp_min(1e-12).log(), Yte).item()

    single = {v: nll_of(tta_predict(model, xte, [TTA_VIEWS[v]])) for v in TTA_VIEWS}
    out = {}
    for name, vs in TTA_ROWS:
        probs = tta_predict(model, xte, [TTA_VIEWS[v] for v in vs])
        out[name] = ((probs.argmax(1) == Yte).double().mean().item(), nll_of(probs), sum(single[v] for v in vs) / len(vs))
    return out


def part_tta(trained: tuple) -> None:
    res = evaluate_tta(trained)
    print("\nshapes 16x16, 6 classes, 1500 train / 300 test; a small CNN trained 400 steps of 64 (crop, flip, Mixup")
    print(f"alpha 0.2), then evaluated on the test set with tta_predict over 1, 2 and 4 views (augmentations and tta_predict: {whose()}).")
    print(f"ONE training seed (0), an illustration, not a result (seeds 0..4: python solution/solution.py --full);")
    print(f"float32 training is chaotic: these digits hold for this CPU ({cpu_name()}) and torch threads = "
          f"{torch.get_num_threads()}:")
    table(["prediction", "accuracy", "NLL of the averaged probabilities", "mean NLL of its single views"],
          [[name, f"{a:.3f}", f"{nll:.3f}", f"{mean_nll:.3f}"] for name, (a, nll, mean_nll) in res.items()])


def part_tta_seeds(seeds: int) -> None:
    """TTA over training seeds 0..seeds-1: mean ± sd (min–max) per row, and the paired change from the single view."""
    section(f"Exercise 4: test-time augmentation over training seeds 0..{seeds - 1} (--full)")
    per_seed = [evaluate_tta(part_train_with_augmentation(s)) for s in range(seeds)]
    print(f"The TTA table for {seeds} training seeds (weights, batches and augmentations drawn from the seed; the same data);")
    print("'minus single view': the difference to the single view of the same trained model, per seed:")
    base = TTA_ROWS[0][0]
    rows = []
    for name, _ in TTA_ROWS:
        acc = [r[name][0] for r in per_seed]
        nll = [r[name][1] for r in per_seed]
        d_acc = [r[name][0] - r[base][0] for r in per_seed]
        d_nll = [r[name][1] - r[base][1] for r in per_seed]
        rows.append([name, spread(acc), spread(nll)] + (["-", "-"] if name == base else [spread(d_acc), spread(d_nll)]))
    table(["prediction", "accuracy", "NLL of the averaged probabilities", "accuracy minus single view",
           "NLL minus single view"], rows)

    def verdict(diffs: list[float], what: str) -> str:
        if min(diffs) > 0:
            return f"{what} higher for every seed"
        if max(diffs) < 0:
            return f"{what} lower for every seed"
        return f"{what} not consistently different (the difference changes sign across seeds)"

    pairs = [(TTA_ROWS[1][0], base), (TTA_ROWS[2][0], base), (TTA_ROWS[2][0], TTA_ROWS[1][0])]
    for a, b in pairs:
        d_acc = [r[a][0] - r[b][0] for r in per_seed]
        d_nll = [r[a][1] - r[b][1] for r in per_seed]
        print(f"  {a} against {b}: {verdict(d_acc, 'accuracy')}; {verdict(d_nll, 'NLL')}")
    jensen = all(r[name][1] <= r[name][2] + 1e-12 for r in per_seed for name, _ in TTA_ROWS)
    print(f"  NLL of the averaged probabilities <= mean NLL of its single views, every row and seed: {jensen}")


def save_augmentation_plot(trained: tuple, out_dir: Path) -> None:
    images = trained[1][:6]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    g = torch.Generator().manual_seed(0)
    y = torch.eye(6)
    lam, perm = 0.6, torch.roll(torch.arange(6), 1)
    cm, _, box, lam_adj = cutmix(images, y, lam, perm, g)
    rows = {
        "original": images,
        "crop (pad 2)": random_crop_with_padding(images, 2, g),
        "flip p=0.5": random_horizontal_flip(images, 0.5, g),
        "mixup lam 0.6": mixup(images, y, lam, perm)[0],
        f"cutmix lam_adj {lam_adj:.2f}": cm,
    }
    fig, axes = plt.subplots(len(rows), 6, figsize=(7, 6))
    for r, (name, imgs) in enumerate(rows.items()):
        for c in range(6):
            axes[r, c].imshow(imgs[c].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=8)
    fig.suptitle("Batch augmentations of lab 1.4 on 16x16 shapes")
    fig.tight_layout()
    fig.savefig(out_dir / "lab4_augmentations.png", dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Exercise 5
# ---------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f}"


TIMED_EPOCHS = 5  # timed epochs per loader configuration, after one first epoch that includes starting the workers


def steady_rates(r) -> list[float]:
    """Samples per second of every epoch after the first (the first also starts the workers)."""
    return [r.samples_per_epoch / t for t in r.epoch_seconds[1:]]


def median_rate(r) -> float:
    return statistics.median(steady_rates(r))


def rate_cells(r) -> list[str]:
    """The median and the min–max of the timed epochs' samples/s, as table cells."""
    xs = steady_rates(r)
    return [f"{statistics.median(xs):.0f}", f"{min(xs):.0f}–{max(xs):.0f}"]


def ordering(name_a: str, a, name_b: str, b) -> str:
    """What the repeats support: an ordering only where the two min–max ranges do not overlap."""
    ra, rb = steady_rates(a), steady_rates(b)
    if min(ra) > max(rb):
        return f"{name_a} faster in every repeat"
    if max(ra) < min(rb):
        return f"{name_b} faster in every repeat"
    return "the ranges overlap: no ordering at this noise"


def calibrate_cpu_ops(target_s: float) -> int:
    """Loop iterations of ExpensiveDataset's CPU work that take about ``target_s`` here."""
    # The fastest of 9 short probes: a burst of load from another process slows some of them, and
    # a calibration taken during one would make every later item too cheap.
    probe = ExpensiveDataset(1, sample_shape=(1,), cpu_ops=50_000)
    best = min(_time_item(probe) for _ in range(9))
    return max(1000, int(50_000 * target_s / best))


def _time_item(ds: Dataset) -> float:
    t0 = time.perf_counter()
    ds[0]
    return time.perf_counter() - t0


def part_loader_throughput(device: torch.device) -> dict:
    section("Exercise 5: DataLoader throughput, measured on this machine")
    cores = os.cpu_count() or 1
    cpu_ops = calibrate_cpu_ops(1e-3)
    n = 128
    cpu_ds = ExpensiveDataset(n, cpu_ops=cpu_ops)
    c = benchmark(lambda: cpu_ds[0], warmup=1, repeat=20)
    print(f"machine: {describe_machine()}")
    print(f"ExpensiveDataset: {n} images (3, 32, 32); __getitem__ runs {cpu_ops} Python loop iterations (calibrated for about")
    print(f"1 ms: 'decoding', CPU-bound); one item in the main process: {c};")
    print(f"the model's c is the fastest of those, c = {format_seconds(c.min)} (the least disturbed by other processes).")
    print(f"{1 + TIMED_EPOCHS} epochs per row: epoch 1 includes starting the workers and is reported as 'first batch';")
    print(f"samples/s: median and min–max over epochs 2..{1 + TIMED_EPOCHS} (without persistent workers every epoch starts")
    print(f"its workers again). Model bound: min(max(W, 1), K) / c with K = {cores} cores. "
          f"ExpensiveDataset and measure_throughput: {whose()}.")
    rows, results = [], {"c": c.min, "cores": cores}
    for bs in (16, 64):
        for nw, persistent in ((0, False), (1, True), (2, True)) + (((2, False),) if bs == 64 else ()):
            r = measure_throughput(cpu_ds, batch_size=bs, num_workers=nw, persistent_workers=persistent,
                                   epochs=1 + TIMED_EPOCHS)
            results[("cpu", bs, nw, persistent)] = r
            bound = min(max(nw, 1), cores) / c.min
            rows.append([nw, bs, "yes" if persistent else ("-" if nw == 0 else "no"), ms(r.first_batch_seconds),
                         *rate_cells(r), f"{bound:.0f}"])
    table(["num_workers", "batch_size", "persistent", "first batch ms", "samples/s median", "min–max",
           "model bound"], rows)
    if device.type == "cuda":
        prow = []
        for pin in (False, True):
            r = measure_throughput(cpu_ds, batch_size=64, num_workers=2, pin_memory=pin, persistent_workers=True,
                                   epochs=1 + TIMED_EPOCHS, device=device)
            prow.append([2, 64, pin, *rate_cells(r)])
        print(f"\nwith copies to {device} (non_blocking=pin_memory):")
        table(["num_workers", "batch_size", "pin_memory", "samples/s median", "min–max"], prow)
    else:
        print("pin_memory: no CUDA device here. Pinned (page-locked) memory only speeds host-to-GPU copies and lets")
        print("them run asynchronously; on a CPU-only machine the DataLoader ignores it (with a warning), so it is not measured.")

    n_io = 128
    io_ds = ExpensiveDataset(n_io, io_seconds=0.002)
    d = benchmark(lambda: io_ds[0], warmup=1, repeat=5)
    results["d"] = d.min
    rows = []
    io_bs = 16
    batches = n_io // io_bs
    results["io_batches"] = batches
    for nw in (0, 1, 2, 4, 8):
        r = measure_throughput(io_ds, batch_size=io_bs, num_workers=nw, persistent_workers=nw > 0, epochs=1 + TIMED_EPOCHS)
        results[("io", nw)] = r
        rows.append([nw, *rate_cells(r), f"{min(max(nw, 1), batches) / d.min:.0f}"])
    print(f"\n{n_io} images whose __getitem__ instead waits 2 ms (time.sleep: 'storage latency', CPU idle), batch {io_bs}")
    print(f"({batches} batches per epoch), persistent workers; one item: {d}.")
    print(f"Model bound: min(max(W, 1), {batches}) / d with the fastest item, d = {format_seconds(d.min)} (at most one busy worker per batch):")
    table(["num_workers", "samples/s median", "min–max", "model bound"], rows)
    results["cpu_ds"] = cpu_ds
    return results


def part_memmap(work: Path) -> dict:
    rows_mm, results = [], {}
    path = work / "memmap" / "images.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    n_mm = 4096
    rng = np.random.default_rng(0)
    shape = write_memmap(path, (rng.standard_normal((512, 3, 32, 32)).astype(np.float32) for _ in range(n_mm // 512)))
    mm = MemmapDataset(path, (3, 32, 32), np.float32)
    print(f"\nMemmapDataset ({whose()}): {shape[0]} images (3, 32, 32) float32 in one {path.stat().st_size / 2**20:.0f} MiB file, "
          "written in chunks of 512; cheap __getitem__")
    print(f"(a 12 KiB copy from the page cache), batch 128, persistent workers, samples/s over epochs 2..{1 + TIMED_EPOCHS}:")
    for nw in (0, 2):
        for batched in (False, True):
            ds = mm if batched else PerItemOnly(mm)
            r = measure_throughput(ds, batch_size=128, num_workers=nw, persistent_workers=nw > 0, epochs=1 + TIMED_EPOCHS)
            results[("mm", nw, batched)] = r
            rows_mm.append([nw, "__getitems__ (one read per batch)" if batched else "__getitem__ per sample", *rate_cells(r)])
    table(["num_workers", "fetch", "samples/s median", "min–max"], rows_mm)
    ds_after = MemmapDataset(path, (3, 32, 32), np.float32)
    _ = ds_after[0]
    raw = np.memmap(path, dtype=np.float32, mode="r", shape=(n_mm, 3, 32, 32))
    print(f"pickled size after reading: MemmapDataset {len(pickle.dumps(ds_after))} bytes ({len(str(path))} of them the file's path); "
          f"a bare np.memmap of the file {len(pickle.dumps(raw)) / 2**20:.1f} MiB (a spawned worker would receive all of it)")
    del raw
    demo_readonly_view(path)
    shutil.rmtree(path.parent)
    return results


class PerItemOnly(Dataset):
    """Wraps a dataset and hides its __getitems__, so the DataLoader fetches item by item."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, i: int):
        return self.ds[i]


def demo_readonly_view(path: Path) -> None:
    """torch.from_numpy on a read-only memmap row: a warning, then a crash on the first write."""
    if not hasattr(os, "fork"):
        return
    row = np.memmap(path, dtype=np.float32, mode="r", shape=(1, 3, 32, 32))[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        view = torch.from_numpy(row)
    warning = str(caught[0].message).split(".")[0] if caught else "no warning"
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        import faulthandler

        faulthandler.disable()
        view[0, 0, 0] = 1.0
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    fate = f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exited with {os.WEXITSTATUS(status)}"
    print(f"torch.from_numpy(read-only memmap row) warns \"{warning}\"; a child process that then writes into it: {fate}")


START_REPEATS = 5


def part_start_methods(loader_results: dict, full: bool = False) -> dict:
    """Time to the first batch per start method; spawn (a fresh interpreter importing torch, seconds each) with --full."""
    import multiprocessing

    ds = loader_results["cpu_ds"]
    rows, out = [], {}
    methods = [m for m in ("fork", "forkserver", "spawn") if m in multiprocessing.get_all_start_methods()
               and (full or m != "spawn")]
    if "forkserver" in methods:
        # The server imports what it is told to preload, once; every worker forked from it inherits that.
        # (Before the server starts: this process has not used forkserver yet.)
        multiprocessing.get_context("forkserver").set_forkserver_preload(["torch"])
    for method in methods:
        loader = DataLoader(ds, batch_size=16, num_workers=1, multiprocessing_context=method)

        def first_batch() -> None:
            it = iter(loader)
            next(it)
            del it

        b = benchmark(first_batch, warmup=0, repeat=START_REPEATS)
        out[method] = b
        rows.append([method, ms(b.times[0]), ms(b.median), f"{ms(b.min)}–{ms(b.max)}"])
    print(f"\nWorker start method, 1 worker, time to the first batch (the same dataset), {START_REPEATS} loaders each:")
    table(["start method", "first loader ms", "median ms", "min–max ms"], rows)
    if not full:
        print("(spawn, five fresh interpreters that each import torch, is timed by python solution/solution.py --full)")
    print("spawn starts a fresh interpreter per worker, which imports torch and unpickles the dataset; fork copies the")
    print("parent process as it is; forkserver forks each worker from a server process started on first use (the first")
    print("loader pays for it, and for the server's import of torch: set_forkserver_preload(['torch'])), and pickles")
    print("the dataset like spawn.")
    print(f"This Python ({sys.version.split()[0]}) starts DataLoader workers with "
          f"{multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method()} by default. "
          "Linux defaults: fork up to Python 3.13, forkserver from 3.14; spawn on macOS and Windows.")
    return out


def summarize(loader_results: dict, memmap_results: dict, start_times: dict) -> None:
    results = {**loader_results, **memmap_results}
    section("What the numbers mean (an ordering is claimed only where the min–max ranges do not overlap)")
    cores, c, d = results["cores"], results["c"], results["d"]
    r0, r1, r2 = results[("cpu", 64, 0, False)], results[("cpu", 64, 1, True)], results[("cpu", 64, 2, True)]
    print(f"CPU-bound items, batch 64, samples/s (median): main process {median_rate(r0):.0f}, 1 persistent worker "
          f"{median_rate(r1):.0f}, 2 persistent workers {median_rate(r2):.0f} (bound {min(2, cores) / c:.0f}).")
    print(f"  2 workers vs main process: {ordering('2 workers', r2, 'main process', r0)}.")
    print(f"  1 worker vs main process: {ordering('1 worker', r1, 'main process', r0)} (the model: the same bound, 1/c).")
    rn = results[("cpu", 64, 2, False)]
    print(f"  2 workers, persistent vs restarted every epoch: {ordering('persistent', r2, 'restarted', rn)}.")
    io0, io8 = results[("io", 0)], results[("io", 8)]
    print(f"Latency-bound items: 8 workers {median_rate(io8):.0f} samples/s versus {median_rate(io0):.0f}: "
          f"x{median_rate(io8) / median_rate(io0):.1f} (bound x8 = {8 / d:.0f} / {1 / d:.0f}), more than the core count, "
          f"because waiting needs no CPU; {ordering('8 workers', io8, 'no workers', io0)}.")
    m0, m2 = results[("mm", 0, False)], results[("mm", 2, False)]
    b0, b2 = results[("mm", 0, True)], results[("mm", 2, True)]
    print(f"Cheap items (memmap rows): per-sample fetch, 2 workers {median_rate(m2):.0f} versus {median_rate(m0):.0f} samples/s "
          f"in the main process: {ordering('2 workers', m2, 'main process', m0)}.")
    print(f"  one read per batch (__getitems__) against per sample: without workers {ordering('__getitems__', b0, 'per sample', m0)};")
    print(f"  with 2 workers {ordering('__getitems__', b2, 'per sample', m2)} (the model: equal where the main process")
    print("  sets the pace, __getitems__ faster where the workers do; which one binds depends on the machine).")
    print("  When __getitem__ is this cheap, the time goes to the loader's own work: a Python call per sample,")
    print("  collation, and moving every batch from a worker through shared memory and a queue. Without workers a read")
    print("  per batch removes the calls; with workers the main process's receiving, the same for both, sets the pace.")
    starts = ", ".join(f"{m} {ms(b.median)} ms" for m, b in start_times.items())
    print(f"Worker start-up, median time to the first batch: {starts}; persistent_workers pays it once instead of every epoch.")


def _errorbar(ax, xs, results_list, **kw) -> None:
    med = [median_rate(r) for r in results_list]
    lo = [m - min(steady_rates(r)) for m, r in zip(med, results_list)]
    hi = [max(steady_rates(r)) - m for m, r in zip(med, results_list)]
    ax.errorbar(xs, med, yerr=[lo, hi], capsize=3, **kw)


def save_throughput_plot(results: dict, memmap_results: dict, out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cores, c, d = results["cores"], results["c"], results["d"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    ws = [0, 1, 2]
    for bs, marker in ((16, "o"), (64, "^")):
        _errorbar(ax, ws, [results[("cpu", bs, w, w > 0)] for w in ws], fmt=marker + "-",
                  label=f"CPU-bound, batch {bs} (median, min–max)")
    io_ws = [0, 1, 2, 4, 8]
    _errorbar(ax, io_ws, [results[("io", w)] for w in io_ws], fmt="s-", label="latency-bound, batch 16 (median, min–max)")
    fine = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    ax.plot(fine, [min(max(w, 1), cores) / c for w in fine], "k--", lw=1,
            label=f"model, CPU-bound: min(max(W,1), K)/c, K={cores}")
    nb = results["io_batches"]
    ax.plot(fine, [min(max(w, 1), nb) / d for w in fine], "k:", lw=1.2, label=f"model, latency-bound: min(max(W,1), {nb})/d")
    ax.set_xlabel("num_workers W (persistent)")
    ax.set_ylabel("samples / s (epochs 2..6)")
    ax.set_yscale("log")
    ax.set_title("ExpensiveDataset: measured and model bounds", fontsize=10)
    ax.legend(fontsize=7)
    if not is_skipped(memmap_results):
        for batched, marker, name in ((False, "o-", "per-sample __getitem__"), (True, "s-", "batched __getitems__")):
            _errorbar(ax2, [0, 2], [memmap_results[("mm", w, batched)] for w in (0, 2)], fmt=marker,
                      label=f"{name} (median, min–max)")
        ax2.set_xticks([0, 2])
        ax2.set_xlabel("num_workers (persistent)")
        ax2.set_ylabel("samples / s (epochs 2..6)")
        ax2.set_yscale("log")
        ax2.set_title("MemmapDataset: cheap items, batch 128", fontsize=10)
        ax2.legend(fontsize=7)
    else:
        ax2.set_axis_off()
    fig.suptitle(f"DataLoader throughput on {cpu_name()}, {cores} cores (varies by machine)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out_dir / "lab4_throughput.png", dpi=120)
    plt.close(fig)


def main() -> None:
    args = runner_parser("Lab 1.4 runner: data loading; --full adds TTA over seeds and the spawn start-up timing.").parse_args()
    seed_everything(0)
    torch.set_num_threads(1)  # small tensors; and the loader benchmarks should measure the loader, not BLAS threads
    start = time.perf_counter()
    device = get_device()
    print(f"Lab 1.4 data loading | {describe_machine()} | device {device}")
    folder = Path(sys.modules[FolderDataset.__module__].__file__).parent.name  # where the exercise modules came from
    print(f"code that runs: {whose()} ({LAB_DIR.name}/{folder}/)")
    out_dir = output_dir(LAB_DIR)
    work = out_dir / "lab4_data"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    # Exercise 1
    run_part(part_folder_dataset, work)
    run_part(part_sharding_proof, work)
    run_part(part_worker_seeding)
    demo_loader_draws_from_the_global_rng()
    # Exercise 2
    run_part(part_padding)
    run_part(part_bucketing)
    # Exercise 3
    run_part(part_balanced_sampling)
    run_part(part_sharding_sampler)
    # Exercise 4
    run_part(part_cutmix)
    run_part(part_mix_lambda)
    trained = run_part(part_train_with_augmentation)
    run_part(part_tta, trained)
    if args.full:
        run_part(part_tta_seeds, args.seeds)
    augment_plot = run_part(save_augmentation_plot, trained, out_dir)
    # Exercise 5
    loader_results = run_part(part_loader_throughput, device)
    memmap_results = run_part(part_memmap, work)
    start_times = run_part(part_start_methods, loader_results, args.full)
    run_part(summarize, loader_results, memmap_results, start_times)
    throughput_plot = run_part(save_throughput_plot, loader_results, memmap_results, out_dir)
    shutil.rmtree(work, ignore_errors=True)
    saved = [str(out_dir / name) for name, result in [("lab4_augmentations.png", augment_plot),
                                                    ("lab4_throughput.png", throughput_plot)] if not is_skipped(result)]
    print(f"\nplots saved: {', '.join(saved) if saved else 'none (their parts were skipped)'}")
    print(f"done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
