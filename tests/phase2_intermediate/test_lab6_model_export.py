"""Grader of lab 2.6 (model export): TorchScript (torch.jit.trace against torch.jit.script on a
value-dependent branch, the TracerWarning tracing raises, torch.jit.save and load without the
model's Python class); torch.export with a dynamic batch and sequence Dim (outputs against eager
PyTorch over every size in range, the range constraints, the guards that reject sizes outside
them, operator counts, the Core ATen decomposition checked against torch.Tag.core); ONNX export
with the dynamo exporter (onnx.checker, the file's dynamic dims, ONNX Runtime against eager over
batch sizes and sequence lengths, session options); INT8 dynamic and static quantization with ONNX
Runtime (calibrated on the training split), pruning against torch.nn.utils.prune, and shrinking
a structured-pruned FFN; the latency, size and accuracy benchmark (warm-up, interleaved rounds,
medians).

Every test names the behaviour it checks and compares your code with the field's own
implementation wherever one exists: eager PyTorch, torch.jit.trace and torch.export.export
themselves, onnx.checker and onnx.load, ONNX Runtime, torch.nn.utils.prune, numpy.percentile.
An export takes seconds, so each model of yours is exported once per run and many checks read
that one export. Run it on your exercises with

    make test-lab LAB=2.6          (EX=1 for exercise 1 only)
"""
from __future__ import annotations

import contextlib
import copy
import functools
import io
import itertools
import math
import re
import time
import timeit
import warnings
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from onnx import TensorProto, helper, numpy_helper
from onnx import helper as oh
from onnx import numpy_helper as onh
from onnxruntime.quantization import CalibrationDataReader
from onnxruntime.quantization.calibrate import MinMaxCalibrater
from torch import nn
from torch.export import Dim, ExportedProgram

from shared.grading import Lab, close, expect_raises

lab = Lab("phase2_intermediate/lab6_model_export")


# ---- Exercise 1: TorchScript ---------------------------------------------------------------------
#
# torch.jit.trace and torch.jit.script themselves are the oracles: the TracerWarnings the test
# records around its own torch.jit.trace, eager PyTorch on both sides of GatedHead's branch.
# GatedHead comes from the reference, so a change to the given class cannot move the goalposts.

_E1_TRACER_TEXT = "might cause the trace to be incorrect"


def _e1_head() -> nn.Module:
    torch.manual_seed(1)
    return lab.reference(1).GatedHead(8, 3).eval()


def _e1_batches() -> tuple[torch.Tensor, torch.Tensor]:
    """A batch whose mean is positive (GatedHead's first branch) and one whose mean is negative."""
    g = torch.Generator().manual_seed(2)
    positive = torch.randn(5, 8, generator=g) + 1.0
    negative = torch.randn(5, 8, generator=g) - 1.0
    assert positive.mean() > 0 > negative.mean()
    return positive, negative


def _e1_torch_tracer_warnings(model: nn.Module, example: torch.Tensor) -> list[str]:
    """The messages of the TracerWarnings torch.jit.trace(model, example) raises, every one recorded."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(model, example)
    return [str(w.message) for w in caught if issubclass(w.category, torch.jit.TracerWarning)]


def _e1_equal(module: nn.Module, eager: nn.Module, x: torch.Tensor) -> bool:
    with torch.no_grad():
        got, want = module(x), eager(x)
    return got.shape == want.shape and torch.allclose(got, want, atol=1e-6, rtol=1e-5)


class _E1DropoutNet(nn.Module):
    """Linear, Dropout(0.5), Linear: random in train mode, deterministic in eval mode."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 16)
        self.drop = nn.Dropout(0.5)
        self.b = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(self.drop(self.a(x)))


class _E1Chatty(nn.Module):
    """A module whose forward raises a UserWarning of its own, besides a branch on a tensor value."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        warnings.warn("custom: this forward is chatty", UserWarning)
        if x.sum() > 0:
            return x * 2
        return x


@pytest.mark.exercise(1)
class TestTraceWithWarnings:
    def test_trace_bakes_the_branch_of_its_example(self):
        head = _e1_head()
        positive, negative = _e1_batches()
        for example, same, other, sign in ((positive, positive, negative, "positive"),
                                           (negative, negative, positive, "negative")):
            traced, _ = lab.exercise(1).trace_with_warnings(head, example)
            call = f"trace_with_warnings(GatedHead, example with a {sign} mean)"
            assert isinstance(traced, torch.jit.ScriptModule), (
                f"{call} returned a {type(traced).__name__} as its trace; torch.jit.trace returns a "
                "torch.jit.ScriptModule (a TopLevelTracedModule)")
            assert _e1_equal(traced, head, same), (
                f"{call}: the trace differs from eager GatedHead on another batch whose mean is {sign} too; "
                "on inputs that take the example's branch a trace is exact")
            assert not _e1_equal(traced, head, other), (
                f"{call}: the trace equals eager GatedHead on a batch that takes the OTHER branch; a trace "
                "records only the branch its example took (torch.jit.trace, not torch.jit.script)")

    def test_returns_every_tracer_warning_that_torch_jit_trace_raises(self):
        head = _e1_head()
        positive, _ = _e1_batches()
        want = _e1_torch_tracer_warnings(head, positive)
        for attempt in ("the first", "a second, same model and example"):
            _, messages = lab.exercise(1).trace_with_warnings(head, positive)
            call = f"trace_with_warnings(GatedHead, example) ({attempt} call)"
            assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), (
                f"{call} returned a {type(messages).__name__} of "
                f"{sorted({type(m).__name__ for m in messages}) if isinstance(messages, (list, tuple)) else '?'} "
                "as its messages; expected a list of str (str(w.message) of each recorded warning)")
            assert messages, (
                f"{call} returned no TracerWarning messages; GatedHead's `if x.mean() > 0` makes torch.jit.trace "
                f"raise {len(want)}. Record with warnings.catch_warnings(record=True) and "
                "warnings.simplefilter('always') inside it: without 'always', a warning seen before is not recorded")
            assert all(_E1_TRACER_TEXT in m for m in messages), (
                f"{call} returned {messages!r}; every TracerWarning about the branch says '{_E1_TRACER_TEXT}'")
            assert messages == want, (
                f"{call} returned {len(messages)} message(s); torch.jit.trace raised {len(want)} TracerWarnings "
                "(by default it traces twice: once to record, once more to check the trace): every one counts, in order. "
                "With the default filter a repeated warning from the same line is shown once only; "
                "warnings.simplefilter('always') records each")

    def test_other_warnings_still_reach_the_caller_and_are_not_returned(self):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            _, messages = lab.exercise(1).trace_with_warnings(_E1Chatty(), torch.ones(2, 3))
        call = "trace_with_warnings(module whose forward warns 'custom: …' and branches on x.sum(), x)"
        assert not any("custom" in str(m) for m in messages), (
            f"{call} returned {[str(m)[:40] + '…' for m in messages]}: the module's own UserWarning is among them; "
            "return only the torch.jit.TracerWarning messages")
        assert messages and all(_E1_TRACER_TEXT in m for m in messages), (
            f"{call} returned {messages!r}; expected the TracerWarnings of its branch")
        reached = [str(w.message) for w in seen if issubclass(w.category, UserWarning)
                   and not issubclass(w.category, torch.jit.TracerWarning)]
        assert any("custom: this forward is chatty" in m for m in reached), (
            f"{call}: the module's UserWarning never reached the caller (the caller saw {reached!r}); a warning "
            "that is not a TracerWarning is not yours to swallow: re-issue it, e.g. with "
            "warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)")

    def test_traces_in_eval_mode_and_leaves_the_model_there(self):
        torch.manual_seed(3)
        model = _E1DropoutNet().train()
        eager = copy.deepcopy(model).eval()
        x = torch.randn(6, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced, _ = lab.exercise(1).trace_with_warnings(model, x)
        assert model.training is False, (
            "trace_with_warnings(model in train mode, x) left model.training = True; it traces in eval mode "
            "and leaves the model there")
        with torch.no_grad():
            first, second, want = traced(x), traced(x), eager(x)
        close(first, want, "trace_with_warnings(model with Dropout(0.5) in train mode, x): the trace differs from "
              "the model in eval mode; a trace made in train mode records dropout, and every call is random: "
              "call model.eval() before torch.jit.trace", atol=1e-6, rtol=1e-5)
        close(second, first, "trace_with_warnings(model with Dropout, x): two calls of the trace on the same "
              "input differ; an eval-mode trace is deterministic", atol=0.0, rtol=0.0)


@pytest.mark.exercise(1)
class TestScript:
    def test_script_keeps_both_branches_of_gatedhead(self):
        head = _e1_head()
        scripted = lab.exercise(1).script(head)
        assert isinstance(scripted, torch.jit.ScriptModule), (
            f"script(GatedHead) returned a {type(scripted).__name__}; torch.jit.script returns a torch.jit.ScriptModule")
        for x, sign in zip(_e1_batches(), ("positive", "negative")):
            assert _e1_equal(scripted, head, x), (
                f"script(GatedHead) differs from eager GatedHead on a batch with a {sign} mean; a scripted "
                "module compiles the `if`, so both branches survive")
        assert re.search(r"^\s*if\b", scripted.code, re.MULTILINE), (
            f"script(GatedHead).code has no `if`:\n{scripted.code}\nthat is a trace; torch.jit.script keeps the branch")

    def test_script_compiles_in_eval_mode_and_leaves_the_model_there(self):
        torch.manual_seed(4)
        model = _E1DropoutNet().train()
        eager = copy.deepcopy(model).eval()
        scripted = lab.exercise(1).script(model)
        assert model.training is False, "script(model in train mode) left model.training = True; it scripts in eval mode"
        x = torch.randn(6, 4)
        with torch.no_grad():
            close(scripted(x), eager(x), "script(model with Dropout(0.5) in train mode) differs from the model in "
                  "eval mode: the scripted module is in train mode, so its dropout is active", atol=1e-6, rtol=1e-5)


class _E1Affine(nn.Module):
    """x -> scale * (|x| + 1) + shift, elementwise: outputs of size about 1 or more, never near 0."""

    def __init__(self, scale: float = 1.0, shift: float = 0.0):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * (x.abs() + 1.0) + self.shift


class _E1Column(nn.Module):
    """A linear score, as a vector (B,) or as a column (B, 1): the same numbers, another shape."""

    def __init__(self, linear: nn.Linear, column: bool):
        super().__init__()
        self.linear, self.column = linear, column

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x)
        return y if self.column else y[:, 0]


class _E1GradSpy(nn.Module):
    """The identity, remembering whether autograd was on when it ran."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(()))
        self.grad_enabled: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        return x * self.weight


@pytest.mark.exercise(1)
class TestDisagreements:
    def test_lists_every_input_that_differs_not_only_the_first(self):
        head = _e1_head()
        positive, negative = _e1_batches()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(head, positive)  # bakes the positive branch
        inputs = [positive, negative, positive * 2, negative * 2, negative + 0.5, positive + 0.5]
        got = lab.exercise(1).disagreements(head, traced, inputs)
        assert list(got) == [1, 3, 4], (
            f"disagreements(GatedHead, its trace on a positive batch, [pos, neg, pos, neg, neg, pos]) returned "
            f"{got!r}; the trace is wrong exactly on the negative-mean batches, indices [1, 3, 4]: check every input")
        assert isinstance(got, list), f"disagreements(...) returned a {type(got).__name__}; expected a list of indices"
        swapped = lab.exercise(1).disagreements(head, traced, [negative, positive, negative])
        assert list(swapped) == [0, 2], (
            f"disagreements(GatedHead, trace, [neg, pos, neg]) returned {swapped!r}; expected [0, 2]")

    def test_a_different_shape_is_a_difference_even_where_the_values_broadcast(self):
        torch.manual_seed(5)
        linear = nn.Linear(4, 1)
        vector, column = _E1Column(linear, column=False), _E1Column(linear, column=True)
        inputs = [torch.randn(1, 4), torch.randn(3, 4)]
        got = lab.exercise(1).disagreements(vector, column, inputs)
        assert list(got) == [0, 1], (
            f"disagreements(reference -> (B,), candidate -> (B, 1) with the same numbers, inputs of batch 1 and 3) "
            f"returned {got!r}; a different shape is a difference ([0, 1]): compare the shapes before "
            "torch.allclose, which broadcasts (1,) against (1, 1) and calls them equal")
        same = lab.exercise(1).disagreements(vector, _E1Column(linear, column=False), inputs)
        assert list(same) == [], f"disagreements(m, the same computation, inputs) returned {same!r}; expected []"

    def test_last_bit_rounding_is_not_a_difference(self):
        # 1 + 2**-22 is exact in float32 and moves every output by one or two units in the last place.
        reference, candidate = _E1Affine(), _E1Affine(scale=1.0 + 2.0**-22)
        x = torch.randn(4, 6)
        assert not torch.equal(reference(x), candidate(x))
        got = lab.exercise(1).disagreements(reference, candidate, [x, x[:1]])
        assert list(got) == [], (
            f"disagreements(m, m with outputs off by 2.4e-7 relative, 2 inputs) returned {got!r}; a rounding "
            "difference in the last bits is not a disagreement: compare with torch.allclose(..., atol, rtol), not == "
            "or torch.equal")

    def test_atol_and_rtol_are_honoured(self):
        reference = _E1Affine()
        x = [torch.randn(3, 5), torch.randn(2, 5)]
        ex = lab.exercise(1)
        shifted = _E1Affine(shift=0.01)
        assert list(ex.disagreements(reference, shifted, x)) == [0, 1], (
            "disagreements(m, m + 0.01, 2 inputs) with the default atol=1e-5, rtol=1e-4 should be [0, 1]")
        got = ex.disagreements(reference, shifted, x, atol=0.02, rtol=0.0)
        assert list(got) == [], (
            f"disagreements(m, m + 0.01, 2 inputs, atol=0.02, rtol=0) returned {got!r}; an absolute difference of "
            "0.01 is within atol=0.02: pass atol and rtol to torch.allclose")
        scaled = _E1Affine(scale=1.01)
        assert list(ex.disagreements(reference, scaled, x)) == [0, 1], (
            "disagreements(m, m * 1.01, 2 inputs) with the default rtol=1e-4 should be [0, 1]")
        got = ex.disagreements(reference, scaled, x, atol=0.0, rtol=0.02)
        assert list(got) == [], (
            f"disagreements(m, m * 1.01, 2 inputs, atol=0, rtol=0.02) returned {got!r}; a relative difference of "
            "1% is within rtol=0.02: pass atol and rtol to torch.allclose")

    def test_compares_in_eval_mode_without_autograd(self):
        torch.manual_seed(6)
        reference = _E1DropoutNet().train()
        candidate = copy.deepcopy(reference).train()
        x = [torch.randn(64, 4) for _ in range(3)]
        got = lab.exercise(1).disagreements(reference, candidate, x)
        assert list(got) == [], (
            f"disagreements(model with Dropout(0.5) in train mode, an exact copy, 3 inputs) returned {got!r}: "
            "in train mode each call drops different units; put both modules in eval mode first")
        spy = _E1GradSpy()
        lab.exercise(1).disagreements(_E1GradSpy(), spy, [torch.randn(2, 3)])
        assert spy.grad_enabled == [False], (
            f"disagreements(...) ran the candidate with autograd on (torch.is_grad_enabled() was {spy.grad_enabled}); "
            "run both under torch.no_grad(): a check records no graph")


@pytest.mark.exercise(1)
class TestSaveAndLoad:
    def test_reloads_an_equal_module_from_the_file_for_str_and_path(self, tmp_path: Path):
        head = _e1_head()
        scripted = torch.jit.script(head)
        positive, negative = _e1_batches()
        for path, kind in ((tmp_path / "head.pt", "Path"), (str(tmp_path / "head_str.pt"), "str")):
            loaded = lab.exercise(1).save_and_load(scripted, path)
            call = f"save_and_load(scripted GatedHead, {kind} path)"
            assert Path(path).is_file() and Path(path).stat().st_size > 0, f"{call} wrote no file at {path}"
            assert isinstance(loaded, torch.jit.ScriptModule), (
                f"{call} returned a {type(loaded).__name__}; torch.jit.load returns a torch.jit.ScriptModule, "
                "which runs without GatedHead's Python class")
            assert loaded is not scripted, f"{call} returned the module it was given; return torch.jit.load(path)"
            for x, sign in ((positive, "positive"), (negative, "negative")):
                assert _e1_equal(loaded, head, x), f"{call}: the reloaded module differs from GatedHead on a {sign} batch"
            assert all(p.device.type == "cpu" for p in loaded.parameters()), f"{call}: the reloaded module is not on the CPU"

    def test_the_reloaded_module_comes_from_the_file_not_from_memory(self, tmp_path: Path):
        head = _e1_head()
        scripted = torch.jit.script(copy.deepcopy(head))
        loaded = lab.exercise(1).save_and_load(scripted, tmp_path / "head.pt")
        with torch.no_grad():
            for p in scripted.parameters():
                p.add_(1.0)  # change the original after saving: a module read from the file does not see it
        x, _ = _e1_batches()
        assert _e1_equal(loaded, head, x), (
            "save_and_load(m, path) returned a module that changed when m's weights changed after the call: it is "
            "m itself (or shares its tensors), not the module torch.jit.load reads back from the file")
        reread = torch.jit.load(tmp_path / "head.pt")
        assert _e1_equal(reread, head, x), "save_and_load(m, path): torch.jit.load(path) of the written file differs from m"


# ---- Exercise 2: torch.export --------------------------------------------------------------------
#
# The tiny encoder is exported ONCE by your export_dynamic (cached below) and every check reads that
# one program; eager PyTorch in eval mode is the oracle. op_counts, guard_failure and
# decompose_to_core get programs made here with torch.export.export itself, from two small modules,
# so they are graded even while export_dynamic is not written yet.

_E2_MAX_BATCH, _E2_MAX_SEQ = 8, 16
_E2_CALL = f"export_dynamic(EncoderClassifier, ids (2, 6), max_batch={_E2_MAX_BATCH}, max_seq={_E2_MAX_SEQ})"


@functools.lru_cache(maxsize=None)
def _e2_exported(ex) -> tuple[nn.Module, nn.Module, ExportedProgram | None, bool, BaseException | None]:
    """(eager copy in eval mode, the model given, its program, model.training after the call, error).

    A tiny EncoderClassifier from the reference (the given class), seeded, in train mode when handed
    over, exported once per run by ``ex.export_dynamic``. An error is kept, so that each test
    reports it without exporting again.
    """
    torch.manual_seed(7)
    model = lab.reference(2).EncoderClassifier(vocab_size=12, n_classes=3, d_model=16, n_heads=2, n_layers=1,
                                               d_ff=32, max_len=16, dropout=0.1).train()
    eager = copy.deepcopy(model).eval()
    example = torch.randint(1, 12, (2, 6), generator=torch.Generator().manual_seed(8))
    try:
        program = ex.export_dynamic(model, example, _E2_MAX_BATCH, _E2_MAX_SEQ)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - reported by every test that needs the program
        return eager, model, None, model.training, err
    return eager, model, program, model.training, None


def _e2_program() -> tuple[nn.Module, ExportedProgram, bool]:
    __tracebackhide__ = True
    eager, _, program, training, err = _e2_exported(lab.exercise(2))
    if err is not None:
        raise AssertionError(f"{_E2_CALL} raised {type(err).__name__}: {err}") from err
    assert isinstance(program, ExportedProgram), (
        f"{_E2_CALL} returned a {type(program).__name__}; expected the torch.export.ExportedProgram")
    return eager, program, training


def _e2_ids(batch: int, seq: int, seed: int) -> torch.Tensor:
    """Token ids 1…11 with the last positions of some rows padded (0); every row keeps its first token."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 12, (batch, seq), generator=g)
    lengths = torch.randint(1, seq + 1, (batch,), generator=g)
    return ids.masked_fill(torch.arange(seq) >= lengths[:, None], 0)


def _e2_run(module: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    __tracebackhide__ = True
    try:
        with torch.no_grad():
            return module(ids)
    except AssertionError as err:
        raise AssertionError(
            f"{_E2_CALL}: the program refused ids of shape {tuple(ids.shape)}, inside the range it must accept "
            f"(batch 1…{_E2_MAX_BATCH}, seq 1…{_E2_MAX_SEQ}): {err}. Each dimension needs a torch.export.Dim with "
            "min=1 and its own maximum in dynamic_shapes; a dimension without one is specialised to its example "
            "size (2 for the batch, 6 for the sequence)") from err


@pytest.mark.exercise(2)
class TestExportDynamic:
    def test_program_accepts_every_batch_size_from_1_to_max_batch(self):
        eager, program, _ = _e2_program()
        module = program.module()
        for batch in (2, 3, 1, 8):
            ids = _e2_ids(batch, 6, seed=batch)
            out = _e2_run(module, ids)
            assert out.shape == (batch, 3), f"{_E2_CALL}: the program gave {tuple(out.shape)} for ids ({batch}, 6)"

    def test_program_accepts_every_sequence_length_from_1_to_max_seq(self):
        eager, program, _ = _e2_program()
        module = program.module()
        for seq in (6, 7, 1, 16):
            ids = _e2_ids(2, seq, seed=seq)
            out = _e2_run(module, ids)
            assert out.shape == (2, 3), f"{_E2_CALL}: the program gave {tuple(out.shape)} for ids (2, {seq})"

    def test_program_outputs_equal_the_model_in_eval_mode(self):
        eager, program, _ = _e2_program()
        module = program.module()
        for i, (batch, seq) in enumerate(((1, 1), (1, 16), (8, 16), (3, 7), (2, 6))):
            ids = _e2_ids(batch, seq, seed=100 + i)
            got = _e2_run(module, ids)
            with torch.no_grad():
                want = eager(ids)
            close(got, want, f"{_E2_CALL}: the program's logits for ids ({batch}, {seq}) differ from the model's in "
                  "eval mode; an inference export is made in eval mode (in train mode dropout is recorded in the graph, "
                  "and every call is random)", atol=1e-5, rtol=1e-4)

    def test_the_model_is_left_in_eval_mode(self):
        _, _, training = _e2_program()
        assert training is False, (
            f"{_E2_CALL} was given the model in train mode and left model.training = True; call model.eval() first")

    def test_guards_reject_a_batch_or_a_length_beyond_the_maximum(self):
        _, program, _ = _e2_program()
        module = program.module()
        for shape, dim, limit in (((2, _E2_MAX_SEQ + 1), 1, _E2_MAX_SEQ), ((_E2_MAX_BATCH + 1, 4), 0, _E2_MAX_BATCH)):
            ids = torch.ones(shape, dtype=torch.long)
            try:
                with torch.no_grad():
                    module(ids)
            except AssertionError as err:
                text = str(err)
                assert "Guard failed" in text and f"<= {limit}" in text, (
                    f"{_E2_CALL}: ids {shape} raised AssertionError '{text}'; expected the guard "
                    f"'Guard failed: ids.size()[{dim}] <= {limit}'")
                continue
            except Exception as err:  # noqa: BLE001 - the wrong error is the finding
                raise AssertionError(
                    f"{_E2_CALL}: ids {shape} raised {type(err).__name__}: {err}; the program's guard should reject "
                    f"it first ('Guard failed: ids.size()[{dim}] <= {limit}'): give the Dim max={limit}") from err
            raise AssertionError(
                f"{_E2_CALL}: the program ran on ids {shape}, beyond the maximum {limit}; a Dim without max "
                f"is unbounded: give it max={limit} so the guard rejects larger inputs")

    def test_range_constraints_are_exactly_1_to_the_maximum(self):
        _, program, _ = _e2_program()
        ranges = sorted((int(r.lower), int(r.upper) if r.upper.is_finite else float("inf"))
                        for r in program.range_constraints.values())
        assert ranges == [(1, _E2_MAX_BATCH), (1, _E2_MAX_SEQ)], (
            f"{_E2_CALL}: program.range_constraints has the ranges {ranges}; expected [1, {_E2_MAX_BATCH}] for the "
            f"batch and [1, {_E2_MAX_SEQ}] for the sequence: Dim('batch', min=1, max=max_batch) and "
            "Dim('seq', min=1, max=max_seq)")


class _E2Mixed(nn.Module):
    """Linear, LayerNorm, GELU, then histc, max and cummax, which have no Core ATen decomposition.

    x: (B, 4) -> (B, 8). cummax returns (values, indices), so the graph has operator.getitem nodes.
    """

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 8)
        self.norm = nn.LayerNorm(8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.norm(self.fc(x)))
        scale = torch.histc(h, bins=4, min=-3.0, max=3.0).max()
        return torch.cummax(h, dim=1).values * scale


_E2_MIXED_NON_CORE = ["aten.cummax.default", "aten.histc.default", "aten.max.default"]


@functools.lru_cache(maxsize=None)
def _e2_mixed() -> tuple[nn.Module, ExportedProgram]:
    """_E2Mixed (seeded, eval) and its torch.export program with a dynamic batch of 1…16."""
    torch.manual_seed(9)
    model = _E2Mixed().eval()
    program = torch.export.export(model, (torch.randn(3, 4),), dynamic_shapes={"x": {0: Dim("batch", min=1, max=16)}})
    return model, program


@functools.lru_cache(maxsize=None)
def _e2_sequential() -> tuple[nn.Module, ExportedProgram]:
    torch.manual_seed(10)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    return model, torch.export.export(model, (torch.randn(2, 4),))


def _e2_targets(program: ExportedProgram) -> list:
    return [n.target for n in program.graph_module.graph.nodes if n.op == "call_function"]


def _e2_non_core(program: ExportedProgram) -> list[str]:
    return sorted({str(t) for t in _e2_targets(program)
                   if isinstance(t, torch._ops.OpOverload) and torch.Tag.core not in t.tags})


@pytest.mark.exercise(2)
class TestOpCounts:
    def test_counts_the_operators_of_linear_relu_linear(self):
        _, program = _e2_sequential()
        got = lab.exercise(2).op_counts(program)
        want = {"aten.linear.default": 2, "aten.relu.default": 1}
        assert dict(got) == want, (
            f"op_counts(export of Sequential(Linear, ReLU, Linear)) returned {dict(got)}; expected {want}: "
            "count only call_function nodes (the weights, the input and the output are placeholder and output "
            "nodes), keyed by str(node.target)")

    def test_counts_every_call_function_node_by_its_target(self):
        _, program = _e2_mixed()
        got = lab.exercise(2).op_counts(program)
        want = Counter(str(t) for t in _e2_targets(program))
        assert want["<built-in function getitem>"] == 2
        assert dict(got) == dict(want), (
            f"op_counts(export of Linear, LayerNorm, GELU, histc, cummax) returned {dict(got)}; the graph's "
            f"call_function nodes give {dict(want)}: key by str(node.target) (not node.name, which is unique per "
            "node), and count the operator.getitem nodes too")


@pytest.mark.exercise(2)
class TestGuardFailure:
    def test_none_inside_the_range_and_the_guard_text_outside(self):
        _, program = _e2_mixed()
        ex = lab.exercise(2)
        for batch in (1, 3, 16):
            got = ex.guard_failure(program, torch.randn(batch, 4))
            assert got is None, (
                f"guard_failure(program with batch 1…16, x ({batch}, 4)) returned {got!r}; the program runs on "
                "this input, so the answer is None")
        got = ex.guard_failure(program, torch.randn(17, 4))
        assert isinstance(got, str) and "Guard failed" in got and "<= 16" in got, (
            f"guard_failure(program with batch 1…16, x (17, 4)) returned {got!r}; expected the AssertionError's "
            "text, 'Guard failed: x.size()[0] <= 16'")
        got = ex.guard_failure(program, torch.randn(3, 5))
        assert isinstance(got, str) and "Guard failed" in got and "== 4" in got, (
            f"guard_failure(program exported on x (3, 4), x (3, 5)) returned {got!r}; a static dimension is guarded "
            "too: expected 'Guard failed: x.size()[1] == 4'")

    def test_an_error_that_is_not_a_guard_propagates(self):
        _, program = _e2_mixed()
        x64 = torch.randn(3, 4, dtype=torch.float64)  # the right shape, the wrong dtype: Linear raises RuntimeError
        call = "guard_failure(program, x (3, 4) float64)"
        why = ("a float64 input passes the shape guards and fails inside aten.linear; only the AssertionError of a "
               "guard is a guard failure: catch nothing else")
        try:
            got = lab.exercise(2).guard_failure(program, x64)
        except NotImplementedError:  # a RuntimeError too: the untouched stub
            raise
        except RuntimeError as err:
            assert "dtype" in str(err), f"{call} raised RuntimeError '{err}'; expected Linear's dtype error"
            return
        raise AssertionError(f"{call} returned {got!r}; it should let the RuntimeError through ({why})")


@functools.lru_cache(maxsize=None)
def _e2_decomposed(ex) -> tuple:
    return ex.decompose_to_core(_e2_mixed()[1])


@pytest.mark.exercise(2)
class TestDecomposeToCore:
    def test_lowers_linear_and_layer_norm_and_keeps_the_outputs(self):
        model, program = _e2_mixed()
        result = _e2_decomposed(lab.exercise(2))
        assert isinstance(result, tuple) and len(result) == 2, (
            f"decompose_to_core(program) returned {type(result).__name__}; expected (ExportedProgram, list of names)")
        core, _ = result
        assert isinstance(core, ExportedProgram), (
            f"decompose_to_core(program) returned a {type(core).__name__} first; expected an ExportedProgram")
        left = sorted({str(t) for t in _e2_targets(core)} & {"aten.linear.default", "aten.layer_norm.default"})
        assert not left, (
            f"decompose_to_core(program of Linear, LayerNorm, …): the new graph still calls {left}; "
            "program.run_decompositions() lowers them to Core ATen (aten.addmm, aten.native_layer_norm)")
        module = core.module()
        for batch in (1, 5, 16):
            x = torch.randn(batch, 4)
            with torch.no_grad():
                close(module(x), model(x), f"decompose_to_core(program): the lowered program's output for x ({batch}, 4) "
                      "differs from the eager model's", atol=1e-5, rtol=1e-4)

    def test_lists_the_sorted_aten_operators_that_are_not_core(self):
        result = _e2_decomposed(lab.exercise(2))
        core, names = result
        want = _e2_non_core(core)
        assert want == _E2_MIXED_NON_CORE
        assert isinstance(names, list), f"decompose_to_core(program) returned its names as a {type(names).__name__}; expected a list"
        not_aten = [n for n in names if not str(n).startswith("aten.")]
        assert not not_aten, (
            f"decompose_to_core(program) listed {not_aten} among the non-core operators; only ATen operators "
            "(torch._ops.OpOverload targets) have tags: operator.getitem picks an element of a tuple, it is no operator")
        assert names == want, (
            f"decompose_to_core(program of Linear, LayerNorm, GELU, histc, cummax) returned {names}; the call_function "
            f"targets of the lowered graph without torch.Tag.core in their .tags are {want} (sorted, each once)")

    def test_an_empty_list_when_every_operator_is_core(self):
        model, program = _e2_sequential()
        result = lab.exercise(2).decompose_to_core(program)
        core, names = result
        assert names == [], (
            f"decompose_to_core(export of Sequential(Linear, ReLU, Linear)) returned {names!r}; after lowering, every "
            f"operator is Core ATen ({sorted({str(t) for t in _e2_targets(core)})}), so the list is empty")
        x = torch.randn(2, 4)  # exported with a static batch of 2
        with torch.no_grad():
            close(core.module()(x), model(x), "decompose_to_core(export of Sequential(Linear, ReLU, Linear)): the "
                  "lowered program's output differs from the eager model's", atol=1e-5, rtol=1e-4)


# ---- Exercise 3: ONNX and ONNX Runtime ----------------------------------------------------------
#
# Your export_onnx writes one file of a tiny EncoderClassifier (exercise 2's reference model); it
# is checked with onnx.checker and onnx.load, and run with an InferenceSession made here. The other
# functions get small files built here with onnx.helper: one with a fixed and a named dimension and
# a GELU written out (ONNX Runtime fuses it at level "extended"), one whose input is not called "ids".

_E3_SHAPES = [(1, 1), (2, 6), (3, 7), (8, 16)]
_E3_OPSET = 17  # not the default OPSET (18): a file at 17 shows the argument reached the exporter
_E3_VOCAB, _E3_CLASSES = 12, 3
_E3_CACHE: dict[str, object] = {}


def _e3_ort(path) -> ort.InferenceSession:
    """A plain CPU session of our own, errors only in the log."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _e3_dims(value_info) -> list:
    """A graph input's or output's dimensions as ONNX stores them: an int (dim_value) or a name (dim_param)."""
    return [d.dim_param if d.WhichOneof("value") == "dim_param" else d.dim_value
            for d in value_info.type.tensor_type.shape.dim]


def _e3_export(tmp_path_factory):
    """Your export_onnx of the tiny encoder, made once for the whole file: (model, path, returned).

    The model is handed over in train mode (dropout on): export_onnx must export it in eval mode.
    """
    if "export" not in _E3_CACHE:
        ex = lab.exercise(3)
        torch.manual_seed(0)
        model = lab.reference(2).EncoderClassifier(_E3_VOCAB, _E3_CLASSES, d_model=16, n_heads=2, n_layers=1,
                                                   d_ff=32, max_len=16).train()
        example = torch.randint(1, _E3_VOCAB, (2, 6), generator=torch.Generator().manual_seed(0))
        path = tmp_path_factory.mktemp("e3_export") / "encoder.onnx"
        try:
            returned = ex.export_onnx(model, example, path, max_batch=8, max_seq=16, opset=_E3_OPSET)
            _E3_CACHE["export"] = (model, path, returned, None)
        except Exception as err:  # noqa: BLE001 - every test that reads the file reports it
            _E3_CACHE["export"] = (model, path, None, err)
    model, path, returned, err = _E3_CACHE["export"]
    if err is not None:
        raise err
    if not path.exists():
        raise AssertionError(f"export_onnx(model, example (2, 6), {path.name!r}, max_batch=8, max_seq=16) "
                             f"wrote no file at the path it was given")
    return model, path, returned


def _e3_fusable_file(tmp_path_factory):
    """x: (batch, 4, 8) -> Identity -> MatMul + Add -> GELU written out with Erf -> MatMul -> y: (batch, 4, 3).

    ONNX Runtime removes the Identity at level "basic" and fuses the bias and GELU into one
    BiasGelu node at "extended". The opset list names a custom domain before the default one.
    """
    if "fusable" not in _E3_CACHE:
        rng = np.random.default_rng(0)
        inits = [onh.from_array(rng.standard_normal((8, 16)).astype(np.float32), "w1"),
                 onh.from_array(rng.standard_normal(16).astype(np.float32), "b1"),
                 onh.from_array(np.array(math.sqrt(2.0), np.float32), "sqrt2"),
                 onh.from_array(np.array(1.0, np.float32), "one"),
                 onh.from_array(np.array(0.5, np.float32), "half"),
                 onh.from_array(rng.standard_normal((16, 3)).astype(np.float32), "w2")]
        nodes = [oh.make_node("Identity", ["x"], ["x1"]),
                 oh.make_node("MatMul", ["x1", "w1"], ["h0"]), oh.make_node("Add", ["h0", "b1"], ["h"]),
                 oh.make_node("Div", ["h", "sqrt2"], ["d"]), oh.make_node("Erf", ["d"], ["e"]),
                 oh.make_node("Add", ["e", "one"], ["e1"]), oh.make_node("Mul", ["h", "e1"], ["m"]),
                 oh.make_node("Mul", ["m", "half"], ["g"]), oh.make_node("MatMul", ["g", "w2"], ["y"])]
        graph = oh.make_graph(nodes, "fusable", [oh.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 8])],
                              [oh.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 3])], inits)
        proto = oh.make_model(graph, ir_version=9,
                              opset_imports=[oh.make_opsetid("com.microsoft", 1), oh.make_opsetid("", 17)])
        onnx.checker.check_model(proto)
        path = tmp_path_factory.mktemp("e3_files") / "fusable.onnx"
        onnx.save(proto, str(path))
        _E3_CACHE["fusable"] = path
    return _E3_CACHE["fusable"]


def _e3_tokens_file(tmp_path_factory):
    """tokens: (batch, seq) int64 -> the sum of rows of a (12, 3) table -> scores: (batch, 3)."""
    if "tokens" not in _E3_CACHE:
        table = np.random.default_rng(1).standard_normal((_E3_VOCAB, _E3_CLASSES)).astype(np.float32)
        nodes = [oh.make_node("Gather", ["table", "tokens"], ["rows"]),
                 oh.make_node("ReduceSum", ["rows", "axis1"], ["scores"], keepdims=0)]
        graph = oh.make_graph(nodes, "tokens", [oh.make_tensor_value_info("tokens", TensorProto.INT64, ["batch", "seq"])],
                              [oh.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", _E3_CLASSES])],
                              [onh.from_array(table, "table"), onh.from_array(np.array([1], np.int64), "axis1")])
        proto = oh.make_model(graph, ir_version=10, opset_imports=[oh.make_opsetid("", 18)])
        onnx.checker.check_model(proto)
        path = tmp_path_factory.mktemp("e3_files") / "tokens.onnx"
        onnx.save(proto, str(path))
        _E3_CACHE["tokens"] = (path, table)
    return _E3_CACHE["tokens"]


@pytest.mark.exercise(3)
@pytest.mark.timeout(90)  # the first ONNX export of a process takes several seconds
class TestExportOnnx:
    def test_writes_one_file_that_passes_the_checker_at_the_requested_opset(self, tmp_path_factory):
        _, path, returned = _e3_export(tmp_path_factory)
        call = f"export_onnx(model, example (2, 6), path, max_batch=8, max_seq=16, opset={_E3_OPSET})"
        assert isinstance(returned, type(path)) and returned == path, (
            f"{call} returned {returned!r}; it should return Path(path), {path!r}")
        others = sorted(p.name for p in path.parent.iterdir() if p != path)
        assert not others, (
            f"{call} also wrote {others} next to {path.name}: the weights must be inside the one file "
            f"(torch.onnx.export(..., external_data=False); the default keeps them in a separate .data file)")
        proto = onnx.load(str(path))
        try:
            onnx.checker.check_model(proto)
        except onnx.checker.ValidationError as err:
            raise AssertionError(f"{call}: onnx.checker.check_model rejects the file: {err}") from None
        opsets = {o.domain: o.version for o in proto.opset_import}
        opset = opsets.get("", opsets.get("ai.onnx"))
        assert opset == _E3_OPSET, (
            f"{call} wrote a file whose default-domain opset is {opset}; it should be {_E3_OPSET}, the opset "
            f"argument (pass it on as torch.onnx.export(..., opset_version=opset))")

    def test_names_the_input_ids_and_the_output_logits_with_dynamic_batch_and_seq(self, tmp_path_factory):
        _, path, _ = _e3_export(tmp_path_factory)
        graph = onnx.load(str(path)).graph
        inputs = {v.name: _e3_dims(v) for v in graph.input}
        outputs = {v.name: _e3_dims(v) for v in graph.output}
        call = "export_onnx(model, example (2, 6), path, max_batch=8, max_seq=16)"
        assert inputs == {"ids": ["batch", "seq"]}, (
            f"{call}: the file's inputs are {inputs}; expected {{'ids': ['batch', 'seq']}}: one input 'ids' whose "
            f"two dimensions are dynamic and named (a number there is a size fixed at the example's)")
        assert outputs == {"logits": ["batch", _E3_CLASSES]}, (
            f"{call}: the file's outputs are {outputs}; expected {{'logits': ['batch', {_E3_CLASSES}]}}")

    def test_file_gives_the_eval_mode_logits_for_every_batch_and_length(self, tmp_path_factory):
        model, path, _ = _e3_export(tmp_path_factory)
        eager = copy.deepcopy(model).eval()
        session = _e3_ort(path)
        name = session.get_inputs()[0].name
        dims = _e3_dims(onnx.load(str(path)).graph.input[0])
        g = torch.Generator().manual_seed(1)
        for B, T in _E3_SHAPES:
            ids = torch.randint(1, _E3_VOCAB, (B, T), generator=g)
            if T > 2:
                ids[::2, T // 2:] = 0  # padding at the end of every other row
            try:
                got = session.run(None, {name: ids.numpy()})[0]
            except Exception as err:  # noqa: BLE001 - ORT's refusal is the finding
                raise AssertionError(
                    f"ONNX Runtime refused ids of shape ({B}, {T}) on the exported file, whose input has dims {dims}: "
                    f"{str(err).splitlines()[0][:200]}. The file accepts only the sizes it was made with: "
                    f"export with dynamic 'batch' and 'seq' dimensions (dynamic_shapes)") from None
            with torch.no_grad():
                want = eager(ids)
            close(torch.from_numpy(got), want,
                  f"ONNX Runtime on the exported file, ids ({B}, {T}), differs from the model's eval-mode logits",
                  atol=1e-4, rtol=1e-4)

    def test_exports_in_eval_mode_and_leaves_the_model_there(self, tmp_path_factory):
        model, path, _ = _e3_export(tmp_path_factory)
        dropout = sum(n.op_type == "Dropout" for n in onnx.load(str(path)).graph.node)
        assert not dropout, (
            f"export_onnx(model in train mode, ...) wrote a graph with {dropout} Dropout nodes: the model was exported "
            f"in train mode; call model.eval() before exporting")
        training = sorted(name or "(the model)" for name, m in model.named_modules() if m.training)
        assert not training, (
            f"export_onnx(model in train mode, ...) left {training[:4]} in train mode; the export is made in "
            f"eval mode (model.eval()) and the model stays there")


@pytest.mark.exercise(3)
class TestDescribeOnnx:
    def test_reports_what_onnx_load_reads_from_the_file(self, tmp_path_factory):
        ex = lab.exercise(3)
        path = _e3_fusable_file(tmp_path_factory)
        got = ex.describe_onnx(path)
        proto = onnx.load(str(path))
        want_opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
        want_inputs = {v.name: _e3_dims(v) for v in proto.graph.input}
        want_outputs = {v.name: _e3_dims(v) for v in proto.graph.output}
        want_ops = dict(Counter(n.op_type for n in proto.graph.node))
        call = "describe_onnx(a file with opsets [com.microsoft 1, '' 17], input x: ['batch', 4, 8])"
        assert isinstance(got, dict) and {"opset", "inputs", "outputs", "ops"} <= set(got), (
            f"{call} returned {got!r}; expected a dict with keys 'opset', 'inputs', 'outputs', 'ops'")
        assert got["opset"] == want_opset, (
            f"{call} gave opset {got['opset']!r}; the default domain ('' or 'ai.onnx') is at {want_opset} "
            f"(model.opset_import lists one entry per domain, in any order)")
        assert got["inputs"] == want_inputs and got["outputs"] == want_outputs, (
            f"{call} gave inputs {got['inputs']} and outputs {got['outputs']}; the file has {want_inputs} and "
            f"{want_outputs}: a fixed dimension is its dim_value (an int), a dynamic one its dim_param (the name)")
        assert dict(got["ops"]) == want_ops, f"{call} counted the nodes {dict(got['ops'])}; the graph has {want_ops}"

    def test_runs_the_onnx_checker(self, tmp_path):
        ex = lab.exercise(3)
        node = oh.make_node("NoSuchOperator", ["x"], ["y"])
        graph = oh.make_graph([node], "invalid", [oh.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [oh.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
        path = tmp_path / "invalid.onnx"
        onnx.save(oh.make_model(graph, ir_version=10, opset_imports=[oh.make_opsetid("", 18)]), str(path))
        with expect_raises(onnx.checker.ValidationError, "describe_onnx(a file with a node of type 'NoSuchOperator')",
                           "it checks the file with onnx.checker.check_model first"):
            ex.describe_onnx(path)


@pytest.mark.exercise(3)
class TestMakeSession:
    def test_sets_the_threads_and_the_optimization_level_it_is_given(self, tmp_path_factory):
        ex = lab.exercise(3)
        path = _e3_fusable_file(tmp_path_factory)
        levels = lab.reference(3).OPTIMIZATION_LEVELS
        for threads, key in [(1, "disable"), (3, "basic"), (2, "extended"), (1, "all")]:
            call = f"make_session(path, threads={threads}, optimization={key!r})"
            session = ex.make_session(path, threads=threads, optimization=key)
            options = session.get_session_options()
            assert options.intra_op_num_threads == threads and options.inter_op_num_threads == 1, (
                f"{call}: the session has intra_op_num_threads {options.intra_op_num_threads} and inter_op_num_threads "
                f"{options.inter_op_num_threads}; expected {threads} and 1 (threads is one operator's parallelism: intra-op)")
            assert options.graph_optimization_level == levels[key], (
                f"{call}: the session's graph_optimization_level is {options.graph_optimization_level}; "
                f"expected {levels[key]}")
            assert session.get_providers() == ["CPUExecutionProvider"], (
                f"{call}: the session's providers are {session.get_providers()}; expected ['CPUExecutionProvider']")

    def test_writes_the_graph_it_optimised_to_optimized_path(self, tmp_path_factory, tmp_path):
        ex = lab.exercise(3)
        path = _e3_fusable_file(tmp_path_factory)
        original = len(onnx.load(str(path)).graph.node)
        counts = {}
        for key in ("disable", "basic", "extended"):
            target = tmp_path / f"optimized_{key}.onnx"
            ex.make_session(path, optimization=key, optimized_path=target)
            assert target.exists(), f"make_session(path, optimization={key!r}, optimized_path=...) wrote no file there"
            counts[key] = len(onnx.load(str(target)).graph.node)
        assert counts["disable"] == original, (
            f"make_session(path, optimization='disable', optimized_path=...) wrote a graph of {counts['disable']} nodes; "
            f"the file has {original}: 'disable' leaves the graph as it is")
        assert counts["extended"] < counts["basic"] < counts["disable"], (
            f"nodes in the graphs make_session wrote: {counts} (the file has {original}); 'basic' removes the Identity, "
            f"'extended' also fuses the bias and the GELU: each level must give fewer nodes than the one before")

    def test_refuses_an_unknown_optimization(self, tmp_path_factory):
        ex = lab.exercise(3)
        path = _e3_fusable_file(tmp_path_factory)
        with expect_raises(ValueError, "make_session(path, optimization='fast')",
                           "the levels are 'disable', 'basic', 'extended', 'all'"):
            ex.make_session(path, optimization="fast")


@pytest.mark.exercise(3)
class TestRunSession:
    def test_feeds_the_sessions_own_input_name_and_returns_a_tensor(self, tmp_path_factory):
        ex = lab.exercise(3)
        path, _ = _e3_tokens_file(tmp_path_factory)
        session = _e3_ort(path)
        ids = torch.randint(1, _E3_VOCAB, (4, 5))
        call = "run_session(session of a file whose input is named 'tokens', ids (4, 5))"
        try:
            got = ex.run_session(session, ids)
        except NotImplementedError:
            raise
        except Exception as err:  # noqa: BLE001 - a wrong input name is ORT's error
            raise AssertionError(f"{call} raised {type(err).__name__}: {str(err).splitlines()[0][:160].rstrip('.')}. "
                                 f"Feed the input under session.get_inputs()[0].name, not a guessed name") from None
        want = session.run(None, {"tokens": ids.numpy()})[0]
        assert isinstance(got, torch.Tensor), f"{call} returned a {type(got).__name__}; expected a torch.Tensor"
        close(got, torch.from_numpy(want), f"{call} is not the session's first output")


class _E3Recorder(nn.Module):
    """Embedding sums with dropout, handed over in train mode; records whether autograd was on."""

    def __init__(self, table: np.ndarray):
        super().__init__()
        self.embed = nn.Embedding.from_pretrained(torch.from_numpy(table) + 0.25 * torch.randn(table.shape),
                                                  freeze=False)
        self.drop = nn.Dropout(0.5)
        self.grad_enabled: list[bool] = []

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.drop(self.embed(ids)).sum(1)


@pytest.mark.exercise(3)
class TestMaxAbsError:
    def test_compares_eager_and_ort_on_one_generators_draws_in_order(self, tmp_path_factory):
        ex = lab.exercise(3)
        path, table = _e3_tokens_file(tmp_path_factory)
        session = _e3_ort(path)
        model = _E3Recorder(table).train()  # a different table: the errors depend on which ids are drawn
        shapes = [(2, 3), (4, 5), (1, 7)]
        got = ex.max_abs_error(model, session, shapes, _E3_VOCAB, seed=5)
        call = f"max_abs_error(model, session, {shapes}, vocab_size={_E3_VOCAB}, seed=5)"
        g = torch.Generator().manual_seed(5)
        eager = copy.deepcopy(model).eval()
        want = {}
        with torch.no_grad():
            for B, T in shapes:
                ids = torch.randint(1, _E3_VOCAB, (B, T), generator=g)
                want[(B, T)] = float(np.abs(session.run(None, {"tokens": ids.numpy()})[0] - eager(ids).numpy()).max())
        assert isinstance(got, dict) and list(got) == shapes, (
            f"{call} returned keys {list(got) if isinstance(got, dict) else got!r}; expected the shapes in order, {shapes}")
        for k, shape in enumerate(shapes):
            assert isinstance(got[shape], float) and math.isclose(got[shape], want[shape], rel_tol=1e-5, abs_tol=1e-6), (
                f"{call}: error {got[shape]!r} for {shape}; max |ORT - eager| on the ids drawn is {want[shape]:.6f}. "
                + ("Draw the ids of every shape from ONE torch.Generator().manual_seed(seed), in the order given, "
                   "from 1 … vocab_size - 1; run the model in eval mode (no dropout)" if k else
                   "Draw the ids with torch.randint(1, vocab_size, (B, T), generator=g) and run the model in eval mode "
                   "(no dropout)"))
        assert model.grad_enabled and not any(model.grad_enabled), (
            f"{call} ran the model with autograd on in {sum(model.grad_enabled)} of {len(model.grad_enabled)} calls; "
            f"run it under torch.no_grad()")


# ---- Exercise 4: INT8 quantization and pruning ---------------------------------------------------
#
# The FP32 file here is a small classifier over token ids written with onnx.helper (an embedding
# Gather, MatMul + Add, LayerNormalization, Relu, a mean over the sequence, MatMul + Add): the
# operator mix of the lab's encoder, quantized in milliseconds. Quantized files are read back with
# onnx.load and run with ONNX Runtime here. Pruning is compared with torch.nn.utils.prune applied
# here to a copy of the same model.

_E4_VOCAB, _E4_CLASSES = 12, 3
_E4_CACHE: dict[str, object] = {}
_E4_FLOAT_INITIALIZERS = ("embed", "b1", "ln_scale", "ln_bias")  # inputs of Gather, Add, LayerNormalization


def _e4_classifier_file(tmp_path_factory):
    """ids: (batch, seq) int64 -> logits: (batch, 3), in a folder of its own."""
    if "fp32" not in _E4_CACHE:
        rng = np.random.default_rng(0)

        def normal(*shape: int, scale: float = 1.0) -> np.ndarray:
            return (scale * rng.standard_normal(shape)).astype(np.float32)

        inits = [onh.from_array(normal(_E4_VOCAB, 8), "embed"), onh.from_array(normal(8, 16, scale=0.5), "w1"),
                 onh.from_array(normal(16, scale=0.1), "b1"), onh.from_array(1 + normal(16, scale=0.1), "ln_scale"),
                 onh.from_array(normal(16, scale=0.1), "ln_bias"), onh.from_array(normal(16, _E4_CLASSES, scale=0.5), "w2"),
                 onh.from_array(normal(_E4_CLASSES, scale=0.1), "b2"), onh.from_array(np.array([1], np.int64), "axis1")]
        nodes = [oh.make_node("Gather", ["embed", "ids"], ["x"]),
                 oh.make_node("MatMul", ["x", "w1"], ["h0"]), oh.make_node("Add", ["h0", "b1"], ["h1"]),
                 oh.make_node("LayerNormalization", ["h1", "ln_scale", "ln_bias"], ["h2"], axis=-1),
                 oh.make_node("Relu", ["h2"], ["h3"]),
                 oh.make_node("ReduceMean", ["h3", "axis1"], ["pooled"], keepdims=0),
                 oh.make_node("MatMul", ["pooled", "w2"], ["z"]), oh.make_node("Add", ["z", "b2"], ["logits"])]
        graph = oh.make_graph(nodes, "classifier", [oh.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"])],
                              [oh.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", _E4_CLASSES])], inits)
        proto = oh.make_model(graph, ir_version=10, opset_imports=[oh.make_opsetid("", 18)])
        onnx.checker.check_model(proto)
        path = tmp_path_factory.mktemp("e4_fp32") / "classifier.onnx"
        onnx.save(proto, str(path))
        _E4_CACHE["fp32"] = path
    return _E4_CACHE["fp32"]


def _e4_logits(path, ids: torch.Tensor, optimized: bool = True) -> np.ndarray:
    """ONNX Runtime's logits, one thread; ``optimized=False`` runs the graph as written (no fused kernels)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    if not optimized:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: ids.numpy()})[0]


class _E4ListReader(CalibrationDataReader):
    """Calibration batches from a list: ours, so quantize_onnx is graded apart from ArrayCalibrationReader."""

    def __init__(self, batches: list[dict[str, np.ndarray]]):
        self.batches, self.position = batches, 0

    def get_next(self):
        if self.position >= len(self.batches):
            return None
        self.position += 1
        return self.batches[self.position - 1]

    def rewind(self) -> None:
        self.position = 0


def _e4_ids(n: int, low: int, high: int, seed: int, seq: int = 6) -> torch.Tensor:
    return torch.randint(low, high, (n, seq), generator=torch.Generator().manual_seed(seed))


@pytest.mark.exercise(4)
class TestArrayCalibrationReader:
    def test_gives_batches_of_rows_in_order_then_none(self):
        ex = lab.exercise(4)
        data = torch.arange(70 * 3).view(70, 3)
        reader = ex.ArrayCalibrationReader("tokens", data, batch_size=32)
        got = []
        for _ in range(5):
            batch = reader.get_next()
            got.append(batch)
            if batch is None:
                break
        assert got[-1] is None and len(got) == 4, (
            f"ArrayCalibrationReader('tokens', data (70, 3), batch_size=32): get_next() gave "
            f"{[None if b is None else {k: getattr(v, 'shape', v) for k, v in b.items()} for b in got]}; "
            f"expected three batches (32, 32 and 6 rows), then None")
        for k, (batch, start) in enumerate(zip(got[:3], (0, 32, 64))):
            assert isinstance(batch, dict) and list(batch) == ["tokens"], (
                f"ArrayCalibrationReader('tokens', ...): batch {k} has keys {list(batch)}; expected ['tokens'], the input name")
            assert isinstance(batch["tokens"], np.ndarray), (
                f"ArrayCalibrationReader: batch {k} is a {type(batch['tokens']).__name__}; ONNX Runtime takes numpy arrays")
            np.testing.assert_array_equal(batch["tokens"], data[start:start + 32].numpy(),
                                          err_msg=f"ArrayCalibrationReader(data (70, 3), batch_size=32): batch {k} "
                                                  f"should be rows {start} … {min(start + 32, 70) - 1}")
        assert reader.get_next() is None, "ArrayCalibrationReader: get_next() after the end should stay None"

    def test_returns_none_not_an_empty_batch_when_the_rows_divide_evenly(self):
        ex = lab.exercise(4)
        reader = ex.ArrayCalibrationReader("ids", torch.zeros(64, 5, dtype=torch.int64), batch_size=32)
        got = [reader.get_next() for _ in range(3)]
        shapes = [None if b is None else {k: tuple(getattr(v, "shape", ())) for k, v in b.items()} for b in got]
        assert shapes == [{"ids": (32, 5)}, {"ids": (32, 5)}, None], (
            f"ArrayCalibrationReader(data (64, 5), batch_size=32): three calls of get_next() gave {shapes}; expected "
            f"two batches of 32 rows, then None: every row has been given (an empty batch is not the end for ONNX Runtime)")

    def test_rewind_starts_again_from_row_0(self):
        ex = lab.exercise(4)
        data = torch.arange(10 * 2).view(10, 2)
        reader = ex.ArrayCalibrationReader("ids", data, batch_size=4)
        while reader.get_next() is not None:
            pass
        reader.rewind()
        batch = reader.get_next()
        assert batch is not None, "ArrayCalibrationReader: get_next() after rewind() returned None; expected rows 0 … 3"
        np.testing.assert_array_equal(batch["ids"], data[:4].numpy(),
                                      err_msg="ArrayCalibrationReader: after rewind(), get_next() should give rows 0 … 3")

    def test_refuses_a_batch_size_below_one(self):
        ex = lab.exercise(4)
        with expect_raises(ValueError, "ArrayCalibrationReader('ids', data, batch_size=0)", "a batch has at least one row"):
            ex.ArrayCalibrationReader("ids", torch.zeros(4, 3, dtype=torch.int64), batch_size=0)


def _e4_quantize(tmp_path_factory, tmp_path, static: bool):
    """The learner's quantize_onnx of the classifier, into a folder of its own: (dst, returned)."""
    ex = lab.exercise(4)
    src = _e4_classifier_file(tmp_path_factory)
    dst = tmp_path / "int8" / "classifier_int8.onnx"
    dst.parent.mkdir()
    reader = None
    if static:
        calibration = _e4_ids(128, 1, _E4_VOCAB, seed=2)
        reader = _E4ListReader([{"ids": calibration[i:i + 32].numpy()} for i in range(0, 128, 32)])
    returned = ex.quantize_onnx(src, dst, reader)
    return dst, returned


def _e4_check_written(dst, returned, call: str) -> onnx.ModelProto:
    assert returned == dst and isinstance(returned, type(dst)), f"{call} returned {returned!r}; expected Path(dst), {dst!r}"
    others = sorted(p.name for p in dst.parent.iterdir() if p != dst)
    assert dst.exists(), f"{call} wrote no file at dst"
    assert not others, (f"{call} left {others} in the folder of dst: prepare the graph (quant_pre_process) in a "
                        f"temporary folder, so that only dst is written there")
    return onnx.load(str(dst))


def _e4_check_close(dst, call: str) -> None:
    """The INT8 file against the FP32 one, both run as written: QuantizeLinear/DequantizeLinear then cost
    exactly the quantization's rounding, on every CPU (fused integer kernels differ between CPUs)."""
    ids = _e4_ids(200, 1, _E4_VOCAB, seed=3)
    want, got = _e4_logits(_E4_CACHE["fp32"], ids, optimized=False), _e4_logits(dst, ids, optimized=False)
    agreement = float((want.argmax(1) == got.argmax(1)).mean())
    diff = float(np.abs(want - got).max())
    assert agreement >= 0.85 and diff < 0.3, (
        f"{call}: the INT8 file predicts the FP32 file's class on {100 * agreement:.0f} % of 200 inputs, with logits "
        f"up to {diff:.3f} apart; a correct INT8 copy of this classifier agrees on more than 90 %, within 0.2")


@pytest.mark.exercise(4)
class TestQuantizeOnnx:
    def test_dynamic_writes_integer_matmuls_with_int8_weights(self, tmp_path_factory, tmp_path):
        dst, returned = _e4_quantize(tmp_path_factory, tmp_path, static=False)
        call = "quantize_onnx(src, dst) (no calibration: dynamic)"
        proto = _e4_check_written(dst, returned, call)
        ops = {n.op_type for n in proto.graph.node}
        integer = ops & {"MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"}
        assert integer and ops & {"DynamicQuantizeLinear", "DynamicQuantizeMatMul", "MatMulIntegerToFloat"}, (
            f"{call} wrote a graph of {sorted(ops)}; dynamic quantization replaces each MatMul by an integer "
            f"product (MatMulInteger after DynamicQuantizeLinear)")
        assert not ops & {"QuantizeLinear", "DequantizeLinear"}, (
            f"{call} wrote QuantizeLinear/DequantizeLinear nodes: that is static quantization; without calibration "
            f"data it is quantize_dynamic")
        int8 = [i.name for i in proto.graph.initializer if i.data_type == TensorProto.INT8 and len(i.dims) == 2]
        assert len(int8) == 2, f"{call}: the int8 matrices in the file are {int8}; expected the two MatMul weights (QInt8)"
        _e4_check_close(dst, call)

    def test_static_writes_qdq_pairs_with_per_channel_int8_weights(self, tmp_path_factory, tmp_path):
        dst, returned = _e4_quantize(tmp_path_factory, tmp_path, static=True)
        call = "quantize_onnx(src, dst, calibration) (static)"
        proto = _e4_check_written(dst, returned, call)
        ops = {n.op_type for n in proto.graph.node}
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops and not ops & {"QLinearMatMul", "MatMulInteger"}, (
            f"{call} wrote a graph of {sorted(ops)}; the QDQ format keeps MatMul/Gemm and puts QuantizeLinear/"
            f"DequantizeLinear pairs around them (quant_format=QuantFormat.QDQ)")
        inits = {i.name: i for i in proto.graph.initializer}
        weights = [n for n in proto.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in inits
                   and inits[n.input[0]].data_type == TensorProto.INT8 and len(inits[n.input[0]].dims) == 2]
        assert len(weights) == 2, (
            f"{call}: {len(weights)} int8 weight matrices are dequantized in the file; expected the two MatMul weights, "
            f"as QInt8")
        scales = {n.input[0]: int(np.prod(inits[n.input[1]].dims)) for n in weights}
        assert all(size > 1 for size in scales.values()), (
            f"{call}: the weights' scales have {scales} elements; per output channel, each weight has one scale per "
            f"column (per_channel=True)")
        activations = [n for n in proto.graph.node if n.op_type == "QuantizeLinear"]
        zero_points = {inits[n.input[2]].data_type for n in activations if len(n.input) > 2 and n.input[2] in inits}
        assert zero_points == {TensorProto.UINT8}, (
            f"{call}: the activations are quantized to {[TensorProto.DataType.Name(t) for t in zero_points]}; "
            f"expected UINT8 (activation_type=QuantType.QUInt8)")
        _e4_check_close(dst, call)

    def test_static_quantizes_only_matmul_gemm_and_conv(self, tmp_path_factory, tmp_path):
        dst, returned = _e4_quantize(tmp_path_factory, tmp_path, static=True)
        call = "quantize_onnx(src, dst, calibration) (static)"
        proto = _e4_check_written(dst, returned, call)
        inits = {i.name: i.data_type for i in proto.graph.initializer}
        changed = [name for name in _E4_FLOAT_INITIALIZERS if inits.get(name) != TensorProto.FLOAT]
        assert not changed, (
            f"{call}: the initializers {changed} (the embedding table, a bias of an Add, the LayerNormalization's "
            f"scale and bias) are no longer float32 in the file: quantize only {lab.reference(4).QUANTIZED_OPS} "
            f"(op_types_to_quantize=QUANTIZED_OPS)")
        quantized_ops = {"MatMul", "Gemm", "Conv"}
        producer = {out: n.op_type for n in proto.graph.node for out in n.output}
        consumers: dict[str, set[str]] = {}
        for n in proto.graph.node:
            for name in n.input:
                consumers.setdefault(name, set()).add(n.op_type)
        stray = []
        for q in (n for n in proto.graph.node if n.op_type == "QuantizeLinear"):
            tensor = q.input[0]
            after = set()  # the operators that read the dequantized copy of the tensor
            for dq in (n for n in proto.graph.node if n.op_type == "DequantizeLinear" and n.input[0] == q.output[0]):
                after |= consumers.get(dq.output[0], set())
            if producer.get(tensor) not in quantized_ops and not after & quantized_ops:
                stray.append(f"{tensor} ({producer.get(tensor, 'graph input')} -> {sorted(after)})")
        assert not stray, (
            f"{call} quantized activations that neither come out of nor go into a MatMul/Gemm/Conv: {stray}; "
            f"only the operators of QUANTIZED_OPS are quantized, the rest stays float")


def _e4_spy_calibration(monkeypatch) -> list[np.ndarray]:
    """Record every batch ONNX Runtime's MinMax calibrator is given, then calibrate on the same batches."""
    seen: list[np.ndarray] = []
    original = MinMaxCalibrater.collect_data

    def collect_data(self, data_reader):
        batches = []
        while True:
            batch = data_reader.get_next()
            if not batch:
                break
            batches.append(batch)
            seen.append(np.array(next(iter(batch.values()))))
        return original(self, _E4ListReader(batches))

    monkeypatch.setattr(MinMaxCalibrater, "collect_data", collect_data)
    return seen


def _e4_splits(seed: int = 0):
    """Train ids use tokens 1 … 5 and test ids tokens 6 … 11, so every row shows which split it is from.

    Train labels are the FP32 file's own predictions (accuracy 1), test labels random (about 1/3)."""
    train_ids, test_ids = _e4_ids(200, 1, 6, seed=10 + seed), _e4_ids(150, 6, _E4_VOCAB, seed=20 + seed)
    return train_ids, test_ids, torch.randint(0, _E4_CLASSES, (150,), generator=torch.Generator().manual_seed(30 + seed))


@pytest.mark.exercise(4)
class TestQuantizeAndCompare:
    def test_static_calibrates_on_the_seeded_training_rows_only(self, tmp_path_factory, tmp_path, monkeypatch):
        ex = lab.exercise(4)
        fp32 = _e4_classifier_file(tmp_path_factory)
        train_ids, test_ids, test_labels = _e4_splits()
        train_labels = torch.from_numpy(_e4_logits(fp32, train_ids).argmax(1))
        seen = _e4_spy_calibration(monkeypatch)
        ex.quantize_and_compare(fp32, tmp_path / "int8.onnx", (train_ids, train_labels), (test_ids, test_labels),
                                mode="static", n_calibration=70, seed=3)
        call = "quantize_and_compare(fp32, int8, train (200 rows), test (150 rows), mode='static', n_calibration=70, seed=3)"
        assert seen, f"{call}: ONNX Runtime's calibrator was given no batch"
        rows = np.concatenate(seen)
        from_test = int((rows.max(axis=1) >= 6).sum())
        assert not from_test, (
            f"{call}: {from_test} of the {len(rows)} calibration rows come from the TEST split; calibrate on training "
            f"inputs only (the test set must not shape the model)")
        assert len(rows) == 70, f"{call}: the calibrator saw {len(rows)} rows; expected n_calibration = 70"
        perm = torch.randperm(len(train_ids), generator=torch.Generator().manual_seed(3))[:70]
        assert np.array_equal(rows, train_ids[perm].numpy()), (
            f"{call}: the calibration rows are not train_ids[torch.randperm(200, generator=torch.Generator()"
            f".manual_seed(3))[:70]], in that order")
        assert [len(b) for b in seen] == [32, 32, 6], (
            f"{call}: the calibrator got batches of {[len(b) for b in seen]} rows; expected batches of 32: [32, 32, 6]")

    @pytest.mark.parametrize("mode", ["dynamic", "static"])
    def test_reports_what_onnx_runtime_measures_on_the_test_split(self, tmp_path_factory, tmp_path, mode):
        ex = lab.exercise(4)
        fp32 = _e4_classifier_file(tmp_path_factory)
        train_ids, test_ids, test_labels = _e4_splits(seed=1)
        train_labels = torch.from_numpy(_e4_logits(fp32, train_ids).argmax(1))
        int8 = tmp_path / "int8.onnx"
        report = ex.quantize_and_compare(fp32, int8, (train_ids, train_labels), (test_ids, test_labels), mode=mode)
        call = f"quantize_and_compare(fp32, int8, train, test, mode={mode!r})"
        assert int8.exists(), f"{call} wrote no file at int8_path"
        want_fp32, want_int8 = _e4_logits(fp32, test_ids), _e4_logits(int8, test_ids)
        labels = test_labels.numpy()
        want = {
            "fp32_bytes": fp32.stat().st_size, "int8_bytes": int8.stat().st_size,
            "fp32_accuracy": float((want_fp32.argmax(1) == labels).mean()),
            "int8_accuracy": float((want_int8.argmax(1) == labels).mean()),
            "agreement": float((want_fp32.argmax(1) == want_int8.argmax(1)).mean()),
            "max_abs_diff": float(np.abs(want_fp32 - want_int8).max()),
        }
        for key, value in want.items():
            have = getattr(report, key)
            assert math.isclose(have, value, rel_tol=1e-5, abs_tol=1e-6), (
                f"{call}: report.{key} is {have!r}; the two files give {value!r} on the test split "
                f"(150 inputs; the training labels are the FP32 predictions, so a number measured on the "
                f"training split comes out near 1)" + (" — the sizes are the files' sizes on disk" if "bytes" in key else ""))

    def test_refuses_an_unknown_mode(self, tmp_path_factory, tmp_path):
        ex = lab.exercise(4)
        fp32 = _e4_classifier_file(tmp_path_factory)
        train_ids, test_ids, test_labels = _e4_splits()
        with expect_raises(ValueError, "quantize_and_compare(..., mode='qat')", "the modes are 'dynamic' and 'static'"):
            ex.quantize_and_compare(fp32, tmp_path / "int8.onnx", (train_ids, torch.zeros(200, dtype=torch.int64)),
                                    (test_ids, test_labels), mode="qat")


class _E4Net(nn.Module):
    """Linears at the top level, one nested in a Sequential ("block.0"), and a head."""

    def __init__(self):
        super().__init__()
        self.ff1 = nn.Linear(6, 10)
        self.block = nn.Sequential(nn.Linear(10, 8), nn.ReLU())
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(torch.relu(self.ff1(x))))


def _e4_pruned_by_hand(model: nn.Module, names: list[str], amount: float, structured: bool) -> nn.Module:
    copy_ = copy.deepcopy(model)
    for name in names:
        module = copy_.get_submodule(name)
        if structured:
            prune.ln_structured(module, "weight", amount=amount, n=2, dim=0)
        else:
            prune.l1_unstructured(module, "weight", amount=amount)
    return copy_


def _e4_check_pruned(got: nn.Module, want: nn.Module, original: nn.Module, pruned: list[str], call: str, what: str) -> None:
    for name, module in original.named_modules():
        if not isinstance(module, nn.Linear):
            continue
        mine = got.get_submodule(name)
        params = dict(mine.named_parameters(recurse=False))
        assert "bias_orig" not in params and torch.equal(mine.bias, module.bias), f"{call} changed {name}.bias; biases are not pruned"
        if name not in pruned:
            assert "weight_orig" not in params and torch.equal(mine.weight, module.weight), (
                f"{call} pruned {name!r}; it is in skip (or not a Linear to prune) and must be left as it was")
            continue
        assert "weight_orig" in params and hasattr(mine, "weight_mask"), (
            f"{call}: {name} has no weight_orig / weight_mask; prune with torch.nn.utils.prune, whose mask stays until "
            f"make_permanent")
        expected = want.get_submodule(name).weight_mask
        if not torch.equal(mine.weight_mask, expected):
            rows = lambda mask: (mask == 0).all(dim=1).nonzero().flatten().tolist()  # noqa: E731
            if rows(expected):
                found = f"zeroes the rows {rows(mine.weight_mask)}, not the rows {rows(expected)} that {what} zeroes"
            else:
                found = f"zeroes {int((mine.weight_mask == 0).sum())} entries, not the ones {what} zeroes"
            raise AssertionError(f"{call}: the mask of {name} (weight of shape {tuple(module.weight.shape)}) {found}")


@pytest.mark.exercise(4)
class TestPruneLinears:
    def test_unstructured_zeroes_the_smallest_weights_like_l1_unstructured(self):
        ex = lab.exercise(4)
        model = _E4Net()
        original = copy.deepcopy(model)
        want = _e4_pruned_by_hand(model, ["ff1", "block.0"], 0.3, structured=False)
        got = ex.prune_linears(model, 0.3)
        call = "prune_linears(model, 0.3) (skip=('head',))"
        assert got is model, f"{call} returned {type(got).__name__}; it prunes in place and returns model"
        for name in ("ff1", "block.0"):
            weight = model.get_submodule(name).weight
            assert int((weight == 0).sum()) == round(0.3 * weight.numel()), (
                f"{call}: {name}.weight has {int((weight == 0).sum())} zeros of {weight.numel()}; expected "
                f"round(0.3 * {weight.numel()}) = {round(0.3 * weight.numel())}")
        _e4_check_pruned(model, want, original, ["ff1", "block.0"], call,
                         "prune.l1_unstructured(module, 'weight', amount=0.3) (the smallest |w|)")

    def test_structured_zeroes_the_rows_of_smallest_norm_like_ln_structured(self):
        ex = lab.exercise(4)
        model = _E4Net()
        original = copy.deepcopy(model)
        want = _e4_pruned_by_hand(model, ["ff1", "block.0"], 0.3, structured=True)
        ex.prune_linears(model, 0.3, structured=True)
        call = "prune_linears(model, 0.3, structured=True)"
        for name in ("ff1", "block.0"):
            weight = model.get_submodule(name).weight
            rows = int((weight == 0).all(dim=1).sum())
            assert rows == round(0.3 * weight.shape[0]), (
                f"{call}: {name}.weight, of shape {tuple(weight.shape)}, has {rows} all-zero rows; expected "
                f"round(0.3 * {weight.shape[0]}) = {round(0.3 * weight.shape[0])} (rows are output units: dim=0)")
        _e4_check_pruned(model, want, original, ["ff1", "block.0"], call,
                         "prune.ln_structured(module, 'weight', amount=0.3, n=2, dim=0) (the smallest L2 norms)")

    def test_skips_the_modules_named_in_skip(self):
        ex = lab.exercise(4)
        model = _E4Net()
        original = copy.deepcopy(model)
        want = _e4_pruned_by_hand(model, ["ff1", "head"], 0.5, structured=False)
        ex.prune_linears(model, 0.5, skip=("block.0",))
        _e4_check_pruned(model, want, original, ["ff1", "head"], "prune_linears(model, 0.5, skip=('block.0',))",
                         "prune.l1_unstructured(module, 'weight', amount=0.5)")


class _E4ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.norm(self.conv(x).mean((2, 3))))


@pytest.mark.exercise(4)
class TestWeightSparsity:
    def test_counts_the_masked_weights_of_linear_and_conv_layers(self):
        ex = lab.exercise(4)
        model = _E4ConvNet()
        prune.l1_unstructured(model.conv, "weight", amount=0.5)  # 36 of 72
        prune.l1_unstructured(model.fc, "weight", amount=0.25)  # 5 of 20
        got = ex.weight_sparsity(model)
        want = 41 / 92
        assert isinstance(got, float) and math.isclose(got, want, rel_tol=1e-9), (
            f"weight_sparsity(a Conv2d with 36 of 72 weights pruned, a Linear with 5 of 20) returned {got!r}; expected "
            f"41 / 92 = {want:.4f}: count module.weight (masked) of every Linear and Conv2d; model.parameters() holds "
            f"weight_orig (dense), biases and the LayerNorm, which are not counted")

    def test_counts_zeros_without_masks_and_gives_zero_without_layers(self):
        ex = lab.exercise(4)
        model = _E4ConvNet()
        with torch.no_grad():
            model.conv.weight[0] = 0.0  # 18 of 72
            model.fc.weight[:, :2] = 0.0  # 10 of 20
            model.fc.bias.zero_()
        got = ex.weight_sparsity(model)
        assert isinstance(got, float) and math.isclose(got, 28 / 92, rel_tol=1e-9), (
            f"weight_sparsity(model without masks, 28 of 92 weights zero, the Linear's bias zero) returned {got!r}; "
            f"expected 28 / 92 = {28 / 92:.4f} (weights only)")
        empty = ex.weight_sparsity(nn.Sequential(nn.ReLU(), nn.LayerNorm(4)))
        assert empty == 0.0, f"weight_sparsity(a model with no Linear or Conv2d) returned {empty!r}; expected 0.0"


@pytest.mark.exercise(4)
class TestMakePermanent:
    def test_folds_every_mask_in_and_keeps_the_function(self):
        ex = lab.exercise(4)
        model = _E4ConvNet()
        prune.l1_unstructured(model.fc, "weight", amount=0.4)
        prune.l1_unstructured(model.fc, "bias", amount=0.4)
        prune.ln_structured(model.conv, "weight", amount=0.5, n=2, dim=0)
        x = torch.randn(3, 2, 5, 5)
        with torch.no_grad():
            want_out = model(x)
        want = {name: getattr(model.get_submodule(owner), attr).detach().clone()
                for owner, attr, name in [("fc", "weight", "fc.weight"), ("fc", "bias", "fc.bias"),
                                          ("conv", "weight", "conv.weight")]}
        got = ex.make_permanent(model)
        call = "make_permanent(model with fc.weight, fc.bias and conv.weight pruned)"
        assert got is model, f"{call} returned {type(got).__name__}; expected the model itself"
        left = [n for n, _ in model.named_parameters() if n.endswith("_orig")] + \
               [n for n, _ in model.named_buffers() if n.endswith("_mask")]
        assert not left, f"{call} left {left}: prune.remove every pruned parameter (weights and biases)"
        hooks = [n or "(model)" for n, m in model.named_modules() if m._forward_pre_hooks]
        assert not hooks, f"{call} left pruning's forward pre-hooks on {hooks}"
        params = dict(model.named_parameters())
        for name, value in want.items():
            assert name in params and torch.equal(params[name].detach(), value), (
                f"{call}: {name} should be a parameter holding the masked values (the zeros stay)")
        with torch.no_grad():
            close(model(x), want_out, f"{call} changed the model's outputs")


def _e4_ffn(dead: list[int], partly: int | None = None) -> tuple[nn.Linear, nn.Linear]:
    ff1, ff2 = nn.Linear(6, 12), nn.Linear(12, 5)
    with torch.no_grad():
        ff1.bias.copy_(torch.linspace(-1.0, 1.5, 12))  # nonzero, both signs: the dead units output a constant
        ff1.weight[dead] = 0.0
        if partly is not None:
            ff1.weight[partly, :3] = 0.0  # a row with zeros that is still alive
    return ff1, ff2


@pytest.mark.exercise(4)
class TestShrinkFfn:
    @pytest.mark.parametrize("name", ["gelu", "relu"])
    def test_smaller_pair_computes_the_same_function(self, name):
        ex = lab.exercise(4)
        activation = {"gelu": F.gelu, "relu": F.relu}[name]
        dead = [1, 4, 5, 9, 11]
        ff1, ff2 = _e4_ffn(dead, partly=7)
        before = {k: v.clone() for k, v in {**ff1.state_dict(prefix="ff1."), **ff2.state_dict(prefix="ff2.")}.items()}
        small1, small2 = ex.shrink_ffn(ff1, ff2, activation)
        call = f"shrink_ffn(ff1 (6 -> 12, rows {dead} zero, row 7 partly zero), ff2 (12 -> 5), F.{name})"
        after = {**ff1.state_dict(prefix="ff1."), **ff2.state_dict(prefix="ff2.")}
        changed = [k for k in before if not torch.equal(before[k], after[k])]
        assert not changed, f"{call} modified its inputs: {changed}; it returns new layers"
        assert small1.out_features == 7 and small2.in_features == 7, (
            f"{call} kept {small1.out_features} hidden units; expected the 7 whose ff1 row has a nonzero entry")
        x = torch.randn(4, 6)
        with torch.no_grad():
            close(small2(activation(small1(x))), ff2(activation(ff1(x))),
                  f"{call}: the smaller pair computes another function. A unit with a zero row still outputs "
                  f"activation(ff1.bias[j]), a constant: fold ff2.weight[:, dead] @ activation(ff1.bias[dead]) into ff2's bias")

    def test_keeps_one_unit_when_every_row_is_zero(self):
        ex = lab.exercise(4)
        ff1, ff2 = _e4_ffn(list(range(12)))
        small1, small2 = ex.shrink_ffn(ff1, ff2, F.gelu)
        call = "shrink_ffn(ff1 with every weight row zero, ff2, F.gelu)"
        assert small1.out_features >= 1, f"{call} kept {small1.out_features} hidden units; expected at least one"
        x = torch.randn(4, 6)
        with torch.no_grad():
            close(small2(F.gelu(small1(x))), ff2(F.gelu(ff1(x))), f"{call}: the smaller pair computes another function")


# ---- Exercise 5: the benchmark -------------------------------------------------------------------
#
# A timer is graded for what it measures. The scripted clock below stands in for time.perf_counter
# (the function the docstring names) while the learner's code runs: time passes only inside the
# timed function, by the durations the test chose, so every per-call time the learner measures is
# known exactly and p50/p99 can be recomputed here with numpy.percentile (linear interpolation) and
# numpy.median. One test uses the real clock (a real 20 ms sleep must show in p99).


class _E5Clock:
    """A stand-in for time.perf_counter that moves only when the test moves it (in seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance_ms(self, ms: float) -> None:
        self.now += ms / 1e3


@contextlib.contextmanager
def _e5_scripted_clock(module) -> Iterator[_E5Clock]:
    """Replace time.perf_counter (and a ``from time import perf_counter`` copy in ``module``) by a scripted clock."""
    clock = _E5Clock()
    real = time.perf_counter
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(time, "perf_counter", clock)
        mp.setattr(timeit, "default_timer", clock)
        for name, value in list(vars(module).items()):
            if value is real:
                mp.setattr(module, name, clock)
        yield clock


class _E5ScriptedFn:
    """``fn()`` for latency_ms: its k-th call lasts durations_ms[k] on the scripted clock (0 past the script)."""

    def __init__(self, clock: _E5Clock, durations_ms: np.ndarray) -> None:
        self.clock, self.durations, self.calls = clock, list(durations_ms), 0

    def __call__(self) -> None:
        if self.calls < len(self.durations):
            self.clock.advance_ms(self.durations[self.calls])
        self.calls += 1


def _e5_which_wrong_reduction(got: float, alternatives: dict[str, float], right: float) -> str:
    """A phrase naming the wrong computation ``got`` matches, if any."""
    for why, value in alternatives.items():
        if not np.isclose(value, right, rtol=1e-3) and np.isclose(got, value, rtol=1e-6):
            return f"; that is {why}"
    return ""


@pytest.mark.exercise(5)
class TestLatencyMs:
    def test_calls_fn_exactly_warmup_plus_runs_times_iters_times(self):
        ex = lab.exercise(5)
        for warmup, iters, runs in ((0, 1, 1), (3, 7, 4), (10, 50, 5)):
            calls = []
            result = ex.latency_ms(lambda: calls.append(1), warmup=warmup, iters=iters, runs=runs)
            want = warmup + runs * iters
            assert len(calls) == want, (
                f"latency_ms(fn, warmup={warmup}, iters={iters}, runs={runs}) called fn {len(calls)} times; it should call "
                f"it exactly warmup + runs * iters = {want} times: {warmup} untimed warm-up calls once, then {runs} runs "
                f"of {iters} timed calls")
            assert isinstance(result, dict) and set(result) == {"p50", "p99"}, (
                f"latency_ms(fn, warmup={warmup}, iters={iters}, runs={runs}) returned {result!r}; expected a dict "
                "with exactly the keys 'p50' and 'p99'")

    def test_is_the_median_over_runs_of_each_runs_numpy_percentiles_with_warm_up_excluded(self):
        ex = lab.exercise(5)
        warmup, iters, runs = 3, 10, 5
        rng = np.random.default_rng(7)
        scales = np.array([1.0, 2.0, 1.5, 6.0, 1.2])  # run 3 lands on a slow spell of the machine
        timed = scales[:, None] * rng.uniform(1.0, 2.0, (runs, iters))
        timed[:, 4] *= 8.0  # one slow call in every run: the tail p99 must see
        warm = np.full(warmup, 250.0)  # the first calls of a runtime are slow: they must not be timed
        script = np.concatenate([warm, timed.ravel()])
        with _e5_scripted_clock(ex) as clock:
            fn = _E5ScriptedFn(clock, script)
            got = ex.latency_ms(fn, warmup=warmup, iters=iters, runs=runs)
        call = f"latency_ms(fn, warmup={warmup}, iters={iters}, runs={runs})"
        assert fn.calls == len(script), f"{call} called fn {fn.calls} times, expected warmup + runs * iters = {len(script)}"
        assert got["p50"] >= 0.5 and got["p99"] >= 0.5, (
            f"{call} returned {got} while every timed call of fn took 1 ms or more on time.perf_counter: time each "
            "call with time.perf_counter() and report milliseconds, as the docstring says (the test scripts that clock)")
        p50s, p99s = np.percentile(timed, 50, axis=1), np.percentile(timed, 99, axis=1)
        want = {"p50": float(np.median(p50s)), "p99": float(np.median(p99s))}
        no_warm = np.concatenate([warm, timed.ravel()])[: runs * iters].reshape(runs, iters)
        for key, q, per_run in (("p50", 50, p50s), ("p99", 99, p99s)):
            wrong = {
                "the percentile of all runs pooled together, not the median of the per-run percentiles":
                    float(np.percentile(timed, q)),
                "the mean of the per-run percentiles, not their median": float(np.mean(per_run)),
                "each run's total time divided by iters (the whole loop timed at once), which hides the tail":
                    float(np.median(timed.mean(axis=1))),
                "with the warm-up calls timed as part of the runs": float(np.median(np.percentile(no_warm, q, axis=1))),
            }
            if key == "p99":
                wrong["the median of each run's slowest call (the maximum), not numpy.percentile's interpolated p99"] = (
                    float(np.median(timed.max(axis=1))))
            assert np.isclose(got[key], want[key], rtol=1e-6), (
                f"{call} with scripted call times (ms): {key} = {got[key]:.6g}, expected {want[key]:.6g}, the median "
                f"over the {runs} runs of numpy.percentile(run's {iters} times in ms, {q})"
                + _e5_which_wrong_reduction(got[key], wrong, want[key]))

    def test_times_each_call_alone_so_one_slow_call_per_run_shows_in_p99(self):
        ex = lab.exercise(5)
        warmup, iters, runs = 2, 10, 3
        calls = []

        def fn():
            calls.append(1)
            k = len(calls) - warmup  # timed call number, from 1
            if len(calls) <= warmup or k % iters == 0:
                time.sleep(0.02)

        got = ex.latency_ms(fn, warmup=warmup, iters=iters, runs=runs)
        call = f"latency_ms(fn, warmup={warmup}, iters={iters}, runs={runs}) on the real clock"
        assert got["p50"] < 5.0, (
            f"{call}: fn returns at once 9 times in 10 and sleeps 20 ms once per run, yet p50 = {got['p50']:.2f} ms; "
            "the typical call is instantaneous: time each call alone")
        assert got["p99"] >= 15.0, (
            f"{call}: one call in every run sleeps 20 ms, so each run's p99 (numpy.percentile of its 10 times) is "
            f">= 18 ms; got p99 = {got['p99']:.2f} ms (p50 {got['p50']:.2f} ms). Timing the whole loop and dividing "
            "by iters spreads the slow call over all of them and hides the tail: time each call on its own")

    def test_rejects_zero_iters_or_zero_runs(self):
        ex = lab.exercise(5)
        for kwargs in ({"iters": 0}, {"runs": 0}):
            args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
            with expect_raises(ValueError, f"latency_ms(fn, {args})", "no timed call means no percentile"):
                ex.latency_ms(lambda: None, **kwargs)


# size_bytes: the file system (os.stat), torch.save and torch.jit.save are the oracles.


def _e5_tiny_onnx_model() -> onnx.ModelProto:
    """Y = relu(X @ W1 + b1) @ W2: three initializers, built with onnx.helper (no exporter needed)."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
             for name, shape in (("W1", (8, 16)), ("b1", (16,)), ("W2", (16, 4)))]
    nodes = [helper.make_node("MatMul", ["X", "W1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["hb"]),
             helper.make_node("Relu", ["hb"], ["r"]), helper.make_node("MatMul", ["r", "W2"], ["Y"])]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 4])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def _e5_save_onnx(folder: Path, external: str | None) -> tuple[Path, int]:
    """Save the tiny model as folder/model.onnx (external None, "one" or "per_tensor"); returns (path, bytes of its files).

    A stray file written afterwards in the same folder belongs to no model: it must not be counted.
    """
    folder.mkdir(parents=True)
    path = folder / "model.onnx"
    model = _e5_tiny_onnx_model()
    if external is None:
        onnx.save_model(model, str(path))
    else:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=external == "one",
                        location="w.bin", size_threshold=0)
    total = sum(f.stat().st_size for f in folder.iterdir())
    (folder / "other_model.bin").write_bytes(b"\0" * 5000)
    (folder / "notes.txt").write_text("not part of the model\n")
    return path, total


def _e5_bytes_written(save: Callable[[io.BytesIO], None]) -> int:
    buffer = io.BytesIO()
    save(buffer)
    return buffer.getbuffer().nbytes


def _e5_small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).eval()


@pytest.mark.exercise(5)
class TestSizeBytes:
    def test_of_a_path_or_str_is_the_files_size(self, tmp_path):
        ex = lab.exercise(5)
        blob = tmp_path / "weights.pt"
        blob.write_bytes(b"x" * 12345)
        plain, _ = _e5_save_onnx(tmp_path / "plain", external=None)
        for target, want in ((blob, 12345), (plain, plain.stat().st_size)):
            for given in (target, str(target)):
                got = ex.size_bytes(given)
                assert got == want, (
                    f"size_bytes({type(given).__name__} {target.name}) returned {got}; the file has {want} bytes "
                    f"(os.stat). An .onnx file that keeps its weights inside adds nothing else, even with other "
                    "files next to it")

    def test_of_an_onnx_file_adds_the_external_data_files_it_refers_to(self, tmp_path):
        ex = lab.exercise(5)
        for external, how in (("one", "all weights in one file w.bin"), ("per_tensor", "one file per weight")):
            path, want = _e5_save_onnx(tmp_path / external / "export", external=external)
            main = path.stat().st_size
            for given in (path, str(path)):
                got = ex.size_bytes(given)
                hint = ""
                if got == main:
                    hint = ("; that is model.onnx alone: its weights are in the external-data files its initializers "
                            "name (data_location EXTERNAL, external_data key 'location'), which ship with it")
                elif got > want:
                    hint = ("; too much: count each external file once (several tensors share w.bin), and only the "
                            "files the model names (the folder holds other files too)")
                assert got == want, (
                    f"size_bytes({type(given).__name__} .../{path.parent.name}/model.onnx) saved with external data "
                    f"({how}) returned {got}; model.onnx ({main} bytes) plus its data files is {want} bytes{hint}")

    def test_of_a_module_is_what_torch_save_of_its_state_dict_writes(self):
        ex = lab.exercise(5)
        model = _e5_small_net()
        want = _e5_bytes_written(lambda b: torch.save(model.state_dict(), b))
        params = sum(p.numel() * p.element_size() for p in model.parameters())
        got = ex.size_bytes(model)
        hint = "; that is only the parameters' raw bytes, without the file's format" if got == params else ""
        assert got == want, (
            f"size_bytes(nn.Sequential(Linear(8, 16), ReLU, Linear(16, 4))) returned {got}; torch.save(model.state_dict(), "
            f"io.BytesIO()) writes {want} bytes{hint} (measure into a buffer: a file's size differs by a few bytes, "
            "as the zip records carry the file's name)")

    def test_of_a_script_module_is_what_torch_jit_save_writes_not_its_state_dict(self):
        ex = lab.exercise(5)
        model = _e5_small_net()
        state_dict_bytes = _e5_bytes_written(lambda b: torch.save(model.state_dict(), b))
        for how, scripted in (("torch.jit.script", torch.jit.script(model)),
                              ("torch.jit.trace", torch.jit.trace(model, torch.randn(2, 8)))):
            want = _e5_bytes_written(lambda b: torch.jit.save(scripted, b))
            got = ex.size_bytes(scripted)
            hint = ""
            if got == state_dict_bytes:
                hint = ("; that is the size of its state_dict: a ScriptModule is also an nn.Module, so test "
                        "isinstance(artifact, torch.jit.ScriptModule) first. Its file holds the code too")
            assert got == want, (
                f"size_bytes({how}(model)) returned {got}; torch.jit.save(module, io.BytesIO()) writes {want} bytes{hint}")


# benchmark_table: a tiny nn.Linear behind three variants whose every predict call is logged
# (name, rows, grad enabled). 300 eval rows make two chunks (256 + 44); the labels are the eager
# model's argmax on the first 256 rows and wrong on the last 44, so an accuracy of the first chunk
# alone (100 %) differs from the true one (256/300). The perturbed variant comes first so that a
# max |diff| measured against the first variant instead of the reference shows.

_E5_ROWS, _E5_BATCHES = 300, (1, 4)
_E5_KEYS = {"variant", "batch", "p50_ms", "p99_ms", "size_mb", "accuracy", "max_abs_diff"}
_E5_SIZES = {"perturbed": 1_234, "eager": 1_234, "big file": 2_500_000}


class _E5Bench:
    """The model, data and logged variants of one benchmark_table call."""

    def __init__(self, ex, clock: _E5Clock | None = None, script: Callable[[int, int, int], float] | None = None):
        g = torch.Generator().manual_seed(0)
        self.model = nn.Linear(8, 4)
        with torch.no_grad():
            self.model.weight.copy_(torch.randn(4, 8, generator=g))
            self.model.bias.copy_(torch.randn(4, generator=g))
        self.ids = torch.randn(_E5_ROWS, 8, generator=g)
        with torch.no_grad():
            self.logits = self.model(self.ids)
        best = self.logits.argmax(1)
        self.labels = torch.cat([best[:256], (best[256:] + 1) % 4])
        self.shift = torch.tensor([0.5, 0.0, 0.0, 0.0])
        self.log: list[tuple[str, int, bool]] = []  # every predict / reference call: (name, rows, grad enabled)
        self.clock, self.script = clock, script
        self.timed_calls: dict[tuple[str, int], int] = {}
        names = list(_E5_SIZES)
        self.variants = [ex.Variant(name, self._predict(name, names.index(name)), _E5_SIZES[name]) for name in names]

    def _predict(self, name: str, q: int):
        def predict(x: torch.Tensor) -> torch.Tensor:
            self.log.append((name, len(x), torch.is_grad_enabled()))
            if self.clock is not None and len(x) in _E5_BATCHES:
                k = self.timed_calls.get((name, len(x)), 0)
                self.timed_calls[(name, len(x))] = k + 1
                self.clock.advance_ms(self.script(2 * q + _E5_BATCHES.index(len(x)), k))
            out = self.model(x)
            return out + self.shift if name == "perturbed" else out
        return predict

    def reference(self, x: torch.Tensor) -> torch.Tensor:
        self.log.append(("reference", len(x), torch.is_grad_enabled()))
        return self.model(x)

    def run(self, ex, warmup: int = 2, iters: int = 5, runs: int = 3) -> list[dict]:
        return ex.benchmark_table(self.variants, self.reference, self.ids, self.labels, batch_sizes=_E5_BATCHES,
                                  warmup=warmup, iters=iters, runs=runs)

    def timing_calls(self) -> list[tuple[str, int]]:
        return [(name, rows) for name, rows, _ in self.log if name != "reference" and rows in _E5_BATCHES]


_E5_CALL = "benchmark_table([perturbed, eager, big file], reference, eval_ids (300, 8), eval_labels, batch_sizes=(1, 4)"


@pytest.mark.exercise(5)
class TestBenchmarkTable:
    def test_one_row_per_variant_and_batch_in_order_with_exact_keys_and_size_in_mb(self):
        ex = lab.exercise(5)
        bench = _E5Bench(ex)
        rows = bench.run(ex)
        call = f"{_E5_CALL}, warmup=2, iters=5, runs=3)"
        want_order = [(v, b) for v in _E5_SIZES for b in _E5_BATCHES]
        got_order = [(r.get("variant"), r.get("batch")) for r in rows]
        assert got_order == want_order, (
            f"{call} returned rows for {got_order}; expected one row per (variant, batch), variants outer in the "
            f"order given and batch sizes inner: {want_order}")
        for row in rows:
            assert set(row) == _E5_KEYS, f"{call}: a row has the keys {sorted(row)}; expected exactly {sorted(_E5_KEYS)}"
            name = row["variant"]
            assert row["size_mb"] == _E5_SIZES[name] / 1e6, (
                f"{call}: variant {name!r} of {_E5_SIZES[name]:,} bytes has size_mb {row['size_mb']}; expected bytes / 1e6 "
                f"= {_E5_SIZES[name] / 1e6} (megabytes, not mebibytes: 2**20 = 1,048,576)")
            assert 0 < row["p50_ms"] <= row["p99_ms"] < 1e4, (
                f"{call}: variant {name!r} batch {row['batch']} has p50_ms {row['p50_ms']} and p99_ms {row['p99_ms']}; "
                "expected two positive latencies in milliseconds with p50 <= p99")

    def test_accuracy_and_max_abs_diff_are_over_all_rows_against_the_reference(self):
        ex = lab.exercise(5)
        bench = _E5Bench(ex)
        rows = bench.run(ex)
        outputs = {"perturbed": bench.logits + bench.shift, "eager": bench.logits, "big file": bench.logits}
        for row in rows:
            name = row["variant"]
            logits = outputs[name]
            right = (logits.argmax(1) == bench.labels).tolist()
            want_acc = sum(right) / _E5_ROWS
            first_chunk = sum(right[:256]) / 256
            hint = ""
            if np.isclose(row["accuracy"], first_chunk) and not np.isclose(first_chunk, want_acc):
                hint = "; that is the accuracy of the first chunk of 256 rows only"
            elif np.isclose(row["accuracy"], (first_chunk + sum(right[256:]) / 44) / 2):
                hint = ("; that is the plain mean of the two chunks' accuracies, which weighs the 44-row chunk like "
                        "the 256-row one")
            assert np.isclose(row["accuracy"], want_acc, atol=1e-6), (
                f"{_E5_CALL}): variant {name!r} batch {row['batch']} has accuracy {row['accuracy']}; its argmax matches "
                f"{sum(right)} of all {_E5_ROWS} labels, {want_acc:.6f}{hint}")
            want_diff = float((logits - bench.logits).abs().max())
            assert np.isclose(row["max_abs_diff"], want_diff, atol=1e-5), (
                f"{_E5_CALL}): variant {name!r} batch {row['batch']} has max_abs_diff {row['max_abs_diff']}; its logits "
                f"differ from the reference's (the eager model, on the same rows) by at most {want_diff:.3g}. Measure "
                "|variant - reference| over all rows, not against another variant or the labels")

    def test_quality_pass_runs_in_chunks_of_256_rows_without_autograd_once_per_variant(self):
        ex = lab.exercise(5)
        bench = _E5Bench(ex)
        bench.run(ex)
        quality = [(name, rows, grad) for name, rows, grad in bench.log if rows not in _E5_BATCHES]
        ref_sizes = [rows for n, rows, _ in quality if n == "reference"]
        assert ref_sizes and ref_sizes == [256, 44] * (len(ref_sizes) // 2), (
            f"{_E5_CALL}): the reference was called on chunks of {ref_sizes} rows; expected all 300 rows in chunks "
            "of 256: [256, 44] (once is enough: its logits are the same for every variant)")
        for name in _E5_SIZES:
            sizes = [rows for n, rows, _ in quality if n == name]
            assert sizes == [256, 44], (
                f"{_E5_CALL}): variant {name!r} was called on chunks of {sizes} rows for accuracy and |diff|; "
                "expected every row once, in chunks of 256: [256, 44], once per variant (not once per batch size)")
        with_grad = sorted({name for name, _, grad in quality if grad})
        assert not with_grad, (
            f"{_E5_CALL}): {with_grad} ran with autograd on during the accuracy pass; run it under torch.no_grad() "
            "(or torch.inference_mode()): nothing is trained, and recording the graph costs memory and time")

    def test_predict_is_timed_runs_times_warmup_plus_iters_per_batch_size(self):
        ex = lab.exercise(5)
        for warmup, iters, runs in ((2, 5, 3), (0, 3, 2), (4, 1, 1)):
            bench = _E5Bench(ex)
            bench.run(ex, warmup=warmup, iters=iters, runs=runs)
            timing = bench.timing_calls()
            for name, batch in itertools.product(_E5_SIZES, _E5_BATCHES):
                got = timing.count((name, batch))
                want = runs * (warmup + iters)
                assert got == want, (
                    f"{_E5_CALL}, warmup={warmup}, iters={iters}, runs={runs}): variant {name!r} was called {got} times "
                    f"on eval_ids[:{batch}]; expected runs * (warmup + iters) = {want}: in each of the {runs} rounds, "
                    f"one latency_ms run of {warmup} warm-up and {iters} timed calls")

    def test_rounds_interleave_the_variants(self):
        ex = lab.exercise(5)
        warmup, iters, runs = 1, 2, 3
        bench = _E5Bench(ex)
        bench.run(ex, warmup=warmup, iters=iters, runs=runs)
        timing = bench.timing_calls()
        per = warmup + iters
        positions = {key: [i for i, k in enumerate(timing) if k == key] for key in itertools.product(_E5_SIZES, _E5_BATCHES)}
        for key, where in positions.items():
            assert len(where) == runs * per, (
                f"{_E5_CALL}, warmup={warmup}, iters={iters}, runs={runs}): variant {key[0]!r} was called {len(where)} "
                f"times on eval_ids[:{key[1]}]; expected runs * (warmup + iters) = {runs * per}")
        for (a, pa), (b, pb) in itertools.permutations(positions.items(), 2):
            for r in range(runs - 1):
                end_a, start_b_next = max(pa[r * per:(r + 1) * per]), min(pb[(r + 1) * per:(r + 2) * per])
                assert end_a < start_b_next, (
                    f"{_E5_CALL}, runs={runs}): round {r + 2} of variant {b[0]!r} batch {b[1]} started before round "
                    f"{r + 1} of variant {a[0]!r} batch {a[1]} had finished; each round must time every (variant, "
                    "batch) once before the next round starts, so a slow spell of the machine hits them all alike "
                    "(loop over rounds outside, variants and batch sizes inside)")

    def test_p50_and_p99_are_medians_over_the_rounds_with_warm_up_excluded(self):
        ex = lab.exercise(5)
        warmup, iters, runs = 2, 5, 3
        round_scale = [1.0, 4.0, 1.5]  # round 2 lands on a slow spell of the machine
        base = np.array([1.0, 1.3, 1.1, 6.0, 1.2])  # one slow call per round

        def script(q: int, k: int) -> float:
            r, j = divmod(k, warmup + iters)
            if r >= runs:
                return 0.0
            return 300.0 if j < warmup else (q + 1) * round_scale[r] * base[j - warmup]

        with _e5_scripted_clock(ex) as clock:
            bench = _E5Bench(ex, clock, script)
            rows = bench.run(ex, warmup=warmup, iters=iters, runs=runs)
        for row in rows:
            q = list(_E5_SIZES).index(row["variant"]) * 2 + _E5_BATCHES.index(row["batch"])
            times = np.array([[script(q, r * (warmup + iters) + warmup + j) for j in range(iters)] for r in range(runs)])
            for key, pct in (("p50_ms", 50), ("p99_ms", 99)):
                per_round = np.percentile(times, pct, axis=1)
                want = float(np.median(per_round))
                hint = ""
                if np.isclose(row[key], float(np.mean(per_round)), rtol=1e-6):
                    hint = "; that is the mean over the rounds, which one slow round drags up: take the median"
                assert np.isclose(row[key], want, rtol=1e-6), (
                    f"{_E5_CALL}, warmup={warmup}, iters={iters}, runs={runs}) with scripted call times: variant "
                    f"{row['variant']!r} batch {row['batch']} has {key} {row[key]:.6g}; expected {want:.6g}, the median "
                    f"over the {runs} rounds of each round's numpy.percentile(..., {pct}) of its {iters} timed calls, "
                    f"warm-up calls excluded{hint}")
