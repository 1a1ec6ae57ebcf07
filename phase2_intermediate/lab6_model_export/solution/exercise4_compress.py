"""Exercise 4: smaller and faster. INT8 quantization with ONNX Runtime, and pruning.

**Quantization** stores a float tensor x as 8-bit integers q with a scale s and a zero point z,
x ≈ s (q - z). Weights are known ahead of time, so their scales are fixed when the file is
written (one per output channel with ``per_channel=True``). Activations are not:

* *dynamic* quantization (``quantize_dynamic``) computes each activation's scale at run time,
  from the tensor's own min and max, on every call. No data needed; the min/max pass costs time.
* *static* quantization (``quantize_static``) fixes activation scales too, from the ranges seen
  on *calibration* data: a few hundred representative inputs from the training distribution,
  never the test set (the test set would then have been used to fit the model).
  ``QuantFormat.QDQ`` writes QuantizeLinear/DequantizeLinear pairs around each quantized
  operator and lets ONNX Runtime fuse them into integer kernels at load time.

``torch.ao.quantization`` is deprecated; ONNX Runtime's ``onnxruntime.quantization`` is the
maintained path for CPU INT8 from a PyTorch model.

**Pruning** with ``torch.nn.utils.prune`` zeroes weights through a mask: the module keeps
``weight_orig`` (a parameter) and ``weight_mask`` (a buffer), and recomputes
``weight = weight_orig * weight_mask`` before every forward. ``prune.remove`` folds the mask in
for good. Unstructured pruning (``l1_unstructured``) zeroes the smallest individual weights: the
matrix keeps its shape, and dense kernels multiply the zeros anyway, so it is no faster.
Structured pruning (``ln_structured``) zeroes whole rows (output units); those rows can then be
cut out, which makes the matrices smaller and the model faster (:func:`shrink_ffn`).

Run the checks with:  make test-lab LAB=2.6 EX=4
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from torch import nn


class ArrayCalibrationReader(CalibrationDataReader):
    """Feeds ``data`` to ONNX Runtime's calibrator in batches of ``batch_size`` rows.

    data: (N, ...) tensor of model inputs. ``get_next()`` returns ``{input_name: batch as a numpy
    array}`` for rows 0…b-1, then b…2b-1, … (the last batch may be smaller), then None once every
    row has been given; ``rewind()`` starts again from row 0.
    """

    def __init__(self, input_name: str, data: torch.Tensor, batch_size: int = 32):
        # BEGIN SOLUTION
        # TODO: keep the numpy array and a position; batch_size < 1 is a ValueError.
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.input_name = input_name
        self.data = data.detach().cpu().numpy()
        self.batch_size = batch_size
        self.position = 0
        # END SOLUTION

    def get_next(self) -> dict[str, np.ndarray] | None:
        # BEGIN SOLUTION
        # TODO: None when the rows are used up, not an empty batch.
        if self.position >= len(self.data):
            return None
        batch = self.data[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return {self.input_name: batch}
        # END SOLUTION

    def rewind(self) -> None:
        # BEGIN SOLUTION
        self.position = 0
        # END SOLUTION


QUANTIZED_OPS = ["MatMul", "Gemm", "Conv"]  # matrix products and convolutions; the rest stays float


def quantize_onnx(src: str | Path, dst: str | Path, calibration: CalibrationDataReader | None = None) -> Path:
    """Write an INT8 version of the ONNX file ``src`` to ``dst``; return ``Path(dst)``.

    First ``quant_pre_process`` (with ``skip_symbolic_shape=True``) prepares the graph (shape
    inference, constant folding), into a temporary folder, never next to ``dst``. Then only the
    operators of :data:`QUANTIZED_OPS` are quantized, weights QInt8:

    * without ``calibration``: dynamic quantization;
    * with it: static quantization in QDQ format, activations QUInt8, weights per output channel,
      MinMax calibration on the reader's batches.
    """
    # BEGIN SOLUTION
    # TODO: onnxruntime.quantization: quant_pre_process(src, tmp, skip_symbolic_shape=True), then
    # TODO: quantize_dynamic(tmp, dst, op_types_to_quantize=..., weight_type=...) or
    # TODO: quantize_static(tmp, dst, reader, quant_format=..., op_types_to_quantize=..., activation_type=...,
    # TODO: weight_type=..., per_channel=True). Quantizing every operator breaks this model: see the README.
    src, dst = Path(src), Path(dst)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
        if calibration is None:
            quantize_dynamic(str(prepared), str(dst), op_types_to_quantize=QUANTIZED_OPS, weight_type=QuantType.QInt8)
        else:
            quantize_static(str(prepared), str(dst), calibration, quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=QUANTIZED_OPS, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, per_channel=True)
    return dst
    # END SOLUTION


@dataclass
class QuantReport:
    """What :func:`quantize_and_compare` measured. Accuracies are fractions in [0, 1] on the test split."""

    fp32_bytes: int
    int8_bytes: int
    fp32_accuracy: float
    int8_accuracy: float
    agreement: float  # fraction of test inputs on which both predict the same class
    max_abs_diff: float  # max |logits_int8 - logits_fp32| over the test split

    @property
    def size_ratio(self) -> float:
        return self.fp32_bytes / self.int8_bytes

    @property
    def accuracy_drop_points(self) -> float:
        return 100.0 * (self.fp32_accuracy - self.int8_accuracy)


def cpu_session(path: str | Path, threads: int = 1) -> ort.InferenceSession:
    """An ONNX Runtime CPU session with ``threads`` intra-op threads and every graph optimisation
    (exercise 3's ``make_session`` with its defaults, repeated here so this exercise stands alone)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def predict_logits(session: ort.InferenceSession, ids: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The session's logits for every row of ids: (N, T), computed ``batch_size`` rows at a time -> (N, C)."""
    name = session.get_inputs()[0].name
    return torch.cat([torch.from_numpy(session.run(None, {name: ids[i:i + batch_size].numpy()})[0])
                      for i in range(0, len(ids), batch_size)])


def quantize_and_compare(fp32_path: str | Path, int8_path: str | Path,
                         train: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor],
                         mode: str = "dynamic", n_calibration: int = 256, seed: int = 0) -> QuantReport:
    """Quantize ``fp32_path`` to ``int8_path`` and compare the two files on the test split.

    train, test: (ids, labels) pairs. ``mode``: "dynamic", or "static" with ``n_calibration``
    calibration rows drawn without replacement from the *training* inputs
    (``torch.randperm(len(train_ids), generator=torch.Generator().manual_seed(seed))[:n_calibration]``),
    fed in batches of 32. Both files are evaluated, on the CPU with one thread, on the same
    test split. Raises ValueError for another ``mode``.
    """
    # BEGIN SOLUTION
    # TODO: the calibration data decides the activation scales: which split may the model see?
    # TODO: then one session per file, predict_logits on the test ids for both, and the sizes on disk.
    if mode not in ("dynamic", "static"):
        raise ValueError(f"mode must be 'dynamic' or 'static', got {mode!r}")
    train_ids, _ = train
    test_ids, test_labels = test
    fp32 = cpu_session(fp32_path)
    reader = None
    if mode == "static":
        rows = torch.randperm(len(train_ids), generator=torch.Generator().manual_seed(seed))[:n_calibration]
        reader = ArrayCalibrationReader(fp32.get_inputs()[0].name, train_ids[rows], batch_size=32)
    quantize_onnx(fp32_path, int8_path, reader)
    int8 = cpu_session(int8_path)
    want, got = predict_logits(fp32, test_ids), predict_logits(int8, test_ids)
    return QuantReport(
        fp32_bytes=Path(fp32_path).stat().st_size,
        int8_bytes=Path(int8_path).stat().st_size,
        fp32_accuracy=float((want.argmax(1) == test_labels).float().mean()),
        int8_accuracy=float((got.argmax(1) == test_labels).float().mean()),
        agreement=float((want.argmax(1) == got.argmax(1)).float().mean()),
        max_abs_diff=float((want - got).abs().max()),
    )
    # END SOLUTION


def prune_linears(model: nn.Module, amount: float, structured: bool = False, skip: Sequence[str] = ("head",)) -> nn.Module:
    """Prune the weight of every ``nn.Linear`` of ``model`` whose name is not in ``skip``, in place.

    Unstructured: ``prune.l1_unstructured`` zeroes the fraction ``amount`` of each weight's
    entries with the smallest |w|. Structured: ``prune.ln_structured(n=2, dim=0)`` zeroes the
    fraction ``amount`` of each weight's *rows* (output units) with the smallest L2 norm.
    Biases are not pruned. The masks stay (``weight_orig``, ``weight_mask``): call
    :func:`make_permanent` to fold them in. Returns ``model``.
    """
    # BEGIN SOLUTION
    # TODO: model.named_modules(); isinstance(module, nn.Linear); the name as named_modules gives it.
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and name not in skip:
            if structured:
                prune.ln_structured(module, "weight", amount=amount, n=2, dim=0)
            else:
                prune.l1_unstructured(module, "weight", amount=amount)
    return model
    # END SOLUTION


def weight_sparsity(model: nn.Module) -> float:
    """Fraction of zero entries over the weights of every ``nn.Linear`` and ``nn.Conv2d`` of ``model``,
    as the forward pass uses them (``module.weight``, masked when the module is pruned); 0.0 when
    the model has no such layer."""
    # BEGIN SOLUTION
    # TODO: after pruning, model.parameters() holds weight_orig (dense!), not the masked weight.
    zeros = total = 0
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            w = module.weight
            zeros += int((w == 0).sum())
            total += w.numel()
    return zeros / total if total else 0.0
    # END SOLUTION


def make_permanent(model: nn.Module) -> nn.Module:
    """``prune.remove`` every pruned parameter of every module of ``model`` (whatever its name:
    ``weight``, or ``bias`` if someone pruned it): the zeros stay, the masks and ``*_orig``
    parameters and the pruning hooks go. Returns ``model``."""
    # BEGIN SOLUTION
    # TODO: a pruned parameter NAME leaves NAME_orig among the module's own parameters (recurse=False).
    for module in model.modules():
        for name in [n[:-len("_orig")] for n, _ in module.named_parameters(recurse=False) if n.endswith("_orig")]:
            prune.remove(module, name)
    return model
    # END SOLUTION


def shrink_ffn(ff1: nn.Linear, ff2: nn.Linear, activation: Callable[[torch.Tensor], torch.Tensor] = F.gelu
               ) -> tuple[nn.Linear, nn.Linear]:
    """Cut the hidden units whose ``ff1`` weight row is all zero out of ``ff2(activation(ff1(x)))``.

    A unit j with a zero weight row still outputs the constant activation(ff1.bias[j]), which
    ``ff2`` multiplies by its column j: fold ``ff2.weight[:, dead] @ activation(ff1.bias[dead])``
    into ``ff2``'s bias, so the smaller pair computes the same function. Returns new layers
    (at least one hidden unit is kept), on ``ff1``'s device; the inputs are not modified.
    """
    # BEGIN SOLUTION
    # TODO: alive = rows of ff1.weight with a nonzero entry; new Linear(d_in, n_alive) and
    # TODO: Linear(n_alive, d_out) with copied slices; without the fold, the output changes.
    with torch.no_grad():
        alive = ff1.weight.ne(0).any(dim=1)
        if not alive.any():
            alive[0] = True
        dead = ~alive
        small1 = nn.Linear(ff1.in_features, int(alive.sum()), bias=ff1.bias is not None).to(ff1.weight.device)
        small2 = nn.Linear(int(alive.sum()), ff2.out_features, bias=True).to(ff1.weight.device)
        small1.weight.copy_(ff1.weight[alive])
        if ff1.bias is not None:
            small1.bias.copy_(ff1.bias[alive])
        small2.weight.copy_(ff2.weight[:, alive])
        bias = ff2.bias.clone() if ff2.bias is not None else torch.zeros(ff2.out_features, device=ff1.weight.device)
        if ff1.bias is not None and dead.any():
            bias += ff2.weight[:, dead] @ activation(ff1.bias[dead])
        small2.bias.copy_(bias)
    return small1, small2
    # END SOLUTION
