"""Generated data with a known ground truth: no files, no network.

:func:`make_regression` (a linear model with known weights), :func:`make_spirals` (interleaved
arms, not linearly separable), :func:`make_blobs` (Gaussian clusters around known centres) and
:func:`make_shapes` (a small CIFAR-like image set, one coloured shape per image) and
:func:`make_marker_sequences` (token sequences labelled by their most frequent marker token). Each takes a
``seed`` and returns the same tensors for the same arguments.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from ._common import _generator

__all__ = [
    "SHAPE_CLASSES", "RegressionData", "make_blobs", "make_marker_sequences", "make_regression", "make_shapes", "make_spirals",
]


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


def make_marker_sequences(
    n_samples: int,
    vocab_size: int = 16,
    n_classes: int = 4,
    min_len: int = 8,
    max_len: int = 32,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Variable-length token sequences labelled by their most frequent *marker* token.

    Token 0 is padding. Each sequence has a length drawn uniformly from ``min_len … max_len``
    and tokens drawn uniformly from ``1 … vocab_size - 1``; tokens ``1 … n_classes`` are the
    markers. The label is ``c`` when marker ``c + 1`` occurs most often, ties going to the
    smallest marker (``torch.argmax`` returns the first maximum), so the label is a fixed
    function of the tokens and a perfect classifier exists: the best possible accuracy is 100 %.
    Telling the classes apart needs the whole sequence (counting), not one position.

    Returns ``(ids, labels)``:
        ids: (N, max_len) int64, the tokens of each sequence followed by zeros,
        labels: (N,) int64 in [0, n_classes).
    """
    if n_samples < 1 or not 1 <= min_len <= max_len or not 1 <= n_classes < vocab_size:
        raise ValueError(
            f"make_marker_sequences needs n_samples >= 1, 1 <= min_len <= max_len and 1 <= n_classes < vocab_size; "
            f"got n_samples={n_samples}, min_len={min_len}, max_len={max_len}, n_classes={n_classes}, vocab_size={vocab_size}"
        )
    g = _generator(seed)
    lengths = torch.randint(min_len, max_len + 1, (n_samples,), generator=g)
    ids = torch.randint(1, vocab_size, (n_samples, max_len), generator=g)
    ids[torch.arange(max_len) >= lengths[:, None]] = 0
    counts = torch.stack([(ids == c + 1).sum(1) for c in range(n_classes)], dim=1)
    return ids, counts.argmax(1)
