"""Grader of lab 2.1 (attention): softmax and scaled dot-product attention by hand, multi-head
attention, the masks of real batches, a memory-efficient (flash) attention, grouped-query
attention with a KV cache.

Every test names the behaviour it checks and compares your code with PyTorch's own
implementation wherever one exists (torch.softmax, F.scaled_dot_product_attention,
nn.MultiheadAttention, torch.nn.attention.bias.causal_lower_right). Run it on your exercises with

    make test-lab LAB=2.1          (EX=3 for exercise 3 only)
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from shared.devices import tolerances
from shared.grading import Lab, close, forbid
from shared.memory import track_tensor_memory

lab = Lab("phase2_intermediate/lab1_attention")

F32 = tolerances("cpu", torch.float32)


# ---------------------------------------------------------------------------------------------
# Exercise 1: softmax and scaled dot-product attention by hand
# ---------------------------------------------------------------------------------------------

SOFTMAX_SHORTCUTS = ("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax",
                     "aten._softmax", "aten._safe_softmax")
SDPA_SHORTCUTS = SOFTMAX_SHORTCUTS + (
    "torch.nn.functional.scaled_dot_product_attention",
    "aten.scaled_dot_product_attention",
    "aten._scaled_dot_product_attention_math",
    "aten._scaled_dot_product_flash_attention_for_cpu",
    "aten._scaled_dot_product_flash_attention",
    "aten._scaled_dot_product_efficient_attention",
    "aten._scaled_dot_product_cudnn_attention",
)
NO_SOFTMAX = dict(why="Exercise 1 asks you to write softmax by hand (max shift, exp, sum)")
NO_SDPA = dict(why="Exercise 1 asks you to write attention by hand, with your own softmax")


def sdpa(ex, *args, **kwargs) -> torch.Tensor:
    """Your scaled_dot_product_attention, with F.sdpa and every softmax off limits."""
    with forbid(*SDPA_SHORTCUTS, **NO_SDPA):
        return ex.scaled_dot_product_attention(*args, **kwargs)


def qkv(lead: tuple[int, ...], t_q: int, t_k: int, d: int, d_v: int | None = None,
        dtype: torch.dtype = torch.float64, requires_grad: bool = False):
    d_v = d if d_v is None else d_v
    q = torch.randn(*lead, t_q, d, dtype=dtype)
    k = torch.randn(*lead, t_k, d, dtype=dtype)
    v = torch.randn(*lead, t_k, d_v, dtype=dtype)
    return tuple(x.requires_grad_(requires_grad) for x in (q, k, v))


def shapes(q, k, v) -> str:
    return f"q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"


def random_keep_mask(*shape: int) -> torch.Tensor:
    """A random boolean mask (True = attend) in which every query row keeps at least one key."""
    keep = torch.rand(*shape) < 0.6
    keep[..., 0] = True  # never a fully masked row here: that case has its own test
    return keep[..., torch.randperm(shape[-1])]


@pytest.mark.exercise(1)
class TestSoftmax:
    def test_softmax_equals_torch_softmax_along_every_dim(self):
        ex = lab.exercise(1)
        for shape in [(7,), (3, 5), (2, 3, 4), (1, 1, 6)]:
            for dim in range(-len(shape), len(shape)):
                for dtype, tol in [(torch.float64, {}), (torch.float32, F32)]:
                    x = torch.randn(*shape, dtype=dtype) * 3
                    with forbid(*SOFTMAX_SHORTCUTS, **NO_SOFTMAX):
                        got = ex.softmax(x, dim=dim)
                    assert got.dtype == dtype and got.shape == x.shape, (
                        f"softmax(x {tuple(shape)} {dtype}, dim={dim}) returned {got.dtype} {tuple(got.shape)}; expected the input's shape and dtype"
                    )
                    close(got, torch.softmax(x, dim=dim), f"softmax(x {tuple(shape)} {dtype}, dim={dim}) differs from torch.softmax(x, dim={dim})", **tol)

    def test_softmax_works_on_a_non_contiguous_input(self):
        ex = lab.exercise(1)
        x = torch.randn(6, 5, dtype=torch.float64).T  # (5, 6), not contiguous
        with forbid(*SOFTMAX_SHORTCUTS, **NO_SOFTMAX):
            got = ex.softmax(x, dim=-1)
        close(got, torch.softmax(x, dim=-1), "softmax(x.T, dim=-1) on a transposed (non-contiguous) x differs from torch.softmax")

    @pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
    def test_softmax_of_inputs_of_1e4_is_finite_and_exact(self, dtype):
        ex = lab.exercise(1)
        x = torch.randn(4, 9, dtype=dtype) * 1e4
        x[0] = torch.tensor([1e4, -1e4, 1e4 - 1, 0, 5e3, -5e3, 1e4 - 2, 3, 9e3], dtype=dtype)
        with forbid(*SOFTMAX_SHORTCUTS, **NO_SOFTMAX):
            got = ex.softmax(x, dim=-1)
        assert torch.isfinite(got).all(), (
            f"softmax(x, dim=-1) with entries of +-1e4 ({dtype}) returned inf/NaN in {int((~torch.isfinite(got)).sum())} places: "
            "exp(1e4) overflows; subtract the maximum along dim before exp"
        )
        close(got, torch.softmax(x, dim=-1), f"softmax(x, dim=-1) with entries of +-1e4 ({dtype}) differs from torch.softmax",
              **(F32 if dtype == torch.float32 else {}))

    def test_softmax_of_an_all_minus_inf_slice_is_nan_like_torch_softmax(self):
        ex = lab.exercise(1)
        x = torch.randn(3, 4, dtype=torch.float64)
        x[1] = float("-inf")
        x[2, :2] = float("-inf")
        with forbid(*SOFTMAX_SHORTCUTS, **NO_SOFTMAX):
            got = ex.softmax(x, dim=-1)
        assert torch.isnan(got[1]).all(), f"softmax of a row that is all -inf returned {got[1].tolist()}; torch.softmax gives NaN (0/0)"
        close(got, torch.softmax(x, dim=-1), "softmax(x, dim=-1) with one all -inf row and one partly -inf row differs from torch.softmax", equal_nan=True)


@pytest.mark.exercise(1)
class TestAttentionScores:
    def test_scores_are_scaled_masked_with_minus_inf_and_apply_both_masks(self):
        ex = lab.exercise(1)
        g = torch.Generator().manual_seed(3)
        q, k = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64), torch.randn(2, 3, 6, 5, generator=g, dtype=torch.float64)
        raw = q @ k.transpose(-2, -1)
        keep = torch.rand(4, 6, generator=g) > 0.4
        bias = torch.randn(2, 1, 4, 6, generator=g, dtype=torch.float64)
        causal = torch.ones(4, 6, dtype=torch.bool).tril()
        minus_inf = torch.tensor(float("-inf"), dtype=torch.float64)
        cases = [
            ("", {}, raw / math.sqrt(5)),
            ("scale=0.25", dict(scale=0.25), raw * 0.25),
            ("attn_mask=bool (4, 6)", dict(attn_mask=keep), torch.where(keep, raw / math.sqrt(5), minus_inf)),
            ("attn_mask=float (2, 1, 4, 6)", dict(attn_mask=bias), raw / math.sqrt(5) + bias),
            ("is_causal=True", dict(is_causal=True), torch.where(causal, raw / math.sqrt(5), minus_inf)),
            ("attn_mask=bool (4, 6), is_causal=True", dict(attn_mask=keep, is_causal=True),
             torch.where(keep & causal, raw / math.sqrt(5), minus_inf)),
        ]
        for name, kw, want in cases:
            got = ex.attention_scores(q, k, **kw)
            call = f"attention_scores(q (2, 3, 4, 5), k (2, 3, 6, 5){', ' + name if name else ''})"
            assert tuple(got.shape) == (2, 3, 4, 6), f"{call} has shape {tuple(got.shape)}, expected (2, 3, 4, 6)"
            assert torch.equal(torch.isneginf(got), torch.isneginf(want)), (
                f"{call}: -inf at {torch.isneginf(got).sum().item()} positions, expected {torch.isneginf(want).sum().item()} "
                f"(masked positions hold -inf; with both masks given, a key is kept only where both allow it)")
            finite = torch.isfinite(want)
            close(got[finite], want[finite], f"{call}: the unmasked scores are not q k^T * scale (+ the float mask)")


@pytest.mark.exercise(1)
class TestScaledDotProductAttention:
    def test_default_scale_is_one_over_sqrt_d(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2,), 4, 5, 9)
        got = sdpa(ex, q, k, v)
        want = F.scaled_dot_product_attention(q, k, v)
        if not torch.allclose(got, want):
            if torch.allclose(got, F.scaled_dot_product_attention(q, k, v, scale=1 / 9)):
                raise AssertionError("scaled_dot_product_attention(q, k, v) with D=9 scaled the scores by 1/D = 1/9; the default scale is 1/sqrt(D) = 1/3")
            if torch.allclose(got, F.scaled_dot_product_attention(q, k, v, scale=1.0)):
                raise AssertionError("scaled_dot_product_attention(q, k, v) with D=9 did not scale the scores; the default scale is 1/sqrt(D) = 1/3")
        close(got, want, "scaled_dot_product_attention(q, k, v) with D=9 and the default scale differs from F.sdpa")

    def test_custom_scale_replaces_the_default(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2, 2), 3, 4, 5)
        for scale in (0.3, 1.0, 2.5):
            got = sdpa(ex, q, k, v, scale=scale)
            close(got, F.scaled_dot_product_attention(q, k, v, scale=scale), f"scaled_dot_product_attention(q, k, v, scale={scale}) with D=5 differs from F.sdpa (the scale given replaces 1/sqrt(D))")

    def test_softmax_runs_over_the_keys(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2,), 5, 5, 4)
        eye = torch.eye(5, dtype=torch.float64).expand(2, 5, 5)
        weights = sdpa(ex, q, k, eye)  # with v = I the output rows are the attention weights
        sums = weights.sum(-1)
        assert torch.allclose(sums, torch.ones_like(sums)), (
            f"scaled_dot_product_attention(q, k, v=I) with T_q = T_k = 5: the weights of each query sum to {sums[0].tolist()}, not 1; "
            "take the softmax over the last axis (the keys), not over the queries"
        )
        close(weights, F.scaled_dot_product_attention(q, k, eye), "scaled_dot_product_attention(q, k, v=I) (the attention weights) differs from F.sdpa")

    def test_bool_mask_is_true_where_the_query_may_attend(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2, 3), 5, 6, 4)
        keep = random_keep_mask(5, 6)
        keep_c = ~keep
        keep_c[:, 1] = True  # the complement must not have empty rows either
        for mask in (keep, keep_c):
            got = sdpa(ex, q, k, v, attn_mask=mask)
            want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            if not torch.allclose(got, want) and torch.allclose(got, F.scaled_dot_product_attention(q, k, v, attn_mask=~mask)):
                raise AssertionError(
                    "scaled_dot_product_attention(q, k, v, attn_mask=bool (5, 6)) attended where the mask is False: mask polarity inverted "
                    "(F.sdpa's boolean mask is True where the query MAY attend; mask the scores with ~attn_mask)"
                )
            close(got, want, "scaled_dot_product_attention(q, k, v, attn_mask=bool (5, 6)) differs from F.sdpa")

    def test_float_mask_is_added_to_the_scores(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2,), 4, 6, 3)
        mask = torch.randn(4, 6, dtype=torch.float64)
        mask[0, 2] = float("-inf")
        got = sdpa(ex, q, k, v, attn_mask=mask)
        close(got, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), "scaled_dot_product_attention(q, k, v, attn_mask=float (4, 6)) differs from F.sdpa (a float mask is added to the scaled scores)")

    def test_masks_broadcast_against_the_scores(self):
        ex = lab.exercise(1)
        b, h, t_q, t_k = 2, 3, 4, 5
        q, k, v = qkv((b, h), t_q, t_k, 6)
        for shape in [(t_q, t_k), (b, 1, 1, t_k), (1, h, t_q, t_k), (b, h, t_q, t_k)]:
            for kind in ("bool", "float"):
                mask = random_keep_mask(*shape)
                if kind == "float":
                    mask = torch.randn(*shape, dtype=torch.float64)
                got = sdpa(ex, q, k, v, attn_mask=mask)
                close(got, F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                      f"scaled_dot_product_attention({shapes(q, k, v)}, attn_mask={kind} {shape}) differs from F.sdpa (the mask broadcasts against (B, H, T_q, T_k))")

    def test_is_causal_equals_f_sdpa_top_left_aligned(self):
        ex = lab.exercise(1)
        for t_q, t_k in [(5, 5), (2, 5), (6, 3), (1, 4), (1, 1)]:
            q, k, v = qkv((2, 2), t_q, t_k, 4)
            eye = torch.eye(t_k, dtype=torch.float64)
            weights = sdpa(ex, q, k, eye, is_causal=True)  # (2, 2, T_q, T_k): the attention weights
            bad = (weights[0, 0] != 0) & ~torch.ones(t_q, t_k, dtype=torch.bool).tril()
            if bad.any():
                i, j = bad.nonzero()[0].tolist()
                raise AssertionError(
                    f"scaled_dot_product_attention(q, k, v, is_causal=True) with T_q={t_q}, T_k={t_k}: query {i} attended to key {j} "
                    "(F.sdpa's is_causal keeps key j <= i, top-left aligned even when T_q != T_k)"
                )
            close(sdpa(ex, q, k, v, is_causal=True), F.scaled_dot_product_attention(q, k, v, is_causal=True),
                  f"scaled_dot_product_attention(q, k, v, is_causal=True) with T_q={t_q}, T_k={t_k} differs from F.sdpa")

    def test_causal_mask_keeps_the_diagonal(self):
        ex = lab.exercise(1)
        q, k, _ = qkv((), 6, 6, 4)
        weights = sdpa(ex, q, k, torch.eye(6, dtype=torch.float64), is_causal=True)
        diag = weights.diagonal()
        assert bool((diag > 0).all()), (
            f"scaled_dot_product_attention(q, k, v=I, is_causal=True): query i gave key i the weights {diag.tolist()}; "
            "a query must attend to its own position (the diagonal is kept: key j <= i)"
        )
        assert weights[0, 0].item() == pytest.approx(1.0), (
            f"scaled_dot_product_attention(q, k, v=I, is_causal=True): query 0 sees only key 0, so its weight must be 1, got {weights[0, 0].item():.4g}"
        )

    def test_equals_f_sdpa_over_shapes_and_leading_dims(self):
        ex = lab.exercise(1)
        cases = [((), 4, 4, 8, 8), ((3,), 5, 7, 3, 6), ((2, 3), 1, 6, 5, 2), ((2, 2, 3), 4, 1, 7, 7),
                 ((1,), 1, 1, 1, 1), ((1, 2), 6, 3, 4, 5)]
        for lead, t_q, t_k, d, d_v in cases:
            q, k, v = qkv(lead, t_q, t_k, d, d_v)
            got = sdpa(ex, q, k, v)
            close(got, F.scaled_dot_product_attention(q, k, v), f"scaled_dot_product_attention({shapes(q, k, v)}) differs from F.sdpa")

    def test_equals_f_sdpa_in_float32_on_non_contiguous_inputs(self):
        ex = lab.exercise(1)
        q = torch.randn(2, 5, 3, 8).transpose(1, 2)  # (2, 3, 5, 8) as the heads of a (B, T, H, D) tensor
        k = torch.randn(2, 6, 3, 8).transpose(1, 2)
        v = torch.randn(2, 6, 3, 4).transpose(1, 2)
        got = sdpa(ex, q, k, v)
        close(got, F.scaled_dot_product_attention(q, k, v), f"scaled_dot_product_attention on transposed (non-contiguous) float32 {shapes(q, k, v)} differs from F.sdpa", **F32)

    def test_fully_masked_rows_give_zeros_like_f_sdpa(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2,), 4, 5, 3)
        keep = random_keep_mask(4, 5)
        keep[2] = False
        got = sdpa(ex, q, k, v, attn_mask=keep)
        assert not torch.isnan(got).any(), (
            "scaled_dot_product_attention(q, k, v, attn_mask) where every key of query 2 is masked returned NaN; "
            "F.sdpa returns zeros for such a row (the softmax of all -inf is 0/0)"
        )
        close(got, F.scaled_dot_product_attention(q, k, v, attn_mask=keep), "scaled_dot_product_attention with a fully masked query row differs from F.sdpa (zeros for that row)")
        fmask = torch.zeros(4, 5, dtype=torch.float64)
        fmask[1] = float("-inf")
        close(sdpa(ex, q, k, v, attn_mask=fmask), F.scaled_dot_product_attention(q, k, v, attn_mask=fmask),
              "scaled_dot_product_attention with a float mask whose row 1 is all -inf differs from F.sdpa (zeros for that row)")

    def test_fully_masked_rows_have_no_nan_in_the_gradient(self):
        ex = lab.exercise(1)
        keep = random_keep_mask(4, 5)
        keep[0] = False
        additive = torch.zeros(4, 5, dtype=torch.float64).masked_fill(~keep, float("-inf"))
        for kind, mask in (("bool", keep), ("float", additive)):
            q, k, v = qkv((2,), 4, 5, 3, requires_grad=True)
            with forbid(*SDPA_SHORTCUTS, **NO_SDPA):
                ex.scaled_dot_product_attention(q, k, v, attn_mask=mask).sum().backward()
            for name, t in (("q", q), ("k", k), ("v", v)):
                assert t.grad is not None and not torch.isnan(t.grad).any(), (
                    f"the gradient of scaled_dot_product_attention(q, k, v, attn_mask={kind}).sum() with respect to {name} has NaN when query 0 "
                    "has every key masked; compute the softmax on a finite stand-in for those rows (0/0 leaks NaN into the backward "
                    "even if the forward is zeroed afterwards)"
                )

    def test_gradients_equal_f_sdpas(self):
        ex = lab.exercise(1)
        for kwargs in ({}, {"is_causal": True}, {"attn_mask": random_keep_mask(4, 6)}):
            q, k, v = qkv((2, 2), 4, 6, 3, d_v=5, requires_grad=True)
            g = torch.randn(2, 2, 4, 5, dtype=torch.float64)
            with forbid(*SDPA_SHORTCUTS, **NO_SDPA):
                got = torch.autograd.grad((ex.scaled_dot_product_attention(q, k, v, **kwargs) * g).sum(), (q, k, v))
            want = torch.autograd.grad((F.scaled_dot_product_attention(q, k, v, **kwargs) * g).sum(), (q, k, v))
            for name, a, b in zip("qkv", got, want):
                close(a, b, f"the gradient of scaled_dot_product_attention(q, k, v, {', '.join(kwargs) or 'no mask'}) with respect to {name} differs from F.sdpa's")

    def test_is_causal_with_attn_mask_raises_value_error(self):
        ex = lab.exercise(1)
        q, k, v = qkv((), 3, 3, 2)
        with pytest.raises(ValueError):
            sdpa(ex, q, k, v, attn_mask=torch.ones(3, 3, dtype=torch.bool), is_causal=True)

    def test_dropout_zeroes_weights_and_scales_the_rest_by_one_over_one_minus_p(self):
        ex = lab.exercise(1)
        p, t = 0.3, 64
        q, k, _ = qkv((), t, t, 4)
        eye = torch.eye(t, dtype=torch.float64)  # v = I: the output rows ARE the (dropped) weights
        w = F.scaled_dot_product_attention(q, k, eye)
        draws = sdpa(ex, q.expand(200, t, 4), k.expand(200, t, 4), eye, dropout_p=p)  # 200 independent draws
        kept = draws != 0
        close(torch.where(kept, draws, 0.0), torch.where(kept, w / (1 - p), 0.0).expand_as(draws),
              f"scaled_dot_product_attention(q, k, v=I, dropout_p={p}): a kept weight must be w / (1 - p) (inverted dropout)")
        zero = 1 - kept.double().mean().item()
        assert abs(zero - p) < 0.02, (
            f"scaled_dot_product_attention(q, k, v=I, dropout_p={p}) zeroed {zero:.3f} of the weights over 200 draws; expected about {p}"
        )
        rel = ((draws.mean(0) - w).abs() / w).mean().item()
        assert rel < 0.1, (
            f"scaled_dot_product_attention(q, k, v=I, dropout_p={p}): the mean over 200 draws is off the no-dropout weights by {rel:.1%} on average; "
            "inverted dropout keeps the expectation unchanged"
        )

    def test_dropout_draws_from_the_generator_and_p0_is_deterministic(self):
        ex = lab.exercise(1)
        q, k, v = qkv((2,), 8, 8, 4)
        a = sdpa(ex, q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(1))
        torch.rand(100)  # the global generator moves on: the draws must not depend on it
        b = sdpa(ex, q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(1))
        c = sdpa(ex, q, k, v, dropout_p=0.5, generator=torch.Generator().manual_seed(2))
        assert torch.equal(a, b), "scaled_dot_product_attention(..., dropout_p=0.5, generator=g) gave different outputs for two generators seeded alike; draw the mask from generator"
        assert not torch.equal(a, c), "scaled_dot_product_attention(..., dropout_p=0.5) gave the same output for generators seeded 1 and 2"
        x, y = sdpa(ex, q, k, v, dropout_p=0.0), sdpa(ex, q, k, v, dropout_p=0.0)
        assert torch.equal(x, y), "scaled_dot_product_attention(..., dropout_p=0.0) is not deterministic"
        close(x, F.scaled_dot_product_attention(q, k, v), "scaled_dot_product_attention(..., dropout_p=0.0) differs from F.sdpa without dropout")


@pytest.mark.exercise(1)
class TestAttentionByHand:
    def test_three_token_example_has_the_readmes_numbers(self):
        ex = lab.exercise(1)
        with forbid(*SDPA_SHORTCUTS, **NO_SDPA):
            r = ex.attention_by_hand_3_tokens()
        s2, h = math.sqrt(2), 1 / math.sqrt(2)
        inf = float("-inf")
        want_scores = torch.tensor([[h, inf, inf], [h, 0.0, inf], [s2, h, s2]], dtype=torch.float64)
        close(r["scores"], want_scores, "attention_by_hand_3_tokens()['scores'] should be Q K^T / sqrt(2) with -inf above the diagonal")
        close(r["weights"][2], torch.softmax(torch.tensor([s2, h, s2], dtype=torch.float64), dim=0),
              "attention_by_hand_3_tokens()['weights'] row 2 should be softmax([1.4142, 0.7071, 1.4142])")
        a = 1 / (1 + math.exp(-h))  # softmax([h, 0])[0]
        close(r["weights"][1], torch.tensor([a, 1 - a, 0.0], dtype=torch.float64),
              "attention_by_hand_3_tokens()['weights'] row 1 should be softmax([0.7071, 0]) = [0.6698, 0.3302], then 0")
        close(r["weights"][0], torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64), "attention_by_hand_3_tokens()['weights'] row 0 should be [1, 0, 0] (query 0 sees only key 0)")
        want_out = torch.tensor([[1.0, 0.0], [a, 1 - a], [0.0, 0.0]], dtype=torch.float64)
        w2 = torch.softmax(torch.tensor([s2, h, s2], dtype=torch.float64), dim=0)
        want_out[2] = w2 @ torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]], dtype=torch.float64)  # [1.2033, 1.0]
        close(r["out"], want_out, "attention_by_hand_3_tokens()['out'] should be weights @ V = [[1, 0], [0.6698, 0.3302], [1.2033, 1.0]]")
        close(r["out"], F.scaled_dot_product_attention(r["q"], r["k"], r["v"], is_causal=True),
              "attention_by_hand_3_tokens()['out'] differs from F.sdpa(q, k, v, is_causal=True) on its q, k, v")


# ---------------------------------------------------------------------------------------------
# Exercise 2: multi-head attention
# ---------------------------------------------------------------------------------------------

MHA_SHORTCUTS = ("torch.nn.MultiheadAttention", "torch.nn.functional.multi_head_attention_forward")
NO_MHA = dict(why="Exercise 2 asks you to build multi-head attention yourself, not to wrap nn.MultiheadAttention")


def mha_pair(ex, e: int, h: int, **kwargs):
    """(yours, nn.MultiheadAttention(batch_first=True)) in float64 with the same random weights and biases.

    The biases are made non-zero (they start at zero) so that their layout is checked too.
    """
    ref = nn.MultiheadAttention(e, h, batch_first=True, **kwargs).double()
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn_like(p) * 0.4)
    with forbid(*MHA_SHORTCUTS, **NO_MHA):
        mine = ex.MultiheadAttention(e, h, **kwargs)
    mine = mine.double()
    mine.load_state_dict(ref.state_dict())
    return mine.eval(), ref.eval()


def call_mha(mine, *args, **kwargs):
    with forbid(*MHA_SHORTCUTS, **NO_MHA):
        return mine(*args, **kwargs)


def mha_inputs(b: int, t_q: int, t_k: int, e: int, kdim: int | None = None, vdim: int | None = None, requires_grad: bool = False):
    query = torch.randn(b, t_q, e, dtype=torch.float64, requires_grad=requires_grad)
    key = torch.randn(b, t_k, kdim or e, dtype=torch.float64, requires_grad=requires_grad)
    value = torch.randn(b, t_k, vdim or e, dtype=torch.float64, requires_grad=requires_grad)
    return query, key, value


def check_mha(ex, e, h, b, t_q, t_k, what, ctor=None, **call):
    ctor = ctor or {}
    mine, ref = mha_pair(ex, e, h, **ctor)
    query, key, value = mha_inputs(b, t_q, t_k, e, ctor.get("kdim"), ctor.get("vdim"))
    if call.pop("self_attention", False):
        key = value = query
    out, w = call_mha(mine, query, key, value, **call)
    ref_out, ref_w = ref(query, key, value, **call)
    args = ", ".join(f"{k}={v}" for k, v in ctor.items())
    name = f"MultiheadAttention({e}, {h}{', ' + args if args else ''}) on {what}"
    close(out, ref_out, f"{name}: the output differs from nn.MultiheadAttention's (same weights)")
    if ref_w is None:
        assert w is None, f"{name} with need_weights=False returned weights; expected None, as nn.MultiheadAttention"
    else:
        assert w is not None and w.shape == ref_w.shape, (
            f"{name}: the weights have shape {None if w is None else tuple(w.shape)}; nn.MultiheadAttention's are {tuple(ref_w.shape)}"
        )
        close(w, ref_w, f"{name}: the attention weights differ from nn.MultiheadAttention's")
    return mine, ref


@pytest.mark.exercise(2)
class TestSplitMergeHeads:
    def test_split_heads_equals_view_then_transpose(self):
        ex = lab.exercise(2)
        for b, t, e, h in [(2, 5, 12, 3), (1, 4, 6, 6), (3, 1, 8, 2), (2, 3, 5, 1)]:
            x = torch.arange(b * t * e, dtype=torch.float32).view(b, t, e)  # entry = its own index
            got = ex.split_heads(x, h)
            want = x.view(b, t, h, e // h).transpose(1, 2)
            assert tuple(got.shape) == tuple(want.shape), f"split_heads(x ({b}, {t}, {e}), n_heads={h}) has shape {tuple(got.shape)}; expected (B, H, T, D) = {tuple(want.shape)}"
            if not torch.equal(got, want) and torch.equal(got, x.reshape(b, h, t, e // h)):
                raise AssertionError(
                    f"split_heads(x ({b}, {t}, {e}), n_heads={h}) is x.reshape(B, H, T, D): a reshape without the transpose mixes tokens "
                    "into heads; view as (B, T, H, D), then transpose(1, 2)"
                )
            close(got, want, f"split_heads(x ({b}, {t}, {e}), n_heads={h}) differs from x.view(B, T, H, D).transpose(1, 2)")

    def test_split_heads_raises_value_error_when_not_divisible(self):
        ex = lab.exercise(2)
        with pytest.raises(ValueError):
            ex.split_heads(torch.randn(2, 3, 10), 4)

    def test_merge_heads_inverts_split_heads_on_non_contiguous_input(self):
        ex = lab.exercise(2)
        x = torch.randn(2, 5, 12)
        back = ex.merge_heads(x.view(2, 5, 3, 4).transpose(1, 2))  # split_heads(x, 3)
        close(back, x, "merge_heads(split_heads(x (2, 5, 12), 3)) does not give x back")
        for y in (torch.randn(2, 5, 3, 4).transpose(1, 2), torch.randn(2, 3, 4, 5).transpose(2, 3)):  # (2, 3, 5, 4), non-contiguous
            got = ex.merge_heads(y)
            close(got, y.transpose(1, 2).reshape(2, 5, 12), "merge_heads(x (2, 3, 5, 4) non-contiguous) differs from x.transpose(1, 2).reshape(B, T, H * D)")


@pytest.mark.exercise(2)
class TestMultiheadAttentionParameters:
    CONFIGS = [(8, 2, {}), (6, 3, {"kdim": 5, "vdim": 4}), (8, 4, {"bias": False}), (6, 2, {"vdim": 3}),
               (6, 2, {"kdim": 4, "bias": False})]

    def test_parameters_and_state_dict_equal_nn_multihead_attentions(self):
        ex = lab.exercise(2)
        for e, h, kw in self.CONFIGS:
            ref = nn.MultiheadAttention(e, h, batch_first=True, **kw)
            with forbid(*MHA_SHORTCUTS, **NO_MHA):
                mine = ex.MultiheadAttention(e, h, **kw)
            call = f"MultiheadAttention({e}, {h}{''.join(f', {k}={v}' for k, v in kw.items())})"
            got = [(n, tuple(p.shape)) for n, p in mine.named_parameters()]
            want = [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
            assert got == want, f"{call}.named_parameters() are {got}; nn.MultiheadAttention's are {want} (names, shapes and order)"
            assert list(mine.state_dict()) == list(ref.state_dict()), (
                f"{call}.state_dict() keys are {list(mine.state_dict())}; nn.MultiheadAttention's are {list(ref.state_dict())}"
            )
            mine.load_state_dict(ref.state_dict(), strict=True)
            ref.load_state_dict(mine.state_dict(), strict=True)
            for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias"):
                if getattr(ref, name) is None:
                    assert hasattr(mine, name) and getattr(mine, name) is None, (
                        f"{call}.{name} should exist and be None (register_parameter('{name}', None)), as in nn.MultiheadAttention"
                    )

    def test_embed_dim_not_divisible_by_num_heads_raises_value_error(self):
        ex = lab.exercise(2)
        with pytest.raises(ValueError), forbid(*MHA_SHORTCUTS, **NO_MHA):
            ex.MultiheadAttention(10, 4)

    def test_init_is_xavier_uniform_with_zero_biases(self):
        ex = lab.exercise(2)
        e = 64
        for kw, weights in [({}, {"in_proj_weight": (3 * e, e)}),
                            ({"kdim": 16, "vdim": 40}, {"q_proj_weight": (e, e), "k_proj_weight": (e, 16), "v_proj_weight": (e, 40)})]:
            with forbid(*MHA_SHORTCUTS, **NO_MHA):
                mine = ex.MultiheadAttention(e, 4, **kw)
            for name, (fan_out, fan_in) in weights.items():
                w = getattr(mine, name).detach()
                bound = math.sqrt(6 / (fan_in + fan_out))
                call = f"MultiheadAttention({e}, 4{''.join(f', {k}={v}' for k, v in kw.items())}).{name} {tuple(w.shape)}"
                assert w.abs().max() <= bound * (1 + 1e-6) and w.abs().max() > 0.95 * bound, (
                    f"{call}: entries reach {w.abs().max():.4f}; xavier_uniform_ draws from U(-b, b) with b = sqrt(6 / (fan_in + fan_out)) = {bound:.4f}"
                )
                assert abs(w.std().item() - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3), (
                    f"{call}: std {w.std():.4f}; xavier_uniform_ gives b / sqrt(3) = {bound / math.sqrt(3):.4f}"
                )
            assert torch.equal(mine.in_proj_bias.detach(), torch.zeros(3 * e)) and torch.equal(mine.out_proj.bias.detach(), torch.zeros(e)), (
                "MultiheadAttention's in_proj_bias and out_proj.bias must start at zero, as nn.MultiheadAttention's"
            )


@pytest.mark.exercise(2)
class TestMultiheadAttentionForward:
    def test_self_attention_equals_nn_multihead_attention(self):
        ex = lab.exercise(2)
        for e, h, b, t in [(12, 3, 2, 5), (8, 1, 1, 4), (6, 6, 2, 3), (10, 2, 3, 1)]:  # H = 1 and H = E (D = 1) included
            check_mha(ex, e, h, b, t, t, f"self-attention x ({b}, {t}, {e})", self_attention=True)

    def test_cross_attention_with_t_q_different_from_t_k(self):
        ex = lab.exercise(2)
        check_mha(ex, 8, 2, 2, 3, 7, "query (2, 3, 8), key/value (2, 7, 8)")
        check_mha(ex, 8, 4, 1, 6, 2, "query (1, 6, 8), key/value (1, 2, 8)")

    def test_kdim_and_vdim_different_from_embed_dim(self):
        ex = lab.exercise(2)
        check_mha(ex, 8, 2, 2, 3, 5, "query (2, 3, 8), key (2, 5, 5), value (2, 5, 3)", ctor={"kdim": 5, "vdim": 3})
        check_mha(ex, 6, 3, 2, 4, 4, "query (2, 4, 6), key (2, 4, 6), value (2, 4, 2), bias=False", ctor={"vdim": 2, "bias": False})

    def test_without_bias(self):
        ex = lab.exercise(2)
        check_mha(ex, 8, 2, 2, 4, 5, "query (2, 4, 8), key/value (2, 5, 8)", ctor={"bias": False})

    def test_key_padding_mask_true_means_ignore_this_key(self):
        ex = lab.exercise(2)
        mine, ref = mha_pair(ex, 8, 2)
        query, key, value = mha_inputs(2, 4, 6, 8)
        pad = torch.zeros(2, 6, dtype=torch.bool)
        pad[0, 4:] = True  # row 0: the last two keys are padding
        pad[1, 1] = True
        out, w = call_mha(mine, query, key, value, key_padding_mask=pad, average_attn_weights=False)
        ref_out, ref_w = ref(query, key, value, key_padding_mask=pad, average_attn_weights=False)
        if not torch.allclose(out, ref_out) and torch.allclose(out, ref(query, key, value, key_padding_mask=~pad)[0]):
            raise AssertionError(
                "MultiheadAttention(..., key_padding_mask=pad) attended only to the keys where pad is True: in nn.MultiheadAttention "
                "True means 'this key is padding, ignore it', the opposite of F.sdpa's boolean mask (True = attend)"
            )
        assert torch.all(w[0, :, :, 4:] == 0) and torch.all(w[1, :, :, 1] == 0), (
            "MultiheadAttention(..., key_padding_mask=pad): keys where pad is True got non-zero weights; True means ignore this key"
        )
        close(out, ref_out, "MultiheadAttention(..., key_padding_mask=bool (2, 6)): the output differs from nn.MultiheadAttention's")
        close(w, ref_w, "MultiheadAttention(..., key_padding_mask=bool (2, 6), average_attn_weights=False): the weights differ from nn.MultiheadAttention's")

    def test_float_key_padding_mask_is_added(self):
        ex = lab.exercise(2)
        pad = torch.randn(2, 5, dtype=torch.float64)
        pad[0, 3] = float("-inf")
        check_mha(ex, 8, 2, 2, 3, 5, "key_padding_mask=float (2, 5)", key_padding_mask=pad)

    def test_attn_mask_2d_and_3d_bool_and_float(self):
        ex = lab.exercise(2)
        b, h, t_q, t_k = 2, 2, 4, 5
        bool2 = ~random_keep_mask(t_q, t_k)  # True = not allowed here
        float2 = torch.randn(t_q, t_k, dtype=torch.float64)
        bool3 = ~random_keep_mask(b * h, t_q, t_k)
        float3 = torch.randn(b * h, t_q, t_k, dtype=torch.float64)
        for what, mask in [("bool (T_q, T_k)", bool2), ("float (T_q, T_k)", float2), ("bool (B*H, T_q, T_k)", bool3), ("float (B*H, T_q, T_k)", float3)]:
            check_mha(ex, 8, h, b, t_q, t_k, f"attn_mask={what}", attn_mask=mask, average_attn_weights=False)

    def test_bool_attn_mask_true_means_not_allowed(self):
        ex = lab.exercise(2)
        mine, ref = mha_pair(ex, 8, 2)
        x = torch.randn(2, 5, 8, dtype=torch.float64)
        future = torch.ones(5, 5, dtype=torch.bool).triu(1)  # nn.MultiheadAttention's causal mask: True above the diagonal
        _, w = call_mha(mine, x, x, x, attn_mask=future)
        if not torch.all(w[:, future] == 0):
            raise AssertionError(
                "MultiheadAttention(x, x, x, attn_mask=ones(5, 5).triu(1)) gave weight to positions where attn_mask is True: in "
                "nn.MultiheadAttention a boolean attn_mask is True where attention is NOT allowed, the opposite of F.sdpa"
            )
        close(w, ref(x, x, x, attn_mask=future)[1], "MultiheadAttention(x, x, x, attn_mask=causal bool): the weights differ from nn.MultiheadAttention's")

    def test_need_weights_and_average_attn_weights(self):
        ex = lab.exercise(2)
        check_mha(ex, 8, 4, 2, 3, 5, "need_weights=False", need_weights=False)
        check_mha(ex, 8, 4, 2, 3, 5, "average_attn_weights=True (weights (B, T_q, T_k))", average_attn_weights=True)
        check_mha(ex, 8, 4, 2, 3, 5, "average_attn_weights=False (weights (B, H, T_q, T_k))", average_attn_weights=False)

    def test_gradients_equal_nn_multihead_attentions(self):
        ex = lab.exercise(2)
        mine, ref = mha_pair(ex, 8, 2, kdim=6, vdim=4)
        query, key, value = mha_inputs(2, 3, 5, 8, 6, 4, requires_grad=True)
        pad = torch.tensor([[False] * 5, [False, False, False, True, True]])
        g = torch.randn(2, 3, 8, dtype=torch.float64)
        out, _ = call_mha(mine, query, key, value, key_padding_mask=pad)
        with forbid(*MHA_SHORTCUTS, **NO_MHA):
            got = torch.autograd.grad((out * g).sum(), (query, key, value, *mine.parameters()))
        ref_out, _ = ref(query, key, value, key_padding_mask=pad)
        want = torch.autograd.grad((ref_out * g).sum(), (query, key, value, *ref.parameters()))
        names = ["query", "key", "value"] + [n for n, _ in ref.named_parameters()]
        for name, a, b in zip(names, got, want):
            close(a, b, f"MultiheadAttention(8, 2, kdim=6, vdim=4) with a key_padding_mask: the gradient with respect to {name} differs from nn.MultiheadAttention's")

    def test_dropout_in_training_and_deterministic_in_eval(self):
        ex = lab.exercise(2)
        mine, ref = mha_pair(ex, 8, 2, dropout=0.5)
        x = torch.randn(4, 16, 8, dtype=torch.float64)
        a = call_mha(mine, x, x, x, average_attn_weights=False)
        b = call_mha(mine, x, x, x, average_attn_weights=False)
        assert torch.equal(a[0], b[0]), "MultiheadAttention(8, 2, dropout=0.5) in eval mode gave two different outputs for the same input; dropout only applies in training"
        close(a[0], ref(x, x, x)[0], "MultiheadAttention(8, 2, dropout=0.5) in eval mode: the output differs from nn.MultiheadAttention's (no dropout in eval)")
        mine.train()
        out, w = call_mha(mine, x, x, x, average_attn_weights=False)
        zero = (w == 0).double().mean().item()
        assert 0.4 < zero < 0.6, (
            f"MultiheadAttention(8, 2, dropout=0.5) in training mode returned weights of which {zero:.2f} are zero; dropout on the attention weights should zero about half"
        )
        kept = w != 0
        close(w[kept], (a[1] / 0.5)[kept], "MultiheadAttention(8, 2, dropout=0.5) in training: a kept weight should be w / (1 - p)")


# ---------------------------------------------------------------------------------------------
# Exercise 3: masks for real batches
# ---------------------------------------------------------------------------------------------


def expected_document_mask(ids: torch.Tensor, causal: bool) -> torch.Tensor:
    """The document mask of one row of ids (T,), built position by position: (T, T) bool."""
    t = ids.numel()
    m = torch.zeros(t, t, dtype=torch.bool)
    for i in range(t):
        for j in range(t):
            m[i, j] = bool(ids[i] >= 0 and ids[i] == ids[j] and (j <= i or not causal))
    return m


def check_bool_mask(got, shape: tuple[int, ...], call: str) -> None:
    assert isinstance(got, torch.Tensor) and got.dtype == torch.bool, (
        f"{call} returned {type(got).__name__} {getattr(got, 'dtype', '')}; expected a torch.bool tensor (True = may attend)"
    )
    assert tuple(got.shape) == shape, f"{call} has shape {tuple(got.shape)}; expected {shape}"


@pytest.mark.exercise(3)
class TestCausalAndPaddingMasks:
    def test_causal_mask_keeps_the_diagonal(self):
        ex = lab.exercise(3)
        got = ex.causal_mask(6)
        assert bool(got.diagonal().all()), (
            f"causal_mask(6) masks the diagonal ({got.diagonal().tolist()}): a query may attend to its own position (key j <= i)"
        )
        assert not got.triu(1).any(), "causal_mask(6) allows a key after its query (j > i)"

    def test_causal_mask_equals_tril_with_offset(self):
        ex = lab.exercise(3)
        for t_q, t_k, offset in [(5, None, 0), (1, None, 0), (3, 6, 0), (6, 3, 0), (4, 7, 3), (4, 4, -1), (2, 5, 1)]:
            call = f"causal_mask({t_q}{'' if t_k is None else f', {t_k}'}, offset={offset})"
            got = ex.causal_mask(t_q, t_k, offset=offset)
            want = torch.ones(t_q, t_k or t_q, dtype=torch.bool).tril(offset)
            check_bool_mask(got, tuple(want.shape), call)
            assert torch.equal(got, want), f"{call} differs from torch.ones({t_q}, {t_k or t_q}).tril({offset}) (key j allowed when j <= i + offset)"
            if offset == 0:
                q, k, v = qkv((2,), t_q, t_k or t_q, 3)
                close(F.scaled_dot_product_attention(q, k, v, attn_mask=got), F.scaled_dot_product_attention(q, k, v, is_causal=True),
                      f"F.sdpa(q, k, v, attn_mask={call}) differs from F.sdpa(q, k, v, is_causal=True)")

    def test_offset_t_k_minus_t_q_equals_causal_lower_right(self):
        from torch.nn.attention.bias import causal_lower_right

        ex = lab.exercise(3)
        for t_q, t_k in [(2, 5), (1, 4), (3, 3), (4, 9)]:
            got = ex.causal_mask(t_q, t_k, offset=t_k - t_q)
            want = causal_lower_right(t_q, t_k)._materialize()
            assert torch.equal(got, want), (
                f"causal_mask({t_q}, {t_k}, offset={t_k - t_q}) differs from torch.nn.attention.bias.causal_lower_right({t_q}, {t_k}): "
                "the last query must see every key"
            )

    def test_padding_mask_is_b_1_1_t_and_true_before_each_length(self):
        ex = lab.exercise(3)
        for lengths in ([3, 0, 5, 1], torch.tensor([5]), (2, 5)):
            got = ex.padding_mask(lengths, 5)
            n = len(lengths)
            call = f"padding_mask({list(map(int, lengths))}, t=5)"
            check_bool_mask(got, (n, 1, 1, 5), call)
            want = torch.tensor([[j < int(L) for j in range(5)] for L in lengths]).view(n, 1, 1, 5)
            if not torch.equal(got, want):
                row = int((got != want).flatten(1).any(1).nonzero()[0])
                raise AssertionError(f"{call}: row {row} (length {int(lengths[row])}) is {got[row].flatten().tolist()}; expected {want[row].flatten().tolist()} (True at j < length)")

    def test_padding_mask_raises_value_error_for_a_length_outside_0_to_t(self):
        ex = lab.exercise(3)
        for lengths in ([2, 6], [-1, 3]):
            with pytest.raises(ValueError):
                ex.padding_mask(lengths, 5)


@pytest.mark.exercise(3)
class TestSlidingWindowMask:
    def test_sliding_window_mask_keeps_exactly_window_keys_ending_at_the_query(self):
        ex = lab.exercise(3)
        for t, window in [(8, 3), (6, 2), (5, 4), (1, 1)]:
            got = ex.sliding_window_mask(t, window)
            call = f"sliding_window_mask({t}, window={window})"
            check_bool_mask(got, (t, t), call)
            want = torch.ones(t, t, dtype=torch.bool).tril() & torch.ones(t, t, dtype=torch.bool).triu(-(window - 1))
            counts = got.sum(-1).tolist()
            if counts[window - 1:] != [window] * (t - window + 1):
                raise AssertionError(f"{call}: the rows attend to {counts} keys; after the first rows each should attend to exactly {window} (itself and the {window - 1} before)")
            assert torch.equal(got, want), f"{call} differs from causal AND j > i - window:\n{got.int()}\nexpected\n{want.int()}"

    def test_window_1_is_the_diagonal_and_a_window_of_t_or_more_is_causal(self):
        ex = lab.exercise(3)
        assert torch.equal(ex.sliding_window_mask(5, 1), torch.eye(5, dtype=torch.bool)), "sliding_window_mask(5, window=1) should be the diagonal only (each token sees itself)"
        for window in (5, 9):
            assert torch.equal(ex.sliding_window_mask(5, window), torch.ones(5, 5, dtype=torch.bool).tril()), (
                f"sliding_window_mask(5, window={window}) should be the plain causal mask (window >= t)"
            )

    def test_window_0_raises_value_error(self):
        ex = lab.exercise(3)
        with pytest.raises(ValueError):
            ex.sliding_window_mask(4, 0)


@pytest.mark.exercise(3)
class TestDocumentMasks:
    def test_document_ids_of_lengths_with_padding(self):
        ex = lab.exercise(3)
        for lengths, t, want in [([3, 2], None, [0, 0, 0, 1, 1]), ([1, 2, 1], 6, [0, 1, 1, 2, -1, -1]), ([4], 4, [0, 0, 0, 0])]:
            got = ex.document_ids(lengths, t)
            assert isinstance(got, torch.Tensor) and got.tolist() == want, (
                f"document_ids({lengths}, t={t}) returned {got.tolist() if isinstance(got, torch.Tensor) else got}; expected {want} (-1 marks padding)"
            )

    def test_document_mask_equals_same_document_and_causal(self):
        ex = lab.exercise(3)
        rows = torch.tensor([[0, 0, 0, 1, 1, 2, -1, -1], [0, 1, 1, 1, 1, 1, 1, 2]])
        for causal in (True, False):
            got = ex.document_mask(rows, causal=causal)
            call = f"document_mask(ids (2, 8), causal={causal})"
            check_bool_mask(got, (2, 1, 8, 8), call)
            for b in range(2):
                want = expected_document_mask(rows[b], causal)
                if not torch.equal(got[b, 0], want):
                    i, j = (got[b, 0] != want).nonzero()[0].tolist()
                    ids = rows[b].tolist()
                    raise AssertionError(
                        f"{call}, row {ids}: query {i} (document {ids[i]}) {'may' if got[b, 0, i, j] else 'may not'} attend to key {j} "
                        f"(document {ids[j]}); expected {'may' if want[i, j] else 'may not'} (same document only, -1 = padding sees nothing"
                        f"{', and key j <= query i' if causal else ''})"
                    )
        one = ex.document_mask(rows[0])
        check_bool_mask(one, (1, 1, 8, 8), "document_mask(ids (8,))")

    def test_padding_sees_nothing_and_is_seen_by_nothing(self):
        ex = lab.exercise(3)
        ids = torch.tensor([0, 0, 1, -1, -1])
        for causal in (True, False):
            m = ex.document_mask(ids, causal=causal)[0, 0]
            assert not m[3:].any(), f"document_mask({ids.tolist()}, causal={causal}): the padding positions 3, 4 attend to {m[3:].nonzero().tolist()}; padding sees nothing"
            assert not m[:, 3:].any(), f"document_mask({ids.tolist()}, causal={causal}): real tokens attend to padding keys; padding is seen by nothing"

    def test_combine_masks_ands_broadcasts_and_skips_none(self):
        ex = lab.exercise(3)
        causal = torch.ones(4, 4, dtype=torch.bool).tril()
        pad = torch.tensor([True, True, True, False]).view(1, 1, 1, 4).expand(2, 1, 1, 4).clone()
        pad[1, ..., 2] = False
        got = ex.combine_masks(causal, None, pad)
        want = causal & pad
        assert isinstance(got, torch.Tensor) and got.dtype == torch.bool and tuple(got.shape) == (2, 1, 4, 4), (
            f"combine_masks(causal (4, 4), None, padding (2, 1, 1, 4)) returned {getattr(got, 'dtype', type(got))} {tuple(getattr(got, 'shape', ()))}; expected bool (2, 1, 4, 4)"
        )
        assert torch.equal(got, want), "combine_masks(causal, None, padding) differs from causal & padding"
        assert ex.combine_masks(None, None) is None, "combine_masks(None, None) should be None (no mask at all)"
        assert torch.equal(ex.combine_masks(None, causal), causal), "combine_masks(None, m) should be m"
        local = ~torch.ones(4, 4, dtype=torch.bool).tril(-2)  # j > i - 2
        assert torch.equal(ex.combine_masks(causal, pad, local), causal & pad & local), "combine_masks(a, b, c) differs from a & b & c"

    def test_pack_documents_concatenates_and_pads_with_zeros(self):
        ex = lab.exercise(3)
        docs = [torch.randn(3, 2), torch.randn(1, 2), torch.randn(2, 2)]
        x, ids = ex.pack_documents(docs, 8)
        assert tuple(x.shape) == (8, 2), f"pack_documents(3 documents of lengths 3, 1, 2, t=8) returned x of shape {tuple(x.shape)}; expected (8, 2)"
        close(x[:6], torch.cat(docs), "pack_documents(docs, t=8): the first 6 rows should be the documents in order")
        assert torch.equal(x[6:], torch.zeros(2, 2)), "pack_documents(docs, t=8): the padding rows should be zeros"
        assert ids.tolist() == [0, 0, 0, 1, 2, 2, -1, -1], f"pack_documents(docs, t=8) returned ids {ids.tolist()}; expected [0, 0, 0, 1, 2, 2, -1, -1]"
        x2, ids2 = ex.pack_documents(docs)
        assert tuple(x2.shape) == (6, 2) and ids2.tolist() == [0, 0, 0, 1, 2, 2], "pack_documents(docs) without t should have exactly sum(lengths) = 6 rows, no padding"


@pytest.mark.exercise(3)
class TestPackedAttention:
    """The oracle: a packed batch with the document mask equals each document run through F.sdpa alone."""

    @pytest.mark.parametrize("causal", [True, False], ids=["causal", "bidirectional"])
    def test_packed_documents_attend_as_if_run_alone(self, causal):
        ex = lab.exercise(3)
        h, d = 2, 4
        for n_docs in ([4], [3, 4]):  # one packed row; a batch of 2 rows
            rows = []
            for n in n_docs:  # random lengths 1..6, one document of length 1 in every row
                lengths = torch.randint(1, 7, (n,))
                lengths[torch.randint(0, n, ())] = 1
                rows.append(lengths.tolist())
            t = max(map(sum, rows)) + 2  # every row ends with padding
            packed, ids, docs = [], [], []
            for lengths in rows:
                row_docs = [torch.randn(h, L, d, dtype=torch.float64) for L in lengths]
                x, i = ex.pack_documents([doc.transpose(0, 1) for doc in row_docs], t)  # documents as (T_i, H, D)
                packed.append(x.transpose(0, 1))
                ids.append(i)
                docs.append(row_docs)
            x = torch.stack(packed)  # (B, H, T, D)
            padding = ex.padding_mask([sum(lengths) for lengths in rows], t)  # (B, 1, 1, T)
            mask = ex.combine_masks(ex.document_mask(torch.stack(ids), causal=causal), padding)  # (B, 1, T, T)
            out = F.scaled_dot_product_attention(x, x, x, attn_mask=mask)
            for b, (lengths, row_docs) in enumerate(zip(rows, docs)):
                start = 0
                for n, doc in enumerate(row_docs):
                    alone = F.scaled_dot_product_attention(doc, doc, doc, is_causal=causal)
                    close(out[b, :, start:start + doc.size(1)], alone,
                          f"packed row {b} with documents of lengths {lengths} (t={t}), document_mask(causal={causal}): document {n} "
                          f"(positions {start}..{start + doc.size(1) - 1}) differs from running it alone through F.sdpa(is_causal={causal})")
                    start += doc.size(1)
                assert torch.equal(out[b, :, start:], torch.zeros_like(out[b, :, start:])), (
                    f"packed row {b} with documents of lengths {lengths} (t={t}): the padding positions {start}..{t - 1} should see nothing (output zeros)"
                )


# ---------------------------------------------------------------------------------------------
# Exercise 4: flash-style attention
# ---------------------------------------------------------------------------------------------

ONLINE_SOFTMAX_ONLY = dict(why="Exercise 4 asks for the online softmax: no softmax and no F.scaled_dot_product_attention in the tiled forward")
SOFTMAX_SHORTCUTS = (
    "torch.nn.functional.scaled_dot_product_attention", "torch.softmax", "torch.nn.functional.softmax",
    "aten._softmax", "aten._safe_softmax", "aten._scaled_dot_product_flash_attention_for_cpu",
)

# (leading dims, T_q, T_k, D, D_v, block_q, block_k, is_causal): blocks of 1, blocks that do not divide T,
# blocks larger than T, T = 1, T_q != T_k both ways, no leading dims, one and two leading dims.
FORWARD_CASES = [
    ((2, 3), 7, 7, 5, 4, 3, 2, True),
    ((2, 3), 7, 7, 5, 4, 3, 2, False),
    ((2,), 1, 1, 3, 3, 1, 1, True),
    ((1, 1), 1, 9, 4, 2, 64, 64, False),
    ((1, 2), 5, 12, 3, 5, 2, 5, True),
    ((2, 1), 12, 5, 3, 3, 5, 2, True),
    ((1,), 10, 10, 6, 6, 4, 1, True),
    ((3,), 9, 6, 2, 3, 1, 4, False),
    ((), 11, 11, 4, 4, 3, 3, True),
    ((1, 1), 16, 16, 8, 8, 16, 16, True),
]


def _flash_qkv(lead, t_q, t_k, d, d_v, dtype=torch.float64, requires_grad=False):
    q = torch.randn(*lead, t_q, d, dtype=dtype, requires_grad=requires_grad)
    k = torch.randn(*lead, t_k, d, dtype=dtype, requires_grad=requires_grad)
    v = torch.randn(*lead, t_k, d_v, dtype=dtype, requires_grad=requires_grad)
    return q, k, v


def _flash_masked_scores(q, k, is_causal):
    s = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    if is_causal:
        keep = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        s = s.masked_fill(~keep, float("-inf"))
    return s


def _fold_blocks(update, m, l, acc, blocks):
    for s, v in blocks:
        m, l, acc = update(m, l, acc, s, v)
    return m, l, acc


def _fold_wrong(blocks, m, l, acc, rescale_sum=True, rescale_acc=True):
    """The recurrence with one of the two corrections left out (to name a learner's bug)."""
    for s, v in blocks:
        m_new = torch.maximum(m, s.amax(-1))
        alpha = torch.exp(m - m_new)
        p = torch.exp(s - m_new.unsqueeze(-1))
        l = (alpha * l if rescale_sum else l) + p.sum(-1)
        acc = (alpha.unsqueeze(-1) * acc if rescale_acc else acc) + p @ v
        m = m_new
    return m, l, acc


def _fresh_state(lead, rows, d_v, dtype=torch.float64):
    return (torch.full((*lead, rows), float("-inf"), dtype=dtype), torch.zeros(*lead, rows, dtype=dtype),
            torch.zeros(*lead, rows, d_v, dtype=dtype))


@pytest.mark.exercise(4)
class TestOnlineSoftmaxUpdate:
    def test_folding_blocks_gives_the_row_max_the_sum_and_the_weighted_values_of_all_scores(self):
        ex = lab.exercise(4)
        lead, rows, d_v = (2,), 5, 3
        widths = [3, 1, 4, 2]
        # Later blocks hold larger scores, so the running max moves and every correction matters.
        blocks = [(torch.randn(*lead, rows, w, dtype=torch.float64) + 2.0 * i, torch.randn(*lead, w, d_v, dtype=torch.float64))
                  for i, w in enumerate(widths)]
        s_all = torch.cat([s for s, _ in blocks], dim=-1)
        v_all = torch.cat([v for _, v in blocks], dim=-2)
        m_exp = s_all.amax(-1)
        p = torch.exp(s_all - m_exp.unsqueeze(-1))
        l_exp, acc_exp = p.sum(-1), p @ v_all
        m, l, acc = _fold_blocks(ex.online_softmax_update, *_fresh_state(lead, rows, d_v), blocks)
        call = f"online_softmax_update folded over blocks of widths {widths} from (-inf, 0, 0)"
        close(m, m_exp, f"{call}: m is not the row max of all the scores")
        _, l_no_rescale, _ = _fold_wrong(blocks, *_fresh_state(lead, rows, d_v), rescale_sum=False)
        if l.shape == l_no_rescale.shape and torch.allclose(l, l_no_rescale):
            pytest.fail(f"{call}: l matches l + rowsum(exp(s - m')): you forgot to rescale the running sum "
                        f"by exp(m - m') when the max grows")
        close(l, l_exp, f"{call}: l is not sum_j exp(s_j - m) over all the scores")
        _, _, acc_no_rescale = _fold_wrong(blocks, *_fresh_state(lead, rows, d_v), rescale_acc=False)
        if acc.shape == acc_no_rescale.shape and torch.allclose(acc, acc_no_rescale):
            pytest.fail(f"{call}: acc matches acc + exp(s - m') @ v: you forgot to rescale the accumulator "
                        f"by exp(m - m') when the max grows")
        close(acc, acc_exp, f"{call}: acc is not exp(s - m) @ v over all the blocks")

    def test_one_block_is_the_unnormalised_softmax_of_that_block(self):
        ex = lab.exercise(4)
        s, v = torch.randn(4, 1, dtype=torch.float64), torch.randn(1, 2, dtype=torch.float64)
        m, l, acc = ex.online_softmax_update(*_fresh_state((), 4, 2), s, v)
        call = "online_softmax_update(-inf, 0, 0, s (4, 1), v (1, 2)) (one key, width-1 block)"
        close(m, s[:, 0], f"{call}: m should be the only score")
        close(l, torch.ones(4, dtype=torch.float64), f"{call}: l should be exp(s - m) = 1")
        close(acc, v.expand(4, 2), f"{call}: acc should be exp(s - m) * v = v")

    def test_a_fully_masked_row_stays_fresh_without_nan_and_later_blocks_still_count(self):
        ex = lab.exercise(4)
        rows, d_v = 3, 2
        s1 = torch.randn(rows, 4, dtype=torch.float64)
        s1[0] = float("-inf")                                  # row 0 sees no key of this block
        s1[2, :2] = float("-inf")                              # row 2 sees some
        v1, s2, v2 = torch.randn(4, d_v, dtype=torch.float64), torch.randn(rows, 3, dtype=torch.float64), torch.randn(3, d_v, dtype=torch.float64)
        m, l, acc = ex.online_softmax_update(*_fresh_state((), rows, d_v), s1, v1)
        call = "online_softmax_update(-inf, 0, 0, s, v) with row 0 of s all -inf"
        for name, t in (("m", m), ("l", l), ("acc", acc)):
            assert not torch.isnan(t).any(), (f"{call}: {name} has NaN at rows {torch.isnan(t).nonzero()[:, 0].unique().tolist()} "
                                              f"(exp(-inf - (-inf)) is NaN: shift such rows by 0)")
        assert math.isinf(m[0].item()) and m[0].item() < 0, f"{call}: m[0] is {m[0].item()}, expected -inf"
        assert l[0].item() == 0.0 and bool((acc[0] == 0).all()), f"{call}: row 0 should stay at l = 0, acc = 0; got l = {l[0].item()}, acc = {acc[0].tolist()}"
        m, l, acc = ex.online_softmax_update(m, l, acc, s2, v2)
        s_all, v_all = torch.cat([s1, s2], -1), torch.cat([v1, v2], -2)
        m_exp = s_all.amax(-1)
        p = torch.exp(s_all - m_exp.unsqueeze(-1))
        call2 = f"{call}, then a second block with real scores"
        assert not torch.isnan(acc).any() and not torch.isnan(l).any(), f"{call2}: NaN in l or acc"
        close(m, m_exp, f"{call2}: m is wrong")
        close(l, p.sum(-1), f"{call2}: l is wrong (row 0 should now count the second block only)")
        close(acc, p @ v_all, f"{call2}: acc is wrong (row 0 should now count the second block only)")


@pytest.mark.exercise(4)
class TestFlashForward:
    @staticmethod
    def _call(lead, t_q, t_k, d, d_v, bq, bk, causal):
        return (f"flash_attention_forward(q {(*lead, t_q, d)}, k {(*lead, t_k, d)}, v {(*lead, t_k, d_v)}, "
                f"is_causal={causal}, block_q={bq}, block_k={bk})")

    def test_equals_sdpa_and_logsumexp_in_float64_for_any_block_sizes(self):
        ex = lab.exercise(4)
        for lead, t_q, t_k, d, d_v, bq, bk, causal in FORWARD_CASES:
            q, k, v = _flash_qkv(lead, t_q, t_k, d, d_v)
            expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            lse_exp = torch.logsumexp(_flash_masked_scores(q, k, causal), dim=-1)
            with forbid(*SOFTMAX_SHORTCUTS, **ONLINE_SOFTMAX_ONLY):
                out, lse = ex.flash_attention_forward(q, k, v, is_causal=causal, block_q=bq, block_k=bk)
            call = self._call(lead, t_q, t_k, d, d_v, bq, bk, causal)
            close(out, expected, f"{call}: out differs from F.scaled_dot_product_attention(q, k, v, is_causal={causal})"
                  + (" (is_causal is top-left aligned: query i sees keys j <= i)" if causal and t_q != t_k else ""))
            close(lse, lse_exp, f"{call}: lse differs from torch.logsumexp of the (masked) scores, m + log(l)")

    def test_works_on_non_contiguous_inputs(self):
        ex = lab.exercise(4)
        # (B, T, H, D) projections viewed as (B, H, T, D), as a multi-head layer hands them over.
        q, k, v = (torch.randn(2, t, 3, 4, dtype=torch.float64).transpose(1, 2) for t in (6, 9, 9))
        with forbid(*SOFTMAX_SHORTCUTS, **ONLINE_SOFTMAX_ONLY):
            out, _ = ex.flash_attention_forward(q, k, v, is_causal=True, block_q=4, block_k=4)
        close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True),
              "flash_attention_forward(q (2, 3, 6, 4), k and v (2, 3, 9, 4), all transposed views (non-contiguous), "
              "is_causal=True, block_q=4, block_k=4) differs from F.scaled_dot_product_attention")

    def test_equals_sdpa_in_float32_with_an_explicit_scale(self):
        ex = lab.exercise(4)
        for lead, t_q, t_k, d, d_v, bq, bk, causal in [((2, 2), 13, 13, 8, 8, 4, 5, True), ((1, 3), 6, 17, 5, 3, 7, 3, False)]:
            q, k, v = _flash_qkv(lead, t_q, t_k, d, d_v, dtype=torch.float32)
            expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=0.3)
            with forbid(*SOFTMAX_SHORTCUTS, **ONLINE_SOFTMAX_ONLY):
                out, _ = ex.flash_attention_forward(q, k, v, is_causal=causal, scale=0.3, block_q=bq, block_k=bk)
            close(out, expected, f"{self._call(lead, t_q, t_k, d, d_v, bq, bk, causal)[:-1]}, scale=0.3) in float32 "
                  f"differs from F.scaled_dot_product_attention", **tolerances("cpu", torch.float32))

    def test_never_materialises_the_score_matrix(self):
        ex, ref = lab.exercise(4), lab.reference(4)
        t, d = 512, 16
        q, k, v = _flash_qkv((1,), t, t, d, d, dtype=torch.float32)
        full = t * t * 4
        with torch.no_grad():
            with track_tensor_memory() as naive:
                ref.naive_attention(q, k, v, is_causal=True)
            with track_tensor_memory() as mem:
                ex.flash_attention_forward(q, k, v, is_causal=True, block_q=32, block_k=32)
        assert naive.largest_bytes == full  # the baseline: one (T, T) float32 tensor
        call = f"flash_attention_forward(q, k, v (1, {t}, {d}) float32, is_causal=True, block_q=32, block_k=32)"
        strip = 32 * t * 4  # one block of queries against ALL keys: (32, T) float32
        assert mem.largest_bytes < strip, (
            f"{call} created a tensor of {mem.largest_bytes} bytes; the (T, T) scores are {full} bytes, a (32, T) "
            f"strip of them {strip} and one (32, 32) block {32 * 32 * 4}: the largest tensor may be the (T, D) output "
            f"({t * d * 4} bytes), never a strip; walk over the keys one block_k block at a time")
        assert mem.peak_bytes < naive.peak_bytes / 4, (
            f"{call} held {mem.peak_bytes} bytes at its peak, naive attention {naive.peak_bytes}: the tiled forward "
            f"should keep only O(T * D) plus one block")

    def test_no_keys_gives_zeros_and_lse_minus_inf_like_sdpa_and_logsumexp(self):
        ex = lab.exercise(4)
        q, k, v = torch.randn(1, 2, 3, 4), torch.randn(1, 2, 0, 4), torch.randn(1, 2, 0, 5)
        with forbid(*SOFTMAX_SHORTCUTS, **ONLINE_SOFTMAX_ONLY):
            out, lse = ex.flash_attention_forward(q, k, v, block_q=2, block_k=2)
        call = "flash_attention_forward(q (1, 2, 3, 4), k and v with T_k = 0 keys)"
        close(out, F.scaled_dot_product_attention(q, k, v), f"{call}: a row that sees no key must give zeros, as F.sdpa "
              "does (acc / l is 0/0 there: guard l == 0)")
        close(lse, torch.logsumexp(torch.empty(1, 2, 3, 0), -1), f"{call}: the log-sum-exp of no scores is -inf, "
              "as torch.logsumexp of an empty row")


def _count_score_matmuls(fn):
    """How many matrix products (aten.bmm / mm / matmul / baddbmm) run inside fn."""
    from torch.utils._python_dispatch import TorchDispatchMode

    ops = {"bmm", "mm", "matmul", "baddbmm", "addmm"}
    count = [0]

    class Counter(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.overloadpacket.__name__ in ops:
                count[0] += 1
            return func(*args, **(kwargs or {}))

    with Counter():
        fn()
    return count[0]


@pytest.mark.exercise(4)
class TestFlashCausalSkipping:
    def test_causal_forward_skips_the_key_blocks_after_each_query_block(self):
        ex = lab.exercise(4)
        t, d, blk = 256, 8, 32  # 8 x 8 block pairs; causal needs only the 36 on or below the diagonal
        q, k, v = _flash_qkv((1,), t, t, d, d, dtype=torch.float32)
        with torch.no_grad():
            full = _count_score_matmuls(lambda: ex.flash_attention_forward(q, k, v, False, None, blk, blk))
            causal = _count_score_matmuls(lambda: ex.flash_attention_forward(q, k, v, True, None, blk, blk))
        assert full > 0 and causal <= 0.7 * full, (
            f"flash_attention_forward(T={t}, block_q=block_k={blk}) ran {causal} matrix products with is_causal=True "
            f"and {full} without: with a causal mask, key blocks that start after a query block's last row are all "
            f"-inf and should be skipped (36 of the 64 block pairs remain, so about 56% of the work)")


BACKWARD_CASES = [  # (leading dims, T_q, T_k, D, block_q, block_k, is_causal)
    ((2, 2), 7, 7, 3, 3, 2, True),
    ((2, 2), 7, 7, 3, 3, 2, False),
    ((1, 2), 5, 9, 4, 2, 3, True),
    ((2, 1), 9, 4, 2, 4, 3, True),
    ((1, 1), 1, 1, 3, 1, 1, False),
    ((1, 3), 8, 8, 5, 16, 16, True),
]


def _sdpa_grads(q, k, v, grad_out, causal, scale=None):
    q, k, v = (t.detach().requires_grad_() for t in (q, k, v))
    F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale).backward(grad_out)
    return q.grad, k.grad, v.grad


@pytest.mark.exercise(4)
class TestFlashBackward:
    def test_backward_gradients_equal_autograd_through_sdpa(self):
        ex, ref = lab.exercise(4), lab.reference(4)
        for lead, t_q, t_k, d, bq, bk, causal in BACKWARD_CASES:
            q, k, v = _flash_qkv(lead, t_q, t_k, d, d)
            grad_out = torch.randn(*lead, t_q, d, dtype=torch.float64)
            out, lse = ref.flash_attention_forward(q, k, v, is_causal=causal, block_q=bq, block_k=bk)
            got = ex.flash_attention_backward(q, k, v, out, lse, grad_out, is_causal=causal, block_q=bq, block_k=bk)
            call = (f"flash_attention_backward(q {(*lead, t_q, d)}, k {(*lead, t_k, d)}, ..., is_causal={causal}, "
                    f"block_q={bq}, block_k={bk})")
            for name, g, e in zip(("dq", "dk", "dv"), got, _sdpa_grads(q, k, v, grad_out, causal)):
                close(g, e, f"{call}: {name} differs from autograd through F.scaled_dot_product_attention")

    def test_flash_attention_function_backpropagates_like_sdpa(self):
        ex = lab.exercise(4)
        for (lead, t_q, t_k, d, bq, bk, causal), scale in zip(BACKWARD_CASES[:4], (None, 0.5, None, 1.3)):
            q, k, v = _flash_qkv(lead, t_q, t_k, d, d, requires_grad=True)
            grad_out = torch.randn(*lead, t_q, d, dtype=torch.float64)
            out = ex.flash_attention(q, k, v, causal, scale, bq, bk)
            out.backward(grad_out)
            call = (f"FlashAttention.apply(q {tuple(q.shape)}, k {tuple(k.shape)}, v, is_causal={causal}, scale={scale}, "
                    f"block_q={bq}, block_k={bk})")
            close(out.detach(), F.scaled_dot_product_attention(q.detach(), k.detach(), v.detach(), is_causal=causal, scale=scale),
                  f"{call}: the output differs from F.scaled_dot_product_attention")
            for name, t, e in zip(("q.grad", "k.grad", "v.grad"), (q, k, v), _sdpa_grads(q, k, v, grad_out, causal, scale)):
                assert t.grad is not None, f"{call}: {name} is None after backward"
                close(t.grad, e, f"{call}: {name} differs from autograd through F.scaled_dot_product_attention")

    def test_gradcheck_passes_in_float64(self):
        ex = lab.exercise(4)
        for (t_q, t_k, bq, bk, causal) in [(5, 5, 2, 3, True), (3, 5, 2, 2, False), (4, 3, 3, 1, True)]:
            q, k, v = _flash_qkv((1, 2), t_q, t_k, 3, 3, requires_grad=True)
            assert torch.autograd.gradcheck(lambda q, k, v: ex.FlashAttention.apply(q, k, v, causal, None, bq, bk),
                                            (q, k, v), raise_exception=False), (
                f"torch.autograd.gradcheck failed on FlashAttention (T_q={t_q}, T_k={t_k}, is_causal={causal}, "
                f"block_q={bq}, block_k={bk}): the backward is not the derivative of the forward")

    def test_saves_only_o_of_t_times_d_for_the_backward(self):
        ex = lab.exercise(4)
        t_q, t_k, d = 24, 32, 3
        q, k, v = _flash_qkv((1, 2), t_q, t_k, d, d, requires_grad=True)
        saved: list[tuple[int, ...]] = []

        def pack(t):
            saved.append(tuple(t.shape))
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            ex.flash_attention(q, k, v, True, None, 8, 8)
        call = f"FlashAttention.apply(q (1, 2, {t_q}, {d}), k and v (1, 2, {t_k}, {d}))"
        assert saved, f"{call} saved no tensor for the backward (use ctx.save_for_backward)"
        big = [s for s in saved if math.prod(s) >= t_q * t_k]
        assert not big, (f"{call} saved tensors of shapes {big} for the backward: that is O(T_q * T_k); save q, k, v, "
                         f"out and lse (O(T * D)) and recompute the weights block by block")

    def test_keeps_no_score_sized_tensor_on_ctx(self):
        ex = lab.exercise(4)
        t_q, t_k, d = 24, 32, 3
        q, k, v = _flash_qkv((1, 2), t_q, t_k, d, d, requires_grad=True)
        out = ex.flash_attention(q, k, v, True, None, 8, 8)
        node = out.grad_fn  # a custom Function's backward node is its ctx
        big = {name: tuple(val.shape) for name, val in vars(node).items()
               if isinstance(val, torch.Tensor) and val.numel() >= t_q * t_k}
        assert not big, (f"FlashAttention.forward kept {big} on ctx as attributes: that is O(T_q * T_k) memory held "
                         f"until the backward; keep only q, k, v, out and lse (ctx.save_for_backward)")

    def test_backward_never_materialises_the_weights(self):
        ex, ref = lab.exercise(4), lab.reference(4)
        t, d = 256, 8
        q, k, v = _flash_qkv((1,), t, t, d, d, dtype=torch.float32)
        out, lse = ref.flash_attention_forward(q, k, v, is_causal=True, block_q=32, block_k=32)
        grad_out = torch.randn_like(out)
        with track_tensor_memory() as mem:
            ex.flash_attention_backward(q, k, v, out, lse, grad_out, is_causal=True, block_q=32, block_k=32)
        strip = 32 * t * 4  # one block of queries against ALL keys: (32, T) float32
        assert mem.largest_bytes < strip, (
            f"flash_attention_backward(q, k, v (1, {t}, {d}), ..., block_q=32, block_k=32) created a tensor of "
            f"{mem.largest_bytes} bytes; the (T, T) weights are {t * t * 4} bytes and a (32, T) strip of them {strip}, "
            f"the limit here: recompute P one (block_q, block_k) block at a time")


# ---------------------------------------------------------------------------------------------
# Exercise 5: grouped-query attention and the KV cache
# ---------------------------------------------------------------------------------------------

_SDPA = F.scaled_dot_product_attention


def _sdpa_without_gqa(*args, enable_gqa=False, **kwargs):
    if enable_gqa:
        raise AssertionError("grouped_query_attention called F.scaled_dot_product_attention(..., enable_gqa=True): "
                             "Exercise 5 asks you to do the grouping yourself (repeat_kv), then plain attention")
    return _SDPA(*args, **kwargs)


DECODER_CONFIGS = [  # MHA, GQA, MQA; one and two layers
    dict(vocab=32, dim=32, n_layers=1, n_heads=4, n_kv_heads=4, max_len=16),
    dict(vocab=32, dim=32, n_layers=2, n_heads=4, n_kv_heads=2, max_len=16),
    dict(vocab=32, dim=32, n_layers=2, n_heads=4, n_kv_heads=1, max_len=16),
]


def _describe_decoder(cfg):
    kind = "MHA" if cfg["n_kv_heads"] == cfg["n_heads"] else "MQA" if cfg["n_kv_heads"] == 1 else "GQA"
    return f"TinyDecoder({kind}: n_layers={cfg['n_layers']}, n_heads={cfg['n_heads']}, n_kv_heads={cfg['n_kv_heads']}, float64)"


def _decoders(ex, ref, cfg):
    """The same weights in the target's TinyDecoder (your attention) and the reference one."""
    torch.manual_seed(1)
    mine = ex.TinyDecoder(**cfg).double()
    theirs = ref.TinyDecoder(**cfg).double()
    theirs.load_state_dict(mine.state_dict())
    return mine.eval(), theirs.eval()


def _first_difference(got, expected, prefill):
    """'at the prefill (position 2)' or 'at decode step 3 (position 5)' where the logits first differ, or None."""
    if got.shape != expected.shape:
        return f"logits have shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
    for t in range(expected.size(1)):
        if not torch.allclose(got[:, t], expected[:, t], rtol=1e-9, atol=1e-9):
            where = f"in the prefill (position {t})" if t < prefill else f"at decode step {t - prefill + 1} (position {t})"
            err = (got[:, t] - expected[:, t]).abs().max().item()
            return f"the logits first differ {where}, by up to {err:.3g}"
    return None


@pytest.mark.exercise(5)
class TestRepeatKV:
    def test_equals_repeat_interleave_on_the_head_dim(self):
        ex = lab.exercise(5)
        for shape, n_rep in [((2, 3, 5, 4), 2), ((1, 2, 1, 3), 3), ((2, 1, 4, 5), 4), ((1, 3, 2, 2), 1)]:
            x = torch.randn(shape)
            got = ex.repeat_kv(x, n_rep)
            call = f"repeat_kv(x {shape}, n_rep={n_rep})"
            tiled = x.repeat(1, n_rep, 1, 1)
            if n_rep > 1 and shape[1] > 1 and got.shape == tiled.shape and torch.equal(got, tiled):
                pytest.fail(f"{call} tiles the heads 0,1,..,0,1,.. (Tensor.repeat); output head h must be input head "
                            f"h // n_rep (torch.repeat_interleave), the grouping of F.sdpa's enable_gqa")
            close(got, torch.repeat_interleave(x, n_rep, dim=1), f"{call} differs from torch.repeat_interleave(x, {n_rep}, dim=1)")

    def test_works_on_a_non_contiguous_input(self):
        ex = lab.exercise(5)
        x = torch.randn(2, 6, 3, 4).transpose(1, 2)  # (B, H_kv=3, T=6, D=4) from a (B, T, H_kv, D) projection
        close(ex.repeat_kv(x, 2), torch.repeat_interleave(x, 2, dim=1),
              "repeat_kv(x, 2) with x = a transposed (non-contiguous) (2, 3, 6, 4) tensor differs from torch.repeat_interleave")


@pytest.mark.exercise(5)
class TestGroupedQueryAttention:
    @pytest.mark.parametrize("h,h_kv", [(8, 8), (8, 2), (8, 1)])
    def test_equals_sdpa_with_enable_gqa(self, h, h_kv, monkeypatch):
        ex = lab.exercise(5)
        monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", _sdpa_without_gqa)
        b, d = 2, 4
        for t_q, t_k, mode in [(5, 5, "causal"), (3, 7, "mask"), (1, 6, "none")]:
            q = torch.randn(b, h, t_q, d, dtype=torch.float64)
            k, v = torch.randn(b, h_kv, t_k, d, dtype=torch.float64), torch.randn(b, h_kv, t_k, d, dtype=torch.float64)
            mask = None
            if mode == "mask":
                mask = torch.rand(t_q, t_k) < 0.6
                mask[:, 0] = True
            causal = mode == "causal"
            got = ex.grouped_query_attention(q, k, v, attn_mask=mask, is_causal=causal)
            expected = _SDPA(q, k, v, attn_mask=mask, is_causal=causal, enable_gqa=True)
            call = f"grouped_query_attention(q {tuple(q.shape)}, k and v {tuple(k.shape)}, {mode})"
            if h_kv not in (1, h):
                tiled = _SDPA(q, k.repeat(1, h // h_kv, 1, 1), v.repeat(1, h // h_kv, 1, 1), attn_mask=mask, is_causal=causal)
                if got.shape == tiled.shape and torch.allclose(got, tiled):
                    pytest.fail(f"{call}: query head h read key/value head h % {h_kv}; it must read h // {h // h_kv} "
                                f"(repeat_interleave, not Tensor.repeat)")
            close(got, expected, f"{call} differs from F.scaled_dot_product_attention(..., enable_gqa=True)")

    def test_raises_value_error_when_kv_heads_do_not_divide_heads(self):
        ex = lab.exercise(5)
        q, k = torch.randn(1, 8, 3, 4), torch.randn(1, 3, 3, 4)
        try:
            ex.grouped_query_attention(q, k, k)
        except ValueError:
            return
        except (RuntimeError, IndexError) as err:
            pytest.fail(f"grouped_query_attention(q with 8 heads, k and v with 3) raised {type(err).__name__} ({err}); "
                        f"check the head counts first and raise ValueError: 3 does not divide 8")
        pytest.fail("grouped_query_attention(q with 8 heads, k and v with 3) returned a result; 3 does not divide 8: raise ValueError")


@pytest.mark.exercise(5)
class TestKVCacheBytes:
    def test_formula_values(self):
        ex = lab.exercise(5)
        # A LLaMA-3-8B-shaped cache: 32 layers, 8 KV heads of 128, 4096 tokens, bfloat16 -> 512 MiB.
        got = ex.kv_cache_bytes(32, 8, 128, 4096, 1, 2)
        assert got == 2 * 32 * 8 * 128 * 4096 * 2, f"kv_cache_bytes(32, 8, 128, 4096, 1, 2) returned {got}, expected {2 * 32 * 8 * 128 * 4096 * 2} (512 MiB)"
        got = ex.kv_cache_bytes(3, 2, 16, 10, batch=5, bytes_per_element=4)
        assert got == 2 * 3 * 2 * 16 * 10 * 5 * 4, f"kv_cache_bytes(3, 2, 16, 10, batch=5, bytes_per_element=4) returned {got}, expected {2 * 3 * 2 * 16 * 10 * 5 * 4}"
        got = ex.kv_cache_bytes(1, 1, 1, 1)
        assert got == 4, f"kv_cache_bytes(1, 1, 1, 1) returned {got}: with the defaults batch=1, 2 bytes an element, K and V make 4"

    def test_matches_the_buffers_of_a_decoders_caches(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        for (n_layers, n_heads, n_kv, dim, max_len, batch), dtype in [((2, 4, 2, 32, 20, 3), torch.float32),
                                                                         ((3, 4, 1, 16, 7, 1), torch.bfloat16),
                                                                         ((1, 2, 2, 8, 5, 2), torch.float64)]:
            model = ref.TinyDecoder(vocab=8, dim=dim, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv, max_len=max_len).to(dtype)
            real = sum(c.k.nbytes + c.v.nbytes for c in model.new_caches(batch))
            size = torch.empty((), dtype=dtype).element_size()
            got = ex.kv_cache_bytes(n_layers, n_kv, dim // n_heads, max_len, batch, size)
            assert got == real, (f"kv_cache_bytes({n_layers}, {n_kv}, {dim // n_heads}, {max_len}, {batch}, {size}) returned {got}; "
                                 f"the K and V buffers of a {n_layers}-layer TinyDecoder in {dtype} hold {real} bytes")


@pytest.mark.exercise(5)
class TestKVCacheUpdate:
    def test_writes_at_the_next_positions_and_returns_views_of_the_filled_prefix(self):
        ex = lab.exercise(5)
        cache = ex.KVCache(2, 3, 10, 4, dtype=torch.float64)
        written_k, written_v = [], []
        for t_new in (4, 1, 3):
            k_new, v_new = torch.randn(2, 3, t_new, 4, dtype=torch.float64), torch.randn(2, 3, t_new, 4, dtype=torch.float64)
            before = cache.length
            k, v = cache.update(k_new, v_new)
            written_k.append(k_new)
            written_v.append(v_new)
            n = sum(t.size(2) for t in written_k)
            call = f"KVCache(2, 3, max_len=10, 4).update of {t_new} tokens after {before}"
            assert cache.length == n, f"{call}: length is {cache.length}, expected {n}"
            assert tuple(k.shape) == (2, 3, n, 4) and tuple(v.shape) == (2, 3, n, 4), (
                f"{call} returned k {tuple(k.shape)}, v {tuple(v.shape)}; expected the filled prefix (2, 3, {n}, 4)")
            close(k, torch.cat(written_k, 2), f"{call}: the returned keys are not all the keys written so far, in order")
            close(v, torch.cat(written_v, 2), f"{call}: the returned values are not all the values written so far, in order")
            close(cache.k[:, :, :n], torch.cat(written_k, 2), f"{call}: cache.k[:, :, :{n}] does not hold the keys written")
            close(cache.v[:, :, :n], torch.cat(written_v, 2), f"{call}: cache.v[:, :, :{n}] does not hold the values written")
            assert bool((cache.k[:, :, n:] == 0).all()), f"{call} wrote past position {n - 1}"
            for name, t, buf in (("k", k, cache.k), ("v", v, cache.v)):
                assert t.data_ptr() == buf.data_ptr() and t._base is buf, (
                    f"{call} returned a copy of {name}; return a view of the buffer (cache.{name}[:, :, :length])")

    def test_fills_to_max_len_and_raises_value_error_past_it(self):
        ex = lab.exercise(5)
        cache = ex.KVCache(1, 2, 5, 3)
        cache.update(torch.randn(1, 2, 3, 3), torch.randn(1, 2, 3, 3))
        try:
            k, _ = cache.update(torch.randn(1, 2, 2, 3), torch.randn(1, 2, 2, 3))  # exactly max_len: allowed
        except ValueError as err:
            pytest.fail(f"KVCache(1, 2, max_len=5, 3): 3 tokens then 2 more raised ValueError ({err}); filling the cache "
                        f"exactly to max_len is allowed, only going past it is not")
        assert cache.length == 5 and k.size(2) == 5, f"KVCache(max_len=5): 3 then 2 tokens gave length {cache.length}, expected 5"
        try:
            cache.update(torch.randn(1, 2, 1, 3), torch.randn(1, 2, 1, 3))
        except ValueError:
            return
        except RuntimeError as err:
            pytest.fail(f"KVCache(max_len=5) full, then update of 1 more token raised RuntimeError ({err}); check the length "
                        f"first and raise ValueError")
        pytest.fail(f"KVCache(max_len=5) full, then update of 1 more token did not raise ValueError (length is now {cache.length})")


@pytest.mark.exercise(5)
class TestIncrementalDecoding:
    @pytest.mark.parametrize("cfg", DECODER_CONFIGS, ids=["mha", "gqa", "mqa"])
    def test_attention_without_cache_equals_the_reference_decoder(self, cfg):
        ex, ref = lab.exercise(5), lab.reference(5)
        mine, theirs = _decoders(ex, ref, cfg)
        tokens = torch.randint(0, cfg["vocab"], (2, 9))
        with torch.no_grad():
            close(mine(tokens), theirs(tokens), f"{_describe_decoder(cfg)}(tokens (2, 9)) with your CausalSelfAttention and no cache "
                  f"differs from the reference (causal GQA attention with RoPE at positions 0..8)", rtol=1e-9, atol=1e-9)

    def test_the_cache_holds_keys_rotated_by_their_own_positions(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        torch.manual_seed(2)
        attn = ex.CausalSelfAttention(16, 4, 2).double()
        x = torch.randn(1, 5, 16, dtype=torch.float64)
        cache = ref.KVCache(1, 2, 8, 4, dtype=torch.float64)
        with torch.no_grad():
            attn(x[:, :3], 0, cache)
            attn(x[:, 3:4], 3, cache)
            attn(x[:, 4:5], 4, cache)
            raw = attn.wk(x).view(1, 5, 2, 4).transpose(1, 2)
            want = ref.rope(raw, torch.arange(5))
        call = "CausalSelfAttention(16, 4, 2) called on tokens 0..2 (start_pos=0), then 3 (start_pos=3), then 4 (start_pos=4), one cache"
        assert cache.length == 5, f"{call}: the cache holds {cache.length} tokens, expected 5"
        got = cache.k[:, :, :5]
        if torch.allclose(got, raw, atol=1e-12):
            pytest.fail(f"{call}: the cache holds the keys BEFORE RoPE; rotate k by its position first, then append it "
                        f"(a cached key is rotated once, by its own position)", pytrace=False)
        if torch.allclose(got[:, :, 3:], ref.rope(raw[:, :, 3:], torch.zeros(2, dtype=torch.long)), atol=1e-12):
            pytest.fail(f"{call}: the keys of positions 3 and 4 were rotated as position 0; the positions are "
                        f"start_pos + 0 .. start_pos + T - 1", pytrace=False)
        close(got, want, f"{call}: cache.k[:, :, :5] is not wk(x) rotated by RoPE at positions 0..4", rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("cfg", DECODER_CONFIGS, ids=["mha", "gqa", "mqa"])
    def test_chunks_of_several_tokens_against_a_filled_cache_give_the_full_recompute_logits(self, cfg):
        ex, ref = lab.exercise(5), lab.reference(5)
        mine, theirs = _decoders(ex, ref, cfg)
        tokens = torch.randint(0, cfg["vocab"], (2, 9))
        with torch.no_grad():
            expected = theirs(tokens)
            caches, outs, start = mine.new_caches(2), [], 0
            for size in (3, 4, 2):  # chunked prefill: the second and third chunks see a non-empty cache
                outs.append(mine(tokens[:, start:start + size], start, caches))
                start += size
            got = torch.cat(outs, 1)
        bad = [t for t in range(9) if not torch.allclose(got[:, t], expected[:, t], rtol=1e-9, atol=1e-9)]
        assert not bad, (
            f"{_describe_decoder(cfg)} with your CausalSelfAttention, fed in chunks of 3, 4 and 2 tokens (start_pos 0, 3, 7, "
            f"the same caches): the logits differ from the full recompute at positions {bad}. A chunk of T new queries "
            f"after T_k - T cached keys needs the causal mask aligned at the bottom-right (key j <= query i + T_k - T); "
            f"is_causal=True is aligned at the top-left")

    @pytest.mark.parametrize("cfg", DECODER_CONFIGS, ids=["mha", "gqa", "mqa"])
    def test_cached_decoding_gives_the_full_recompute_logits_at_every_position(self, cfg):
        ex, ref = lab.exercise(5), lab.reference(5)
        mine, theirs = _decoders(ex, ref, cfg)
        tokens = torch.randint(0, cfg["vocab"], (2, 9))
        with torch.no_grad():
            expected = theirs(tokens)
            for prefill in (1, 4, 9):
                caches = mine.new_caches(2)
                outs = [mine(tokens[:, :prefill], 0, caches)]
                for t in range(prefill, tokens.size(1)):
                    outs.append(mine(tokens[:, t:t + 1], t, caches))
                problem = _first_difference(torch.cat(outs, 1), expected, prefill)
                assert problem is None, (
                    f"{_describe_decoder(cfg)} with your CausalSelfAttention, prefill of {prefill} token(s) then one token per call "
                    f"(start_pos = its position, the same caches): {problem}, compared with the full recompute model(tokens)")

    @pytest.mark.parametrize("prefill", [1, 4, 9])
    def test_incremental_logits_equal_model_of_tokens(self, prefill):
        ex, ref = lab.exercise(5), lab.reference(5)
        cfg = DECODER_CONFIGS[1]
        _, model = _decoders(ref, ref, cfg)
        tokens = torch.randint(0, cfg["vocab"], (2, 9))
        with torch.no_grad():
            try:
                got = ex.incremental_logits(model, tokens, prefill=prefill)
            except ValueError as err:
                pytest.fail(f"incremental_logits(model, tokens (2, 9), prefill={prefill}) called the model with a start_pos "
                            f"that is not the number of cached tokens: {err}", pytrace=False)
            problem = _first_difference(got, model(tokens), prefill)
        assert problem is None, f"incremental_logits({_describe_decoder(cfg)}, tokens (2, 9), prefill={prefill}): {problem}, compared with model(tokens)"


def _greedy_reference(model, prompt, n_new):
    tokens = prompt
    with torch.no_grad():
        for _ in range(n_new):
            tokens = torch.cat([tokens, model(tokens)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return tokens


@pytest.mark.exercise(5)
class TestGenerate:
    @pytest.mark.parametrize("use_cache", [True, False])
    def test_equals_greedy_decoding_by_full_recompute(self, use_cache):
        ex, ref = lab.exercise(5), lab.reference(5)
        _, model = _decoders(ref, ref, DECODER_CONFIGS[2])
        for t0, n_new in [(1, 6), (5, 7), (3, 1)]:
            prompt = torch.randint(0, 32, (2, t0))
            try:
                got = ex.generate(model, prompt, n_new, use_cache=use_cache)
            except ValueError as err:
                pytest.fail(f"generate(model, prompt (2, {t0}), n_new={n_new}, use_cache={use_cache}) called the model with a "
                            f"start_pos that is not the number of cached tokens: {err}", pytrace=False)
            expected = _greedy_reference(model, prompt, n_new)
            call = f"generate(model, prompt (2, {t0}), n_new={n_new}, use_cache={use_cache})"
            assert tuple(got.shape) == (2, t0 + n_new), f"{call} returned shape {tuple(got.shape)}, expected (2, {t0 + n_new})"
            assert torch.equal(got[:, :t0], prompt), f"{call} changed the prompt: the output must start with it"
            wrong = (got != expected).any(0).nonzero()
            assert not len(wrong), (f"{call} gave {got.tolist()}, greedy decoding gives {expected.tolist()}: first wrong "
                                    f"at new token {wrong[0].item() - t0 + 1}")

    def test_zero_new_tokens_returns_the_prompt(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        _, model = _decoders(ref, ref, DECODER_CONFIGS[1])
        prompt = torch.randint(0, 32, (2, 4))
        for use_cache in (True, False):
            got = ex.generate(model, prompt, 0, use_cache=use_cache)
            assert torch.equal(got, prompt), f"generate(model, prompt (2, 4), n_new=0, use_cache={use_cache}) returned {got.tolist()}, expected the prompt"
