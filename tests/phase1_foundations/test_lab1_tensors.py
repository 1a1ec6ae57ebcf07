"""Grader of lab 1.1 (tensors): what a tensor is, broadcasting, autograd, micrograd, learning from scratch.

Every test names the behaviour it checks and compares your code with PyTorch's own
implementation wherever one exists. Run it on your exercises with

    make test-lab LAB=phase1_foundations/lab1_tensors          (EX=2 for exercise 2 only)
"""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from shared.datasets import make_spirals
from shared.grading import Lab, close, forbid

lab = Lab("phase1_foundations/lab1_tensors")

NO_AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward")
NO_TRAINING_SHORTCUTS = (
    "torch.optim.SGD",
    "torch.optim.Adam",
    "torch.optim.AdamW",
    "torch.nn.Linear",
)


BY_HAND_STRIDES = dict(why="Exercise 1.2 asks for the strides by integer arithmetic, without allocating a tensor or array")
NO_STRIDE_SHORTCUTS = ("torch.Tensor.stride", "numpy.empty", "numpy.zeros", "numpy.ones")


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


# ---------------------------------------------------------------------------------------------
# Exercise 1: tensor basics
# ---------------------------------------------------------------------------------------------


@pytest.mark.exercise(1)
class TestTensorBasics:
    def test_tensor_summary_reports_shape_dtype_device_size_and_layout(self):
        ex = lab.exercise(1)
        base = torch.randn(3, 4)
        cases = {
            "torch.randn(3, 4)": base,
            "its transpose .T": base.T,
            "a float16 strided slice x[:, ::2]": torch.randn(5, 6).half()[:, ::2],
            "a 0-d int64 tensor": torch.tensor(7),
            "torch.randn(4, 1).T (shape (1, 4), stride (1, 1): contiguous, since a size-1 dim's stride does not matter)":
                torch.randn(4, 1).T,
            "an empty (0, 4) bool tensor": torch.zeros(0, 4, dtype=torch.bool),
        }
        if torch.cuda.is_available():
            cases["a CUDA tensor (device must read 'cuda:0', not 'cuda')"] = torch.randn(2, 3, device="cuda")
        for name, t in cases.items():
            expected = {
                "shape": tuple(t.shape),
                "dtype": t.dtype,
                "device": str(t.device),
                "numel": t.numel(),
                "element_size": t.element_size(),
                "nbytes": t.numel() * t.element_size(),
                "stride": tuple(t.stride()),
                "is_contiguous": t.is_contiguous(),
            }
            got = ex.tensor_summary(t)
            assert isinstance(got, dict), f"tensor_summary({name}) returned a {type(got).__name__}, not a dict"
            missing = sorted(set(expected) - set(got))
            assert not missing, f"tensor_summary({name}) lacks the keys {missing}"
            for key, want in expected.items():
                assert got[key] == want and type(got[key]) is type(want), (
                    f"tensor_summary({name})[{key!r}] is {got[key]!r} ({type(got[key]).__name__}); "
                    f"expected {want!r} ({type(want).__name__})"
                )

    def test_contiguous_strides_match_torch_including_scalars_and_size_zero_dims(self):
        ex = lab.exercise(1)
        rng = random.Random(0)
        shapes = [(), (1,), (5,), (2, 3, 4), (4, 1, 3), (1, 1, 1), (2, 0, 3), (3, 0), (0,), (0, 5, 0, 2)]
        shapes += [tuple(rng.randint(0, 4) for _ in range(rng.randint(1, 5))) for _ in range(40)]
        for shape in shapes:
            expected = tuple(torch.empty(shape).stride())
            with forbid(*NO_STRIDE_SHORTCUTS, **BY_HAND_STRIDES):
                got = ex.contiguous_strides(shape)
            assert isinstance(got, tuple) and got == expected, (
                f"contiguous_strides({shape}) returned {got!r}; torch.empty({shape}).stride() is {expected}"
            )

    def test_shares_storage_tells_views_from_copies(self):
        ex = lab.exercise(1)
        x = torch.arange(24.0).view(4, 6)
        views = {
            "x.T": x.T,
            "x[1] (a row; its first element is not x's first element)": x[1],
            "x[:, 2] (a column)": x[:, 2],
            "x.view(-1)": x.view(-1),
            "x[1:, ::2]": x[1:, ::2],
            "x.unsqueeze(0)": x.unsqueeze(0),
            "x.reshape(6, 4) (contiguous input: reshape returns a view)": x.reshape(6, 4),
        }
        for name, v in views.items():
            assert ex.shares_storage(v, x) is True, f"shares_storage({name}, x) should be True: it is a view of x"
        assert ex.shares_storage(x[0], x[3]) is True, (
            "shares_storage(x[0], x[3]) should be True: two views of the same storage share it even where "
            "the elements they select do not overlap"
        )
        copies = {
            "x.clone()": x.clone(),
            "x.T.contiguous()": x.T.contiguous(),
            "x.T.reshape(-1) (non-contiguous input: reshape must copy)": x.T.reshape(-1),
            "x.to(torch.float64)": x.to(torch.float64),
            "x + 0": x + 0,
            "torch.arange(24.0).view(4, 6) (equal values, separate memory)": torch.arange(24.0).view(4, 6),
        }
        for name, c in copies.items():
            assert ex.shares_storage(c, x) is False, f"shares_storage({name}, x) should be False: it is a copy"

    def test_sliding_windows_is_a_view_with_the_same_values_as_unfold(self):
        ex = lab.exercise(1)
        y = torch.randn(40)
        inputs = {
            "a contiguous tensor of length 12": y[:12],
            "y[5:] (a storage offset of 5)": y[5:20],
            "y[3::3] (stride 3 and an offset)": y[3::3],
        }
        for name, x in inputs.items():
            n = x.shape[0]
            for window in sorted({1, 2, min(4, n), n}):
                expected = x.unfold(0, window, 1).clone()
                with forbid("torch.Tensor.unfold", "aten.unfold", why="Exercise 1.4 asks you to build the view with as_strided"):
                    got = ex.sliding_windows(x, window)
                assert tuple(got.shape) == (n - window + 1, window), (
                    f"sliding_windows({name}, {window}) has shape {tuple(got.shape)}; expected {(n - window + 1, window)}"
                )
                assert torch.equal(got, expected), (
                    f"sliding_windows({name}, {window}) has the wrong values: row i must equal x[i : i + {window}]"
                )
                assert same_storage(got, x), f"sliding_windows({name}, {window}) copied the data; it must be a view"
                got[-1, -1] = 1234.0
                assert x[-1].item() == 1234.0, (
                    f"writing to sliding_windows({name}, {window})[-1, -1] did not change x[-1]: not a view of x"
                )

    def test_sliding_windows_rejects_windows_longer_than_the_input_or_empty(self):
        ex = lab.exercise(1)
        x = torch.arange(5.0)
        for window in (0, 6):
            try:
                got = ex.sliding_windows(x, window)
            except ValueError:
                continue
            pytest.fail(
                f"sliding_windows(x of length 5, window={window}) should raise ValueError but returned shape {tuple(got.shape)}"
            )

    def test_scale_in_place_returns_the_same_tensor_and_writes_through_views(self):
        ex = lab.exercise(1)
        base = torch.arange(12.0).view(3, 4)
        column = base[:, 1]  # a non-contiguous view
        ptr, version = column.data_ptr(), column._version
        out = ex.scale_(column, 2.5)
        assert out is column, "scale_(x, s) must return x itself (the same Python object), not a new tensor"
        assert column.data_ptr() == ptr, "scale_(x, s) moved x to new memory; an in-place op keeps x.data_ptr()"
        assert column._version > version, "scale_(x, s) did not modify x in place (x._version did not go up)"
        expected = torch.arange(12.0).view(3, 4)
        expected[:, 1] *= 2.5
        close(base, expected, "scale_(base[:, 1], 2.5) should scale column 1 of base and leave the other columns alone")

    def test_scaled_returns_a_new_tensor_and_leaves_the_input_untouched(self):
        ex = lab.exercise(1)
        x = torch.randn(4, 5)
        before, version = x.clone(), x._version
        out = ex.scaled(x, -3.0)
        close(out, before * -3.0, "scaled(x, -3.0) should return x * -3.0")
        assert torch.equal(x, before) and x._version == version, "scaled(x, s) modified its input x"
        assert not same_storage(out, x), "scaled(x, s) returned a tensor sharing memory with x; it must be new"

    def test_scaled_keeps_the_dtype_and_works_on_a_non_contiguous_view(self):
        ex = lab.exercise(1)
        base = torch.randn(4, 6, dtype=torch.float64)
        inputs = {
            "a float64 tensor": torch.randn(3, 2, dtype=torch.float64),
            "a float16 tensor": torch.randn(5).half(),
            "a non-contiguous float64 view base.T[:, ::2]": base.T[:, ::2],
        }
        for name, x in inputs.items():
            before = x.clone()
            out = ex.scaled(x, 0.5)
            assert out.dtype == x.dtype and tuple(out.shape) == tuple(x.shape), (
                f"scaled({name}, 0.5) returned dtype {out.dtype}, shape {tuple(out.shape)}; it must keep x's dtype {x.dtype} "
                f"and shape {tuple(x.shape)}"
            )
            close(out, before * 0.5, f"scaled({name}, 0.5) should return x * 0.5")
            assert torch.equal(x, before), f"scaled({name}, 0.5) modified its input x"
        assert base._version == 0, "scaled(base.T[:, ::2], s) wrote into base, the tensor the view belongs to"

    def test_numpy_bridge_shares_memory_one_way_and_copies_the_other(self):
        ex = lab.exercise(1)
        for dtype in (np.float64, np.int32):
            a = np.arange(6, dtype=dtype).reshape(2, 3)
            t = ex.from_numpy_shared(a)
            assert isinstance(t, torch.Tensor) and tuple(t.shape) == (2, 3), "from_numpy_shared(a) should return a (2, 3) tensor"
            assert t.dtype == torch.from_numpy(a).dtype, (
                f"from_numpy_shared(a) of a {np.dtype(dtype).name} array returned {t.dtype}; the dtype must be kept"
            )
            a[0, 0] = 42
            assert t[0, 0].item() == 42, "from_numpy_shared(a): after a[0, 0] = 42 the tensor still differs: it copied"
            t[1, 2] = -7
            assert a[1, 2] == -7, "from_numpy_shared(a): writing into the tensor did not change the array"

        w = torch.randn(3, 2, requires_grad=True)
        sources = {"a tensor with requires_grad=True": w}
        if torch.cuda.is_available():
            sources["a CUDA tensor"] = torch.randn(3, 2, device="cuda")
        for name, t in sources.items():
            arr = ex.to_numpy_copy(t)
            assert isinstance(arr, np.ndarray), f"to_numpy_copy({name}) returned a {type(arr).__name__}, not a numpy array"
            expected = t.detach().cpu().numpy().copy()
            assert arr.dtype == expected.dtype and arr.shape == expected.shape, (
                f"to_numpy_copy({name}) gave dtype {arr.dtype}, shape {arr.shape}; expected {expected.dtype}, {expected.shape}"
            )
            np.testing.assert_array_equal(arr, expected, err_msg=f"to_numpy_copy({name}) has the wrong values")
            arr[0, 0] = 1e6
            assert t[0, 0].item() != 1e6, f"to_numpy_copy({name}): writing to the array changed the tensor (shared memory)"
            with torch.no_grad():
                t[1, 1] = -1e6
            assert arr[1, 1] != -1e6, f"to_numpy_copy({name}): writing to the tensor changed the array (shared memory)"


# ---------------------------------------------------------------------------------------------
# Exercise 2: broadcasting
# ---------------------------------------------------------------------------------------------

BY_BROADCASTING = dict(why="Exercise 2.2 asks you to compute the distances with broadcasting")
NO_CDIST = ("torch.cdist", "torch.nn.functional.pairwise_distance", "torch.nn.functional.pdist",
            "aten.cdist", "aten._cdist_forward", "aten._euclidean_dist", "aten.pdist", "aten._pdist_forward")

NO_MATMUL = ("torch.matmul", "torch.bmm", "torch.Tensor.matmul", "torch.Tensor.__matmul__", "torch.Tensor.bmm",
             "torch.nn.functional.scaled_dot_product_attention")

BY_HAND_BROADCAST = dict(why="Exercise 2.1 asks you to apply the broadcasting rule by hand")
BROADCAST_SHORTCUTS = ("torch.broadcast_shapes", "numpy.broadcast_shapes", "torch.broadcast_tensors", "numpy.broadcast")


def random_compatible_shapes(rng: random.Random) -> tuple[tuple[int, ...], ...]:
    """A few shapes that broadcast together: suffixes of one shape with some sizes replaced by 1."""
    full = [rng.choice([0, 1, 2, 3, 5]) if rng.random() < 0.15 else rng.choice([1, 2, 3, 5]) for _ in range(rng.randint(0, 5))]
    shapes = []
    for _ in range(rng.randint(1, 4)):
        kept = full[len(full) - rng.randint(0, len(full)):] if full else []
        shapes.append(tuple(1 if rng.random() < 0.4 else s for s in kept))
    return tuple(shapes)


@pytest.mark.exercise(2)
class TestBroadcasting:
    def test_broadcast_shape_matches_torch_on_random_compatible_shapes(self):
        ex = lab.exercise(2)
        rng = random.Random(0)
        for _ in range(300):
            shapes = random_compatible_shapes(rng)
            expected = tuple(torch.broadcast_shapes(*shapes))
            with forbid(*BROADCAST_SHORTCUTS, **BY_HAND_BROADCAST):
                got = ex.broadcast_shape(*shapes)
            assert got == expected and isinstance(got, tuple), (
                f"broadcast_shape{shapes} returned {got!r}; torch.broadcast_shapes gives {expected}"
            )

    def test_broadcast_shape_edge_cases_scalars_ones_and_zero_sizes(self):
        ex = lab.exercise(2)
        cases = [
            (((8, 1, 6, 1), (7, 1, 5)), (8, 7, 6, 5)),
            (((3,), ()), (3,)),
            (((), ()), ()),
            (((0, 1), (1, 4)), (0, 4)),
            (((1,), (0,)), (0,)),
            (((2, 1, 3),), (2, 1, 3)),
            (((5, 1, 4), (3, 1), (1,), ()), (5, 3, 4)),
            ((), ()),
        ]
        for shapes, expected in cases:
            with forbid(*BROADCAST_SHORTCUTS, **BY_HAND_BROADCAST):
                got = ex.broadcast_shape(*shapes)
            assert got == expected, f"broadcast_shape{shapes} returned {got!r}; expected {expected}"

    def test_incompatible_shapes_raise_value_error(self):
        ex = lab.exercise(2)
        cases = [
            (((2, 3), (3, 1)), "3 vs 2 in dim -2"),
            (((3,), (4,)), "3 vs 4 in dim -1"),
            (((0,), (5,)), "0 vs 5 in dim -1: 0 is not 1"),
            (((2, 1), (8, 4, 3)), "2 vs 4 in dim -2"),
            (((1, 3), (2, 1), (4, 3)), "2 vs 4 in dim -2, only visible with the third shape"),
        ]
        for shapes, reason in cases:
            try:
                with forbid(*BROADCAST_SHORTCUTS, **BY_HAND_BROADCAST):
                    got = ex.broadcast_shape(*shapes)
            except ValueError:
                continue
            pytest.fail(f"broadcast_shape{shapes} should raise ValueError ({reason} are incompatible) but returned {got!r}")

    def test_the_value_error_names_the_two_sizes_that_clash(self):
        ex = lab.exercise(2)
        with pytest.raises(ValueError) as info:
            with forbid(*BROADCAST_SHORTCUTS, **BY_HAND_BROADCAST):
                ex.broadcast_shape((6, 7, 4), (5, 1))
        message = str(info.value)
        assert "7" in message and "5" in message, (
            f"broadcast_shape((6, 7, 4), (5, 1)) raised ValueError({message!r}); the message should name the two sizes "
            "that clash (7 and 5) and the dim where they meet"
        )

    def test_pairwise_distances_match_cdist_on_random_shapes(self):
        ex = lab.exercise(2)
        for n, m, d, dtype in [(7, 5, 3, torch.float32), (1, 9, 1, torch.float32), (30, 20, 16, torch.float32),
                               (12, 1, 4, torch.float64), (0, 4, 3, torch.float32)]:
            x, y = torch.randn(n, d, dtype=dtype), torch.randn(m, d, dtype=dtype)
            expected = torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist")
            with forbid(*NO_CDIST, **BY_BROADCASTING):
                got = ex.pairwise_distances(x, y)
            close(got, expected, f"pairwise_distances(x {tuple(x.shape)}, y {tuple(y.shape)}, {dtype}) differs from torch.cdist",
                  rtol=1e-4, atol=1e-4)

    def test_pairwise_distances_of_a_set_with_itself_are_zero_on_the_diagonal_and_never_nan(self):
        ex = lab.exercise(2)
        x = torch.randn(40, 8, dtype=torch.float64) * 10
        with forbid(*NO_CDIST, **BY_BROADCASTING):
            d = ex.pairwise_distances(x, x)
        assert not d.isnan().any(), "pairwise_distances(x, x) contains NaN (sqrt of a slightly negative number?)"
        assert (d.diagonal() == 0).all(), (
            f"pairwise_distances(x, x) should be exactly 0 on the diagonal (float64); the largest diagonal entry is "
            f"{d.diagonal().max().item():.3g}. Expanding |x|^2 + |y|^2 - 2 x.y leaves rounding error there: subtract "
            "the rows and square the differences instead"
        )
        close(d, d.T, "pairwise_distances(x, x) should be symmetric")
        x32 = torch.randn(30, 8).repeat(2, 1) * 30  # every row appears twice
        with forbid(*NO_CDIST, **BY_BROADCASTING):
            d32 = ex.pairwise_distances(x32, x32)
        assert not d32.isnan().any() and (d32 >= 0).all(), (
            "pairwise_distances(x, x) in float32, with repeated rows, contains NaN or negative entries"
        )
        idx = torch.arange(60)
        twins = torch.cat([d32[idx, idx], d32[idx[:30], idx[:30] + 30], d32[idx[30:], idx[30:] - 30]])
        assert (twins == 0).all(), (
            f"pairwise_distances(x, x) in float32 gives {twins.max().item():.3g} (not exactly 0) between two identical rows: "
            "the distance between equal rows must be exactly 0 (subtract the rows rather than expanding the square)"
        )

    def test_gather_target_scores_picks_one_score_per_row_and_routes_gradients_there(self):
        ex = lab.exercise(2)
        for n, c in [(6, 4), (1, 1), (9, 10)]:
            scores = torch.randn(n, c, requires_grad=True)
            target = torch.randint(0, c, (n,))
            got = ex.gather_target_scores(scores, target)
            close(got, scores.detach()[torch.arange(n), target], f"gather_target_scores(scores {(n, c)}, target) picked the wrong scores")
            got.sum().backward()
            close(scores.grad, F.one_hot(target, c).float(),
                  "the gradient of gather_target_scores(...).sum() should be 1 at each row's target and 0 elsewhere")

    def test_masked_mean_matches_a_loop_over_rows_and_gives_zero_for_empty_rows(self):
        ex = lab.exercise(2)
        x = torch.randn(6, 7)
        mask = torch.rand(6, 7) < 0.5
        mask[2] = False  # a row with nothing selected
        mask[4] = True
        for dim in (1, 0, -1):
            rows = x if dim != 0 else x.T
            rmask = mask if dim != 0 else mask.T
            expected = torch.stack([r[m].mean() if m.any() else torch.tensor(0.0) for r, m in zip(rows, rmask)])
            x_before, mask_before = x.clone(), mask.clone()
            got = ex.masked_mean(x, mask, dim)
            assert torch.equal(x, x_before) and torch.equal(mask, mask_before), (
                f"masked_mean(x, mask, dim={dim}) modified its input x or mask in place; it must leave them unchanged"
            )
            close(got, expected, f"masked_mean(x (6, 7), mask, dim={dim}) is wrong (an all-False row must give 0)")
        rows_mask = torch.tensor([[True], [False], [True], [True]])  # (4, 1): whole rows in or out
        x2 = torch.randn(4, 5)
        expected = torch.stack([r.mean() if m else torch.tensor(0.0) for r, m in zip(x2, rows_mask[:, 0])])
        close(ex.masked_mean(x2, rows_mask, 1), expected,
              "masked_mean(x (4, 5), mask (4, 1), dim=1) is wrong: a True row selects all 5 entries, so count 5, not 1")
        x3 = torch.randn(3, 5, 4)  # (batch, time, features) with a (batch, time, 1) mask
        m3 = torch.rand(3, 5, 1) < 0.6
        m3[1] = False
        expected = torch.stack([x3[b][m3[b, :, 0]].mean(0) if m3[b].any() else torch.zeros(4) for b in range(3)])
        close(ex.masked_mean(x3, m3, 1), expected,
              "masked_mean(x (3, 5, 4), mask (3, 5, 1), dim=1) is wrong: the mask must broadcast over the last dim")

    def test_masked_mean_ignores_inf_and_nan_in_masked_entries_and_their_gradient(self):
        ex = lab.exercise(2)
        x = torch.tensor([[1.0, 2.0, float("inf"), 3.0], [float("nan"), 4.0, 0.0, float("-inf")], [float("nan")] * 4])
        mask = torch.tensor([[True, True, False, True], [False, True, True, False], [False] * 4])
        x.requires_grad_(True)
        got = ex.masked_mean(x, mask, 1)
        close(got.detach(), torch.tensor([2.0, 2.0, 0.0]),
              "masked_mean must ignore inf/NaN where mask is False (x * mask turns inf * 0 into NaN)")
        got.sum().backward()
        expected_grad = torch.tensor([[1 / 3, 1 / 3, 0, 1 / 3], [0, 0.5, 0.5, 0], [0, 0, 0, 0]])
        close(x.grad, expected_grad, "the gradient of masked_mean(...).sum() should be 1/count at selected entries and 0 (not NaN) elsewhere")

    def test_attention_scores_match_matmul_on_random_shapes(self, monkeypatch):
        ex = lab.exercise(2)
        einsum_calls = []
        real_einsum = torch.einsum

        def spy(*args, **kwargs):
            einsum_calls.append(args[0] if args else kwargs.get("equation"))
            return real_einsum(*args, **kwargs)

        monkeypatch.setattr(torch, "einsum", spy)
        for b, h, t, s_, d in [(2, 3, 5, 7, 4), (1, 1, 1, 1, 1), (3, 2, 6, 6, 16), (2, 4, 9, 3, 5)]:
            q = torch.randn(b, h, t, d, dtype=torch.float64)
            k = torch.randn(b, h, s_, d, dtype=torch.float64)
            expected = q @ k.transpose(-2, -1) / math.sqrt(d)
            with forbid(*NO_MATMUL, why="Exercise 2.5 asks for the scores as one torch.einsum call"):
                got = ex.attention_scores(q, k)
            assert tuple(got.shape) == (b, h, t, s_), (
                f"attention_scores(q {tuple(q.shape)}, k {tuple(k.shape)}) has shape {tuple(got.shape)}; expected "
                f"(B, H, T, S) = {(b, h, t, s_)}: the output letters must be in the order b h t s"
            )
            close(got, expected, f"attention_scores(q {tuple(q.shape)}, k {tuple(k.shape)}) differs from "
                                 f"q @ k.transpose(-2, -1) / sqrt({d})")
        assert einsum_calls, "attention_scores never called torch.einsum: Exercise 2.5 asks for the product as an einsum"

    def test_attention_scores_keep_the_dtype_and_scale_by_the_square_root_of_d(self):
        ex = lab.exercise(2)
        q, k = torch.ones(1, 1, 2, 9), torch.ones(1, 1, 3, 9)
        got = ex.attention_scores(q, k)
        assert got.dtype == torch.float32, f"attention_scores of float32 inputs returned {got.dtype}"
        close(got, torch.full((1, 1, 2, 3), 3.0),
              "attention_scores of all-ones q and k with D = 9 should be 9 / sqrt(9) = 3 everywhere (scale by 1/sqrt(D), "
              "not 1/D and not 1)")


# ---------------------------------------------------------------------------------------------
# Exercise 3: autograd
# ---------------------------------------------------------------------------------------------


@pytest.mark.exercise(3)
class TestAutograd:
    def test_hand_derived_tanh_regression_gradients_match_autograd(self):
        ex = lab.exercise(3)
        for n, d, k in [(16, 5, 3), (1, 1, 1), (40, 2, 4)]:
            x, w, b, y = (torch.randn(*s, dtype=torch.float64) for s in [(n, d), (d, k), (k,), (n, k)])
            with forbid(*NO_AUTOGRAD, why="Exercise 3.1 asks you to derive the gradient by hand"):
                loss, dw, db = ex.tanh_regression_grads(x, w, b, y)
            wr, br = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
            ref = ((torch.tanh(x @ wr + br) - y) ** 2).mean()
            rdw, rdb = torch.autograd.grad(ref, (wr, br))
            close(loss, ref.detach(), f"tanh_regression_grads with N, D, K = {n}, {d}, {k}: the loss is wrong")
            close(dw, rdw, f"tanh_regression_grads with N, D, K = {n}, {d}, {k}: dloss/dw differs from autograd")
            close(db, rdb, f"tanh_regression_grads with N, D, K = {n}, {d}, {k}: dloss/db differs from autograd")

    def test_accumulated_gradient_equals_the_full_batch_gradient_for_unequal_chunks(self):
        ex = lab.exercise(3)
        x, y = torch.randn(12, 3, dtype=torch.float64), torch.randn(12, dtype=torch.float64)
        w = torch.randn(3, dtype=torch.float64, requires_grad=True)
        calls = []

        def loss_fn(w_, x_, y_):
            calls.append(len(x_))
            return ((torch.tanh(x_ @ w_) - y_) ** 2).mean()

        (expected,) = torch.autograd.grad(((torch.tanh(x @ w) - y) ** 2).mean(), w)
        w.grad = torch.full_like(w, 100.0)  # stale gradient from an earlier step
        chunks = [(x[:1], y[:1]), (x[1:5], y[1:5]), (x[5:], y[5:])]
        with forbid("torch.cat", "torch.concat", "torch.concatenate",
                    why="Exercise 3.2 accumulates gradients chunk by chunk instead of concatenating the chunks"):
            got = ex.accumulate_gradients(w, chunks, loss_fn)
        assert calls == [1, 4, 7], f"accumulate_gradients should call loss_fn once per chunk (sizes 1, 4, 7); it was called on sizes {calls}"
        close(got, expected, "accumulate_gradients over chunks of 1, 4 and 7 samples (w.grad held a stale value of 100) "
                             "should equal the gradient of the mean loss over all 12 samples")
        close(w.grad, expected, "after accumulate_gradients, w.grad should hold the full-batch gradient")
        w.grad = None  # the first call of a training run: no gradient yet
        try:
            got = ex.accumulate_gradients(w, chunks, loss_fn)
        except AttributeError as err:
            pytest.fail(f"accumulate_gradients with w.grad = None (no earlier gradient) raised AttributeError ({err}): "
                        "w.grad may be None, so clear it with w.grad = None rather than w.grad.zero_()")
        close(got, expected, "accumulate_gradients with w.grad = None (no earlier gradient) should still return the "
                             "full-batch gradient; w.grad may be None, so w.grad.zero_() is not enough to clear it")

    def test_two_losses_sharing_one_forward_pass_get_their_own_gradients(self):
        ex = lab.exercise(3)
        x = torch.randn(8, 4, dtype=torch.float64)
        w = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        trunk_calls = []

        def trunk(w_):
            trunk_calls.append(1)
            return torch.tanh(x @ w_).exp()  # tanh and exp save tensors for backward

        def head1(h):
            return h.pow(2).mean()

        def head2(h):
            return h[:, 0].sum()

        g1, g2 = ex.grads_of_two_losses(w, trunk, head1, head2)
        assert len(trunk_calls) == 1, f"grads_of_two_losses should run trunk(w) once and reuse h; it ran {len(trunk_calls)} times"
        (r1,) = torch.autograd.grad(head1(trunk(w)), w)
        (r2,) = torch.autograd.grad(head2(trunk(w)), w)
        close(g1, r1, "grads_of_two_losses: the first gradient should be dloss1/dw alone")
        close(g2, r2, "grads_of_two_losses: the second gradient should be dloss2/dw alone (not dloss1/dw + dloss2/dw)")

    def test_ema_update_is_in_place_and_records_no_graph(self):
        ex = lab.exercise(3)
        leaf = torch.randn(3, 2, requires_grad=True)
        online = [leaf * 2.0, torch.randn(4, requires_grad=True)]  # one non-leaf, part of a graph
        target = [torch.zeros(3, 2, requires_grad=True), torch.ones(4)]
        ptrs = [t.data_ptr() for t in target]
        objs = list(target)
        expected = [t.detach().clone() for t in target]
        for _ in range(2):
            ex.ema_update_(target, online, 0.9)
            expected = [0.9 * e + 0.1 * o.detach() for e, o in zip(expected, online)]
        for i, (t, want) in enumerate(zip(target, expected)):
            assert t is objs[i] and t.data_ptr() == ptrs[i], f"ema_update_ replaced target[{i}]; it must update it in place"
            close(t.detach(), want, f"after two ema_update_(decay=0.9) calls target[{i}] should be 0.81 * t0 + 0.19 * online")
            assert t.grad_fn is None and t.is_leaf, (
                f"after ema_update_, target[{i}] has grad_fn {t.grad_fn}: the update was recorded by autograd (use torch.no_grad())"
            )
        assert target[0].requires_grad and not target[1].requires_grad, "ema_update_ changed requires_grad of a target tensor"

    def test_stable_softplus_backward_passes_gradcheck_in_float64(self):
        ex = lab.exercise(3)
        x = torch.cat([torch.randn(20, dtype=torch.float64) * 3, torch.tensor([-30.0, -5.0, 5.0, 30.0], dtype=torch.float64)])
        x.requires_grad_(True)
        ok = torch.autograd.gradcheck(ex.StableSoftplus.apply, (x,), raise_exception=False)
        assert ok, "torch.autograd.gradcheck rejects StableSoftplus: its backward disagrees with finite differences of its forward"

    def test_stable_softplus_matches_softplus_at_extreme_values_without_overflow(self):
        ex = lab.exercise(3)
        x = torch.cat([torch.randn(50) * 40, torch.tensor([-1000.0, -89.0, -20.0, 0.0, 20.0, 89.0, 1000.0])])
        x.requires_grad_(True)
        grad_output = torch.rand_like(x) * 4 - 2
        with forbid("torch.nn.functional.softplus", why="Exercise 3.5 asks you to write softplus yourself"):
            y = ex.StableSoftplus.apply(x)
            y.backward(grad_output)
        expected = F.softplus(x.detach().double()).float()  # float64 reference, cast back
        assert torch.isfinite(y).all(), f"StableSoftplus gives non-finite values at x = {x.detach()[~torch.isfinite(y)].tolist()}"
        close(y.detach(), expected, "StableSoftplus forward differs from softplus(x) = log(1 + exp(x)) (float32, |x| up to 1000)",
              rtol=1e-5, atol=1e-6)
        close(x.grad, grad_output * torch.sigmoid(x.detach()),
              "StableSoftplus backward should give grad_output * sigmoid(x) (multiply by the grad_output it receives)")

    def test_stable_softplus_keeps_full_relative_precision_for_very_negative_x(self):
        ex = lab.exercise(3)
        for dtype, values in [(torch.float32, [-15.0, -17.0, -20.0, -30.0, -50.0, -80.0]),
                              (torch.float64, [-37.0, -40.0, -100.0, -700.0])]:
            x = torch.tensor(values, dtype=dtype)
            with forbid("torch.nn.functional.softplus", why="Exercise 3.5 asks you to write softplus yourself"):
                y = ex.StableSoftplus.apply(x)
            expected = F.softplus(x.double(), threshold=1e9).to(dtype)  # = exp(x) to many digits here
            close(y, expected, rtol=1e-5, atol=0.0,
                  what=f"StableSoftplus at x = {values} ({dtype}) should be about exp(x), a tiny positive number, to 5 "
                       "significant digits: log(1 + exp(-|x|)) rounds 1 + exp(-|x|) to 1 and gives 0; log1p keeps the digits")

    def test_hvp_leaves_its_input_x_and_its_grad_alone(self):
        ex = lab.exercise(3)
        f = lambda t: t.pow(3).sum()  # noqa: E731
        v = torch.randn(4, dtype=torch.float64)
        x = torch.randn(4, dtype=torch.float64)
        x_before = x.clone()
        got = ex.hvp(f, x, v)
        close(got, 6 * x_before * v, "hvp of f(x) = sum(x^3) should be 6 x * v (the first gradient must be taken with "
                                     "create_graph=True, so that it can be differentiated again)")
        assert not x.requires_grad and torch.equal(x, x_before), (
            "hvp(f, x, v) changed the caller's x (it now requires grad, or its values changed): work on a fresh leaf, "
            "x.detach().requires_grad_()"
        )
        w = torch.randn(4, dtype=torch.float64, requires_grad=True)
        w.grad = torch.full_like(w, 7.0)
        got = ex.hvp(f, w, v)
        close(got, 6 * w.detach() * v, "hvp of f(x) = sum(x^3) at an x that requires grad should be 6 x * v")
        assert torch.equal(w.grad, torch.full_like(w, 7.0)), (
            "hvp(f, x, v) changed x.grad of the caller's x: use torch.autograd.grad, which returns gradients "
            "instead of adding them into .grad"
        )

    def test_hvp_by_double_backward_matches_torch_autograd_functional_hvp(self):
        ex = lab.exercise(3)
        A = torch.randn(5, 5, dtype=torch.float64)
        S = A + A.T
        functions = {
            "f(x) = 0.5 x^T S x (Hessian S)": (lambda t: 0.5 * t @ S @ t, (5,)),
            "f(x) = sum(tanh(x @ A)^2) + sum(x^3)": (lambda t: torch.tanh(t @ A).pow(2).sum() + t.pow(3).sum(), (3, 5)),
            "f(x) = logsumexp(x) * sum(x^2)": (lambda t: torch.logsumexp(t.flatten(), 0) * t.pow(2).sum(), (2, 2, 3)),
            "f(x) = sum(3 x) (linear: Hessian 0)": (lambda t: (3.0 * t).sum(), (4,)),
        }
        for name, (f, shape) in functions.items():
            x, v = torch.randn(shape, dtype=torch.float64), torch.randn(shape, dtype=torch.float64)
            expected = torch.autograd.functional.hvp(f, x, v)[1]
            with forbid("torch.autograd.functional.hvp", "torch.autograd.functional.vhp", "torch.autograd.functional.hessian",
                        "torch.autograd.functional.jacobian", why="Exercise 3.7 asks for the HVP by double backward"):
                got = ex.hvp(f, x, v)
            close(got, expected, f"hvp for {name}, x of shape {shape}, differs from torch.autograd.functional.hvp")
            assert not got.requires_grad, f"hvp for {name} returned a tensor still attached to a graph (detach it)"

    def test_hvp_by_double_backward_agrees_with_forward_over_reverse(self):
        ex = lab.exercise(3)
        A = torch.randn(6, 6, dtype=torch.float64)
        f = lambda t: torch.tanh(t @ A).pow(2).sum() + t.pow(3).sum()  # noqa: E731
        x, v = torch.randn(3, 6, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
        _, expected = torch.func.jvp(torch.func.grad(f), (x,), (v,))  # Pearlmutter's R-operator: jvp of the gradient
        got = ex.hvp(f, x, v)
        close(got, expected, "hvp(f, x, v) differs from torch.func.jvp(torch.func.grad(f), (x,), (v,)), the same "
                             "Hessian-vector product computed forward over reverse")

    def test_per_sample_grads_match_a_loop_of_autograd_grad(self):
        ex = lab.exercise(3)

        def mse(w_, xi, yi):
            return (torch.tanh(xi @ w_) - yi).pow(2).mean()

        def logistic(w_, xi, yi):
            z = xi @ w_
            return z.clamp(min=0) + torch.log1p(torch.exp(-z.abs())) - yi * z

        cases = {
            "a tanh regression, w (4, 3), x (7, 4), y (7, 3)": (mse, (4, 3), (7, 4), (7, 3)),
            "a logistic regression, w (5,), x (9, 5), y (9,)": (logistic, (5,), (9, 5), (9,)),
            "one sample, w (2,), x (1, 2), y (1,)": (logistic, (2,), (1, 2), (1,)),
        }
        for name, (fn, w_shape, x_shape, y_shape) in cases.items():
            w = torch.randn(w_shape, dtype=torch.float64, requires_grad=True)
            x = torch.randn(x_shape, dtype=torch.float64)
            y = torch.randn(y_shape, dtype=torch.float64) if fn is mse else (torch.rand(y_shape) < 0.5).double()
            expected = torch.stack([torch.autograd.grad(fn(w, x[i], y[i]), w)[0] for i in range(x.shape[0])])
            got = ex.per_sample_grads(fn, w, x, y)
            assert tuple(got.shape) == tuple(expected.shape), (
                f"per_sample_grads for {name} has shape {tuple(got.shape)}; expected (N, *w.shape) = {tuple(expected.shape)}"
            )
            close(got, expected, f"per_sample_grads for {name}: out[i] should be the gradient of sample i's own loss "
                                 "with respect to w (compared with a loop of torch.autograd.grad)")

    def test_per_sample_grads_calls_loss_fn_once_and_leaves_w_alone(self):
        ex = lab.exercise(3)
        calls = []

        def loss_fn(w_, xi, yi):
            calls.append(1)
            return (xi @ w_ - yi).pow(2)

        w = torch.randn(3, dtype=torch.float64, requires_grad=True)
        w.grad = torch.full_like(w, 5.0)
        w_before = w.detach().clone()
        x, y = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
        got = ex.per_sample_grads(loss_fn, w, x, y)
        assert len(calls) == 1, (
            f"per_sample_grads called loss_fn {len(calls)} times for 6 samples; torch.func.vmap runs it once on the whole "
            "batch (a loop over the samples calls it N times)"
        )
        close(got.detach(), 2 * (x @ w_before - y)[:, None] * x,
              "per_sample_grads of (x_i . w - y_i)^2 should be 2 (x_i . w - y_i) x_i for every sample i")
        assert not got.requires_grad, "per_sample_grads returned a tensor attached to a graph (give vmap w.detach())"
        assert torch.equal(w.detach(), w_before) and torch.equal(w.grad, torch.full_like(w, 5.0)), (
            "per_sample_grads changed w or w.grad: it must return the gradients, not add them into w.grad"
        )


# ---------------------------------------------------------------------------------------------
# Exercise 4: micrograd
# ---------------------------------------------------------------------------------------------


def _t(v: float) -> torch.Tensor:
    return torch.tensor(v, dtype=torch.float64, requires_grad=True)


def _tgrad(t: torch.Tensor) -> float:
    return 0.0 if t.grad is None else t.grad.item()


def random_expression(rng: random.Random, n_leaves: int, n_ops: int):
    """Build the same random expression twice, with Value and with float64 tensors.

    Returns a function ``build(make_leaf) -> (leaves, output)``; intermediate nodes are reused
    (so some are used several times) and every op keeps its input in its domain.
    """
    unary = [
        ("{0}.tanh()", lambda a: a.tanh()), ("{0}.relu()", lambda a: a.relu()),
        ("{0}.tanh().exp()", lambda a: a.tanh().exp()), ("({0} * {0} + 0.5).log()", lambda a: (a * a + 0.5).log()),
        ("{0} ** 2", lambda a: a ** 2), ("{0} ** 3", lambda a: a ** 3),
        ("({0} * {0} + 1) ** 0.5", lambda a: (a * a + 1) ** 0.5), ("({0} * {0} + 1) ** -1.5", lambda a: (a * a + 1) ** -1.5),
        ("-{0}", lambda a: -a), ("2.5 - {0}", lambda a: 2.5 - a), ("3 / ({0} * {0} + 1)", lambda a: 3 / (a * a + 1)),
        ("{0} / 4", lambda a: a / 4), ("0.5 * {0} + 1", lambda a: 0.5 * a + 1),
    ]
    binary = [("{0} + {1}", lambda a, b: a + b), ("{0} - {1}", lambda a, b: a - b), ("{0} * {1}", lambda a, b: a * b),
              ("{0} / ({1} * {1} + 1)", lambda a, b: a / (b * b + 1))]
    plan = []
    for step in range(n_ops):
        pool = n_leaves + step
        if rng.random() < 0.5:
            plan.append((rng.choice(unary), (rng.randrange(pool),)))
        else:
            plan.append((rng.choice(binary), (rng.randrange(pool), rng.randrange(pool))))
    data = [rng.uniform(-2, 2) for _ in range(n_leaves)]

    def build(make_leaf, program=None):
        """Evaluate the plan; if ``program`` is a list, append the expression to it as Python lines."""
        leaves = [make_leaf(v) for v in data]
        nodes = list(leaves)
        lines = [f"n{i} = Value({v!r})" for i, v in enumerate(data)]
        for (text, op), args in plan:
            node = op(*(nodes[i] for i in args))
            expr = text.format(*(f"n{i}" for i in args))
            value = node.item() if isinstance(node, torch.Tensor) else node.data
            if abs(value) > 50:  # keep values tame
                node, expr = node.tanh(), f"({expr}).tanh()"
            lines.append(f"n{len(nodes)} = {expr}")
            nodes.append(node)
        k = len(nodes)
        lines.append(f"out = n{k - 1} + n{k - 2} * n{k - 3}")
        if program is not None:
            program.extend(lines)
        return leaves, nodes[-1] + nodes[-2] * nodes[-3]

    return build


@pytest.mark.exercise(4)
class TestMicrograd:
    def test_worked_example_tanh_of_a_times_b_plus_c_matches_torch(self):
        Value = lab.exercise(4).Value
        a, b, c = Value(2.0), Value(-3.0), Value(10.0)
        L = (a * b + c).tanh()
        L.backward()
        ta, tb, tc = _t(2.0), _t(-3.0), _t(10.0)
        tL = torch.tanh(ta * tb + tc)
        tL.backward()
        assert math.isclose(L.data, tL.item(), rel_tol=1e-12), f"L = tanh(2 * -3 + 10) is {L.data}; expected {tL.item()}"
        for name, v, t in [("a", a, ta), ("b", b, tb), ("c", c, tc)]:
            assert math.isclose(v.grad, t.grad.item(), rel_tol=1e-9), f"dL/d{name} is {v.grad}; torch gives {t.grad.item()}"
        assert L.grad == 1.0, f"after L.backward(), L.grad should be 1.0 (dL/dL); it is {L.grad}"

    def test_every_operation_and_its_derivative_match_torch_with_numbers_on_either_side(self):
        Value = lab.exercise(4).Value
        cases = {
            "x + y": lambda x, y: x + y, "x - y": lambda x, y: x - y, "x * y": lambda x, y: x * y,
            "x / y": lambda x, y: x / y, "x + 3 (a number on the right)": lambda x, y: x + 3,
            "3 + x (radd)": lambda x, y: 3 + x, "x - 2.5": lambda x, y: x - 2.5, "2.5 - x (rsub)": lambda x, y: 2.5 - x,
            "4 * x (rmul)": lambda x, y: 4 * x, "x / 4": lambda x, y: x / 4, "2 / x (rtruediv)": lambda x, y: 2 / x,
            "-x": lambda x, y: -x, "x ** 2": lambda x, y: x ** 2, "x ** 3 (int)": lambda x, y: x ** 3,
            "y ** 0.5": lambda x, y: y ** 0.5, "y ** -1.5": lambda x, y: y ** -1.5, "x.exp()": lambda x, y: x.exp(),
            "y.log()": lambda x, y: y.log(), "x.tanh()": lambda x, y: x.tanh(), "x.relu() at x < 0": lambda x, y: x.relu(),
            "y.relu() at y > 0": lambda x, y: y.relu(),
        }
        for name, f in cases.items():
            x, y = Value(-1.3), Value(2.2)
            out = f(x, y)
            out.backward()
            tx, ty = _t(-1.3), _t(2.2)
            tout = f(tx, ty)
            tout.backward()
            assert math.isclose(out.data, tout.item(), rel_tol=1e-12, abs_tol=1e-12), (
                f"{name} with x = -1.3, y = 2.2 gives {out.data}; torch gives {tout.item()}"
            )
            for var, v, t in [("x", x, tx), ("y", y, ty)]:
                assert math.isclose(v.grad, _tgrad(t), rel_tol=1e-9, abs_tol=1e-12), (
                    f"d({name})/d{var} at x = -1.3, y = 2.2 is {v.grad}; torch gives {_tgrad(t)}"
                )

    def test_relu_derivative_at_exactly_zero_is_zero_like_torch(self):
        Value = lab.exercise(4).Value
        x = Value(0.0)
        out = x.relu() + x * 0.0
        out.backward()
        assert out.data == 0.0 and x.grad == 0.0, f"relu at 0: value {out.data}, derivative {x.grad}; PyTorch gives 0 and 0"

    def test_a_node_used_several_times_accumulates_its_gradient(self):
        Value = lab.exercise(4).Value
        x = Value(3.0)
        y = x * x
        y.backward()
        assert x.grad == 6.0, f"for y = x * x at x = 3, dy/dx should be 2x = 6 (x is used twice); got {x.grad}"
        x = Value(3.0)
        z = x + x
        z.backward()
        assert x.grad == 2.0, f"for z = x + x, dz/dx should be 2; got {x.grad}"
        # A diamond: b and c both depend on a, and d on both; each _backward must run exactly once.
        a = Value(1.5)
        b, c = a * 2.0, a.exp()
        d = b * c + b
        d.backward()
        ta = _t(1.5)
        tb, tc = ta * 2.0, ta.exp()
        (tb * tc + tb).backward()
        assert math.isclose(a.grad, ta.grad.item(), rel_tol=1e-12), (
            f"for d = b * c + b with b = 2a, c = exp(a) at a = 1.5, dd/da should be {ta.grad.item()}; got {a.grad} "
            "(a node whose _backward runs before all its users have contributed, or twice, gives this)"
        )

    def test_backward_of_a_second_output_adds_into_the_leaf_gradients_like_torch(self):
        Value = lab.exercise(4).Value
        x = Value(2.0)
        a, b = x * x, x * 3.0
        a.backward()
        b.backward()
        assert x.grad == 7.0, (
            f"after a = x * x and b = 3 x at x = 2, a.backward() then b.backward() should leave x.grad = 4 + 3 = 7 "
            f"(gradients accumulate, like PyTorch); got {x.grad}. Do not reset the graph's gradients inside backward()"
        )

    def test_random_expressions_match_torch_autograd_in_float64(self):
        Value = lab.exercise(4).Value
        rng = random.Random(0)
        for k in range(60):
            build = random_expression(rng, n_leaves=rng.randint(1, 4), n_ops=rng.randint(3, 15))
            program: list[str] = []
            leaves, out = build(Value, program)
            out.backward()
            tleaves, tout = build(_t)
            tout.backward()
            listing = "\n    ".join(program)
            assert math.isclose(out.data, tout.item(), rel_tol=1e-9, abs_tol=1e-12), (
                f"random expression #{k}: Value gives {out.data}, torch gives {tout.item()}; the expression:\n    {listing}"
            )
            for i, (v, t) in enumerate(zip(leaves, tleaves)):
                assert math.isclose(v.grad, _tgrad(t), rel_tol=1e-7, abs_tol=1e-9), (
                    f"random expression #{k}: d(out)/d(n{i}) is {v.grad}; torch gives {_tgrad(t)}. Nodes used by several "
                    f"others (a wrong order, or a _backward run twice) are the usual cause. Reproduce it:\n    {listing}"
                )

    def test_backward_through_a_10000_deep_chain_does_not_hit_the_recursion_limit(self):
        Value = lab.exercise(4).Value
        x = Value(0.5)
        node = x
        for _ in range(5000):
            node = node * 1.0001 + 0.0001  # two operations per step: 10000 nodes deep
        try:
            node.backward()
        except RecursionError:
            pytest.fail("backward() on a graph 10000 nodes deep raised RecursionError: build the topological order with an explicit stack")
        assert math.isclose(x.grad, 1.0001 ** 5000, rel_tol=1e-9), f"d(out)/dx through the deep chain is {x.grad}; expected 1.0001^5000"


# ---------------------------------------------------------------------------------------------
# Exercise 5: learning from scratch
# ---------------------------------------------------------------------------------------------


def numpy_lstsq(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    A = np.concatenate([X.double().numpy(), np.ones((X.shape[0], 1))], axis=1)
    theta = np.linalg.lstsq(A, y.double().numpy(), rcond=None)[0]
    return torch.from_numpy(theta[:-1]), torch.tensor(theta[-1])


@pytest.mark.exercise(5)
class TestFromScratch:
    def test_closed_form_linear_regression_matches_numpy_least_squares(self):
        ex = lab.exercise(5)
        for n, d, noise in [(50, 3, 0.1), (9, 6, 0.0), (200, 1, 1.0)]:
            X = torch.randn(n, d, dtype=torch.float64) * 3 + 1
            y = X @ torch.randn(d, dtype=torch.float64) - 2.0 + noise * torch.randn(n, dtype=torch.float64)
            w, b = ex.closed_form_linear_regression(X, y)
            rw, rb = numpy_lstsq(X, y)
            assert tuple(w.shape) == (d,) and b.dim() == 0, f"closed_form_linear_regression should return w ({d},) and a 0-d b; got {tuple(w.shape)}, {tuple(b.shape)}"
            close(w, rw, f"closed_form_linear_regression (N={n}, D={d}): w differs from numpy.linalg.lstsq", rtol=1e-6, atol=1e-6)
            close(b, rb, f"closed_form_linear_regression (N={n}, D={d}): b differs from numpy.linalg.lstsq", rtol=1e-6, atol=1e-6)

    def test_gradient_descent_reaches_the_closed_form_solution(self):
        ex = lab.exercise(5)
        X = torch.randn(100, 3)
        y = X @ torch.tensor([1.5, -2.0, 0.7]) + 0.4 + 0.3 * torch.randn(100)
        with forbid(*NO_TRAINING_SHORTCUTS, "torch.linalg.lstsq", "torch.linalg.solve", "torch.linalg.pinv", "torch.linalg.inv",
                    why="Exercise 5.2 fits by gradient descent on raw tensors (no torch.optim, no nn.Linear, no solver)"):
            w, b = ex.fit_linear_regression(X, y, lr=0.1, steps=500)
        rw, rb = numpy_lstsq(X, y)
        assert not w.requires_grad and not b.requires_grad, "fit_linear_regression should return detached tensors"
        close(w.double(), rw, "fit_linear_regression(lr=0.1, steps=500): w did not reach the least-squares solution", rtol=0, atol=1e-3)
        close(b.double(), rb, "fit_linear_regression(lr=0.1, steps=500): b did not reach the least-squares solution", rtol=0, atol=1e-3)

    def test_fit_linear_regression_takes_exactly_the_gradient_descent_steps_asked_for(self):
        ex = lab.exercise(5)
        X = torch.randn(30, 4, dtype=torch.float64)
        y = X @ torch.randn(4, dtype=torch.float64) + 1.0 + 0.1 * torch.randn(30, dtype=torch.float64)
        for lr, steps in [(0.05, 1), (0.2, 3)]:
            w_ref, b_ref = torch.zeros(4, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
            for _ in range(steps):  # the gradient of mean((Xw + b - y)^2), by hand
                r = X @ w_ref + b_ref - y
                w_ref, b_ref = w_ref - lr * 2 * X.T @ r / len(y), b_ref - lr * 2 * r.mean()
            with forbid(*NO_TRAINING_SHORTCUTS, "torch.linalg.lstsq", "torch.linalg.solve", "torch.linalg.pinv",
                        "torch.linalg.inv", why="Exercise 5.2 fits by gradient descent on raw tensors"):
                w, b = ex.fit_linear_regression(X, y, lr=lr, steps=steps)
            what = (f"fit_linear_regression(lr={lr}, steps={steps}) should start from w = 0, b = 0 and take exactly {steps} "
                    "step(s) of param -= lr * grad on the MEAN squared error, with .grad cleared between steps")
            assert tuple(w.shape) == (4,) and b.dim() == 0, f"fit_linear_regression should return w (4,) and a 0-d b; got {tuple(w.shape)}, {tuple(b.shape)}"
            close(w, w_ref, what + ": w differs")
            close(b, b_ref, what + ": b differs")

    def test_logistic_regression_gradients_match_autograd(self):
        ex = lab.exercise(5)
        for n, d in [(30, 4), (1, 1), (64, 10)]:
            X = torch.randn(n, d, dtype=torch.float64)
            y = (torch.rand(n) < 0.5).double()
            w, b = torch.randn(d, dtype=torch.float64), torch.randn((), dtype=torch.float64)
            with forbid(*NO_AUTOGRAD, why="Exercise 5.3 asks for the logistic-regression gradient by hand"):
                loss, dw, db = ex.logistic_regression_grads(X, y, w, b)
            wr, br = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
            ref = F.binary_cross_entropy_with_logits(X @ wr + br, y)
            rdw, rdb = torch.autograd.grad(ref, (wr, br))
            close(loss, ref.detach(), f"logistic_regression_grads (N={n}, D={d}): the loss differs from F.binary_cross_entropy_with_logits")
            close(dw, rdw, f"logistic_regression_grads (N={n}, D={d}): dw differs from autograd")
            close(db, rdb, f"logistic_regression_grads (N={n}, D={d}): db differs from autograd")

    def test_logistic_regression_loss_stays_finite_for_huge_logits(self):
        ex = lab.exercise(5)
        X = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
        y = torch.tensor([1.0, 0.0, 0.0, 1.0])  # the first two are right by a mile, the last two wrong by a mile
        w, b = torch.tensor([1000.0, 1000.0]), torch.tensor(0.0)
        loss, dw, db = ex.logistic_regression_grads(X, y, w, b)
        ref = F.binary_cross_entropy_with_logits(X @ w + b, y)
        assert torch.isfinite(loss), f"logistic_regression_grads with logits of +-1000 gives loss {loss.item()}: compute it from the logits"
        close(loss, ref, "logistic_regression_grads with logits of +-1000: the loss differs from F.binary_cross_entropy_with_logits")
        close(dw, torch.tensor([0.0, 0.5]), "logistic_regression_grads with logits of +-1000: dw is wrong")
        close(db, torch.tensor(0.0), "logistic_regression_grads with logits of +-1000: db is wrong")

    def test_fit_logistic_regression_separates_two_blobs(self):
        ex = lab.exercise(5)
        g = torch.Generator().manual_seed(3)
        # Both blobs lie away from the origin, so no line through the origin separates them: b matters.
        X = torch.cat([torch.randn(60, 2, generator=g) + 1.5, torch.randn(60, 2, generator=g) + 5.0])
        y = torch.cat([torch.zeros(60), torch.ones(60)])
        with forbid(*NO_TRAINING_SHORTCUTS, why="Exercise 5.4 fits by gradient descent on raw tensors"):
            w, b = ex.fit_logistic_regression(X, y, lr=0.5, steps=300)
        acc = ((X @ w + b > 0).float() == y).float().mean().item()
        assert acc >= 0.95, f"fit_logistic_regression on two well-separated blobs reaches train accuracy {acc:.3f}; expected at least 0.95"

    def test_fit_logistic_regression_takes_exactly_the_steps_asked_for_and_returns_detached_tensors(self):
        ex = lab.exercise(5)
        X = torch.randn(25, 3, dtype=torch.float64) + 0.5
        y = (torch.rand(25) < 0.5).double()
        for lr, steps in [(0.1, 1), (2.0, 4)]:
            w_ref = torch.zeros(3, dtype=torch.float64, requires_grad=True)
            b_ref = torch.zeros((), dtype=torch.float64, requires_grad=True)
            for _ in range(steps):
                gw, gb = torch.autograd.grad(F.binary_cross_entropy_with_logits(X @ w_ref + b_ref, y), (w_ref, b_ref))
                with torch.no_grad():
                    w_ref -= lr * gw
                    b_ref -= lr * gb
            with forbid(*NO_TRAINING_SHORTCUTS, why="Exercise 5.4 fits by gradient descent on raw tensors"):
                w, b = ex.fit_logistic_regression(X, y, lr=lr, steps=steps)
            what = (f"fit_logistic_regression(lr={lr}, steps={steps}) should start from w = 0, b = 0 and take exactly "
                    f"{steps} step(s) of param -= lr * grad of the mean binary cross-entropy")
            close(w, w_ref.detach(), what + ": w differs")
            close(b, b_ref.detach(), what + ": b differs")
            assert not w.requires_grad and not b.requires_grad, "fit_logistic_regression should return detached tensors"

    def test_mlp_hand_written_backward_matches_autograd(self):
        ex = lab.exercise(5)
        for n, d, h, c, logit_scale in [(16, 3, 8, 4, 1.0), (1, 2, 3, 2, 1.0), (10, 5, 6, 3, 300.0)]:
            params = {
                "W1": torch.randn(d, h, dtype=torch.float64), "b1": torch.randn(h, dtype=torch.float64),
                "W2": torch.randn(h, c, dtype=torch.float64) * logit_scale, "b2": torch.randn(c, dtype=torch.float64),
            }
            X, y = torch.randn(n, d, dtype=torch.float64), torch.randint(0, c, (n,))
            with forbid(*NO_AUTOGRAD, why="Exercise 5.5 asks for the backward pass by hand"):
                loss, grads = ex.mlp_forward_backward(X, y, params)
            leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
            ref = F.cross_entropy(torch.tanh(X @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"], y)
            ref.backward()
            case = f"N={n}, D={d}, H={h}, C={c}" + (f", logits scaled by {logit_scale:g}" if logit_scale != 1 else "")
            close(loss, ref.detach(), f"mlp_forward_backward ({case}): the loss differs from F.cross_entropy")
            assert set(grads) == set(params), f"mlp_forward_backward should return grads for {sorted(params)}; got {sorted(grads)}"
            for k in params:
                close(grads[k], leaves[k].grad, f"mlp_forward_backward ({case}): the gradient of {k} differs from autograd")

    def test_train_mlp_fits_spirals(self):
        ex = lab.exercise(5)
        X, y = make_spirals(60, 3, noise=0.05, seed=1, turns=0.75)
        with forbid(*NO_TRAINING_SHORTCUTS, why="Exercise 5.6 trains with your own update on raw tensors"):
            params, losses = ex.train_mlp(X, y, hidden=32, lr=1.0, steps=600, seed=0)
        assert len(losses) == 600 and all(math.isfinite(v) for v in losses), (
            "train_mlp(steps=600) should return 600 finite loss values, one per step"
        )
        assert tuple(params["W1"].shape) == (2, 32) and tuple(params["W2"].shape) == (32, 3), "train_mlp(hidden=32) returned params of the wrong shapes"
        logits = torch.tanh(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
        acc = (logits.argmax(1) == y).float().mean().item()
        assert losses[-1] < 0.5 * losses[0], f"train_mlp: the loss went from {losses[0]:.3f} to {losses[-1]:.3f}; it should at least halve"
        assert acc >= 0.9, f"train_mlp on 180 spiral points (3 classes) reaches train accuracy {acc:.3f}; expected at least 0.9"

    def test_train_mlp_follows_the_reference_loss_trajectory_step_by_step(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        X, y = make_spirals(60, 3, noise=0.05, seed=1, turns=0.75)
        hidden, lr, steps, seed = 32, 0.4, 300, 2
        # init_mlp is deterministic and these settings are far from the edge of stability: two correct
        # implementations (hand-written grads, autograd, a one-hot P - Y) agree to ~3e-7 at every step.
        _, expected = ref.train_mlp(X, y, hidden=hidden, lr=lr, steps=steps, seed=seed)
        with forbid(*NO_TRAINING_SHORTCUTS, why="Exercise 5.6 trains with your own update on raw tensors"):
            _, losses = ex.train_mlp(X, y, hidden=hidden, lr=lr, steps=steps, seed=seed)
        call = f"train_mlp(180 spiral points, hidden={hidden}, lr={lr}, steps={steps}, seed={seed})"
        assert len(losses) == steps, f"{call} returned {len(losses)} losses; expected {steps}, one per step"
        got, want = torch.tensor(losses, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
        off = ((got - want).abs() > 1e-6 + 1e-5 * want.abs()) | ~torch.isfinite(got)
        if off.any():
            t = int(off.nonzero()[0])
            pytest.fail(
                f"{call}: the loss trajectory leaves full-batch gradient descent from init_mlp(2, {hidden}, 3, seed={seed}) "
                f"at step {t}: losses[{t}] = {losses[t]:.7f}, gradient descent gives {expected[t]:.7f} "
                f"({'the very first loss already differs' if t == 0 else f'steps 0..{t - 1} agree'}). Every step "
                "must use all samples and the given lr unchanged, and record the loss before its update"
            )

    def test_train_mlp_follows_gradient_descent_from_init_mlp_with_the_given_seed(self):
        ex = lab.exercise(5)
        X, y = make_spirals(10, 3, noise=0.05, seed=4, turns=0.75)
        hidden, lr, steps, seed = 5, 0.3, 3, 2
        params = ex.init_mlp(2, hidden, 3, seed)
        expected_losses = []
        for _ in range(steps):
            leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
            loss = F.cross_entropy(torch.tanh(X @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"], y)
            expected_losses.append(loss.item())
            loss.backward()
            params = {k: (v - lr * v.grad).detach() for k, v in leaves.items()}
        with forbid(*NO_TRAINING_SHORTCUTS, why="Exercise 5.6 trains with your own update on raw tensors"):
            got_params, losses = ex.train_mlp(X, y, hidden=hidden, lr=lr, steps=steps, seed=seed)
        what = (f"train_mlp(hidden={hidden}, lr={lr}, steps={steps}, seed={seed}) should start from init_mlp(2, {hidden}, 3, "
                f"seed={seed}), record losses[t] BEFORE the update of step t, and take {steps} steps of param -= lr * grad")
        assert len(losses) == steps and all(isinstance(v, float) for v in losses), (
            f"train_mlp(steps={steps}) should return {steps} plain floats; got {losses!r}"
        )
        close(torch.tensor(losses, dtype=torch.float64), torch.tensor(expected_losses, dtype=torch.float64),
              what + f": the losses are {[round(v, 6) for v in losses]}, expected {[round(v, 6) for v in expected_losses]}",
              rtol=1e-5, atol=1e-6)
        for k in params:
            close(got_params[k], params[k], what + f": the final {k} differs", rtol=1e-5, atol=1e-6)
