"""Grader of lab 2.2 (the transformer encoder): positions (sinusoidal, learned, RoPE in both layouts,
ALiBi), the parts of a modern block (RMSNorm, SwiGLU, GELU, pre- and post-norm residual wiring),
the encoder layer against nn.TransformerEncoderLayer, a byte-level BPE tokenizer against Hugging
Face `tokenizers`, and MLM masking with an encoder classifier.

Every test names the behaviour it checks and compares your code with PyTorch's own implementation
wherever one exists (nn.RMSNorm, F.gelu, nn.LayerNorm, nn.TransformerEncoderLayer), and with the
formulas themselves, computed here in float64, where none does (sinusoids, RoPE, ALiBi's slopes
from Press et al.'s code). Run it on your exercises with

    make test-lab LAB=2.2          (EX=1 for exercise 1 only)
"""
from __future__ import annotations

import functools
import math
import time
from collections import Counter

import pytest
import regex
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from shared.datasets import text_corpus
from shared.devices import tolerances
from shared.grading import Lab, close, expect_raises, forbid
from shared.memory import track_tensor_memory

lab = Lab("phase2_intermediate/lab2_transformer_encoder")

F32 = tolerances("cpu", torch.float32)
F64 = tolerances("cpu", torch.float64)


# ---- Exercise 1: where a token is: sinusoidal and learned positions, RoPE, ALiBi -----------------


def sinusoid_oracle(positions, d: int, base: float = 10000.0, *, swapped: bool = False,
                    exponent: str = "2i/d") -> torch.Tensor:
    """Vaswani et al.'s table in float64 for any positions (negative ones too): (len(positions), d).

    ``swapped`` puts cos in the even columns; ``exponent="i/d"`` uses base^(-i/d): the two tables of
    the usual mistakes, so that a failure can say which one was made.
    """
    pos = torch.as_tensor(positions, dtype=torch.float64).reshape(-1, 1)
    i = torch.arange(d // 2, dtype=torch.float64)
    w = base ** (-(2.0 * i if exponent == "2i/d" else i) / d)
    first, second = torch.sin(pos * w), torch.cos(pos * w)
    if swapped:
        first, second = second, first
    return torch.stack((first, second), dim=-1).flatten(-2)


def _e1_matches(got: torch.Tensor, want: torch.Tensor, atol: float = 1e-9) -> bool:
    return got.shape == want.shape and bool(torch.allclose(got.to(torch.float64), want, atol=atol, rtol=0))


@pytest.mark.exercise(1)
class TestSinusoidalEncoding:
    def test_values_follow_sin_in_even_and_cos_in_odd_columns(self):
        ex = lab.exercise(1)
        # A small case by explicit loops over pos and i, straight from section 3.5 of the paper.
        max_len, d = 7, 6
        want = torch.zeros(max_len, d, dtype=torch.float64)
        for pos in range(max_len):
            for i in range(d // 2):
                want[pos, 2 * i] = math.sin(pos / 10000.0 ** (2 * i / d))
                want[pos, 2 * i + 1] = math.cos(pos / 10000.0 ** (2 * i / d))
        cases = [(max_len, d, 10000.0, want), (1, 2, 10000.0, None), (50, 32, 10000.0, None),
                 (33, 10, 100.0, None), (64, 128, 10000.0, None)]
        for max_len, d, base, want in cases:
            want = sinusoid_oracle(range(max_len), d, base) if want is None else want
            got = ex.sinusoidal_encoding(max_len, d, base=base, dtype=torch.float64)
            call = f"sinusoidal_encoding({max_len}, {d}, base={base:g}, dtype=torch.float64)"
            assert tuple(got.shape) == (max_len, d), f"{call} has shape {tuple(got.shape)}; expected (max_len, d_model) = {(max_len, d)}"
            if not _e1_matches(got, want):
                if _e1_matches(got, sinusoid_oracle(range(max_len), d, base, swapped=True)):
                    raise AssertionError(
                        f"{call}: sin and cos swapped: PE[pos, 2i] must be sin(pos * w_i) and PE[pos, 2i+1] cos(pos * w_i) "
                        "(so row 0 is [0, 1, 0, 1, ...])")
                if d > 2 and _e1_matches(got, sinusoid_oracle(range(max_len), d, base, exponent="i/d")):
                    raise AssertionError(
                        f"{call}: frequency exponent i/d instead of 2i/d: w_i = base^(-2i/d_model) for pair i, so the "
                        "frequencies reach about 1/base at the last pair, not 1/sqrt(base)")
                if _e1_matches(got, want, atol=1e-4):
                    err = (got.to(torch.float64) - want).abs().max().item()
                    raise AssertionError(
                        f"{call} agrees with the formula only to {err:.1e}, float32 accuracy: compute pos * w_i, sin and cos in "
                        "float64 and convert to dtype at the end")
            close(got, want, f"{call} differs from PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(pos / base^(2i/d))",
                  atol=1e-12, rtol=0)

    def test_row_zero_is_zero_one_zero_one(self):
        ex = lab.exercise(1)
        got = ex.sinusoidal_encoding(4, 10, dtype=torch.float64)[0]
        want = torch.tensor([0.0, 1.0] * 5, dtype=torch.float64)
        assert torch.equal(got, want), (
            f"sinusoidal_encoding(4, 10)[0] (position 0) is {got.tolist()}; sin(0) = 0 and cos(0) = 1 give exactly "
            f"{want.tolist()}")

    def test_dtype_argument_and_default_float32(self):
        ex = lab.exercise(1)
        got = ex.sinusoidal_encoding(12, 8)
        assert got.dtype == torch.float32, f"sinusoidal_encoding(12, 8) returned {got.dtype}; the default dtype is torch.float32"
        close(got, sinusoid_oracle(range(12), 8).float(), "sinusoidal_encoding(12, 8) (float32) differs from the formula", **F32)
        for dtype in (torch.float64, torch.bfloat16):
            got = ex.sinusoidal_encoding(12, 8, dtype=dtype)
            assert got.dtype == dtype, f"sinusoidal_encoding(12, 8, dtype={dtype}) returned {got.dtype}: the dtype argument was ignored"

    def test_odd_d_model_raises_value_error(self):
        ex = lab.exercise(1)
        for d in (1, 7):
            with expect_raises(ValueError, f"sinusoidal_encoding(5, {d})", "sin/cos come in pairs: d_model must be even"):
                ex.sinusoidal_encoding(5, d)

    def test_position_10000_is_accurate_in_float64_and_float32(self):
        ex = lab.exercise(1)
        d = 16
        got64 = ex.sinusoidal_encoding(10001, d, dtype=torch.float64)[-1]
        angles = [10000 / 10000.0 ** (2 * (j // 2) / d) for j in range(d)]
        want = torch.tensor([math.sin(a) if j % 2 == 0 else math.cos(a) for j, a in enumerate(angles)], dtype=torch.float64)
        close(got64, want, "sinusoidal_encoding(10001, 16, dtype=torch.float64)[10000] is not accurate to 1e-10: compute the "
                           "angles pos * w_i in float64 (in float32, 10000 * w_i keeps only about 3 decimals after the point)",
              atol=1e-10, rtol=0)
        got32 = ex.sinusoidal_encoding(10001, d)[-1]
        close(got32, want.float(), "sinusoidal_encoding(10001, 16) (float32) at position 10000 differs from the float64 formula "
                                   "rounded to float32: compute in float64 and convert at the end", **F32)


@pytest.mark.exercise(1)
class TestSinusoidalOffsetMatrix:
    def test_offset_matrix_maps_pe_pos_to_pe_pos_plus_k(self):
        ex = lab.exercise(1)
        pos = torch.tensor([0, 1, 2, 7, 50, 333, 1000])
        for d, base in [(2, 10000.0), (8, 10000.0), (32, 10000.0), (12, 50.0)]:
            pe = sinusoid_oracle(pos, d, base)
            for k in (0, 1, -1, 3, -5, 17, 256):
                m = ex.sinusoidal_offset_matrix(k, d, base=base)
                call = f"sinusoidal_offset_matrix({k}, {d}, base={base:g})"
                assert tuple(m.shape) == (d, d) and m.dtype == torch.float64, (
                    f"{call} returned {m.dtype} {tuple(m.shape)}; expected float64 ({d}, {d})")
                want = sinusoid_oracle(pos + k, d, base)
                got = pe @ m.T  # row by row: M_k @ PE[pos]
                if k and _e1_matches(got, sinusoid_oracle(pos - k, d, base)):
                    raise AssertionError(
                        f"{call} @ PE[pos] gives PE[pos - {k}], not PE[pos + {k}]: the sign of sin in the 2x2 blocks is flipped. "
                        "Acting on (sin a, cos a), the block is [[cos b, sin b], [-sin b, cos b]]")
                close(got, want, f"{call} @ PE[pos] differs from PE[pos + {k}] (positions {pos.tolist()})", atol=1e-10, rtol=0)

    def test_offset_matrix_of_an_odd_d_model_raises_value_error(self):
        ex = lab.exercise(1)
        for d in (1, 7):
            with expect_raises(ValueError, f"sinusoidal_offset_matrix(1, {d})", "the 2x2 blocks need an even d_model"):
                ex.sinusoidal_offset_matrix(1, d)

    def test_offset_matrix_is_orthogonal_identity_at_zero_and_composes(self):
        ex = lab.exercise(1)
        d = 10
        eye = torch.eye(d, dtype=torch.float64)
        close(ex.sinusoidal_offset_matrix(0, d), eye, "sinusoidal_offset_matrix(0, 10) should be the identity", atol=1e-12, rtol=0)
        for a, b in [(3, 4), (-7, 2), (100, -100), (11, 29)]:
            ma, mb = ex.sinusoidal_offset_matrix(a, d), ex.sinusoidal_offset_matrix(b, d)
            close(ma.T @ ma, eye, f"sinusoidal_offset_matrix({a}, 10) is not orthogonal (M^T M != I): each block is a rotation",
                  atol=1e-12, rtol=0)
            close(ma @ mb, ex.sinusoidal_offset_matrix(a + b, d),
                  f"sinusoidal_offset_matrix({a}, 10) @ sinusoidal_offset_matrix({b}, 10) differs from sinusoidal_offset_matrix({a + b}, 10)",
                  atol=1e-12, rtol=0)


@pytest.mark.exercise(1)
class TestLearnedPositionalEmbedding:
    def test_adds_the_first_t_rows_broadcast_over_the_batch(self):
        ex = lab.exercise(1)
        emb = ex.LearnedPositionalEmbedding(9, 6)
        assert isinstance(emb.weight, nn.Parameter) and tuple(emb.weight.shape) == (9, 6), (
            "LearnedPositionalEmbedding(9, 6).weight should be an nn.Parameter of shape (max_len, d_model) = (9, 6)")
        assert [n for n, _ in emb.named_parameters()] == ["weight"], (
            f"LearnedPositionalEmbedding(9, 6) has parameters {[n for n, _ in emb.named_parameters()]}; expected ['weight']")
        for b, t in [(3, 5), (1, 1), (2, 9), (4, 2)]:
            x = torch.randn(b, t, 6)
            try:
                got = emb(x)
            except ValueError as err:
                raise AssertionError(f"LearnedPositionalEmbedding(9, 6) raised ValueError on x of shape {(b, t, 6)} ({err}); "
                                     "only T > max_len has no row, T = max_len uses rows 0 .. max_len-1") from err
            want = x + emb.weight.detach()[:t].unsqueeze(0)
            close(got, want, f"LearnedPositionalEmbedding(9, 6) on x of shape {(b, t, 6)} should return x + weight[:{t}] "
                             "(the same rows for every sequence of the batch)", atol=0, rtol=0)

    def test_gradient_reaches_only_the_rows_of_the_positions_used(self):
        ex = lab.exercise(1)
        emb = ex.LearnedPositionalEmbedding(8, 4)
        x = torch.randn(3, 5, 4, requires_grad=True)
        g = torch.randn(3, 5, 4)
        emb(x).backward(g)
        assert emb.weight.grad is not None, "after backward, LearnedPositionalEmbedding.weight.grad is None: the table was detached"
        close(emb.weight.grad[:5], g.sum(0), "LearnedPositionalEmbedding(8, 4) on T = 5: weight.grad[:5] should be the output "
                                            "gradient summed over the batch")
        assert torch.equal(emb.weight.grad[5:], torch.zeros(3, 4)), (
            "LearnedPositionalEmbedding(8, 4) on T = 5: rows 5..7 of weight.grad are not zero; positions beyond T are not used")
        close(x.grad, g, "LearnedPositionalEmbedding: dloss/dx should be the output gradient unchanged (x + P)")

    def test_sequences_up_to_max_len_work_and_longer_raise_value_error(self):
        ex = lab.exercise(1)
        emb = ex.LearnedPositionalEmbedding(6, 4)
        try:
            out = emb(torch.zeros(2, 6, 4))
        except ValueError as err:
            raise AssertionError(f"LearnedPositionalEmbedding(6, 4) raised ValueError on T = max_len = 6 ({err}); only T > max_len "
                                 "must raise") from err
        close(out, emb.weight.detach().expand(2, 6, 4), "LearnedPositionalEmbedding(6, 4) on T = max_len = 6 should use all 6 rows",
              atol=0, rtol=0)
        with expect_raises(ValueError, "LearnedPositionalEmbedding(6, 4) on T = 7",
                           "the table has no row for position 6: refuse T > max_len with a message"):
            emb(torch.zeros(2, 7, 4))


def rope_theta_oracle(d: int, base: float = 10000.0, exponent: str = "2i/d") -> list[float]:
    """theta_i = base^(-2i/d) for the pairs i; exponent "i/d" and "4i/d" (theta indexed by the feature index 2i) are the mistakes."""
    factor = {"2i/d": 2, "i/d": 1, "4i/d": 4}[exponent]
    return [base ** (-factor * i / d) for i in range(d // 2)]


def rope_matrix_oracle(pos: float, d: int, base: float = 10000.0, *, layout: str = "interleaved",
                       sign: float = 1.0, exponent: str = "2i/d") -> torch.Tensor:
    """R_pos in float64 by loops: pair i at features (2i, 2i+1) (interleaved) or (i, i + d/2) (half),
    rotated counter-clockwise by pos * theta_i (sign=-1: clockwise, the flipped direction)."""
    r = torch.zeros(d, d, dtype=torch.float64)
    for i, theta in enumerate(rope_theta_oracle(d, base, exponent)):
        a, b = (2 * i, 2 * i + 1) if layout == "interleaved" else (i, i + d // 2)
        c, s = math.cos(pos * theta), sign * math.sin(pos * theta)
        r[a, a], r[a, b], r[b, a], r[b, b] = c, -s, s, c
    return r


def rope_oracle(x: torch.Tensor, positions=None, base: float = 10000.0, **variant) -> torch.Tensor:
    """x: (..., T, D) -> each row t rotated by R_(positions[t]), in float64."""
    t, d = x.shape[-2], x.shape[-1]
    positions = range(t) if positions is None else [int(p) for p in positions]
    rows = [x[..., j, :].to(torch.float64) @ rope_matrix_oracle(p, d, base, **variant).T for j, p in enumerate(positions)]
    return torch.stack(rows, dim=-2)


def rope_half_interleaved_tables(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """The half layout with its cos/sin tables repeated [c0, c0, c1, c1, ...] (repeat_interleave) instead of [table, table]."""
    t, d = x.shape[-2], x.shape[-1]
    ang = torch.arange(t, dtype=torch.float64)[:, None] * torch.tensor(rope_theta_oracle(d, base), dtype=torch.float64)
    cos, sin = ang.cos().repeat_interleave(2, -1), ang.sin().repeat_interleave(2, -1)
    x = x.to(torch.float64)
    return x * cos + torch.cat((-x[..., d // 2:], x[..., : d // 2]), dim=-1) * sin


def _rope_diagnosis(fn_name: str, got: torch.Tensor, x: torch.Tensor, base: float) -> str | None:
    """Which known mistake ``got`` (the output of fn_name(x) at positions 0..T-1) matches, in words."""
    layout = "interleaved" if fn_name == "apply_rope_interleaved" else "half"
    other = "half" if layout == "interleaved" else "interleaved"
    pairs = "(x[2i], x[2i+1])" if layout == "interleaved" else "(x[i], x[i + D/2])"
    if _e1_matches(got, rope_oracle(x, base=base, layout=layout, sign=-1.0)):
        return (f"{fn_name} rotates in the wrong direction (the sign of sin is flipped): for a pair (a, b) = {pairs}, "
                "a' = a cos - b sin and b' = a sin + b cos")
    if _e1_matches(got, rope_oracle(x, base=base, layout=layout, exponent="i/d")):
        return (f"{fn_name} uses the frequency theta_i = base^(-i/D): the exponent is -2i/D with i the PAIR index "
                "0 .. D/2-1 (rope_frequencies)")
    if _e1_matches(got, rope_oracle(x, base=base, layout=layout, exponent="4i/d")):
        return (f"{fn_name} indexes theta by the feature index 2i (base^(-2(2i)/D)) instead of the pair index i: "
                "theta_i = base^(-2i/D), i = 0 .. D/2-1 (rope_frequencies)")
    if _e1_matches(got, rope_oracle(x, base=base, layout=other)):
        wrong = "(x[i], x[i + D/2])" if layout == "interleaved" else "(x[2i], x[2i+1]) (adjacent features)"
        return f"{fn_name} rotates the pairs {wrong}; this layout pairs {pairs}"
    if layout == "half" and _e1_matches(got, rope_half_interleaved_tables(x, base)):
        return ("apply_rope_half repeats the cos/sin tables as [c0, c0, c1, c1, ...] (repeat_interleave): feature j then gets "
                "theta_(j//2), but in the half layout features i and i + D/2 share theta_i, so the tables are [table, table]")
    return None


ROPE_FUNCTIONS = ("apply_rope_interleaved", "apply_rope_half")


@pytest.mark.exercise(1)
class TestRopeFrequencies:
    def test_frequencies_are_base_to_the_minus_2i_over_d(self):
        ex = lab.exercise(1)
        for d, base in [(2, 10000.0), (8, 10000.0), (6, 10000.0), (64, 10000.0), (128, 500000.0)]:
            got = ex.rope_frequencies(d, base=base)
            call = f"rope_frequencies({d}, base={base:g})"
            want = torch.tensor(rope_theta_oracle(d, base), dtype=torch.float64)
            assert tuple(got.shape) == (d // 2,) and got.dtype == torch.float64, (
                f"{call} returned {got.dtype} {tuple(got.shape)}; expected float64 ({d // 2},): one frequency per PAIR")
            if d > 2 and _e1_matches(got, torch.tensor(rope_theta_oracle(d, base, "i/d"), dtype=torch.float64), atol=1e-15):
                raise AssertionError(f"{call} computes base^(-i/D); theta_i = base^(-2i/D) for the pair index i = 0 .. D/2-1 "
                                     f"(the last one is base^(-(D-2)/D) = {want[-1].item():.3g})")
            if d > 2 and _e1_matches(got, torch.tensor(rope_theta_oracle(d, base, "4i/d"), dtype=torch.float64), atol=1e-15):
                raise AssertionError(f"{call} indexes theta by the feature index 2i (base^(-2 * 2i/D)): i counts the PAIRS, "
                                     "0 .. D/2-1, so theta_i = base^(-2i/D)")
            close(got, want, f"{call} differs from theta_i = base^(-2i/D), i = 0 .. D/2-1", atol=0, rtol=1e-12)

    def test_odd_head_dim_raises_value_error(self):
        ex = lab.exercise(1)
        for d in (1, 5):
            with expect_raises(ValueError, f"rope_frequencies({d})", "RoPE rotates pairs: head_dim must be even"):
                ex.rope_frequencies(d)


@pytest.mark.exercise(1)
class TestApplyRope:
    @pytest.mark.parametrize("fn_name", ROPE_FUNCTIONS)
    def test_equals_the_block_rotation_of_its_pairs(self, fn_name):
        ex = lab.exercise(1)
        layout = "interleaved" if fn_name == "apply_rope_interleaved" else "half"
        for shape, base in [((2, 3, 5, 8), 10000.0), ((1, 1, 1, 2), 10000.0), ((4, 6), 10000.0), ((2, 7, 12), 100.0)]:
            x = torch.randn(*shape, dtype=torch.float64)
            got = getattr(ex, fn_name)(x, base=base)
            call = f"{fn_name}(x {tuple(shape)}, base={base:g})"
            assert got.shape == x.shape and got.dtype == x.dtype, (
                f"{call} returned {got.dtype} {tuple(got.shape)}; expected x's dtype and shape")
            want = rope_oracle(x, base=base, layout=layout)
            if not _e1_matches(got, want):
                reason = _rope_diagnosis(fn_name, got, x, base)
                if reason:
                    raise AssertionError(f"{call}: {reason}")
            close(got, want, f"{call} differs from rotating each pair by pos * theta_i (R_pos @ x[pos], built here by loops)",
                  atol=1e-12, rtol=0)

    def test_interleaved_equals_its_rope_rotation_matrix(self):
        ex = lab.exercise(1)
        x = torch.randn(3, 9, 10, dtype=torch.float64)
        got = ex.apply_rope_interleaved(x)
        for pos in range(9):
            close(got[:, pos], x[:, pos] @ ex.rope_rotation_matrix(pos, 10).T,
                  f"apply_rope_interleaved(x)[:, {pos}] differs from rope_rotation_matrix({pos}, 10) @ x[:, {pos}]: the two must "
                  "describe the same rotation, block i = [[cos, -sin], [sin, cos]] of pos * theta_i", atol=1e-12, rtol=0)

    @pytest.mark.parametrize("fn_name", ROPE_FUNCTIONS)
    def test_position_zero_is_the_identity_and_every_pair_keeps_its_norm(self, fn_name):
        ex = lab.exercise(1)
        x = torch.randn(2, 3, 20, 16, dtype=torch.float64)
        got = getattr(ex, fn_name)(x)
        close(got[..., 0, :], x[..., 0, :], f"{fn_name}(x) at position 0 should leave x unchanged (all angles are 0)", atol=1e-15, rtol=0)
        if fn_name == "apply_rope_interleaved":
            norms = lambda y: y[..., 0::2] ** 2 + y[..., 1::2] ** 2  # noqa: E731
            pairs = "(x[2i], x[2i+1])"
        else:
            norms = lambda y: y[..., :8] ** 2 + y[..., 8:] ** 2  # noqa: E731
            pairs = "(x[i], x[i + D/2])"
        close(norms(got), norms(x), f"{fn_name}(x) changed the length of the pairs {pairs}: a rotation keeps each pair's norm",
              atol=1e-12, rtol=0)

    @pytest.mark.parametrize("fn_name", ROPE_FUNCTIONS)
    def test_positions_argument_equals_slicing_a_longer_table(self, fn_name):
        ex = lab.exercise(1)
        layout = "interleaved" if fn_name == "apply_rope_interleaved" else "half"
        fn = getattr(ex, fn_name)
        # The keys of a KV cache: 4 new tokens at positions 7 .. 10 after 7 cached ones.
        long = torch.randn(2, 3, 11, 8, dtype=torch.float64)
        got = fn(long[..., 7:, :], positions=torch.arange(7, 11))
        close(got, fn(long)[..., 7:, :], f"{fn_name}(x[..., 7:, :], positions=torch.arange(7, 11)) differs from "
                                          f"{fn_name}(x)[..., 7:, :]: the rotation angle must come from positions, not from the row index",
              atol=1e-12, rtol=0)
        positions = torch.tensor([4, 0, 9, 9, 2])
        x = torch.randn(2, 5, 6, dtype=torch.float64)
        close(fn(x, positions=positions), rope_oracle(x, positions, layout=layout),
              f"{fn_name}(x, positions={positions.tolist()}) differs from rotating row j by positions[j] * theta_i", atol=1e-12, rtol=0)

    @pytest.mark.parametrize("fn_name", ROPE_FUNCTIONS)
    def test_float32_and_non_contiguous_inputs(self, fn_name):
        ex = lab.exercise(1)
        layout = "interleaved" if fn_name == "apply_rope_interleaved" else "half"
        x = torch.randn(2, 13, 3, 8).transpose(1, 2)  # (B, H, T, D) as a view of (B, T, H, D): not contiguous
        got = getattr(ex, fn_name)(x)
        assert got.dtype == torch.float32, f"{fn_name}(x float32) returned {got.dtype}; keep x's dtype"
        close(got, rope_oracle(x, layout=layout).float(),
              f"{fn_name}(x) on a float32, non-contiguous (B, H, T, D) = (2, 3, 13, 8) view differs from the float64 rotation", **F32)

    def test_rotate_half_maps_x1_x2_to_minus_x2_x1(self):
        ex = lab.exercise(1)
        x = torch.arange(1.0, 7.0)
        got = ex.rotate_half(x)
        want = torch.tensor([-4.0, -5.0, -6.0, 1.0, 2.0, 3.0])
        assert torch.equal(got, want), f"rotate_half([1, 2, 3, 4, 5, 6]) returned {got.tolist()}; expected (-x2, x1) = {want.tolist()}"
        x = torch.randn(2, 3, 4, 10)
        assert torch.equal(ex.rotate_half(x), torch.cat((-x[..., 5:], x[..., :5]), dim=-1)), (
            "rotate_half(x (2, 3, 4, 10)) should split the LAST dim into halves x1, x2 and return cat(-x2, x1)")

    def test_interleaved_to_half_permutation_converts_between_layouts(self):
        ex = lab.exercise(1)
        perm = ex.interleaved_to_half_permutation(8)
        assert perm.tolist() == [0, 2, 4, 6, 1, 3, 5, 7], (
            f"interleaved_to_half_permutation(8) returned {perm.tolist()}; expected the even features, then the odd ones")
        for d in (2, 6, 16):
            perm = ex.interleaved_to_half_permutation(d)
            inv = torch.argsort(perm)
            x = torch.randn(2, 3, 7, d, dtype=torch.float64)
            close(ex.apply_rope_half(x[..., perm]), ex.apply_rope_interleaved(x)[..., perm],
                  f"apply_rope_half(x[..., perm]) differs from apply_rope_interleaved(x)[..., perm] (D = {d}): permuting the "
                  "features (the output rows of W_q and W_k) by perm must turn an interleaved checkpoint into a half-layout one",
                  atol=1e-12, rtol=0)
            close(ex.apply_rope_interleaved(x[..., inv]), ex.apply_rope_half(x)[..., inv],
                  f"apply_rope_interleaved(x[..., inv]) differs from apply_rope_half(x)[..., inv] with inv = argsort(perm) (D = {d}): "
                  "the inverse permutation converts a half-layout checkpoint back", atol=1e-12, rtol=0)
        # A checkpoint conversion: the attention scores do not change.
        d, w_q, w_k = 8, torch.randn(8, 12, dtype=torch.float64), torch.randn(8, 12, dtype=torch.float64)
        perm, h = ex.interleaved_to_half_permutation(d), torch.randn(5, 12, dtype=torch.float64)
        s_inter = ex.apply_rope_interleaved(h @ w_q.T) @ ex.apply_rope_interleaved(h @ w_k.T).T
        s_half = ex.apply_rope_half(h @ w_q[perm].T) @ ex.apply_rope_half(h @ w_k[perm].T).T
        close(s_half, s_inter, "scores with W_q, W_k rows permuted by interleaved_to_half_permutation and half-layout RoPE differ "
                               "from the interleaved scores with the original weights", atol=1e-10, rtol=0)

    @pytest.mark.parametrize("fn_name", ROPE_FUNCTIONS)
    def test_scores_depend_only_on_the_offset_m_minus_n(self, fn_name):
        ex = lab.exercise(1)
        fn = getattr(ex, fn_name)
        d = 16
        q, k = torch.randn(d, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
        scores = {}
        for diff in (0, 1, -1, 3, -7, 50):
            ms = torch.tensor([m for m in (0, 7, 100, 1000, 4000) if m - diff >= 0])
            ns = ms - diff
            rq = fn(q.expand(len(ms), d), positions=ms)
            rk = fn(k.expand(len(ns), d), positions=ns)
            s = (rq * rk).sum(-1)
            pairs = ", ".join(f"(m={m}, n={n})" for m, n in zip(ms.tolist(), ns.tolist()))
            close(s, s[:1].expand_as(s), f"{fn_name}: the score <rope(q) at m, rope(k) at n> differs between {pairs}, which all "
                                         f"have m - n = {diff}: it must depend on m - n only", atol=1e-10, rtol=0)
            scores[diff] = s[0].item()
        values = sorted(scores.values())
        assert min(b - a for a, b in zip(values, values[1:])) > 1e-6, (
            f"{fn_name}: the scores for offsets m - n in {sorted(scores)} are (nearly) all equal ({scores}): the rotation "
            "should make the score change with the offset")


@pytest.mark.exercise(1)
class TestRopeRotationMatrix:
    def test_matrix_is_block_diagonal_orthogonal_and_relative(self):
        ex = lab.exercise(1)
        for pos, d, base in [(0, 4, 10000.0), (1, 2, 10000.0), (5, 8, 10000.0), (123, 12, 100.0)]:
            got = ex.rope_rotation_matrix(pos, d, base=base)
            call = f"rope_rotation_matrix({pos}, {d}, base={base:g})"
            assert tuple(got.shape) == (d, d) and got.dtype == torch.float64, f"{call} returned {got.dtype} {tuple(got.shape)}; expected float64 ({d}, {d})"
            if pos and _e1_matches(got, rope_matrix_oracle(pos, d, base, sign=-1.0)):
                raise AssertionError(f"{call} rotates clockwise: block i is [[cos, -sin], [sin, cos]] of pos * theta_i")
            close(got, rope_matrix_oracle(pos, d, base), f"{call} differs from the block-diagonal [[cos, -sin], [sin, cos]] matrix",
                  atol=1e-12, rtol=0)
        d, eye = 10, torch.eye(10, dtype=torch.float64)
        for m, n in [(0, 3), (4, 9), (17, 2), (500, 500)]:
            rm, rn = ex.rope_rotation_matrix(m, d), ex.rope_rotation_matrix(n, d)
            close(rm.T @ rm, eye, f"rope_rotation_matrix({m}, 10) is not orthogonal", atol=1e-12, rtol=0)
            close(rm.T @ rn, ex.rope_rotation_matrix(n - m, d),
                  f"rope_rotation_matrix({m}, 10).T @ rope_rotation_matrix({n}, 10) differs from rope_rotation_matrix({n - m}, 10)",
                  atol=1e-10, rtol=0)


def press_alibi_slopes(n: int) -> list[float]:
    """ALiBi's slopes as in Press et al.'s code (ofirpress/attention_with_linear_biases, get_slopes)."""
    def get_slopes_power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        ratio = start
        return [start * ratio**i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return (get_slopes_power_of_2(closest_power_of_2)
            + press_alibi_slopes(2 * closest_power_of_2)[0::2][: n - closest_power_of_2])


@pytest.mark.exercise(1)
class TestAlibi:
    def test_slopes_for_8_heads_are_one_half_to_one_256th(self):
        ex = lab.exercise(1)
        got = ex.alibi_slopes(8)
        want = torch.tensor([2.0**-h for h in range(1, 9)], dtype=torch.float64)
        assert got.dtype == torch.float64 and got.shape == (8,), f"alibi_slopes(8) returned {got.dtype} {tuple(got.shape)}; expected float64 (8,)"
        assert torch.equal(got, want), f"alibi_slopes(8) returned {got.tolist()}; expected exactly 2^-1, 2^-2, ..., 2^-8"

    def test_slopes_follow_press_et_al_for_every_head_count(self):
        ex = lab.exercise(1)
        for n in (1, 2, 4, 16, 3, 5, 6, 12, 24):
            got = ex.alibi_slopes(n)
            want = torch.tensor(press_alibi_slopes(n), dtype=torch.float64)
            call = f"alibi_slopes({n})"
            assert tuple(got.shape) == (n,), f"{call} has shape {tuple(got.shape)}; expected ({n},), one slope per head"
            p = 2 ** math.floor(math.log2(n))
            if p < n:
                odd_h = torch.tensor(press_alibi_slopes(p) + press_alibi_slopes(2 * p)[1::2][: n - p], dtype=torch.float64)
                if torch.allclose(got, odd_h, rtol=1e-12, atol=0):
                    raise AssertionError(
                        f"{call} takes the slopes of {2 * p} heads at EVEN h ([1::2]); Press et al. take every other one starting "
                        f"with the first ([0::2]: h = 1, 3, 5, ...); the even ones are the {p} slopes already used, repeated")
            close(got, want, f"{call} differs from Press et al.'s get_slopes({n}) = {[round(s, 6) for s in want.tolist()]}",
                  atol=0, rtol=1e-12)

    def test_slopes_for_fewer_than_one_head_raise_value_error(self):
        ex = lab.exercise(1)
        for n in (0, -2):
            with expect_raises(ValueError, f"alibi_slopes({n})", "there are no slopes for fewer than one head"):
                ex.alibi_slopes(n)

    def test_bias_is_minus_slope_times_distance(self):
        ex = lab.exercise(1)
        for h, t_q, t_k in [(4, 5, None), (3, 2, 6), (2, 7, 3), (1, 1, 1)]:
            got = ex.alibi_bias(h, t_q) if t_k is None else ex.alibi_bias(h, t_q, t_k)
            tk = t_q if t_k is None else t_k
            call = f"alibi_bias({h}, {t_q}" + ("" if t_k is None else f", {t_k}") + ")"
            slopes = press_alibi_slopes(h)
            want = torch.tensor([[[-slopes[hh] * abs(i - j) for j in range(tk)] for i in range(t_q)] for hh in range(h)],
                                dtype=torch.float64)
            assert tuple(got.shape) == (h, t_q, tk) and got.dtype == torch.float64, (
                f"{call} returned {got.dtype} {tuple(got.shape)}; expected float64 (n_heads, T_q, T_k) = {(h, t_q, tk)}")
            if t_q > 1 and torch.allclose(got, want.abs()):
                raise AssertionError(f"{call} is positive: the bias is -m_h * |i - j|, a penalty that grows with the distance")
            if tk > 1 and bool((got > 0).any()):
                raise AssertionError(f"{call} has positive entries at {(got > 0).nonzero()[:3].tolist()}: an encoder's bias is "
                                     "-m_h * |i - j| on both sides of the diagonal (the distance is absolute)")
            close(got, want, f"{call} differs from bias[h, i, j] = -m_h * |i - j|", atol=1e-15, rtol=0)
            n = min(t_q, tk)
            assert torch.equal(got[:, range(n), range(n)], torch.zeros(h, n, dtype=torch.float64)), f"{call}: the diagonal i = j must be 0"


# ---- Exercise 2: the parts of a modern block: RMSNorm, GELU, SwiGLU, the residual wiring -----------

NO_RMS_NORM = dict(why="Exercise 2 asks you to write RMSNorm from its formula, not to call PyTorch's")
RMS_NORM_SHORTCUTS = ("torch.nn.functional.rms_norm", "torch.rms_norm")
NO_GELU = dict(why="Exercise 2 asks you to write GELU from its formula (torch.erf or torch.tanh)")
GELU_SHORTCUTS = ("torch.nn.functional.gelu", "aten.gelu")


def _rms_variant(x: torch.Tensor, shape: tuple[int, ...], eps: float, weight, kind: str) -> torch.Tensor:
    dims = tuple(range(-len(shape), 0))
    if kind == "mean subtracted":
        x = x - x.mean(dim=dims, keepdim=True)
    if kind == "last dim only":
        dims = (-1,)
    ms = x.pow(2).mean(dim=dims, keepdim=True)
    y = x / (ms.sqrt() + eps) if kind == "eps outside" else x / (ms + eps).sqrt()
    return y if weight is None else y * weight


def _rms_diagnosis(call: str, got, x, shape, eps, weight) -> None:
    explain = {
        "mean subtracted": "RMSNorm must not subtract the mean: that is LayerNorm; RMSNorm divides x itself by sqrt(mean(x^2) + eps)",
        "eps outside": "eps goes inside the square root: x / sqrt(mean(x^2) + eps), not x / (sqrt(mean(x^2)) + eps)",
        "last dim only": f"normalized_shape = {shape}: the mean of x^2 is over the last {len(shape)} dims, not only the last one",
    }
    for kind, why in explain.items():
        if kind == "last dim only" and len(shape) == 1:
            continue
        want = _rms_variant(x.detach(), shape, eps, None if weight is None else weight.detach(), kind)
        if got.shape == want.shape and torch.allclose(got.detach(), want, atol=1e-12, rtol=1e-10):
            raise AssertionError(f"{call}: {why}")


@pytest.mark.exercise(2)
class TestRMSNorm:
    def test_matches_nn_rmsnorm_loading_state_dicts_both_ways(self):
        ex = lab.exercise(2)
        for shape, eps, lead in [(8, 1e-5, (4, 5)), ((3, 4), 1e-6, (2,)), (6, None, (1, 1)), (5, 0.1, (3,)), ((2, 7), None, ())]:
            full = (shape,) if isinstance(shape, int) else shape
            call = f"RMSNorm({shape}, eps={eps}) on x of shape {lead + full} (float64, mean 3)"
            ref = nn.RMSNorm(shape, eps=eps, dtype=torch.float64)
            with torch.no_grad():
                ref.weight.uniform_(0.5, 1.5)
            ours = ex.RMSNorm(shape, eps=eps).double()
            ours.load_state_dict(ref.state_dict(), strict=True)
            x = torch.randn(*lead, *full, dtype=torch.float64) * 2 + 3
            xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
            with forbid(*RMS_NORM_SHORTCUTS, **NO_RMS_NORM):
                got = ours(xa)
            want = ref(xb)
            assert got.shape == want.shape, f"{call} returned shape {tuple(got.shape)}; expected {tuple(want.shape)}"
            if not torch.allclose(got.detach(), want.detach(), **F64):
                _rms_diagnosis(call, got, x, full, torch.finfo(x.dtype).eps if eps is None else eps, ours.weight)
            close(got, want, f"{call} differs from nn.RMSNorm({shape}, eps={eps}) with the same weight")
            g = torch.randn_like(want)
            got.backward(g)
            want.backward(g)
            close(xa.grad, xb.grad, f"{call}: dloss/dx differs from nn.RMSNorm's")
            close(ours.weight.grad, ref.weight.grad, f"{call}: dloss/dweight differs from nn.RMSNorm's")
            # The other way: a trained RMSNorm of yours loads into nn.RMSNorm.
            with torch.no_grad():
                ours.weight.normal_()
            back = nn.RMSNorm(shape, eps=eps, dtype=torch.float64)
            back.load_state_dict(ours.state_dict(), strict=True)
            with forbid(*RMS_NORM_SHORTCUTS, **NO_RMS_NORM):
                got = ours(x)
            close(got, back(x), f"{call}: nn.RMSNorm loaded with your state_dict() gives a different output")

    def test_eps_none_means_the_machine_epsilon_of_the_input_dtype(self):
        ex = lab.exercise(2)
        # Inputs so small that mean(x^2) is about eps itself: the choice of eps shows in the output.
        for dtype, scale in [(torch.float32, 3e-4), (torch.float64, 1.5e-8)]:
            x = torch.randn(3, 10, dtype=dtype) * scale
            ours = ex.RMSNorm(10).to(dtype)
            with forbid(*RMS_NORM_SHORTCUTS, **NO_RMS_NORM):
                got = ours(x)
            assert got.dtype == dtype, f"RMSNorm(10) on {dtype} input returned {got.dtype}; keep the input's dtype"
            want = nn.RMSNorm(10, dtype=dtype)(x)
            e = torch.finfo(dtype).eps
            for wrong in (0.0, 1e-5, 1e-6, 1e-8, torch.finfo(torch.float32).eps):
                if wrong != e and torch.allclose(got, _rms_variant(x, (10,), wrong, None, "plain"), rtol=1e-4, atol=0) \
                        and not torch.allclose(got, want, rtol=1e-4, atol=0):
                    raise AssertionError(f"RMSNorm(10) (eps=None) on {dtype} input of magnitude {scale:g} used eps = {wrong:g}; "
                                         f"eps=None means torch.finfo(x.dtype).eps = {e:.3g}, as in nn.RMSNorm")
            close(got, want, f"RMSNorm(10) (eps=None) on {dtype} input of magnitude {scale:g}, where eps matters, differs from "
                             f"nn.RMSNorm(10): eps=None means torch.finfo(x.dtype).eps = {e:.3g}",
                  **(F32 if dtype == torch.float32 else F64))

    @pytest.mark.filterwarnings("ignore:Mismatch dtype between input and weight")  # nn.RMSNorm's own, harmless
    def test_half_precision_inputs_are_normalised_in_float32_as_nn_rmsnorm_does(self):
        ex = lab.exercise(2)
        for dtype in (torch.bfloat16, torch.float16):
            for eps in (None, 1e-5):
                ref = nn.RMSNorm(16, eps=eps)
                with torch.no_grad():
                    ref.weight.copy_(torch.rand(16) + 0.5)
                ours = ex.RMSNorm(16, eps=eps)
                ours.load_state_dict(ref.state_dict())
                x = (torch.randn(4, 16) * 1e-3).to(dtype)  # so small that eps matters
                with forbid(*RMS_NORM_SHORTCUTS, **NO_RMS_NORM):
                    got = ours(x)
                assert got.dtype == dtype, f"RMSNorm(16) on {dtype} input returned {got.dtype}; keep the input's dtype"
                want = ref(x)
                close(got.float(), want.float(), f"RMSNorm(16, eps={eps}) on a {dtype} input of magnitude 1e-3 differs from "
                      "nn.RMSNorm: compute in float32 (x.float()), with float32's epsilon when eps is None, then cast back",
                      atol=0, rtol=0)

    def test_without_affine_has_no_parameters_and_an_empty_state_dict(self):
        ex = lab.exercise(2)
        ours = ex.RMSNorm((2, 5), eps=1e-5, elementwise_affine=False)
        ref = nn.RMSNorm((2, 5), eps=1e-5, elementwise_affine=False)
        assert list(ours.parameters()) == [], (
            f"RMSNorm((2, 5), elementwise_affine=False) has parameters {[n for n, _ in ours.named_parameters()]}; expected none")
        assert list(ours.state_dict()) == list(ref.state_dict()) == [], (
            f"RMSNorm((2, 5), elementwise_affine=False).state_dict() has keys {list(ours.state_dict())}; nn.RMSNorm's is empty")
        assert ours.weight is None, "RMSNorm(..., elementwise_affine=False).weight should exist and be None, as in nn.RMSNorm"
        x = torch.randn(4, 3, 2, 5) + 1
        with forbid(*RMS_NORM_SHORTCUTS, **NO_RMS_NORM):
            got = ours(x)
        close(got, ref(x), "RMSNorm((2, 5), eps=1e-5, elementwise_affine=False) on x (4, 3, 2, 5) differs from nn.RMSNorm's", **F32)

    def test_equals_layernorm_without_affine_on_zero_mean_rows(self):
        ex = lab.exercise(2)
        layer_norm = Lab("phase1_foundations/lab2_custom_modules").reference(2).LayerNorm
        # Rows of mean 0: LayerNorm's biased variance is then mean(x^2), so both norms agree, eps included.
        # The scale 0.01 makes mean(x^2) about 1e-4, so eps = 1e-5 changes the result by about 5%.
        x = torch.randn(4, 6, 16, dtype=torch.float64) * 0.01
        x = x - x.mean(-1, keepdim=True)
        ours = ex.RMSNorm(16, eps=1e-5, elementwise_affine=False)
        with forbid(*RMS_NORM_SHORTCUTS, **NO_RMS_NORM):
            got = ours(x)
        close(got, nn.LayerNorm(16, eps=1e-5, elementwise_affine=False, dtype=torch.float64)(x),
              "RMSNorm(16, eps=1e-5, elementwise_affine=False) on zero-mean rows of magnitude 0.01 differs from "
              "nn.LayerNorm(16, eps=1e-5, elementwise_affine=False): with mean 0, sqrt(mean(x^2) + eps) IS LayerNorm's sqrt(var + eps)")
        close(got, layer_norm(16, eps=1e-5, elementwise_affine=False)(x),
              "RMSNorm(16, eps=1e-5, elementwise_affine=False) on zero-mean rows differs from lab 1.2's LayerNorm without affine")


@pytest.mark.exercise(2)
class TestGelu:
    @pytest.mark.parametrize("approximate", ["none", "tanh"])
    def test_matches_f_gelu_over_a_wide_range(self, approximate):
        ex = lab.exercise(2)
        wide = torch.linspace(-12, 12, 2001, dtype=torch.float64)
        tiny = torch.tensor([-1e-8, -1e-12, 0.0, 1e-12, 1e-8], dtype=torch.float64)
        large = torch.tensor([-1e4, -40.0, -20.0, 20.0, 40.0, 1e4], dtype=torch.float64)
        for name, x in [("x in [-12, 12]", wide), ("x near 0", tiny), ("large |x|", large)]:
            for dtype in (torch.float64, torch.float32):
                xd = x.to(dtype).requires_grad_(True)
                call = f"gelu({name}, {dtype}, approximate={approximate!r})"
                with forbid(*GELU_SHORTCUTS, **NO_GELU):
                    got = ex.gelu(xd, approximate=approximate)
                assert got.dtype == dtype and got.shape == x.shape, f"{call} returned {got.dtype} {tuple(got.shape)}"
                want = F.gelu(xd, approximate=approximate)
                tol = F32 if dtype == torch.float32 else dict(atol=1e-12, rtol=1e-12)
                close(got, want, f"{call} differs from F.gelu(x, approximate={approximate!r})", **tol)
                if name == "x in [-12, 12]":
                    (ga,) = torch.autograd.grad(got.sum(), xd)
                    (gb,) = torch.autograd.grad(want.sum(), xd)
                    close(ga, gb, f"{call}: the gradient differs from F.gelu's", **(F32 if dtype == torch.float32 else {}))

    def test_exact_and_tanh_differ_by_less_than_1e_3_but_are_not_equal(self):
        ex = lab.exercise(2)
        x = torch.linspace(-6, 6, 4001, dtype=torch.float64)
        with forbid(*GELU_SHORTCUTS, **NO_GELU):
            diff = (ex.gelu(x, "none") - ex.gelu(x, "tanh")).abs().max().item()
        assert 1e-5 < diff < 1e-3, (
            f"max |gelu(x, 'none') - gelu(x, 'tanh')| over [-6, 6] is {diff:.3g}; the tanh approximation stays within 1e-3 of "
            "x * Phi(x) (about 4.7e-4 at most) but is not equal to it")

    def test_other_approximate_strings_raise_value_error(self):
        ex = lab.exercise(2)
        x = torch.randn(5)
        for bad in ("erf", "Tanh", "sigmoid", ""):
            with expect_raises(ValueError, f"gelu(x, approximate={bad!r})", "only 'none' and 'tanh' exist, as in F.gelu"):
                with forbid(*GELU_SHORTCUTS, **NO_GELU):
                    ex.gelu(x, approximate=bad)


@pytest.mark.exercise(2)
class TestSwiGLUHiddenSize:
    def test_llama_sizes(self):
        ex = lab.exercise(2)
        cases = [
            ((4096,), {}, 11008, "LLaMA 7B"),
            ((5120,), {}, 13824, "LLaMA 13B"),
            ((8192,), {}, 22016, "LLaMA 65B"),
            ((8192,), dict(multiple_of=4096, ffn_dim_multiplier=1.3), 28672, "Llama-2-70B"),
            ((4096,), dict(multiple_of=1024, ffn_dim_multiplier=1.3), 14336, "Llama-3-8B"),
            ((64,), dict(multiple_of=32), 192, "a small model"),
        ]
        for args, kwargs, want, name in cases:
            got = ex.swiglu_hidden_size(*args, **kwargs)
            call = f"swiglu_hidden_size({', '.join([str(a) for a in args] + [f'{k}={v}' for k, v in kwargs.items()])})"
            hint = ""
            mult = kwargs.get("multiple_of", 256)
            if isinstance(got, int) and got == want - mult:
                hint = ": it rounds DOWN; LLaMA rounds up to the next multiple of multiple_of"
            assert got == want, f"{call} ({name}) returned {got}; expected {want}{hint}"

    def test_is_a_multiple_and_the_smallest_one_at_least_int_8d_over_3(self):
        ex = lab.exercise(2)
        for multiple_of in (1, 8, 32, 256):
            for d in list(range(1, 100)) + [384, 768, 1000, 2048]:
                got = ex.swiglu_hidden_size(d, multiple_of)
                base = int(8 * d / 3)
                call = f"swiglu_hidden_size({d}, multiple_of={multiple_of})"
                assert isinstance(got, int), f"{call} returned a {type(got).__name__}; expected an int"
                assert got % multiple_of == 0, f"{call} returned {got}, not a multiple of {multiple_of}"
                assert base <= got < base + multiple_of, (
                    f"{call} returned {got}; expected the smallest multiple of {multiple_of} that is >= int(2 * 4 * {d} / 3) = {base}")
        for d, mult in [(100, 0.7), (512, 1.5)]:
            got = ex.swiglu_hidden_size(d, 16, ffn_dim_multiplier=mult)
            base = int(mult * int(8 * d / 3))
            assert got % 16 == 0 and base <= got < base + 16, (
                f"swiglu_hidden_size({d}, 16, ffn_dim_multiplier={mult}) returned {got}; expected the first multiple of 16 "
                f">= int({mult} * int(8 * {d} / 3)) = {base}")


@pytest.mark.exercise(2)
class TestSwiGLU:
    def test_output_is_w2_of_silu_w1_times_w3_with_three_bias_free_linears(self):
        ex = lab.exercise(2)
        m = ex.SwiGLU(12, hidden=20).double()
        for name, shape in [("w1", (20, 12)), ("w3", (20, 12)), ("w2", (12, 20))]:
            lin = getattr(m, name, None)
            assert isinstance(lin, nn.Linear), f"SwiGLU(12, hidden=20).{name} should be an nn.Linear"
            assert lin.bias is None, f"SwiGLU(12, hidden=20).{name} has a bias; LLaMA's SwiGLU linears are bias-free"
            assert tuple(lin.weight.shape) == shape, f"SwiGLU(12, hidden=20).{name}.weight has shape {tuple(lin.weight.shape)}; expected {shape}"
        assert sum(p.numel() for p in m.parameters()) == 3 * 12 * 20, "SwiGLU(12, hidden=20) should have 3 * d * h = 720 parameters"
        w1, w2, w3 = m.w1.weight.detach(), m.w2.weight.detach(), m.w3.weight.detach()
        for shape in [(3, 5, 12), (1, 12), (12,)]:
            x = torch.randn(*shape, dtype=torch.float64) * 2
            got = m(x)
            call = f"SwiGLU(12, hidden=20) on x of shape {shape}"
            want = (F.silu(x @ w1.T) * (x @ w3.T)) @ w2.T
            variants = [
                ((x @ w1.T) * F.silu(x @ w3.T)) @ w2.T,
                (F.gelu(x @ w1.T) * (x @ w3.T)) @ w2.T,
                (F.relu(x @ w1.T) * (x @ w3.T)) @ w2.T,
            ]
            reasons = ["the gate is on the wrong branch: silu goes on w1(x) (the gate), w3(x) (the up projection) stays linear",
                       "GELU instead of SiLU: SwiGLU's gate is silu(z) = z * sigmoid(z)",
                       "ReLU instead of SiLU: SwiGLU's gate is silu(z) = z * sigmoid(z)"]
            assert got.shape == want.shape, f"{call} returned shape {tuple(got.shape)}; expected {tuple(want.shape)}"
            for v, why in zip(variants, reasons):
                if torch.allclose(got, v, atol=1e-12, rtol=0) and not torch.allclose(got, want, atol=1e-12, rtol=0):
                    raise AssertionError(f"{call}: {why}")
            close(got, want, f"{call} differs from w2(silu(w1(x)) * w3(x)) computed with its own weights")

    def test_default_hidden_size_follows_swiglu_hidden_size(self):
        ex = lab.exercise(2)
        m = ex.SwiGLU(64, multiple_of=32)
        assert m.w1.out_features == 192, f"SwiGLU(64, multiple_of=32).w1 has {m.w1.out_features} outputs; expected 192"
        x = torch.randn(2, 3, 64)
        got = m(x)
        close(got, m.w2(F.silu(m.w1(x)) * m.w3(x)), "SwiGLU(64, multiple_of=32) on x (2, 3, 64) differs from w2(silu(w1 x) * w3 x)", **F32)


@pytest.mark.exercise(2)
class TestResidual:
    def test_pre_norm_and_post_norm_follow_their_formulas(self):
        ex = lab.exercise(2)
        d = 10
        sub = nn.Linear(d, d, dtype=torch.float64)
        norm = nn.LayerNorm(d, dtype=torch.float64)
        with torch.no_grad():
            norm.weight.uniform_(0.5, 2.0)
            norm.bias.normal_()
        x = torch.randn(3, 4, d, dtype=torch.float64) * 3 + 1
        forms = {
            "x + sublayer(norm(x))": x + sub(norm(x)),
            "norm(x + sublayer(x))": norm(x + sub(x)),
            "x + norm(sublayer(x))": x + norm(sub(x)),
            "norm(x) + sublayer(norm(x))": norm(x) + sub(norm(x)),
        }
        for norm_first, right in [(True, "x + sublayer(norm(x))"), (False, "norm(x + sublayer(x))")]:
            got = ex.residual(x, sub, norm, norm_first=norm_first)
            call = f"residual(x, sublayer, norm, norm_first={norm_first})"
            kind = "pre-norm" if norm_first else "post-norm"
            for form, value in forms.items():
                if form != right and got.shape == value.shape and torch.allclose(got, value, atol=1e-12, rtol=0):
                    extra = ""
                    if form == "x + norm(sublayer(x))":
                        extra = "; post-norm normalises the SUM, so the residual path goes through the norm"
                    elif form == "norm(x) + sublayer(norm(x))":
                        extra = "; pre-norm adds the sublayer's output to x itself, not to norm(x): the identity path stays un-normed"
                    raise AssertionError(f"{call} computed {form}; {kind} is {right}{extra}")
            close(got, forms[right], f"{call} differs from {kind}: {right}")


# ---- Exercise 3: the encoder layer -------------------------------------------------------------
#
# nn.TransformerEncoderLayer is the oracle. It takes a fused "fast path" (other numerics, zeros at
# the padding) only in eval mode without autograd, so the comparisons run in train mode with
# dropout = 0, where it computes exactly what the docstring says (equal to 0.0 in float64).

DOUBLE = torch.float64
NN_ATTENTION_SHORTCUTS = (
    "torch.nn.functional.multi_head_attention_forward",
    "aten._native_multi_head_attention",
    "aten._transformer_encoder_layer_fwd",
)
NO_NN_ATTENTION = dict(why="Exercise 3 asks you to build the layer from its parts: F.scaled_dot_product_attention "
                           "is allowed, nn.MultiheadAttention's functional forward is not")


def _nn_layer(d: int, h: int, f: int, *, norm_first: bool = False, activation="relu", bias: bool = True,
              dropout: float = 0.0) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(d, h, f, dropout=dropout, activation=activation, batch_first=True,
                                      norm_first=norm_first, bias=bias, dtype=DOUBLE)


def _layer_pair(ex, d: int, h: int, f: int, *, norm_first: bool = False, activation: str = "relu",
                bias: bool = True, dropout: float = 0.0):
    """(yours, nn's): nn.TransformerEncoderLayer in float64 with random non-trivial LayerNorms, and
    your EncoderLayer with its state_dict loaded; both in train mode."""
    ref = _nn_layer(d, h, f, norm_first=norm_first, activation=activation, bias=bias, dropout=dropout)
    with torch.no_grad():
        for name, p in ref.named_parameters():
            if name.startswith("norm"):  # LayerNorm starts at weight 1, bias 0: make a swapped norm visible
                p.copy_(torch.randn_like(p) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
            elif name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.2)
    ours = ex.EncoderLayer(d, h, f, dropout=dropout, activation=activation, norm_first=norm_first, bias=bias).to(DOUBLE)
    ours.load_state_dict(ref.state_dict())
    return ours.train(), ref.train()


def _run(layer, x, **masks):
    with forbid(*NN_ATTENTION_SHORTCUTS, **NO_NN_ATTENTION):
        return layer(x, **masks)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=1e-7, atol=1e-9))


def _config(d, h, f, norm_first, activation, bias=True) -> str:
    return (f"EncoderLayer(d_model={d}, n_heads={h}, dim_feedforward={f}, dropout=0, activation={activation!r}, "
            f"norm_first={norm_first}" + ("" if bias else ", bias=False") + ")")


def _lengths_mask(lengths: list[int], t: int) -> torch.Tensor:
    """(B, T) bool, True at the PADDING positions (PyTorch's src_key_padding_mask)."""
    return torch.arange(t)[None, :] >= torch.tensor(lengths)[:, None]


def _why_wiring(ours_out, x, d, h, f, norm_first, activation, ref, bias: bool = True) -> str:
    """Which common wiring slip reproduces your output (same parameters, nn's layer rewired)."""
    state = ref.state_dict()
    alternatives = [(f"nn's layer with norm_first={not norm_first}",
                     f"your norm_first wiring is inverted: norm_first={norm_first} means "
                     + ("x + sa(norm1(x)), then x + ff(norm2(x)) (pre-norm)" if norm_first
                        else "norm1(x + sa(x)), then norm2(x + ff(x)) (post-norm)"),
                     dict(norm_first=not norm_first, activation=activation, bias=bias))]
    if activation == "gelu":
        alternatives.append(("nn's layer with the tanh GELU", "activation='gelu' is the exact GELU "
                             "(F.gelu(x), approximate='none'), not the tanh approximation",
                             dict(norm_first=norm_first, activation=lambda z: F.gelu(z, approximate="tanh"), bias=bias)))
    other = "gelu" if activation == "relu" else "relu"
    alternatives.append((f"nn's layer with activation={other!r}", f"the activation is {other} instead of {activation}",
                         dict(norm_first=norm_first, activation=other, bias=bias)))
    for _, cause, kwargs in alternatives:
        alt = _nn_layer(d, h, f, **kwargs)
        alt.load_state_dict(state)
        with torch.no_grad():
            if _same(ours_out, alt.train()(x)):
                return f": {cause}"
    return ""


def _nn_row(ref, x, pad):
    """nn's layer on x with the padding mask pad, or NaNs where a row would be fully masked."""
    with torch.no_grad():
        if pad.all(-1).any():
            return torch.full_like(x, float("nan"))
        return ref(x, src_key_padding_mask=pad)


@pytest.mark.exercise(3)
class TestEncoderLayer:
    def test_state_dict_keys_shapes_and_order_equal_nn_transformer_encoder_layer(self):
        ex = lab.exercise(3)
        for d, h, f, norm_first, activation, bias in [(8, 2, 16, False, "relu", True), (6, 3, 10, True, "gelu", True),
                                                      (4, 1, 7, False, "gelu", False)]:
            ours = ex.EncoderLayer(d, h, f, dropout=0.0, activation=activation, norm_first=norm_first, bias=bias)
            ref = nn.TransformerEncoderLayer(d, h, f, dropout=0.0, activation=activation, batch_first=True,
                                             norm_first=norm_first, bias=bias)
            call = _config(d, h, f, norm_first, activation, bias)
            got = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
            want = [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
            assert got == want, (
                f"{call}.state_dict() has keys and shapes\n  {got}\nnn.TransformerEncoderLayer's are, in this order,\n  {want}"
            )
            ours.load_state_dict(ref.state_dict(), strict=True)
            for k, v in ours.state_dict().items():
                assert torch.equal(v, ref.state_dict()[k]), f"{call}.load_state_dict(nn's state_dict) did not copy {k}"
            other = ex.EncoderLayer(d, h, f, dropout=0.0, activation=activation, norm_first=norm_first, bias=bias).to(DOUBLE)
            ref.to(DOUBLE).load_state_dict(other.state_dict(), strict=True)
            for k, v in other.state_dict().items():
                assert torch.equal(v, ref.state_dict()[k]), f"nn.TransformerEncoderLayer.load_state_dict({call}.state_dict()) did not copy {k}"
            x = torch.randn(2, 3, d, dtype=DOUBLE)
            with torch.no_grad():
                got, want = _run(other.train(), x), ref.train()(x)
            close(got, want, f"{call} with its own initial parameters, loaded into nn.TransformerEncoderLayer: the two "
                             "forwards differ" + _why_wiring(got, x, d, h, f, norm_first, activation, ref, bias))

    def test_post_norm_and_pre_norm_forward_equal_nn_with_relu_and_gelu(self):
        ex = lab.exercise(3)
        d, h, f = 12, 3, 20
        for norm_first in (False, True):
            for activation in ("relu", "gelu"):
                ours, ref = _layer_pair(ex, d, h, f, norm_first=norm_first, activation=activation)
                x = torch.randn(5, 3, d, dtype=DOUBLE).transpose(0, 1)  # (B=3, T=5, d), not contiguous
                got = _run(ours, x)
                with torch.no_grad():
                    want = ref(x)
                call = f"{_config(d, h, f, norm_first, activation)} on a non-contiguous x of shape (3, 5, {d}), no masks"
                assert got.shape == want.shape, f"{call} returned shape {tuple(got.shape)}; expected {tuple(want.shape)}"
                close(got, want, f"{call} differs from nn.TransformerEncoderLayer with the same state_dict"
                      + _why_wiring(got.detach(), x, d, h, f, norm_first, activation, ref))

    def test_key_padding_mask_is_true_at_padding_and_matches_nn_at_every_position(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 2, 12, 6
        lengths = [6, 4, 1]
        pad = _lengths_mask(lengths, t)
        for norm_first in (False, True):
            ours, ref = _layer_pair(ex, d, h, f, norm_first=norm_first)
            x = torch.randn(3, t, d, dtype=DOUBLE)
            got = _run(ours, x, src_key_padding_mask=pad)
            with torch.no_grad():
                want = ref(x, src_key_padding_mask=pad)
            call = (f"{_config(d, h, f, norm_first, 'relu')} with src_key_padding_mask for lengths {lengths} "
                    f"(True at the padding)")
            polarity = ""
            if torch.isnan(got).any() or _same(got[1:2], _nn_row(ref, x[1:2], ~pad[1:2])):
                polarity = (": the mask looks inverted. src_key_padding_mask is True at PADDING (keys to ignore), "
                            "while F.scaled_dot_product_attention's bool mask is True where a query MAY attend: "
                            "pass ~src_key_padding_mask to F.sdpa")
            close(got, want, f"{call} differs from nn.TransformerEncoderLayer (all positions compared, padding "
                             f"included){polarity}")

    def test_padding_leaves_the_outputs_of_the_real_tokens_unchanged(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 4, 12, 7
        lengths = [7, 3, 5, 1]
        ours, _ = _layer_pair(ex, d, h, f, norm_first=True)
        x = torch.randn(4, t, d, dtype=DOUBLE)
        got = _run(ours, x, src_key_padding_mask=_lengths_mask(lengths, t))
        for b, n in enumerate(lengths):
            alone = _run(ours, x[b:b + 1, :n])
            close(got[b:b + 1, :n], alone,
                  f"sequence {b} (length {n}) padded to {t} with src_key_padding_mask gives other outputs at its {n} real "
                  f"tokens than the same sequence alone without padding: the real tokens attended to padding "
                  f"(src_key_padding_mask is True at PADDING; F.sdpa's bool mask is True where attention is allowed)")

    def test_bool_src_mask_is_true_where_attention_is_not_allowed(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 2, 12, 5
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)  # True above the diagonal: the future is NOT allowed
        rand = torch.rand(t, t) < 0.4
        rand.fill_diagonal_(False)
        for name, mask in [("a causal bool mask (True above the diagonal)", causal), ("a random bool mask", rand)]:
            ours, ref = _layer_pair(ex, d, h, f)
            x = torch.randn(2, t, d, dtype=DOUBLE)
            got = _run(ours, x, src_mask=mask)
            with torch.no_grad():
                want = ref(x, src_mask=mask)
                inverted = ref(x, src_mask=~mask) if not (~mask).all(-1).any() else None
            hint = ("your layer attended exactly where the mask is True" if inverted is not None and _same(got, inverted)
                    else "check the mask's polarity")
            close(got, want, f"{_config(d, h, f, False, 'relu')} with src_mask = {name}, shape ({t}, {t}), "
                             f"differs from nn.TransformerEncoderLayer: {hint}. A bool src_mask is True where attention "
                             "is NOT allowed (PyTorch's convention), the opposite of F.sdpa's bool mask (True = attend): "
                             "pass ~src_mask to F.sdpa")

    def test_float_src_mask_is_added_to_the_scores(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 2, 12, 5
        cases = [("nn.Transformer.generate_square_subsequent_mask(5) (float, -inf above the diagonal, 0 elsewhere)",
                  nn.Transformer.generate_square_subsequent_mask(t, dtype=DOUBLE)),
                 ("a random finite float mask", torch.randn(t, t, dtype=DOUBLE) * 2)]
        for name, mask in cases:
            ours, ref = _layer_pair(ex, d, h, f)
            x = torch.randn(3, t, d, dtype=DOUBLE)
            got = _run(ours, x, src_mask=mask)
            with torch.no_grad():
                want = ref(x, src_mask=mask)
                unmasked = ref(x)
            hint = (": your output equals the unmasked layer's, so the float src_mask was ignored: it is added to the "
                    "scores before the softmax" if _same(got, unmasked) else "")
            close(got, want, f"{_config(d, h, f, False, 'relu')} with src_mask = {name} differs from "
                             f"nn.TransformerEncoderLayer{hint}")

    @pytest.mark.filterwarnings("ignore:Support for mismatched src_key_padding_mask and src_mask")
    def test_src_mask_and_padding_mask_together_equal_nn(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 2, 12, 6
        lengths = [6, 2, 4]
        pad = _lengths_mask(lengths, t)
        causal_bool = torch.ones(t, t, dtype=torch.bool).triu(1)
        causal_float = nn.Transformer.generate_square_subsequent_mask(t, dtype=DOUBLE)
        finite_float = torch.randn(t, t, dtype=DOUBLE)
        for name, mask in [("a causal bool mask", causal_bool), ("the float causal mask of generate_square_subsequent_mask",
                                                                 causal_float), ("a random finite float mask", finite_float)]:
            for norm_first in (False, True):
                ours, ref = _layer_pair(ex, d, h, f, norm_first=norm_first)
                x = torch.randn(3, t, d, dtype=DOUBLE)
                got = _run(ours, x, src_mask=mask, src_key_padding_mask=pad)
                with torch.no_grad():
                    want = ref(x, src_mask=mask, src_key_padding_mask=pad)
                close(got, want, f"{_config(d, h, f, norm_first, 'relu')} with src_mask = {name} AND src_key_padding_mask "
                                 f"for lengths {lengths} differs from nn.TransformerEncoderLayer: both masks must apply "
                                 f"(a key is dropped if either masks it; a float mask is added where padding is not)")

    def test_no_bias_batch_one_one_token_and_every_head_count(self):
        ex = lab.exercise(3)
        cases = [(6, 1, 10, 2, 5, True), (6, 6, 10, 1, 4, True), (6, 2, 10, 2, 1, True), (6, 3, 9, 1, 1, False),
                 (5, 5, 8, 3, 4, False), (5, 1, 3, 2, 3, False), (12, 4, 16, 1, 7, True)]
        for d, h, f, b, t, bias in cases:
            for norm_first in (False, True):
                ours, ref = _layer_pair(ex, d, h, f, norm_first=norm_first, activation="gelu", bias=bias)
                x = torch.randn(b, t, d, dtype=DOUBLE)
                pad = _lengths_mask([t] + [max(1, t - 2)] * (b - 1), t)
                got = _run(ours, x, src_key_padding_mask=pad)
                with torch.no_grad():
                    want = ref(x, src_key_padding_mask=pad)
                close(got, want, f"{_config(d, h, f, norm_first, 'gelu', bias)} (head_dim {d // h}) on x of shape "
                                 f"({b}, {t}, {d}) with a padding mask differs from nn.TransformerEncoderLayer")

    def test_gradients_equal_nn_transformer_encoder_layers(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 2, 12, 5
        pad = _lengths_mask([5, 3], t)
        for norm_first, activation in [(False, "relu"), (True, "gelu")]:
            ours, ref = _layer_pair(ex, d, h, f, norm_first=norm_first, activation=activation)
            x = torch.randn(2, t, d, dtype=DOUBLE)
            xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
            ya = _run(ours, xa, src_key_padding_mask=pad, src_mask=torch.ones(t, t, dtype=torch.bool).triu(1))
            yb = ref(xb, src_key_padding_mask=pad, src_mask=torch.ones(t, t, dtype=torch.bool).triu(1))
            g = torch.randn_like(yb)
            with forbid(*NN_ATTENTION_SHORTCUTS, **NO_NN_ATTENTION):
                ya.backward(g)
            yb.backward(g)
            call = f"{_config(d, h, f, norm_first, activation)} with causal and padding masks, backward of a random upstream grad"
            close(xa.grad, xb.grad, f"{call}: dloss/dsrc differs from nn.TransformerEncoderLayer's")
            theirs = dict(ref.named_parameters())
            for name, p in ours.named_parameters():
                assert p.grad is not None, f"{call}: {name} received no gradient"
                close(p.grad, theirs[name].grad, f"{call}: the gradient of {name} differs from nn.TransformerEncoderLayer's")

    def test_dropout_is_random_in_train_mode_and_off_in_eval_mode(self):
        ex = lab.exercise(3)
        d, h, f = 8, 2, 16
        ours, ref = _layer_pair(ex, d, h, f, dropout=0.5)
        x = torch.randn(2, 6, d, dtype=DOUBLE)
        first, second = _run(ours, x), _run(ours, x)
        assert not torch.equal(first, second), (
            f"EncoderLayer({d}, {h}, {f}, dropout=0.5) in train mode gave the same output twice: dropout is not applied "
            "(self.dropout1 after attention, self.dropout inside the feed-forward, self.dropout2 after it)"
        )
        ours.eval()
        ref.eval()
        a, b = _run(ours, x), _run(ours, x)
        assert torch.equal(a, b), f"EncoderLayer(..., dropout=0.5) in eval mode gave different outputs for the same input"
        with torch.enable_grad():  # autograd on keeps nn's layer off its fused fast path
            want = ref(x)
        close(a, want.detach(), f"EncoderLayer({d}, {h}, {f}, dropout=0.5) in eval mode differs from "
                                "nn.TransformerEncoderLayer in eval mode: eval turns every dropout off")


@pytest.mark.exercise(3)
class TestSelfAttention:
    def test_self_attention_equals_nn_multihead_attention_with_the_same_state_dict(self):
        ex = lab.exercise(3)
        t = 5
        pad = _lengths_mask([5, 2, 4], t)
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        for d, h, bias in [(8, 2, True), (6, 3, False), (4, 4, True), (5, 1, True)]:
            ref = nn.MultiheadAttention(d, h, batch_first=True, bias=bias, dtype=DOUBLE)
            if bias:
                with torch.no_grad():
                    ref.in_proj_bias.normal_()
                    ref.out_proj.bias.normal_()
            ours = ex.SelfAttention(d, h, bias=bias).to(DOUBLE)
            got_keys = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
            want_keys = [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
            assert got_keys == want_keys, f"SelfAttention({d}, {h}, bias={bias}).state_dict() is {got_keys}; nn.MultiheadAttention's is {want_keys}"
            ours.load_state_dict(ref.state_dict())
            x = torch.randn(3, t, d, dtype=DOUBLE)
            for name, kwargs, nn_kwargs in [
                ("no masks", {}, {}),
                ("key_padding_mask (True = padding)", dict(key_padding_mask=pad), dict(key_padding_mask=pad)),
                ("a causal bool attn_mask (True = not allowed)", dict(attn_mask=causal), dict(attn_mask=causal)),
                ("both masks", dict(attn_mask=causal, key_padding_mask=pad), dict(attn_mask=causal, key_padding_mask=pad)),
            ]:
                got = _run(ours, x, **kwargs)
                with torch.no_grad():
                    want, _ = ref(x, x, x, need_weights=False, **nn_kwargs)
                close(got, want, f"SelfAttention({d}, {h}, bias={bias})(x (3, {t}, {d}), {name}) differs from "
                                 f"nn.MultiheadAttention(batch_first=True)(x, x, x, need_weights=False) with the same state_dict")

    def test_self_attention_equals_heads_of_lab21_reference_attention(self):
        ex = lab.exercise(3)
        ref_sdpa = Lab("phase2_intermediate/lab1_attention").reference(1).scaled_dot_product_attention
        b, t, d, h = 2, 6, 12, 3
        ours = ex.SelfAttention(d, h).to(DOUBLE)
        with torch.no_grad():
            ours.in_proj_bias.normal_()
        x = torch.randn(b, t, d, dtype=DOUBLE)
        pad = _lengths_mask([6, 3], t)
        w, bias = ours.in_proj_weight.detach(), ours.in_proj_bias.detach()
        q, k, v = (x @ w[i * d:(i + 1) * d].T + bias[i * d:(i + 1) * d] for i in range(3))
        q, k, v = (z.reshape(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))  # (B, H, T, head_dim)
        heads = ref_sdpa(q, k, v, attn_mask=~pad[:, None, None, :])
        want = ours.out_proj(heads.transpose(1, 2).reshape(b, t, d))
        got = _run(ours, x, key_padding_mask=pad)
        close(got, want.detach(), f"SelfAttention({d}, {h})(x ({b}, {t}, {d}), key_padding_mask) differs from the "
                                  "computation by hand: q, k, v = the three row blocks of in_proj_weight (+ in_proj_bias), "
                                  "split into (B, H, T, head_dim), lab 2.1's scaled_dot_product_attention with "
                                  "~key_padding_mask, heads merged back to (B, T, d), out_proj")


@pytest.mark.exercise(3)
class TestEncoder:
    def test_encoder_stacks_independent_deep_copies_with_nn_transformer_encoder_keys(self):
        ex = lab.exercise(3)
        d, h, f, n = 8, 2, 12, 3
        layer = ex.EncoderLayer(d, h, f, dropout=0.0)
        enc = ex.Encoder(layer, n, norm=nn.LayerNorm(d))
        ref = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, f, dropout=0.0, batch_first=True), n,
                                    norm=nn.LayerNorm(d), enable_nested_tensor=False)
        got = [(k, tuple(v.shape)) for k, v in enc.state_dict().items()]
        want = [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
        assert got == want, f"Encoder(layer, {n}, norm=LayerNorm({d})).state_dict() is\n  {got}\nnn.TransformerEncoder's is\n  {want}"
        per_layer = len(list(layer.parameters()))
        n_params = len(list(enc.parameters()))
        assert n_params == n * per_layer + 2, (
            f"Encoder(layer, {n}, norm) has {n_params} distinct parameters; {n} independent layers of {per_layer} plus the "
            f"norm's 2 make {n * per_layer + 2}: the layers share parameters (use copy.deepcopy for each one)"
        )
        layers = list(enc.layers)
        assert all(l is not layer for l in layers), (
            "Encoder(layer, n) keeps the layer you passed in its stack; nn.TransformerEncoder stores deep copies, so "
            "changing the original afterwards leaves the encoder alone"
        )
        with torch.no_grad():
            enc.layers[0].linear1.weight.add_(1.0)
        before = layer.linear1.weight.detach().clone()
        for i in range(1, n):
            assert not torch.equal(enc.layers[i].linear1.weight, enc.layers[0].linear1.weight), (
                f"after adding 1 to encoder.layers[0].linear1.weight, layers[{i}] changed too: the layers share parameters "
                "(use copy.deepcopy(encoder_layer) for each one)"
            )
        assert torch.equal(layer.linear1.weight, before), "changing encoder.layers[0] changed the layer passed to Encoder"
        ref.load_state_dict(enc.state_dict(), strict=True)
        enc.load_state_dict(ref.state_dict(), strict=True)
        x = torch.randn(2, 4, d)
        with torch.no_grad():
            got, want = _run(enc.train(), x), ref.train()(x)
        close(got, want, f"Encoder(layer, {n}, norm=LayerNorm({d})) after changing layers[0] differs from nn.TransformerEncoder "
                         "with the same state_dict (float32)", rtol=1e-5, atol=1e-6)

    def test_encoder_equals_nn_transformer_encoder_with_and_without_final_norm(self):
        ex = lab.exercise(3)
        d, h, f, t = 8, 2, 12, 5
        pad = _lengths_mask([5, 3, 1], t)
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        for n, norm_first, with_norm in [(3, True, True), (2, False, False), (1, True, True), (1, False, False)]:
            ref_layer = nn.TransformerEncoderLayer(d, h, f, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=DOUBLE)
            norm = nn.LayerNorm(d, dtype=DOUBLE) if with_norm else None
            ref = nn.TransformerEncoder(ref_layer, n, norm=norm, enable_nested_tensor=False).train()
            with torch.no_grad():
                for p in ref.parameters():  # every layer different, so a shared or repeated layer shows
                    p.add_(torch.randn_like(p) * 0.3)
            ours = ex.Encoder(ex.EncoderLayer(d, h, f, dropout=0.0, norm_first=norm_first).to(DOUBLE), n,
                              norm=nn.LayerNorm(d, dtype=DOUBLE) if with_norm else None).train()
            ours.load_state_dict(ref.state_dict(), strict=True)
            x = torch.randn(3, t, d, dtype=DOUBLE)
            call = (f"Encoder(EncoderLayer(norm_first={norm_first}), num_layers={n}, norm={'LayerNorm' if with_norm else None})"
                    f" on x (3, {t}, {d}) with a causal mask and src_key_padding_mask")
            got = _run(ours, x, mask=causal, src_key_padding_mask=pad)
            with torch.no_grad():
                want = ref(x, mask=causal, src_key_padding_mask=pad)
            close(got, want, f"{call} differs from nn.TransformerEncoder(layer, {n}, norm, enable_nested_tensor=False) "
                             "with the same state_dict (each layer in turn with both masks, the final norm once at the end)")


@pytest.mark.exercise(3)
class TestEncoderCounts:
    def test_param_count_equals_nn_transformer_encoder_layers_numel(self):
        ex = lab.exercise(3)
        got = ex.encoder_layer_param_count(512, 2048)
        assert got == 3_152_384, (
            f"encoder_layer_param_count(512, 2048) returned {got:,}; 4*512^2 + 2*512*2048 + 9*512 + 2048 = 3,152,384"
        )
        for d, f, bias in [(512, 2048, True), (512, 2048, False), (8, 16, True), (8, 16, False), (1, 1, True),
                           (6, 5, False), (768, 3072, True), (30, 7, True)]:
            want = sum(p.numel() for p in nn.TransformerEncoderLayer(d, 1, f, bias=bias, batch_first=True).parameters())
            got = ex.encoder_layer_param_count(d, f, bias=bias)
            assert got == want, (
                f"encoder_layer_param_count({d}, {f}, bias={bias}) returned {got:,}; sum(p.numel()) of "
                f"nn.TransformerEncoderLayer({d}, nhead, {f}, bias={bias}) is {want:,} (the difference is {want - got:+,}: "
                "in_proj 3d^2 + 3d, out_proj d^2 + d, linear1 df + f, linear2 fd + d, two LayerNorms with weight and bias "
                "d each; bias=False drops every bias, the LayerNorms' too)"
            )

    def test_flops_equal_flop_counter_mode_on_a_forward_and_ignore_the_head_count(self):
        ex = lab.exercise(3)

        def counted(layer, t, d):
            with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter, torch.no_grad():
                layer(torch.randn(1, t, d))
            return counter.get_total_flops()

        assert ex.encoder_layer_flops(10, 4, 6) == 8 * 10 * 16 + 4 * 100 * 4 + 4 * 10 * 4 * 6, (
            f"encoder_layer_flops(10, 4, 6) returned {ex.encoder_layer_flops(10, 4, 6)}; 8 T d^2 + 4 T^2 d + 4 T d f = 3840"
        )
        for t, d, f, heads in [(1, 8, 16, (1, 8)), (7, 12, 20, (1, 3, 12)), (16, 16, 64, (4,)), (3, 6, 5, (2,))]:
            want = ex.encoder_layer_flops(t, d, f)
            for h in heads:
                mine = counted(ex.EncoderLayer(d, h, f, dropout=0.0).train(), t, d)
                theirs = counted(nn.TransformerEncoderLayer(d, h, f, dropout=0.0, batch_first=True).train(), t, d)
                assert want == theirs, (
                    f"encoder_layer_flops(T={t}, d={d}, f={f}) returned {want:,}; FlopCounterMode counts {theirs:,} for a forward "
                    f"of nn.TransformerEncoderLayer({d}, {h}, {f}) on one sequence (B=1) with F.sdpa on its MATH backend "
                    "(projections 8 T d^2, Q K^T and weights @ V 2 T^2 d each, feed-forward 4 T d f)"
                )
                assert mine == theirs, (
                    f"FlopCounterMode counts {mine:,} FLOPs for your EncoderLayer({d}, {h}, {f}) on (1, {t}, {d}) and {theirs:,} "
                    "for nn.TransformerEncoderLayer's: your forward does other matrix products than nn's"
                )


# ---- Exercise 4: byte-level BPE ----------------------------------------------------------------
#
# The oracles: the formulas, a naive trainer written below (recount every pair after each merge),
# and Hugging Face `tokenizers` trained with the same settings.

SENNRICH = {b"low": 5, b"lower": 2, b"newest": 6, b"widest": 3}
EOT = "<|endoftext|>"


def _b(vocab, pair) -> str:
    return f"{vocab[pair[0]]!r} + {vocab[pair[1]]!r}"


def _naive_merge(word: tuple[int, ...], pair: tuple[int, int], new: int) -> tuple[int, ...]:
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] == pair:
            out.append(new)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def _naive_train(word_counts: dict[bytes, int], num_merges: int):
    """BPE by the definition: after every merge, count every pair of every word again."""
    vocab = {i: bytes([i]) for i in range(256)}
    words = {tuple(w): c for w, c in word_counts.items()}
    merges = []
    for k in range(num_merges):
        counts: Counter = Counter()
        for w, c in words.items():
            for p in zip(w, w[1:]):
                counts[p] += c
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], vocab[p[0]], vocab[p[1]]))
        merges.append(best)
        vocab[256 + k] = vocab[best[0]] + vocab[best[1]]
        words = {_naive_merge(w, best, 256 + k): c for w, c in words.items()}
    return merges, vocab


def _naive_counts_after(word_counts: dict[bytes, int], merges: list[tuple[int, int]]) -> Counter:
    """Every pair's count once ``merges`` (made in order, ids 256, 257, ...) have been applied."""
    words = {tuple(w): c for w, c in word_counts.items()}
    for k, pair in enumerate(merges):
        words = {_naive_merge(w, pair, 256 + k): c for w, c in words.items()}
    counts: Counter = Counter()
    for w, c in words.items():
        for p in zip(w, w[1:]):
            counts[p] += c
    return counts


def _pretokens(text: str) -> list[str]:
    return regex.findall(lab.reference(4).GPT2_SPLIT_PATTERN, text)


def _word_counts(docs: list[str]) -> dict[bytes, int]:
    counts: Counter = Counter()
    for doc in docs:
        counts.update(p.encode("utf-8") for p in _pretokens(doc))
    return dict(counts)


MULTILINGUAL = ("naïve café, Größe, 日本語のテキスト, 한국어, Ελληνικά, emoji 🙂🙂 🎉 🙂, e\u0301 (e + combining acute)\n"
                "def f(x):\r\n    return {'a': [1, 2.5e-3]}  # comment\t\t\n\n\n")


@functools.lru_cache(maxsize=None)
def _reference_tokenizer():
    """The reference tokenizer on 12 pydoc topics plus multilingual lines, 400 merges and one special token."""
    docs = text_corpus("train")[:12] + [MULTILINGUAL] * 5
    return lab.reference(4).train_bpe(docs, 256 + 400 + 1, [EOT])


def _yours_with_reference_merges(ex):
    ref = _reference_tokenizer()
    return ex.BPETokenizer(list(ref.merges), dict(ref.vocab), dict(ref.special_tokens))


ROUND_TRIP = [
    ("English", "The quick brown fox jumps over the lazy dog. It's 2024; isn't it?"),
    ("code", "def f(x):\n    return [i ** 2 for i in range(x) if i % 3 == 0]  # squares\n"),
    ("emoji", "launch 🚀 party 🎉🙂 family 👨‍👩‍👧 flag 🇫🇷"),
    ("CJK", "日本語のテキストと中文和한국어"),
    ("combining characters", "e\u0301 a\u0308 n\u0303o\u0302\u0323 Z\u0351\u0352\u0353"),
    ("CR LF line ends", "line one\r\nline two\r\n\r\n"),
    ("the empty string", ""),
    ("whitespace runs", "a  b   c\t\t d\n\n\n  e    \n \t "),
    ("a special token inside text", f"end of one{EOT}start of two"),
]


@pytest.mark.exercise(4)
class TestBPETraining:
    def test_pair_counts_weight_every_adjacent_pair_by_the_word_frequency(self):
        ex = lab.exercise(4)
        cases = [
            ({(1, 2, 1, 2): 3}, {(1, 2): 6, (2, 1): 3}),
            ({(1, 1, 1): 2}, {(1, 1): 4}),
            ({(5,): 7, (1, 2): 1, (2, 1, 2): 2}, {(1, 2): 3, (2, 1): 2}),
            ({}, {}),
        ]
        for words, want in cases:
            got = ex.pair_counts(dict(words))
            assert dict(got) == want and isinstance(got, Counter), (
                f"pair_counts({words}) returned {got!r}; expected Counter({want}) (every adjacent pair, overlapping ones "
                "too, counted once per occurrence times the word's frequency)"
            )

    def test_merge_word_replaces_non_overlapping_matches_left_to_right(self):
        ex = lab.exercise(4)
        cases = [
            ((1, 1, 1), (1, 1), (9, 1)),
            ((1, 1, 1, 1), (1, 1), (9, 9)),
            ((1, 2, 1, 2), (1, 2), (9, 9)),
            ((2, 1, 2), (1, 2), (2, 9)),
            ((1, 2, 3), (2, 1), (1, 2, 3)),
            ((3, 1), (1, 2), (3, 1)),
            ((1,), (1, 1), (1,)),
            ((), (1, 2), ()),
        ]
        for word, pair, want in cases:
            got = ex.merge_word(word, pair, 9)
            assert tuple(got) == want, (
                f"merge_word({word}, {pair}, 9) returned {got}; expected {want}: matches are taken left to right and "
                "never overlap (after a match the scan jumps past both ids)"
            )

    def test_train_merges_reproduces_the_sennrich_example_in_order(self):
        ex = lab.exercise(4)
        merges, vocab = ex.train_merges(dict(SENNRICH), 8)
        want_bytes = [(b"s", b"t"), (b"e", b"st"), (b"o", b"w"), (b"l", b"ow"), (b"w", b"est"), (b"n", b"e"),
                      (b"ne", b"west"), (b"w", b"i")]
        got_bytes = [(vocab.get(a), vocab.get(b)) for a, b in merges]
        assert got_bytes == want_bytes, (
            f"train_merges({{low: 5, lower: 2, newest: 6, widest: 3}}, 8) merged {got_bytes}; expected {want_bytes} "
            "(most frequent pair first; ties to the lexicographically greater (vocab[a], vocab[b]))"
        )
        for k, (a, b) in enumerate(merges):
            assert vocab[256 + k] == vocab[a] + vocab[b], (
                f"merge {k} {(a, b)} should create id {256 + k} with vocab[{256 + k}] = vocab[{a}] + vocab[{b}] = "
                f"{vocab[a] + vocab[b]!r}; got {vocab.get(256 + k)!r}"
            )
        assert merges[0] == (ord("s"), ord("t")) and merges[1] == (ord("e"), 256), (
            f"the first merges should be (115, 116) = s + t and (101, 256) = e + st, referring to the new id 256; got {merges[:2]}"
        )
        assert all(vocab[i] == bytes([i]) for i in range(256)) and len(vocab) == 256 + 8, (
            f"vocab should hold the 256 single bytes (vocab[i] = bytes([i])) and the 8 merges: {len(vocab)} entries"
        )

    def test_train_merges_breaks_ties_toward_the_greater_byte_pair(self):
        ex = lab.exercise(4)
        merges, vocab = ex.train_merges({b"ab": 3, b"cd": 3, b"bc": 3}, 1)
        assert merges == [(ord("c"), ord("d"))], (
            f"train_merges({{ab: 3, cd: 3, bc: 3}}, 1) merged {[_b(vocab, p) for p in merges]}; all three pairs have "
            "count 3 and ties go to the lexicographically GREATER pair: b'c' + b'd' (taking the smaller one inverts the rule)"
        )
        # (b"ab", b"a") vs (b"a", b"z"): as tuples b"ab" > b"a" wins; joined, b"az" > b"aba" would win instead.
        merges, vocab = ex.train_merges({b"ab": 10, b"az": 3, b"aba": 3}, 2)
        got = [_b(vocab, p) for p in merges]
        assert merges == [(97, 98), (256, 97)], (
            f"train_merges({{ab: 10, az: 3, aba: 3}}, 2) merged {got}; expected b'a' + b'b', then b'ab' + b'a': the tie "
            "between (b'a', b'z') and (b'ab', b'a') (count 3 each) compares the PAIRS (vocab[a], vocab[b]) element by "
            "element, and b'ab' > b'a'; comparing the joined bytes (b'az' > b'aba') picks the wrong one"
        )
        # (b"aa", b"c") vs (b"b", b"d"): by ids (256, 99) > (98, 100), by bytes b"aa" < b"b".
        merges, vocab = ex.train_merges({b"aa": 10, b"aac": 3, b"bd": 3}, 2)
        got = [_b(vocab, p) for p in merges]
        assert merges == [(97, 97), (98, 100)], (
            f"train_merges({{aa: 10, aac: 3, bd: 3}}, 2) merged {got}; expected b'a' + b'a', then b'b' + b'd': the tie "
            "between (b'aa', b'c') and (b'b', b'd') (count 3 each) is decided on the BYTES (vocab[a], vocab[b]), and "
            "b'b' > b'aa'; comparing the ids (256, 99) > (98, 100) picks the wrong one"
        )

    def test_train_merges_stops_when_no_pair_is_left(self):
        ex = lab.exercise(4)
        want, _ = _naive_train(dict(SENNRICH), 100)
        merges, vocab = ex.train_merges(dict(SENNRICH), 100)
        assert len(merges) == len(want) and len(vocab) == 256 + len(want), (
            f"train_merges(Sennrich's 4 words, 100) made {len(merges)} merges ({len(vocab)} vocab entries); after "
            f"{len(want)} merges every word is one token and no pair is left, so training stops there"
        )
        assert merges == want, f"train_merges(Sennrich's 4 words, 100) made {merges}; expected {want}"
        assert ex.train_merges({b"a": 4, b"b": 1}, 5) == ([], {i: bytes([i]) for i in range(256)}), (
            "train_merges({a: 4, b: 1}, 5) (single-byte words, no pairs at all) should return no merges and the 256 bytes"
        )

    def test_learned_tokens_never_cross_a_pretoken_boundary(self):
        ex = lab.exercise(4)
        docs = text_corpus("train")[:12]
        tok = ex.train_bpe(docs, 256 + 300)
        pieces = b"\x00".join(set(_word_counts(docs)))
        crossing = [tok.vocab[i] for i in range(256, 256 + len(tok.merges)) if tok.vocab[i] not in pieces]
        assert not crossing, (
            f"train_bpe(12 pydoc topics, vocab_size=556) merged across pre-token boundaries: {len(crossing)} learned tokens "
            f"are not part of any single GPT-2 pre-token, e.g. {crossing[:6]}. Count pairs inside each pre-token "
            "(pretokenize each piece; a word is one pre-token's bytes), never across two"
        )

    def test_train_bpe_equals_a_recount_of_every_pair_after_each_merge(self):
        ex = lab.exercise(4)
        docs = text_corpus("train")[:8]
        n = 60
        want, want_vocab = _naive_train(_word_counts(docs), n)
        tok = ex.train_bpe(docs, 256 + n)
        assert tok.vocab_size == 256 + n, f"train_bpe(8 pydoc topics, vocab_size={256 + n}) has vocab_size {tok.vocab_size}"
        pieces = b"\x00".join(_word_counts(docs))
        for k, (mine, theirs) in enumerate(zip(tok.merges, want)):
            if mine == theirs:
                continue
            counts = _naive_counts_after(_word_counts(docs), want[:k])
            if tok.vocab[256 + k] not in pieces:
                cause = ("the new token is in no pre-token, so the trainer merged across pre-token boundaries: count "
                         "pairs inside each pre-token of each piece")
            elif counts.get(mine, 0) == counts[theirs]:
                cause = (f"both pairs occur {counts[theirs]} times there, so this is a TIE, broken the wrong way: the "
                         "greater pair wins, comparing the tuple (vocab[a], vocab[b]) of byte strings (not the ids, and not "
                         "the joined bytes vocab[a] + vocab[b])")
            else:
                cause = ("the incremental counts went wrong. After merging in a word, subtract all its OLD pairs' counts, "
                         "add its NEW pairs' counts, and record the word under each new pair (stale counts pick the wrong pair)")
            assert mine == theirs, (
                f"train_bpe(8 pydoc topics, vocab_size={256 + n}): merge {k} is {_b(tok.vocab, mine)}, but counting every "
                f"pair again after each merge gives {_b(want_vocab, theirs)} (the first {k} merges agree): {cause}"
            )
        assert len(tok.merges) == n, f"train_bpe(..., vocab_size={256 + n}) learned {len(tok.merges)} merges; expected {n}"

    def test_special_tokens_are_never_merged_and_get_the_ids_after_the_merges(self):
        ex = lab.exercise(4)
        paragraphs = "\n\n".join(text_corpus("train")[:10]).split("\n\n")
        text = EOT.join(paragraphs)  # a special token between every two paragraphs
        specials = [EOT, "<|pad|>"]
        tok = ex.train_bpe(text, 256 + 200 + 2, specials)
        n = len(tok.merges)
        assert n == 200 and tok.vocab_size == 458, (
            f"train_bpe(text, vocab_size=458, special_tokens={specials}) learned {n} merges and has vocab_size "
            f"{tok.vocab_size}; expected 200 merges (458 - 256 bytes - 2 specials)"
        )
        assert tok.special_tokens == {EOT: 456, "<|pad|>": 457}, (
            f"special_tokens is {tok.special_tokens}; they take the ids after the merges, in order: {{{EOT!r}: 456, '<|pad|>': 457}}"
        )
        assert tok.vocab.get(456) == EOT.encode() and tok.vocab.get(457) == b"<|pad|>", (
            f"vocab[456], vocab[457] are {tok.vocab.get(456)!r}, {tok.vocab.get(457)!r}; a special token's vocab entry is its UTF-8 bytes"
        )
        plain = "\n\n".join(paragraphs).encode()
        leaked = [tok.vocab[i] for i in range(256, 256 + n)
                  if len(tok.vocab[i]) > 1 and tok.vocab[i] in EOT.encode() and tok.vocab[i] not in plain]
        assert not leaked, (
            f"train_bpe learned {leaked} from the text of the special token {EOT!r} (they occur nowhere else): "
            "special tokens are cut out before counting (split_special) and never counted as text"
        )
        ids = tok.encode(text)
        count = sum(i == 456 for i in ids)
        assert count == text.count(EOT), (
            f"encode(the training text) holds id 456 {count} times; the text has {text.count(EOT)} {EOT!r}, each one id"
        )
        back = tok.decode(ids)
        if back != text:
            at = next((i for i, (a, b) in enumerate(zip(back, text)) if a != b), min(len(back), len(text)))
            raise AssertionError(
                f"decode(encode(text)) is not the training text (with its special tokens): from character {at} it reads "
                f"{back[at:at + 30]!r} instead of {text[at:at + 30]!r}"
                + (" (U+FFFD: decode the joined bytes of all the ids once; one token can hold part of a character)"
                   if "\ufffd" in back else ""))

    def test_special_tokens_encode_to_their_single_id_longest_first(self):
        ex = lab.exercise(4)
        vocab = {i: bytes([i]) for i in range(256)}
        vocab[256], vocab[257] = b"<|a|>", b"<|a|><|b|>"
        tok = ex.BPETokenizer([], vocab, {"<|a|>": 256, "<|a|><|b|>": 257})
        text = "x<|a|><|b|>y<|a|>"
        got = tok.encode(text)
        assert got == [120, 257, 121, 256], (
            f"encode({text!r}) with special tokens '<|a|>' (256) and '<|a|><|b|>' (257) returned {got}; expected "
            "[120, 257, 121, 256]: the longer special token is matched first (split_special does it)"
        )
        assert tok.decode(got) == text, f"decode({got}) is {tok.decode(got)!r}; expected {text!r}"

    def test_train_bpe_rejects_a_vocab_smaller_than_the_bytes_and_specials(self):
        ex = lab.exercise(4)
        with expect_raises(ValueError, "train_bpe('some text', 256, ['<|endoftext|>'])",
                           "256 bytes + 1 special token need a vocab_size of at least 257"):
            ex.train_bpe("some text", 256, [EOT])
        tok = ex.train_bpe("some text", 257, [EOT])
        assert tok.merges == [] and tok.special_tokens == {EOT: 256} and tok.vocab_size == 257, (
            f"train_bpe('some text', 257, [{EOT!r}]) should learn no merge and give the special token id 256; got "
            f"{len(tok.merges)} merges and special_tokens {tok.special_tokens}"
        )


@pytest.mark.exercise(4)
class TestBPEEncodeDecode:
    def test_encode_equals_the_reference_and_decode_round_trips(self):
        ex = lab.exercise(4)
        ref = _reference_tokenizer()
        tok = _yours_with_reference_merges(ex)
        for name, text in ROUND_TRIP:
            ids = tok.encode(text)
            want = ref.encode(text)
            assert ids == want, (
                f"encode of {name} {text!r} returned {ids}; the reference gives {want} (same merges): cut at the special "
                "tokens, pretokenize, then apply the merges inside each pre-token by rank"
            )
            back = tok.decode(ids)
            assert back == text, f"decode(encode(s)) for {name} returned {back!r}; expected s = {text!r}"

    def test_encode_applies_merges_in_rank_order(self):
        ex = lab.exercise(4)
        vocab = {i: bytes([i]) for i in range(256)}
        vocab[256], vocab[257] = b"bc", b"ab"
        tok = ex.BPETokenizer([(98, 99), (97, 98)], dict(vocab))
        got = tok.encode("abc")
        assert got == [97, 256], (
            f"with merges [b + c -> 256 (rank 0), a + b -> 257 (rank 1)], encode('abc') returned {got}; expected [97, 256]: "
            "the pair with the LOWEST rank present is merged first (b + c), after which a + b no longer exists. "
            "Merging the first known pair from the left gives [257, 99]"
        )
        vocab[258] = b"abc"
        tok = ex.BPETokenizer([(98, 99), (97, 98), (97, 256)], dict(vocab))
        got = tok.encode("abc abcbc")
        assert got == [258, 32, 258, 256], (
            f"with merges [b + c -> 256, a + b -> 257, a + 256 -> 258], encode('abc abcbc') returned {got}; expected "
            "[258, 32, 258, 256] (keep merging by rank until no known pair is left, in every pre-token)"
        )

    def test_decode_joins_the_bytes_so_an_emoji_split_over_tokens_survives(self):
        ex = lab.exercise(4)
        tok = _yours_with_reference_merges(ex)
        ref = _reference_tokenizer()
        emoji = "🚀"
        ids = ref.encode(emoji)
        assert len(ids) > 1  # its 4 UTF-8 bytes are several tokens with the reference merges
        parts = [ref.vocab[i] for i in ids]
        got = tok.decode(ids)
        assert got == emoji, (
            f"decode({ids}) (the tokens {parts} of {emoji!r}, whose 4 UTF-8 bytes span {len(ids)} tokens) returned {got!r}: "
            "join the bytes of all the tokens first, then decode once; a token alone can be part of a character"
        )
        assert tok.decode_bytes(ids) == emoji.encode(), f"decode_bytes({ids}) returned {tok.decode_bytes(ids)!r}; expected {emoji.encode()!r}"

    def test_decode_of_half_a_character_gives_the_replacement_character(self):
        ex = lab.exercise(4)
        tok = _yours_with_reference_merges(ex)
        for ids in ([0xF0, 0x9F], [0xE6], [104, 0xC3], [0x80]):
            want = bytes(ids).decode("utf-8", errors="replace")
            got = tok.decode(ids)
            assert got == want, (
                f"decode({ids}) returned {got!r}; the bytes {bytes(ids)!r} are not valid UTF-8 and decode with "
                f"errors='replace' to {want!r} (U+FFFD marks the broken character)"
            )

    def test_encode_falls_back_to_bytes_for_an_unseen_character(self):
        ex = lab.exercise(4)
        tok = _yours_with_reference_merges(ex)
        ref = _reference_tokenizer()
        for ch in ("€", "Ж", "ꙮ"):
            assert ref.encode(ch) == list(ch.encode())  # no learned merge touches its bytes
            got = tok.encode(ch)
            assert got == list(ch.encode()), (
                f"encode({ch!r}), a character no merge covers, returned {got}; expected its UTF-8 bytes {list(ch.encode())}"
            )
            assert tok.decode(got) == ch, f"decode(encode({ch!r})) returned {tok.decode(got)!r}"


@pytest.mark.exercise(4)
class TestBPEAgainstTheLibrary:
    def test_bytes_per_token_matches_hugging_face_bpe_within_3_percent(self):
        ex = lab.exercise(4)
        docs, held_out = text_corpus("train")[:20], text_corpus("validation")
        vocab_size = 256 + 300 + 1
        hf = Tokenizer(models.BPE())
        hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        hf.train_from_iterator(docs, trainer=trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=[EOT], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            min_frequency=0, show_progress=False))
        tok = ex.train_bpe(docs, vocab_size, [EOT])
        assert tok.vocab_size == hf.get_vocab_size() == vocab_size, (
            f"train_bpe(20 pydoc topics, vocab_size={vocab_size}, [{EOT!r}]) has vocab_size {tok.vocab_size}; "
            f"Hugging Face's BPE trained alike has {hf.get_vocab_size()}"
        )
        n_bytes = sum(len(t.encode()) for t in held_out)
        theirs = n_bytes / sum(len(hf.encode(t).ids) for t in held_out)
        mine = n_bytes / sum(len(tok.encode(t)) for t in held_out)
        assert abs(mine / theirs - 1) <= 0.03, (
            f"on the validation topics, your tokenizer gives {mine:.3f} bytes per token and Hugging Face's BPE, trained on "
            f"the same 20 topics with the same vocab_size {vocab_size}, {theirs:.3f}: more than 3 % apart"
        )

    @pytest.mark.timeout(45)
    def test_train_bpe_on_the_lab_corpus_is_fast(self):
        # The yardstick is the reference on this machine, so the bound holds on slow and fast CPUs
        # alike: incremental counting is ~1 s here, a recount of every pair per merge ~25 s.
        ex, ref = lab.exercise(4), lab.reference(4)
        docs = text_corpus("train")
        start = time.perf_counter()
        ref.train_bpe(docs, 256 + 1000 + 1, [EOT])
        yardstick = time.perf_counter() - start
        start = time.perf_counter()
        tok = ex.train_bpe(docs, 256 + 1000 + 1, [EOT])
        took = time.perf_counter() - start
        assert len(tok.merges) == 1000, f"train_bpe(text_corpus('train'), 1257, [{EOT!r}]) learned {len(tok.merges)} merges; expected 1000"
        bound = max(15 * yardstick, 3.0)
        assert took < bound, (
            f"train_bpe(text_corpus('train'), vocab_size=1257) took {took:.1f} s; the reference takes {yardstick:.1f} s on "
            f"this machine and the bound is {bound:.1f} s. Update the pair counts incrementally: after a merge only the "
            "words that contain the pair change, so recount only those (keep pair -> words that contain it), never the "
            "whole corpus"
        )


# ---------------------------------------------------------------------------------------------
# Exercise 5: masked language modelling and a classifier
# ---------------------------------------------------------------------------------------------
# TextEncoder's nn.TransformerEncoderLayer takes PyTorch's fast path (other numerics, zeros at
# padded positions) only in eval mode without grad. The encoders here stay in train mode with
# dropout=0, where a forward through the module's own submodules matches to the last bit.

MLM_IGNORE = -100
MLM_F32 = tolerances("cpu", torch.float32)


def mlm_replay(input_ids: torch.Tensor, mask_id: int, vocab_size: int, p: float,
               special_mask: torch.Tensor | None, generator: torch.Generator | None) -> dict:
    """The three draws of exercise 5's docstring, in order, and the inputs/labels they define."""
    shape = input_ids.shape
    first = torch.rand(shape, generator=generator)
    picked = first < p
    if special_mask is not None:
        picked = picked & ~special_mask
    u = torch.rand(shape, generator=generator)
    rand_ids = torch.randint(vocab_size, shape, generator=generator)
    to_mask, to_random = picked & (u < 0.8), picked & (u >= 0.8) & (u < 0.9)
    inputs = torch.where(to_mask, torch.full_like(input_ids, mask_id), torch.where(to_random, rand_ids, input_ids))
    labels = torch.where(picked, input_ids, torch.full_like(input_ids, MLM_IGNORE))
    return dict(inputs=inputs, labels=labels, first=first, picked=picked, u=u, rand_ids=rand_ids, p=p)


def mlm_check_masking(call: str, ids: torch.Tensor, got, want: dict, mask_id: int) -> None:
    """Compare mask_tokens' (inputs, labels) with the replay, naming the first thing that is wrong."""
    assert isinstance(got, tuple) and len(got) == 2, f"{call} returned {type(got).__name__}; expected a tuple (inputs, labels)"
    inputs, labels = got
    picked, u, first, p = want["picked"], want["u"], want["first"], want["p"]
    for name, t in (("inputs", inputs), ("labels", labels)):
        assert isinstance(t, torch.Tensor) and t.shape == ids.shape and t.dtype == torch.long, (
            f"{call}: {name} is {getattr(t, 'dtype', type(t).__name__)} {tuple(getattr(t, 'shape', ()))}; "
            f"expected torch.int64 of the input's shape {tuple(ids.shape)}"
        )

    def first_of(mask: torch.Tensor) -> tuple[int, int]:
        b, t = (int(i) for i in mask.nonzero()[0])
        return b, t

    draw_rule = ("picked is the first draw, torch.rand(input_ids.shape, generator=generator) < mlm_probability, "
                 "minus special_mask; then u, then the random ids")
    changed = ~picked & (labels == MLM_IGNORE) & (inputs != ids)
    if changed.any():
        b, t = first_of(changed)
        raise AssertionError(
            f"{call}: the 80/10/10 split was applied to positions that were not picked: {int(changed.sum())} positions "
            f"with label -100 changed, e.g. ({b}, {t}), whose id {int(ids[b, t])} became {int(inputs[b, t])}; "
            "[MASK] / random / keep apply only where picked"
        )
    stray = ~picked & (labels != MLM_IGNORE)
    missing = picked & (labels == MLM_IGNORE)
    if stray.any() and not missing.any() and (labels[stray] == ids[stray]).float().mean() < 0.5:
        b, t = first_of(stray)
        raise AssertionError(
            f"{call}: labels must be -100 at every position that was not picked (cross_entropy's ignore_index); "
            f"{int(stray.sum())} are not, e.g. labels[{b}, {t}] = {int(labels[b, t])}"
        )
    if stray.any() or missing.any():
        b, t = first_of(stray if stray.any() else missing)
        why = (f"has first draw {float(first[b, t]):.4f} < {p} and is not special, so it is picked"
               if bool(picked[b, t]) else f"has first draw {float(first[b, t]):.4f} >= {p} or is special, so it is not picked")
        raise AssertionError(
            f"{call}: you picked other positions than the documented draws: ({b}, {t}) {why}, yet its label is "
            f"{int(labels[b, t])} ({int(stray.sum() + missing.sum())} positions differ); {draw_rule}"
        )
    wrong = picked & (labels != ids)
    if wrong.any():
        b, t = first_of(wrong)
        hint = (" (the masked input: labels must hold the ORIGINAL ids, also where the input became [MASK] or random)"
                if int(labels[b, t]) == int(inputs[b, t]) else "")
        raise AssertionError(
            f"{call}: at the picked position ({b}, {t}) the label is {int(labels[b, t])}, but the original id is "
            f"{int(ids[b, t])}{hint}; {int(wrong.sum())} picked positions have a wrong label"
        )
    bad = picked & (inputs != want["inputs"])
    if bad.any():
        b, t = first_of(bad)
        uu = float(u[b, t])
        if uu < 0.8:
            branch, want_in = "u < 0.8: [MASK]", f"the [MASK] id {mask_id}"
        elif uu < 0.9:
            branch, want_in = "0.8 <= u < 0.9: a random id", f"the third draw's id {int(want['rand_ids'][b, t])}"
        else:
            branch, want_in = "u >= 0.9: unchanged", f"the original id {int(ids[b, t])}"
        raise AssertionError(
            f"{call}: the picked position ({b}, {t}) has second draw u = {uu:.4f} ({branch}), so its input should be "
            f"{want_in}; got {int(inputs[b, t])} ({int(bad.sum())} picked positions differ); {draw_rule}, all of "
            "input_ids' shape, from the generator"
        )
    assert torch.equal(inputs, want["inputs"]) and torch.equal(labels, want["labels"]), f"{call} differs from the documented draws"


def mlm_lengths_mask(lengths: list[int], t: int) -> torch.Tensor:
    """(B, T) bool padding mask, True at positions >= the row's length."""
    return torch.arange(t)[None, :] >= torch.tensor(lengths)[:, None]


def mlm_encoder(module, vocab: int = 13, d: int = 16, heads: int = 2, layers: int = 1, max_len: int = 12,
                positions: str = "learned", dtype: torch.dtype = torch.float64):
    """A small TextEncoder of ``module`` in train mode (dropout 0), in ``dtype``."""
    m = module.TextEncoder(vocab, d_model=d, n_heads=heads, n_layers=layers, dim_feedforward=2 * d,
                           max_len=max_len, positions=positions).to(dtype)
    return m.train()


def mlm_manual_forward(m, ids: torch.Tensor, padding_mask: torch.Tensor | None) -> torch.Tensor:
    """tok_emb, + pos_emb[:T] unless positions == "none", the encoder with the padding mask, the final norm."""
    x = m.tok_emb(ids)
    if m.positions != "none":
        x = x + m.pos_emb[: ids.size(1)]
    return m.norm(m.encoder(x, src_key_padding_mask=padding_mask))


def mlm_adam(model: nn.Module, loss_at, steps: int, lr: float) -> None:
    """``steps`` steps of Adam (betas 0.9, 0.999) on ``loss_at(step)``, written out: torch.optim's first
    optimizer of a process imports torch._dynamo, seconds this suite does not need to spend."""
    params = [p for p in model.parameters() if p.requires_grad]
    m1 = [torch.zeros_like(p) for p in params]
    m2 = [torch.zeros_like(p) for p in params]
    model.train()
    for step in range(1, steps + 1):
        grads = torch.autograd.grad(loss_at(step), params, allow_unused=True)  # the classifier leaves mlm_bias unused
        with torch.no_grad():
            for p, g, a, b in zip(params, grads, m1, m2):
                if g is None:
                    continue
                a.mul_(0.9).add_(g, alpha=0.1)
                b.mul_(0.999).addcmul_(g, g, value=0.001)
                p.addcdiv_(a, (b / (1 - 0.999**step)).sqrt_().add_(1e-8), value=-lr / (1 - 0.9**step))


def mlm_reference_loss(model, inputs, labels, padding_mask=None) -> torch.Tensor:
    h = model(inputs, padding_mask)
    return F.cross_entropy(model.mlm_logits(h).flatten(0, 1), labels.flatten(), ignore_index=MLM_IGNORE)


@pytest.mark.exercise(5)
class TestMaskTokens:
    CASES = [  # ((B, T), vocab_size, mask_token_id, mlm_probability, generator seed)
        ((2, 7), 30, 29, 0.15, 0),
        ((5, 33), 50, 3, 0.15, 1),
        ((1, 1), 10, 9, 1.0, 2),
        ((3, 1), 10, 9, 0.5, 3),
        ((1, 64), 100, 99, 0.5, 4),
        ((4, 16), 20, 19, 1.0, 5),
        ((4, 16), 20, 19, 0.0, 6),
    ]

    def test_mask_tokens_replays_the_three_documented_draws_exactly(self):
        ex = lab.exercise(5)
        for shape, vocab, mask_id, p, seed in self.CASES:
            ids = torch.randint(vocab - 1, shape)
            g = torch.Generator().manual_seed(seed)
            g_replay = torch.Generator().manual_seed(seed)
            call = f"mask_tokens(ids {shape}, mask_token_id={mask_id}, vocab_size={vocab}, mlm_probability={p}, generator seeded {seed})"
            got = ex.mask_tokens(ids, mask_id, vocab, p, generator=g)
            mlm_check_masking(call, ids, got, mlm_replay(ids, mask_id, vocab, p, None, g_replay), mask_id)
            assert torch.equal(g.get_state(), g_replay.get_state()), (
                f"{call}: after the call the generator is not where the three documented draws (rand, rand, randint, "
                "each of the input's shape) leave it: draw exactly those, from the generator, in that order"
            )

    def test_mask_tokens_without_a_generator_draws_from_the_global_rng(self):
        ex = lab.exercise(5)
        ids = torch.randint(40, (6, 20))
        torch.manual_seed(11)
        got = ex.mask_tokens(ids, 40, 41, 0.3)
        torch.manual_seed(11)
        want = mlm_replay(ids, 40, 41, 0.3, None, None)
        mlm_check_masking("mask_tokens(ids (6, 20), 40, 41, 0.3) without a generator, after torch.manual_seed(11)", ids, got, want, 40)

    def test_mask_tokens_never_picks_special_positions(self):
        ex = lab.exercise(5)
        for shape, p, seed in [((4, 12), 1.0, 0), ((6, 30), 0.5, 1), ((1, 5), 0.15, 2)]:
            ids = torch.randint(2, 50, shape)
            special = mlm_lengths_mask(torch.randint(1, shape[1] + 1, (shape[0],)).tolist(), shape[1])
            special[:, 0] = True  # a [CLS] position
            call = f"mask_tokens(ids {shape}, 1, 50, {p}, special_mask=[CLS] column and padding)"
            got = ex.mask_tokens(ids, 1, 50, p, special_mask=special, generator=torch.Generator().manual_seed(seed))
            inputs, labels = got
            assert (labels[special] == MLM_IGNORE).all(), (
                f"{call}: {int((labels[special] != MLM_IGNORE).sum())} special positions got a label; a special position "
                "is never picked, so its label is -100"
            )
            assert torch.equal(inputs[special], ids[special]), (
                f"{call}: {int((inputs[special] != ids[special]).sum())} special positions were changed; they are never picked"
            )
            if p == 1.0:
                assert (labels[~special] != MLM_IGNORE).all(), f"{call}: with mlm_probability=1.0 every non-special position is picked"
            want = mlm_replay(ids, 1, 50, p, special, torch.Generator().manual_seed(seed))
            mlm_check_masking(call, ids, got, want, 1)
        ids = torch.randint(2, 50, (3, 9))
        plain = ex.mask_tokens(ids, 1, 50, 0.5, generator=torch.Generator().manual_seed(3))
        none_special = ex.mask_tokens(ids, 1, 50, 0.5, special_mask=torch.zeros(3, 9, dtype=torch.bool),
                                      generator=torch.Generator().manual_seed(3))
        assert all(torch.equal(a, b) for a, b in zip(plain, none_special)), (
            "mask_tokens with an all-False special_mask differs from special_mask=None with the same generator seed"
        )

    def test_mask_tokens_leaves_input_ids_unchanged_even_a_non_contiguous_view(self):
        ex = lab.exercise(5)
        base = torch.randint(60, (25, 4))
        ids = base.T  # (4, 25), not contiguous
        before = base.clone()
        call = "mask_tokens(ids.T (4, 25), 60, 61, 0.5) on a transposed (non-contiguous) ids"
        got = ex.mask_tokens(ids, 60, 61, 0.5, generator=torch.Generator().manual_seed(0))
        assert torch.equal(base, before), f"{call} modified input_ids in place; work on a clone"
        mlm_check_masking(call, ids, got, mlm_replay(ids, 60, 61, 0.5, None, torch.Generator().manual_seed(0)), 60)

    def test_mask_tokens_picks_15_percent_and_splits_them_80_10_10(self):
        ex = lab.exercise(5)
        vocab, mask_id = 1000, 999
        ids = torch.randint(vocab - 1, (256, 400))
        call = "mask_tokens(ids (256, 400), 999, 1000, 0.15)"
        inputs, labels = ex.mask_tokens(ids, mask_id, vocab, 0.15, generator=torch.Generator().manual_seed(7))
        picked = labels != MLM_IGNORE
        unpicked_changed = (~picked & (inputs != ids)).sum().item()
        assert unpicked_changed == 0, (
            f"{call}: the 80/10/10 split was applied to positions that were not picked ({unpicked_changed} positions with "
            "label -100 have a changed input)"
        )
        assert torch.equal(labels[picked], ids[picked]), (
            f"{call}: labels at the picked positions must be the ORIGINAL ids (also where the input became [MASK] or random)"
        )
        frac = picked.float().mean().item()
        assert 0.14 <= frac <= 0.16, f"{call} picked {frac:.3f} of the positions; expected about 0.15"
        n = picked.sum().item()
        masked = (inputs[picked] == mask_id).sum().item() / n
        kept = (inputs[picked] == ids[picked]).sum().item() / n
        rand = 1.0 - masked - kept
        assert 0.77 <= masked <= 0.83, f"{call}: {masked:.3f} of the picked positions became [MASK]; expected about 0.80"
        assert 0.08 <= rand <= 0.12, f"{call}: {rand:.3f} of the picked positions became another id; expected about 0.10 (random)"
        assert 0.08 <= kept <= 0.12, f"{call}: {kept:.3f} of the picked positions kept their id; expected about 0.10"
        rand_ids = inputs[picked & (inputs != mask_id) & (inputs != ids)]
        assert rand_ids.unique().numel() > 500, (
            f"{call}: the random replacements use only {rand_ids.unique().numel()} distinct ids; they should be uniform over the vocabulary"
        )


def mlm_mean_diagnosis(got: torch.Tensor, h: torch.Tensor, pm: torch.Tensor) -> str:
    """What a wrong masked_mean computed instead, when it is one of the usual slips."""
    real = (~pm).to(h.dtype).unsqueeze(-1)
    pad = pm.to(h.dtype).unsqueeze(-1)
    if got.shape != h.shape[::2] or not pm.any():
        return ""
    if torch.allclose(got, (h * real).sum(1) / h.size(1)):
        return ": the sum over the real positions was divided by T, not by each row's number of real positions"
    if torch.allclose(got, h.mean(1)):
        return ": it is the mean over every position, padding included"
    if torch.allclose(got, (h * pad).sum(1) / pad.sum(1).clamp_min(1.0)):
        return ": it averaged the PADDED positions; padding_mask is True at padding (PyTorch's convention)"
    return ""


@pytest.mark.exercise(5)
class TestMaskedMean:
    def test_masked_mean_is_the_mean_over_real_positions_row_by_row(self):
        ex = lab.exercise(5)
        for b, t, d in [(3, 7, 5), (1, 1, 4), (4, 1, 3), (1, 9, 1), (5, 6, 8)]:
            h = torch.randn(b, t, d, dtype=torch.float64)
            pm = torch.rand(b, t) < 0.5
            pm[:, torch.randint(t, (b,))] = False
            pm[torch.arange(b), torch.randint(t, (b,))] = False  # every row keeps at least one position
            if b > 1:
                pm[0] = False  # one row without padding
            want = torch.stack([h[i][~pm[i]].mean(0) for i in range(b)])
            got = ex.masked_mean(h, pm)
            lens = (~pm).sum(1).tolist()
            assert got.shape == (b, d), f"masked_mean(h {(b, t, d)}, padding_mask) returned shape {tuple(got.shape)}; expected {(b, d)}"
            close(got, want, f"masked_mean(h {(b, t, d)}, padding_mask with {lens} real positions per row) differs from "
                             f"the mean of each row over its real (padding_mask False) positions{mlm_mean_diagnosis(got, h, pm)}")

    def test_masked_mean_without_a_mask_is_the_plain_mean_and_keeps_the_dtype(self):
        ex = lab.exercise(5)
        for dtype, tol in [(torch.float64, {}), (torch.float32, MLM_F32), (torch.bfloat16, tolerances("cpu", torch.bfloat16))]:
            h = torch.randn(3, 8, 4, dtype=dtype)
            got = ex.masked_mean(h, None)
            assert got.dtype == dtype, f"masked_mean(h {dtype}, None) returned {got.dtype}; keep h's dtype"
            close(got, h.mean(dim=1), f"masked_mean(h (3, 8, 4) {dtype}, None) should equal h.mean(dim=1)", **tol)
            pm = mlm_lengths_mask([8, 3, 5], 8)
            got = ex.masked_mean(h, pm)
            assert got.dtype == dtype, f"masked_mean(h {dtype}, padding_mask) returned {got.dtype}; keep h's dtype"

    def test_masked_mean_ignores_huge_values_at_padding_and_passes_them_no_gradient(self):
        ex = lab.exercise(5)
        lengths = [5, 1, 3, 5]
        pm = mlm_lengths_mask(lengths, 5)
        h = torch.randn(4, 5, 6, dtype=torch.float64)
        h[pm] = 1e6
        h.requires_grad_(True)
        got = ex.masked_mean(h, pm)
        want = torch.stack([h.detach()[i, :n].mean(0) for i, n in enumerate(lengths)])
        close(got, want, f"masked_mean(h, padding_mask) with lengths {lengths} and 1e6 at every padded h: "
                         "padding leaked into the mean (or the sum was divided by T, not by the row's length)")
        got.sum().backward()
        assert (h.grad[pm] == 0).all(), "masked_mean(h, padding_mask).sum().backward(): the gradient at padded positions is not zero"
        want_grad = (1.0 / torch.tensor(lengths, dtype=torch.float64))[:, None, None].expand(4, 5, 6)
        close(h.grad[~pm], want_grad[~pm], f"masked_mean(h, padding_mask).sum().backward(): the gradient at a real position "
                                           f"should be 1 / (row length), lengths {lengths}")

    def test_masked_mean_works_on_a_non_contiguous_h(self):
        ex = lab.exercise(5)
        h = torch.randn(6, 3, 4, dtype=torch.float64).transpose(0, 1)  # (3, 6, 4), not contiguous
        pm = mlm_lengths_mask([6, 2, 4], 6)
        want = torch.stack([h[i, :n].mean(0) for i, n in enumerate([6, 2, 4])])
        close(ex.masked_mean(h, pm), want, "masked_mean on a transposed (non-contiguous) h (3, 6, 4) differs from the row-by-row mean")


@pytest.mark.exercise(5)
class TestTextEncoder:
    def test_text_encoder_real_positions_ignore_what_the_padded_ids_are(self):
        ex = lab.exercise(5)
        for positions in ("learned", "none"):
            m = mlm_encoder(ex, positions=positions)
            lengths = [6, 2, 4]
            pm = mlm_lengths_mask(lengths, 6)
            ids = torch.randint(13, (3, 6))
            other = torch.where(pm, torch.randint(13, (3, 6)), ids)
            h, h2 = m(ids, pm), m(other, pm)
            call = f"TextEncoder(positions={positions!r}).forward(ids (3, 6), padding_mask with lengths {lengths})"
            close(h2[~pm], h[~pm], f"{call}: the outputs at real positions changed when only the padded token ids changed: "
                                   "pass padding_mask to the encoder as src_key_padding_mask")
            for i, n in enumerate(lengths):
                alone = m(ids[i:i + 1, :n], None)
                close(h[i, :n], alone[0], f"{call}: row {i} (length {n}) differs from the same {n} tokens run alone without padding")

    def test_text_encoder_without_positions_is_permutation_equivariant(self):
        ex = lab.exercise(5)
        m = mlm_encoder(ex, positions="none", layers=2)
        ids = torch.randint(13, (3, 9))
        pm = mlm_lengths_mask([9, 5, 7], 9)
        perm = torch.randperm(9)
        h = m(ids, pm)
        hp = m(ids[:, perm], pm[:, perm])
        close(hp, h[:, perm], "TextEncoder(positions='none'): running the permuted tokens ids[:, perm] (and mask) should give "
                              "the outputs permuted, h[:, perm]: without positions an encoder cannot know where a token is "
                              "(is a position table added anyway?)")

    def test_text_encoder_with_positions_is_not_permutation_equivariant(self):
        ex = lab.exercise(5)
        ids = torch.randint(13, (2, 9))
        perm = torch.tensor([8, 0, 1, 2, 3, 4, 5, 6, 7])
        for positions in ("learned", "sinusoidal"):
            m = mlm_encoder(ex, positions=positions)
            gap = (m(ids[:, perm]) - m(ids)[:, perm]).abs().max().item()
            assert gap > 1e-2, (
                f"TextEncoder(positions={positions!r}): permuting the tokens only permuted the outputs (largest "
                f"difference {gap:.2g}): the position table pos_emb[:T] was not added to the token embeddings"
            )

    def test_text_encoder_forward_matches_its_own_submodules(self):
        ex = lab.exercise(5)
        for positions in ("learned", "sinusoidal", "none"):
            for b, t, lengths, dtype in [(2, 7, [7, 4], torch.float64), (1, 1, None, torch.float64),
                                         (3, 12, [12, 1, 9], torch.float64), (2, 5, [3, 5], torch.float32)]:
                m = mlm_encoder(ex, positions=positions, dtype=dtype, layers=2 if t == 12 else 1)
                ids = torch.randint(13, (b, t))
                pm = None if lengths is None else mlm_lengths_mask(lengths, t)
                want = mlm_manual_forward(m, ids, pm)
                got = m(ids, pm)
                call = (f"TextEncoder(positions={positions!r}, {dtype}).forward(ids {(b, t)}, "
                        f"padding_mask={'None' if pm is None else f'lengths {lengths}'})")
                assert got.shape == want.shape, f"{call} returned shape {tuple(got.shape)}; expected {tuple(want.shape)}"
                what = ("tok_emb(ids)" + ("" if positions == "none" else " + pos_emb[:T]")
                        + ", encoder(x, src_key_padding_mask=padding_mask), norm")
                close(got, want, f"{call} differs from {what}", **(MLM_F32 if dtype == torch.float32 else {}))

    def test_text_encoder_refuses_sequences_longer_than_max_len(self):
        ex = lab.exercise(5)
        for positions in ("learned", "sinusoidal", "none"):
            m = mlm_encoder(ex, positions=positions, max_len=6)
            h = m(torch.randint(13, (2, 6)))
            assert h.shape == (2, 6, 16), f"TextEncoder(max_len=6, positions={positions!r}) on T = 6 returned {tuple(h.shape)}"
            try:
                m(torch.randint(13, (2, 7)))
            except ValueError:
                continue
            raise AssertionError(f"TextEncoder(max_len=6, positions={positions!r}).forward(ids (2, 7)) did not raise "
                                 "ValueError: refuse a sequence longer than max_len, whatever the positions")


@pytest.mark.exercise(5)
class TestMlmLoss:
    @staticmethod
    def picked_labels(ids: torch.Tensor, p: float, pm: torch.Tensor | None = None) -> torch.Tensor:
        pick = torch.rand(ids.shape) < p
        if pm is not None:
            pick &= ~pm
        pick[0, 0] = True  # at least one target
        return torch.where(pick, ids, torch.full_like(ids, MLM_IGNORE))

    def test_mlm_loss_equals_cross_entropy_with_ignore_index_and_its_gradients(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        for b, t, lengths in [(3, 10, [10, 6, 8]), (1, 1, None), (2, 12, None), (4, 5, [5, 1, 3, 2])]:
            model = mlm_encoder(ref)
            ids = torch.randint(13, (b, t))
            pm = None if lengths is None else mlm_lengths_mask(lengths, t)
            labels = self.picked_labels(ids, 0.3, pm)
            n, total = int((labels != MLM_IGNORE).sum()), b * t
            call = f"mlm_loss(model, inputs {(b, t)}, labels with {n} of {total} positions picked" + (
                ")" if pm is None else f", padding_mask lengths {lengths})")
            got = ex.mlm_loss(model, ids, labels, pm)
            assert isinstance(got, torch.Tensor) and got.dim() == 0, f"{call} returned {got!r}; expected a scalar tensor"
            grads = torch.autograd.grad(got, list(model.parameters()), allow_unused=True) if got.requires_grad else None
            want = mlm_reference_loss(model, ids, labels, pm)
            if not torch.allclose(got.detach(), want.detach(), rtol=1e-8, atol=1e-10):
                h = model(ids, pm)
                every = F.cross_entropy(model.mlm_logits(h).flatten(0, 1), ids.flatten())
                if n < total and math.isclose(got.item(), want.item() * n / total, rel_tol=1e-6):
                    why = (f"the sum over the {n} picked positions was divided by all B*T = {total} positions; "
                           f"the mean is over the picked ones only")
                elif math.isclose(got.item(), every.item(), rel_tol=1e-6):
                    why = "it is the loss over every position (no ignore_index): only positions whose label is not -100 count"
                elif pm is not None and math.isclose(got.item(), mlm_reference_loss(model, ids, labels).item(), rel_tol=1e-6):
                    why = "padding_mask did not reach the model: h = model(inputs, padding_mask)"
                else:
                    why = "it should be the mean cross-entropy of model.mlm_logits(h) over the positions whose label is not -100"
                raise AssertionError(f"{call} = {got.item():.6f}, but F.cross_entropy(model.mlm_logits(h).flatten(0, 1), "
                                     f"labels.flatten(), ignore_index=-100) = {want.item():.6f}: {why}")
            assert grads is not None, f"{call} returned a loss that does not require grad: it must be differentiable for training"
            want_grads = torch.autograd.grad(want, list(model.parameters()), allow_unused=True)
            for (name, _), g, wg in zip(model.named_parameters(), grads, want_grads):
                assert g is not None or wg is None, (
                    f"{call}: no gradient reached model.{name}; the loss must be differentiable through the encoder "
                    "(no torch.no_grad(), no .detach())"
                )
                close(torch.zeros(()) if g is None else g, torch.zeros(()) if wg is None else wg,
                      f"{call}: the gradient of the loss w.r.t. model.{name} differs from that of F.cross_entropy(..., ignore_index=-100)")

    def test_mlm_loss_counts_only_the_picked_positions(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        model = mlm_encoder(ref)
        b, t, d = 3, 8, 16
        fixed = torch.randn(b, t, d, dtype=torch.float64)

        class FixedStates(type(model)):
            def forward(self, ids, padding_mask=None):  # noqa: ARG002 - the states do not depend on the ids here
                return self.h

        model.__class__ = FixedStates
        ids = torch.randint(13, (b, t))
        labels = self.picked_labels(ids, 0.3)
        picked = labels != MLM_IGNORE
        model.h = fixed.clone().requires_grad_(True)
        loss = ex.mlm_loss(model, ids, labels)
        loss.backward()
        call = f"mlm_loss(model, inputs {(b, t)}, labels with {int(picked.sum())} picked) on fixed encoder outputs h"
        assert (model.h.grad[~picked] == 0).all(), (
            f"{call}: the loss has a gradient w.r.t. h at positions whose label is -100; only picked positions may count"
        )
        other = fixed.clone()
        other[~picked] = torch.randn(int((~picked).sum()), d, dtype=torch.float64) * 100
        model.h = other
        close(ex.mlm_loss(model, ids, labels).detach(), loss.detach(),
              f"{call}: changing h at the unpicked positions changed the loss; only picked positions may count")

    def test_mlm_loss_computes_the_vocabulary_logits_only_at_picked_positions(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        vocab, b, t = 4000, 8, 32
        model = mlm_encoder(ref, vocab=vocab, d=8, max_len=t, dtype=torch.float32)
        ids = torch.randint(vocab, (b, t))
        labels = torch.full_like(ids, MLM_IGNORE)
        where = torch.randperm(b * t)[:20]
        labels.view(-1)[where] = ids.view(-1)[where]
        full = b * t * vocab * 4
        with torch.no_grad(), track_tensor_memory() as mem:
            loss = ex.mlm_loss(model, ids, labels)
        close(loss, mlm_reference_loss(model, ids, labels).detach(), "mlm_loss(model, inputs (8, 32), labels with 20 picked) "
              "differs from F.cross_entropy(..., ignore_index=-100)", **MLM_F32)
        assert mem.largest_bytes < full // 4, (
            f"mlm_loss(model, inputs (8, 32), labels with 20 of 256 positions picked, vocab {vocab}) created a tensor of "
            f"{mem.largest_bytes / 2**20:.2f} MiB; the logits of all B*T positions are {full / 2**20:.2f} MiB, those of the 20 "
            f"picked {20 * vocab * 4 / 2**20:.2f} MiB: apply model.mlm_logits to h[picked] only"
        )

    def test_masked_language_model_learns_a_tiny_repetitive_corpus(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        vocab, mask_id = 12, 11
        base = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0],
                             [2, 4, 6, 8, 10, 0, 2, 4], [9, 9, 1, 1, 9, 9, 1, 1]])
        corpus = base.repeat(16, 1)
        model = ex.TextEncoder(vocab, d_model=32, n_heads=2, n_layers=1, dim_feedforward=64, max_len=8)
        eval_in, eval_lab = ref.mask_tokens(corpus, mask_id, vocab, 0.3, generator=torch.Generator().manual_seed(123))
        with torch.no_grad():
            before = mlm_reference_loss(model, eval_in, eval_lab).item()
        g = torch.Generator().manual_seed(0)

        def loss_at(step):
            inputs, labels = ex.mask_tokens(corpus, mask_id, vocab, 0.3, generator=g)
            return ex.mlm_loss(model, inputs, labels)

        mlm_adam(model, loss_at, steps=50, lr=1e-2)
        with torch.no_grad():
            after = mlm_reference_loss(model, eval_in, eval_lab).item()
        assert after < 1.0, (
            f"50 Adam steps (lr 1e-2) of masked language modelling with your mask_tokens, TextEncoder and mlm_loss on "
            f"4 repeated sequences: the held-out MLM loss went from {before:.3f} (ln V = {math.log(vocab):.3f}) to "
            f"{after:.3f}; the reference ends between 0.09 and 0.33 (seeds 0-5)"
        )


@pytest.mark.exercise(5)
class TestSequenceClassifier:
    def test_classifier_logits_ignore_the_padding(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        clf = ex.SequenceClassifier(mlm_encoder(ref), 2).double()
        lengths = [8, 3, 5, 1]
        pm = mlm_lengths_mask(lengths, 8)
        ids = torch.randint(13, (4, 8))
        logits = clf(ids, pm)
        call = f"SequenceClassifier.forward(ids (4, 8), padding_mask with lengths {lengths})"
        other = torch.where(pm, torch.randint(13, (4, 8)), ids)
        close(clf(other, pm), logits, f"{call}: the logits changed when only the padded token ids changed: the padding mask "
                                      "must reach the encoder and the mean over positions")
        for i, n in enumerate(lengths):
            close(clf(ids[i:i + 1, :n], None)[0], logits[i],
                  f"{call}: row {i} (length {n}) gives other logits than its {n} tokens alone without padding")

    def test_classifier_without_positions_is_blind_to_token_order(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        clf = ex.SequenceClassifier(mlm_encoder(ref, positions="none", layers=2), 2).double()
        lengths = [7, 4, 6]
        pm = mlm_lengths_mask(lengths, 7)
        ids = torch.randint(13, (3, 7))
        shuffled = ids.clone()
        for i, n in enumerate(lengths):
            shuffled[i, :n] = ids[i, torch.randperm(n)]
        close(clf(shuffled, pm), clf(ids, pm), f"SequenceClassifier on a positions='none' encoder, padding lengths {lengths}: "
                                               "shuffling the real tokens of each row changed the logits; encoder outputs "
                                               "mean-pooled over the real positions cannot depend on their order")

    def test_classifier_is_the_head_on_the_masked_mean_of_the_encoder(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        for b, t, lengths in [(3, 7, [7, 2, 5]), (1, 1, None), (2, 6, None), (4, 9, [1, 9, 4, 6])]:
            enc = mlm_encoder(ref)
            clf = ex.SequenceClassifier(enc, 3).double()
            ids = torch.randint(13, (b, t))
            pm = None if lengths is None else mlm_lengths_mask(lengths, t)
            h = enc(ids, pm)
            pooled = h.mean(1) if pm is None else torch.stack([h[i][~pm[i]].mean(0) for i in range(b)])
            want = clf.head(pooled)
            got = clf(ids, pm)
            call = f"SequenceClassifier(encoder, 3).forward(ids {(b, t)}, padding_mask={'None' if pm is None else f'lengths {lengths}'})"
            assert got.shape == (b, 3), f"{call} returned shape {tuple(got.shape)}; expected {(b, 3)}"
            close(got, want, f"{call} differs from head(mean of encoder(ids, padding_mask) over the real positions)")

    def test_order_task_needs_positions(self):
        ex, ref = lab.exercise(5), lab.reference(5)
        train_ids, train_y = ref.order_task(512, seq_len=8, n_fillers=8, seed=1)
        test_ids, test_y = ref.order_task(512, seq_len=8, n_fillers=8, seed=2)
        acc = {}
        for positions in ("none", "learned"):
            torch.manual_seed(0)
            enc = ref.TextEncoder(10, d_model=16, n_heads=2, n_layers=1, dim_feedforward=32, max_len=8, positions=positions)
            clf = ex.SequenceClassifier(enc, 2)
            g = torch.Generator().manual_seed(0)

            def loss_at(step, clf=clf, g=g):
                idx = torch.randint(len(train_ids), (64,), generator=g)
                return F.cross_entropy(clf(train_ids[idx]), train_y[idx])

            mlm_adam(clf, loss_at, steps=100, lr=3e-3)
            acc[positions] = ref.accuracy(clf, test_ids, test_y)
        task = "order_task (label: does A come before B?), 100 Adam steps of batch 64, held-out accuracy"
        assert acc["learned"] >= 0.9, (
            f"{task}: the classifier on a positions='learned' encoder reached only {acc['learned']:.3f} "
            f"(the reference 0.98-1.0 over seeds 0-5); the order-blind one {acc['none']:.3f}"
        )
        assert 0.4 <= acc["none"] <= 0.6, (
            f"{task}: the classifier on a positions='none' encoder reached {acc['none']:.3f}; without positions only the bag "
            "of tokens is visible, which is the same for both classes, so it should stay near 0.5"
        )
