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

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from shared.devices import tolerances
from shared.grading import Lab, close, forbid

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
            with pytest.raises(ValueError):
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
        with pytest.raises(ValueError):
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
            with pytest.raises(ValueError):
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
            with pytest.raises(ValueError):
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
            with pytest.raises(ValueError):
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
