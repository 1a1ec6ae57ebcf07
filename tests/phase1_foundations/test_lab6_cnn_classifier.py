"""Grader of lab 1.6 (CNN classifier): convolution by hand, architectures, training, surgery, transfer.

Every test names the behaviour it checks and compares your code with PyTorch's own
implementation wherever one exists (F.conv2d, FlopCounterMode, torch.nn.utils.prune, sklearn).
Run it on your exercises with

    make test-lab LAB=phase1_foundations/lab6_cnn_classifier          (EX=2 for exercise 2 only)
"""
from __future__ import annotations

import random

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from shared.grading import Lab, close, forbid

lab = Lab("phase1_foundations/lab6_cnn_classifier")

NO_LIBRARY_CONV = (
    "torch.nn.functional.conv2d",
    "torch.conv2d",
    "torch.convolution",
    "torch.nn.Conv2d.forward",
    "torch.nn.Conv2d._conv_forward",
    # The operators behind every Python path (torch.ops.aten.conv2d, torch.conv2d, modules): the attribute
    # traps above do not see a call made through torch.ops.
    "aten.convolution",
    "aten._convolution",
)
WHY_CONV = "Exercise 1 asks you to build the convolution from F.unfold and a matrix product"


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny convolutions run fastest, and most predictably on a shared machine, on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------------
# Exercise 1: convolution by hand
# ---------------------------------------------------------------------------------------------

CONV_CASES = [
    # (N, C_in, H, W, C_out, kH, kW, stride, padding, dilation, groups, bias)
    (2, 3, 7, 7, 4, 3, 3, 1, 0, 1, 1, True),
    (1, 1, 5, 6, 1, 2, 2, 1, 0, 1, 1, False),
    (3, 4, 9, 10, 6, 3, 3, 2, 1, 1, 1, True),
    (2, 2, 8, 8, 3, 3, 3, 1, 2, 2, 1, True),
    (2, 4, 9, 11, 8, 3, 2, (2, 1), (0, 1), (1, 2), 2, True),
    (1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 6, False),  # depthwise
    (2, 4, 6, 6, 8, 1, 1, 2, 0, 1, 4, True),  # 1x1, strided, grouped
    (2, 3, 5, 5, 2, 5, 5, 1, 0, 1, 1, True),  # kernel as large as the input
    (1, 2, 10, 4, 3, 4, 1, (3, 1), (1, 0), (2, 1), 1, True),
]


def _conv_inputs(case, dtype=torch.float64, seed=0):
    n, c_in, h, w, c_out, kh, kw, stride, padding, dilation, groups, has_bias = case
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, h, w, generator=g, dtype=dtype, requires_grad=True)
    weight = torch.randn(c_out, c_in // groups, kh, kw, generator=g, dtype=dtype, requires_grad=True)
    bias = torch.randn(c_out, generator=g, dtype=dtype, requires_grad=True) if has_bias else None
    return x, weight, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _describe(case) -> str:
    n, c_in, h, w, c_out, kh, kw, stride, padding, dilation, groups, has_bias = case
    return (f"conv2d(x {(n, c_in, h, w)}, weight {(c_out, c_in // groups, kh, kw)}, bias={'yes' if has_bias else 'None'}, "
            f"stride={stride}, padding={padding}, dilation={dilation}, groups={groups})")


@pytest.mark.exercise(1)
class TestConvolution:
    def test_conv_output_size_matches_the_shape_f_conv2d_returns(self):
        ex = lab.exercise(1)
        rng = random.Random(0)
        for _ in range(60):
            size, k, s, p, d = rng.randint(1, 20), rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 3)
            if d * (k - 1) + 1 > size + 2 * p:
                continue
            expected = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]
            try:
                got = ex.conv_output_size(size, k, s, p, d)
            except ValueError as err:
                raise AssertionError(
                    f"conv_output_size({size}, kernel_size={k}, stride={s}, padding={p}, dilation={d}) raised ValueError ({err}); "
                    f"the kernel fits (it spans {d * (k - 1) + 1} of {size + 2 * p} padded pixels) and F.conv2d produces {expected}"
                ) from None
            assert got == expected, (
                f"conv_output_size({size}, kernel_size={k}, stride={s}, padding={p}, dilation={d}) returned {got}; "
                f"F.conv2d produces {expected}"
            )

    def test_conv_output_size_of_a_kernel_that_exactly_fills_the_input_is_one(self):
        ex = lab.exercise(1)
        for args in [(5, 5, 1, 0, 1), (3, 5, 2, 1, 1), (5, 3, 1, 0, 2), (1, 1, 3, 0, 1)]:
            size, k, s, p, d = args
            try:
                got = ex.conv_output_size(*args)
            except ValueError as err:
                raise AssertionError(
                    f"conv_output_size{args} raised ValueError ({err}); a kernel spanning exactly the {size + 2 * p} padded "
                    "pixels fits once: the output has length 1 (the check must be span > padded, not >=)"
                ) from None
            assert got == 1, f"conv_output_size{args} returned {got}; the dilated kernel exactly fills the padded input, so 1"

    def test_conv_output_size_rejects_a_kernel_that_does_not_fit(self):
        ex = lab.exercise(1)
        for args in [(3, 5, 1, 0, 1), (5, 3, 1, 0, 3)]:
            try:
                got = ex.conv_output_size(*args)
            except ValueError:
                continue
            raise AssertionError(f"conv_output_size{args} returned {got!r}; the dilated kernel does not fit, expected ValueError")

    def test_receptive_field_of_known_stacks(self):
        ex = lab.exercise(1)
        known = {(): 1, ((3, 1, 1), (3, 1, 1)): 5, ((3, 1, 1), (2, 2, 1), (3, 1, 1)): 8,
                 ((3, 1, 1), (3, 1, 2), (3, 1, 4)): 15, ((7, 2, 1), (3, 2, 1)): 11}
        for layers, expected in known.items():
            got = ex.receptive_field(list(layers))
            assert got == expected, f"receptive_field({list(layers)}) returned {got}; expected {expected}"

    def test_receptive_field_equals_the_span_autograd_finds(self):
        ex = lab.exercise(1)
        rng = random.Random(1)
        for _ in range(12):
            layers = [(rng.randint(1, 4), rng.randint(1, 2), rng.randint(1, 2)) for _ in range(rng.randint(1, 4))]
            # Oracle: a stack of all-ones 1-D convolutions; the input positions one output unit depends on.
            x = torch.ones(1, 1, 200, dtype=torch.float64, requires_grad=True)
            y = x
            for k, s, d in layers:
                y = F.conv1d(y, torch.ones(1, 1, k, dtype=torch.float64), stride=s, dilation=d)
            y[0, 0, y.shape[-1] // 2].backward()
            touched = x.grad[0, 0].nonzero().flatten()
            expected = int(touched.max() - touched.min() + 1)
            got = ex.receptive_field(layers)
            assert got == expected, (
                f"receptive_field({layers}) returned {got}; one output unit of that stack depends on a span of "
                f"{expected} input pixels (measured with autograd)"
            )

    def test_conv2d_forward_matches_f_conv2d(self):
        ex = lab.exercise(1)
        for case in CONV_CASES:
            x, weight, bias, kw = _conv_inputs(case)
            expected = F.conv2d(x, weight, bias, **kw)
            with forbid(*NO_LIBRARY_CONV, why=WHY_CONV):
                got = ex.conv2d(x, weight, bias, **kw)
            assert tuple(got.shape) == tuple(expected.shape), f"{_describe(case)} has shape {tuple(got.shape)}; F.conv2d gives {tuple(expected.shape)}"
            close(got, expected, f"{_describe(case)} differs from F.conv2d")

    def test_conv2d_on_a_non_contiguous_float32_input(self):
        ex = lab.exercise(1)
        x = torch.randn(3, 8, 6, 2).permute(0, 3, 1, 2)  # (3, 2, 8, 6), channels-last in memory
        weight = torch.randn(5, 2, 3, 3)
        expected = F.conv2d(x, weight, padding=1)
        with forbid(*NO_LIBRARY_CONV, why=WHY_CONV):
            got = ex.conv2d(x, weight, padding=1)
        close(got, expected, "conv2d on a permuted (non-contiguous) float32 input differs from F.conv2d", atol=1e-5, rtol=1e-5)

    def test_conv2d_on_a_non_contiguous_weight_and_input(self):
        ex = lab.exercise(1)
        g = torch.Generator().manual_seed(4)
        cases = [  # (groups, stride, padding, dilation)
            (1, 1, 1, 1),
            (2, (2, 1), (0, 1), (1, 2)),
        ]
        for groups, stride, padding, dilation in cases:
            # weight (6, 4 // groups, 3, 3) as a transpose of a (4 // groups, 6, 3, 3) tensor; x a strided slice.
            weight = torch.randn(4 // groups, 6, 3, 3, generator=g, dtype=torch.float64).transpose(0, 1).requires_grad_(True)
            x = torch.randn(2, 4, 9, 20, generator=g, dtype=torch.float64)[..., ::2].requires_grad_(True)
            bias = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
            kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
            what = (f"conv2d(x (2, 4, 9, 10) a strided slice, weight (6, {4 // groups}, 3, 3) a transpose (both non-contiguous), "
                    f"stride={stride}, padding={padding}, dilation={dilation}, groups={groups})")
            expected = F.conv2d(x, weight, bias, **kw)
            upstream = torch.randn(expected.shape, generator=g, dtype=torch.float64)
            expected_grads = torch.autograd.grad(expected, (x, weight, bias), upstream)
            try:
                with forbid(*NO_LIBRARY_CONV, why=WHY_CONV):
                    got = ex.conv2d(x, weight, bias, **kw)
                    got_grads = torch.autograd.grad(got, (x, weight, bias), upstream)
            except RuntimeError as err:
                raise AssertionError(
                    f"{what} raised RuntimeError where F.conv2d works: {str(err).splitlines()[0]}. "
                    "A .view of a non-contiguous tensor fails; use .reshape (or .contiguous() first)"
                ) from None
            close(got, expected, f"{what} differs from F.conv2d")
            for name, a, b in zip(("x", "weight", "bias"), got_grads, expected_grads):
                close(a, b, f"{what}: the gradient with respect to {name} differs from F.conv2d's")

    def test_conv2d_rejects_a_weight_whose_channels_do_not_match_groups(self):
        ex = lab.exercise(1)
        bad = [  # (x channels, weight shape, groups, what is wrong)
            (4, (8, 3, 3, 3), 1, "C_in is 4 but weight.shape[1] * groups is 3"),
            (4, (8, 1, 3, 3), 2, "C_in is 4 but weight.shape[1] * groups is 2"),
            (4, (6, 1, 3, 3), 4, "C_out = 6 is not divisible by groups = 4"),
            (6, (6, 2, 3, 3), 2, "C_in is 6 but weight.shape[1] * groups is 4"),
        ]
        for c_in, wshape, groups, why in bad:
            x = torch.randn(1, c_in, 6, 6)
            weight = torch.randn(*wshape)
            try:
                with forbid(*NO_LIBRARY_CONV, why=WHY_CONV):
                    out = ex.conv2d(x, weight, groups=groups)
            except ValueError:
                continue
            except NotImplementedError:
                raise
            except Exception as err:  # noqa: BLE001 - any other failure is the wrong one
                raise AssertionError(
                    f"conv2d(x with {c_in} channels, weight {wshape}, groups={groups}) raised {type(err).__name__} "
                    f"({str(err).splitlines()[0][:120]}); expected a ValueError saying the shapes do not fit ({why}): "
                    "check the channel counts against groups before unfolding"
                ) from None
            raise AssertionError(
                f"conv2d(x with {c_in} channels, weight {wshape}, groups={groups}) returned shape {tuple(out.shape)}; "
                f"expected ValueError ({why})"
            )

    def test_conv2d_gradients_match_f_conv2d(self):
        ex = lab.exercise(1)
        for case in CONV_CASES:
            x, weight, bias, kw = _conv_inputs(case, seed=1)
            inputs = (x, weight) + ((bias,) if bias is not None else ())
            expected_out = F.conv2d(x, weight, bias, **kw)
            upstream = torch.randn(expected_out.shape, dtype=torch.float64)
            expected = torch.autograd.grad(expected_out, inputs, upstream)
            with forbid(*NO_LIBRARY_CONV, why=WHY_CONV):
                got_out = ex.conv2d(x, weight, bias, **kw)
                assert got_out.requires_grad, f"{_describe(case)} returned a tensor autograd cannot differentiate"
                got = torch.autograd.grad(got_out, inputs, upstream)
            for name, a, b in zip(("x", "weight", "bias"), got, expected):
                close(a, b, f"{_describe(case)}: the gradient with respect to {name} differs from F.conv2d's")

    def test_conv_as_matrix_reproduces_the_convolution_and_is_sparse(self):
        ex = lab.exercise(1)
        weight = torch.randn(3, 2, 3, 3, dtype=torch.float64)
        with forbid(*NO_LIBRARY_CONV, why=WHY_CONV):
            m = ex.conv_as_matrix(weight, 5, 6)
        assert tuple(m.shape) == (3 * 3 * 4, 2 * 5 * 6), f"conv_as_matrix(weight (3, 2, 3, 3), 5, 6) has shape {tuple(m.shape)}; expected (36, 60)"
        for _ in range(3):
            x = torch.randn(2, 5, 6, dtype=torch.float64)
            close(m @ x.reshape(-1), F.conv2d(x[None], weight).reshape(-1), "conv_as_matrix(w, 5, 6) @ x.reshape(-1) differs from F.conv2d(x[None], w).reshape(-1)")
        per_row = (m != 0).sum(1)
        assert bool((per_row == 2 * 9).all()), f"every row of the matrix should hold the 18 weights of one filter; counts were {per_row.unique().tolist()}"


# ---------------------------------------------------------------------------------------------
# Exercise 2: architectures
# ---------------------------------------------------------------------------------------------


def _manual_basic(block, x):
    out = block.bn2(block.conv2(block.act(block.bn1(block.conv1(x)))))
    if block.shortcut is not None:
        out = out + block.shortcut(x)
    return block.act(out)


class _Boom(nn.Module):
    """A layer whose forward always raises: for the "even on an error" contracts."""

    def forward(self, x):
        raise RuntimeError("boom: this test's model raises in its forward pass")


def _randomise_bn(model):
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)


@pytest.mark.exercise(2)
class TestArchitectures:
    def test_lenet_layers_shapes_and_parameter_count(self):
        ex = lab.exercise(2)
        for c, nc, s, hidden in [(1, 10, 28, 84), (3, 7, 32, 50), (1, 10, 8, 84)]:
            model = ex.LeNet(c, nc, s, hidden)
            out = model(torch.randn(2, c, s, s))
            assert tuple(out.shape) == (2, nc), f"LeNet({c}, {nc}, {s}, {hidden}) returned shape {tuple(out.shape)}; expected (2, {nc})"
            expected = (c * 6 * 25 + 6) + (6 * 16 * 25 + 16) + (16 * (s // 4) ** 2 * hidden + hidden) + (hidden * nc + nc)
            got = sum(p.numel() for p in model.parameters())
            assert got == expected, f"LeNet({c}, {nc}, {s}, {hidden}) has {got} parameters; the layers described in its docstring have {expected}"
            assert isinstance(model.conv1, nn.Conv2d) and model.conv1.kernel_size == (5, 5) and model.conv1.padding == (2, 2), (
                "LeNet.conv1 must be a 5x5 nn.Conv2d with padding 2"
            )

    def test_lenet_forward_is_conv_act_max_pool_twice_then_fc_act_fc(self):
        ex = lab.exercise(2)
        model = ex.LeNet(1, 10, 12, 20).double()
        x = torch.randn(3, 1, 12, 12, dtype=torch.float64)
        h = F.max_pool2d(F.relu(model.conv1(x)), 2)
        h = F.max_pool2d(F.relu(model.conv2(h)), 2)
        expected = model.fc2(F.relu(model.fc1(h.flatten(1))))
        got = model(x)
        a = F.avg_pool2d(F.relu(model.conv2(F.avg_pool2d(F.relu(model.conv1(x)), 2))), 2)
        if torch.allclose(got, model.fc2(F.relu(model.fc1(a.flatten(1))))):
            diagnosis = "yours average-pools: use max pooling (nn.MaxPool2d(2))"
        elif torch.allclose(got, model.fc2(model.fc1(h.flatten(1)))):
            diagnosis = "yours has no activation between fc1 and fc2, so the two layers collapse into one linear map"
        else:
            diagnosis = "max pooling after each conv's activation, and the activation between fc1 and fc2"
        close(got, expected, "LeNet(1, 10, 12, 20).forward should compute fc2(act(fc1(flatten(maxpool(act(conv2("
              f"maxpool(act(conv1(x)))))))))): {diagnosis}")

    def test_basic_block_shapes_and_shortcut_kind(self):
        ex = lab.exercise(2)
        for c_in, c_out, stride, projection in [(8, 8, 1, False), (8, 16, 1, True), (8, 8, 2, True), (4, 12, 2, True)]:
            block = ex.BasicBlock(c_in, c_out, stride)
            out = block(torch.randn(2, c_in, 9, 9))
            side = (9 + stride - 1) // stride
            assert tuple(out.shape) == (2, c_out, side, side), f"BasicBlock({c_in}, {c_out}, stride={stride}) gave {tuple(out.shape)}; expected {(2, c_out, side, side)}"
            if projection:
                convs = [m for m in block.shortcut.modules() if isinstance(m, nn.Conv2d)]
                assert len(convs) == 1 and convs[0].kernel_size == (1, 1) and convs[0].stride == (stride, stride) and convs[0].bias is None, (
                    f"BasicBlock({c_in}, {c_out}, stride={stride}).shortcut must be a projection: a bias-free 1x1 conv with stride {stride}, then BatchNorm"
                )
                assert any(isinstance(m, nn.BatchNorm2d) for m in block.shortcut.modules()), "the projection shortcut needs a BatchNorm2d after its 1x1 conv"
            else:
                assert isinstance(block.shortcut, nn.Identity), f"BasicBlock({c_in}, {c_out}, stride=1).shortcut should be nn.Identity(); got {block.shortcut!r}"
            assert block.conv1.bias is None and block.conv2.bias is None, "the block's convolutions must have no bias (BatchNorm follows them)"
            assert block.conv1.stride == (stride, stride) and block.conv2.stride == (1, 1), (
                f"BasicBlock({c_in}, {c_out}, stride={stride}): conv1 has stride {block.conv1.stride} and conv2 {block.conv2.stride}; "
                f"only the first 3x3 convolution strides ({stride}), the second has stride 1")
        assert ex.BasicBlock(8, 16, 2, skip=False).shortcut is None, "BasicBlock(..., skip=False).shortcut should be None"

    def test_basic_block_forward_order_with_and_without_skip(self):
        ex = lab.exercise(2)
        for skip, c_in, c_out, stride in [(True, 6, 6, 1), (True, 6, 10, 2), (False, 6, 6, 1)]:
            block = ex.BasicBlock(c_in, c_out, stride, skip=skip).double()
            _randomise_bn(block)
            block.eval()
            x = torch.randn(2, c_in, 8, 8, dtype=torch.float64)
            close(block(x), _manual_basic(block, x),
                  f"BasicBlock({c_in}, {c_out}, stride={stride}, skip={skip}) in eval mode should compute "
                  "act(bn2(conv2(act(bn1(conv1(x))))) + shortcut(x))")

    def test_residual_block_with_zero_last_bn_is_relu_of_its_input(self):
        ex = lab.exercise(2)
        block = ex.BasicBlock(5, 5).eval()
        nn.init.zeros_(block.bn2.weight)
        nn.init.zeros_(block.bn2.bias)
        x = torch.randn(3, 5, 6, 6)
        close(block(x), F.relu(x), "a BasicBlock whose last BatchNorm outputs zeros should return relu(x): the identity path")

    def test_bottleneck_shapes_stride_placement_and_forward(self):
        ex = lab.exercise(2)
        for c_in, width, stride in [(16, 4, 1), (8, 4, 2), (32, 8, 1)]:
            block = ex.Bottleneck(c_in, width, stride).double()
            _randomise_bn(block)
            block.eval()
            x = torch.randn(2, c_in, 8, 8, dtype=torch.float64)
            out = block(x)
            side = 8 // stride
            assert tuple(out.shape) == (2, width * 4, side, side), f"Bottleneck({c_in}, {width}, {stride}) gave {tuple(out.shape)}; expected {(2, width * 4, side, side)}"
            assert block.conv1.kernel_size == (1, 1) and block.conv3.kernel_size == (1, 1) and block.conv2.stride == (stride, stride), (
                "Bottleneck: conv1 and conv3 are 1x1, the stride sits on the 3x3 conv2"
            )
            expected = block.bn3(block.conv3(block.act(block.bn2(block.conv2(block.act(block.bn1(block.conv1(x))))))))
            expected = block.act(expected + block.shortcut(x))
            close(out, expected, f"Bottleneck({c_in}, {width}, {stride}) forward does not follow conv-BN-act x3 + shortcut, then act")
        assert isinstance(ex.Bottleneck(16, 4).shortcut, nn.Identity), "Bottleneck(16, 4) maps 16 channels to 16: its shortcut should be nn.Identity()"

    def test_small_resnet_structure_and_output(self):
        ex = lab.exercise(2)
        model = ex.SmallResNet(3, 7, (8, 16, 32), blocks_per_stage=2)
        out = model(torch.randn(2, 3, 16, 16))
        assert tuple(out.shape) == (2, 7), f"SmallResNet(3, 7, (8, 16, 32), 2) gave {tuple(out.shape)}; expected (2, 7)"
        blocks = [m for m in model.modules() if isinstance(m, ex.BasicBlock)]
        assert len(blocks) == 6, f"SmallResNet with 3 stages of 2 blocks should hold 6 BasicBlocks; found {len(blocks)}"
        strides = [b.conv1.stride[0] for b in blocks]
        assert strides == [1, 1, 2, 1, 2, 1], f"block strides were {strides}; the first block of every stage but the first has stride 2"
        assert model.fc.in_features == 32, f"fc should take the last width (32) features; it takes {model.fc.in_features}"
        expected = sum(p.numel() for p in lab.reference(2).SmallResNet(3, 7, (8, 16, 32), 2).parameters())
        got = sum(p.numel() for p in model.parameters())
        assert got == expected, f"SmallResNet(3, 7, (8, 16, 32), 2) has {got} parameters; the architecture in its docstring has {expected}"
        plain = ex.SmallResNet(1, 10, (8, 16), skip=False, activation=nn.SiLU)
        assert all(b.shortcut is None for b in plain.modules() if isinstance(b, ex.BasicBlock)), "skip=False must reach every block"
        assert not any(isinstance(m, nn.ReLU) for m in plain.modules()), "activation=nn.SiLU must be used everywhere, the stem included"

    def test_small_resnet_forward_is_stem_stages_global_average_pool_fc(self):
        ex = lab.exercise(2)
        model = ex.SmallResNet(2, 5, (4, 8)).double()
        _randomise_bn(model)
        model.eval()
        x = torch.randn(3, 2, 8, 8, dtype=torch.float64)
        features = model.stages(model.stem(x))
        expected = model.fc(features.mean((2, 3)))
        close(model(x), expected, "SmallResNet.forward should be fc(mean over height and width of stages(stem(x))): "
              "global *average* pooling, then the linear layer")

    def test_count_parameters_total_and_trainable(self):
        ex = lab.exercise(2)
        shared_layer = nn.Linear(4, 4)
        model = nn.Sequential(nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5), shared_layer, shared_layer)
        model[0].weight.requires_grad_(False)
        total = sum(p.numel() for p in model.parameters())
        assert ex.count_parameters(model) == total, f"count_parameters gave {ex.count_parameters(model)}; expected {total} (a shared layer counts once)"
        trainable = total - model[0].weight.numel()
        got = ex.count_parameters(model, trainable_only=True)
        assert got == trainable, f"count_parameters(trainable_only=True) gave {got}; expected {trainable}"

    def test_count_flops_matches_flop_counter_mode(self):
        from torch.utils.flop_counter import FlopCounterMode

        ex = lab.exercise(2)
        ref = lab.reference(2)
        models = {
            "a grouped, strided conv stack": (nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2), nn.ReLU(),
                                                            nn.Conv2d(8, 6, (1, 3), dilation=2), nn.Flatten(), nn.LazyLinear(5)), (2, 4, 12, 12)),
            "the reference SmallResNet(3, 10, (8, 16), 2)": (ref.SmallResNet(3, 10, (8, 16), 2), (1, 3, 16, 16)),
            "the reference LeNet(1, 10, 28)": (ref.LeNet(1, 10, 28), (3, 1, 28, 28)),
        }
        for name, (model, shape) in models.items():
            model.eval()
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                model(torch.zeros(shape))
            expected = counter.get_total_flops()
            with forbid("torch.utils.flop_counter.FlopCounterMode", why="Exercise 2 asks you to count the FLOPs yourself"):
                got = ex.count_flops(model, shape)
            assert got == expected, f"count_flops({name}, {shape}) returned {got}; FlopCounterMode counts {expected}"
            hooks = sum(len(m._forward_hooks) for m in model.modules())
            assert hooks == 0, f"count_flops left {hooks} forward hooks on the model; remove them"

    def test_count_flops_leaves_the_model_as_it_found_it(self):
        ex = lab.exercise(2)
        ref = lab.reference(2)
        model = ref.SmallResNet(1, 10, (8, 16))
        _randomise_bn(model)
        model.train()
        before = {k: v.clone() for k, v in model.state_dict().items()}
        ex.count_flops(model, (2, 1, 8, 8))
        modes = {name or "the model": m.training for name, m in model.named_modules()}
        left = [name for name, training in modes.items() if not training]
        assert not left, (f"count_flops left {left[:3]} in eval mode; the model was in train mode: "
                          "restore the mode it was in (model.train(was_training)), in a finally block")
        changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
        assert not changed, (f"count_flops changed {changed[:3]}: counting must not update BatchNorm statistics; "
                             "run the forward pass in eval mode, under torch.no_grad()")
        model.eval()
        ex.count_flops(model, (1, 1, 8, 8))
        assert not model.training, "count_flops put a model that was in eval mode back in train mode"

    def test_count_flops_removes_its_hooks_when_the_forward_raises(self):
        ex = lab.exercise(2)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), _Boom())
        model.train()
        try:
            ex.count_flops(model, (1, 1, 6, 6))
        except RuntimeError as err:
            if "boom" not in str(err):
                raise
        else:
            raise AssertionError("count_flops on a model whose forward raises RuntimeError returned normally; let the error through")
        hooks = sum(len(m._forward_hooks) for m in model.modules())
        assert hooks == 0, (f"count_flops left {hooks} forward hooks on the model when its forward raised; "
                            "remove them in a finally block")
        assert model.training, "count_flops left the model in eval mode when its forward raised; restore the mode in a finally block"


# ---------------------------------------------------------------------------------------------
# Exercise 3: training on real images
# ---------------------------------------------------------------------------------------------


def _shifted(img: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    c, h, w = img.shape
    out = torch.zeros_like(img)
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = img[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


@pytest.mark.exercise(3)
class TestTraining:
    def test_random_shift_moves_each_image_by_an_allowed_offset(self):
        ex = lab.exercise(3)
        x = torch.rand(300, 2, 6, 7) + 0.1  # no zeros inside: a shift is identifiable
        for max_shift in (1, 2):
            out = ex.random_shift(x, max_shift, generator=torch.Generator().manual_seed(0))
            assert tuple(out.shape) == tuple(x.shape), f"random_shift(x {tuple(x.shape)}, {max_shift}) has shape {tuple(out.shape)}"
            seen = set()
            for i in range(len(x)):
                match = [(dy, dx) for dy in range(-max_shift, max_shift + 1) for dx in range(-max_shift, max_shift + 1)
                         if torch.equal(out[i], _shifted(x[i], dy, dx))]
                assert match, (f"random_shift(x, {max_shift}): image {i} is not x[{i}] shifted by any (dy, dx) in "
                               f"[-{max_shift}, {max_shift}]^2 with zeros filled in (all channels move together)")
                seen.add(match[0])
            n = (2 * max_shift + 1) ** 2
            assert len(seen) == n, f"random_shift(x, {max_shift}) used {len(seen)} of the {n} possible shifts over 300 images"

    def test_random_shift_zero_is_a_copy_and_a_generator_makes_it_reproducible(self):
        ex = lab.exercise(3)
        x = torch.rand(5, 1, 4, 4)
        out = ex.random_shift(x, 0)
        assert torch.equal(out, x) and out.data_ptr() != x.data_ptr(), "random_shift(x, 0) should return an unchanged copy"
        a = ex.random_shift(x, 1, generator=torch.Generator().manual_seed(7))
        b = ex.random_shift(x, 1, generator=torch.Generator().manual_seed(7))
        assert torch.equal(a, b), "random_shift with two generators seeded alike gave different results: draw from `generator`"
        wide = torch.rand(6, 8, 5, 3)
        y = wide.permute(0, 3, 1, 2)[:, ::2]  # (6, 2, 8, 5), non-contiguous
        kept = y.clone()
        got = ex.random_shift(y, 2, generator=torch.Generator().manual_seed(3))
        want = ex.random_shift(y.contiguous(), 2, generator=torch.Generator().manual_seed(3))
        assert torch.equal(y, kept), "random_shift modified its input; it must return a new tensor"
        assert torch.equal(got, want), "random_shift on a non-contiguous (permuted, sliced) input differs from the same call on a contiguous copy"

    def test_confusion_matrix_matches_sklearn(self):
        from sklearn.metrics import confusion_matrix as sk_confusion

        ex = lab.exercise(3)
        g = torch.Generator().manual_seed(0)
        for n, c in [(50, 3), (200, 10), (7, 5)]:
            targets = torch.randint(0, c, (n,), generator=g)
            preds = torch.randint(0, c, (n,), generator=g)
            got = ex.confusion_matrix(preds, targets, c)
            expected = torch.as_tensor(sk_confusion(targets.numpy(), preds.numpy(), labels=list(range(c))), dtype=torch.int64)
            if got.dtype == torch.int64 and torch.equal(got, expected):
                continue
            hint = ("it is the transpose: rows must be the true class, columns the predicted one"
                    if tuple(got.shape) == tuple(expected.shape) and torch.equal(got.to(torch.int64), expected.T)
                    else f"dtype {got.dtype} (expected torch.int64), shape {tuple(got.shape)}")
            raise AssertionError(
                f"confusion_matrix(preds, targets, {c}) on {n} samples differs from sklearn.metrics.confusion_matrix(targets, preds): "
                f"{hint}\nyours:\n{got}\nsklearn (rows true, columns predicted):\n{expected}"
            )

    def test_predict_and_accuracy_use_eval_mode_and_restore_it(self):
        ex = lab.exercise(3)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
        model[1].running_mean.fill_(2.0)
        x, y = torch.randn(10, 1, 8, 8), torch.randint(0, 3, (10,))
        model.eval()
        with torch.no_grad():
            expected = model(x).argmax(1)
        model.train()
        got = ex.predict(model, x, batch_size=3)
        assert torch.equal(got, expected), f"predict(model, x, batch_size=3) gave {got.tolist()}; the model in eval mode predicts {expected.tolist()}"
        assert model.training, "predict must put the model back in train mode when it found it there"
        try:
            empty = ex.predict(model, x[:0])
        except (RuntimeError, ValueError, IndexError) as err:
            raise AssertionError(f"predict on 0 images raised {type(err).__name__} ({err}); it should return an empty (0,) int64 tensor "
                                 "(torch.cat of an empty list fails: handle N = 0)") from None
        assert tuple(empty.shape) == (0,) and empty.dtype == torch.int64, (
            f"predict on 0 images returned shape {tuple(empty.shape)} dtype {empty.dtype}; expected an empty (0,) int64 tensor")
        acc = ex.accuracy(model, x, y)
        want = (expected == y).float().mean().item()
        assert isinstance(acc, float), f"accuracy returned a {type(acc).__name__} ({acc!r}); it must return a Python float (.item())"
        assert abs(acc - want) < 1e-9, f"accuracy gave {acc}; expected {want}"

    def test_predict_restores_train_mode_when_the_model_raises(self):
        ex = lab.exercise(3)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), _Boom())
        model.train()
        try:
            ex.predict(model, torch.randn(4, 1, 6, 6))
        except RuntimeError as err:
            if "boom" not in str(err):
                raise
        else:
            raise AssertionError("predict on a model whose forward raises RuntimeError returned normally; let the error through")
        assert model.training, ("predict left the model in eval mode when its forward raised; restore the mode it found "
                                "in a finally block")

    def test_train_classifier_shuffles_afresh_every_epoch_in_train_mode(self):
        ex = lab.exercise(3)
        x = torch.arange(10, dtype=torch.float32).view(10, 1, 1, 1).expand(10, 1, 2, 2).contiguous()  # image i is all i
        y = torch.arange(10) % 3

        def run(seed):
            torch.manual_seed(0)
            model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
            model.eval()  # handed over in eval mode: train_classifier must switch to train mode
            seen, modes = [], []

            def record(module, inputs):
                seen.append(inputs[0][:, 0, 0, 0].round().long().tolist())
                modes.append(module.training)

            model.register_forward_pre_hook(record)
            ex.train_classifier(model, x, y, epochs=3, batch_size=4, max_shift=0, seed=seed)
            return seen, modes

        seen, modes = run(0)
        assert all(modes), "train_classifier ran forward passes with the model in eval mode; call model.train() before training"
        sizes = [len(b) for b in seen]
        assert sizes == [4, 4, 2] * 3, (f"train_classifier(10 images, batch_size=4, epochs=3) made batches of sizes {sizes}; "
                                        "expected [4, 4, 2] per epoch (the last, incomplete batch kept)")
        epochs = [sum(seen[3 * e:3 * e + 3], []) for e in range(3)]
        for e, order in enumerate(epochs):
            assert sorted(order) == list(range(10)), f"epoch {e} visited images {order}; every image exactly once per epoch"
        assert len({tuple(o) for o in epochs}) == 3, (
            f"the three epochs visited the images in the orders {epochs}; expected a fresh shuffle every epoch "
            "(one generator seeded once, before the first epoch, not re-seeded each epoch)")
        again, _ = run(0)
        assert again == seen, "two runs with the same seed visited the images in different orders; shuffle with a generator seeded with `seed`"
        other, _ = run(1)
        assert other != seen, "seed=0 and seed=1 visited the images in the same order; the shuffle must come from `seed`"

    def test_train_classifier_steps_adamw_and_one_cycle_once_per_batch(self, monkeypatch):
        ex = lab.exercise(3)
        x, y = torch.randn(40, 1, 2, 2), torch.randint(0, 3, (40,))
        epochs, batch, lr, wd = 3, 16, 2e-3, 0.05
        dummy = torch.zeros(1, requires_grad=True)
        opt = torch.optim.AdamW([dummy], lr=lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * 3)
        expected = []
        for _ in range(epochs * 3):
            expected.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        seen = []
        adam_step = torch.optim.Adam.step

        def spy(self, *args, **kwargs):
            seen.append((self.param_groups[0]["lr"], self.param_groups[0]["weight_decay"]))
            return adam_step(self, *args, **kwargs)

        monkeypatch.setattr(torch.optim.AdamW, "step", spy)
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        ex.train_classifier(model, x, y, epochs=epochs, batch_size=batch, lr=lr, weight_decay=wd, max_shift=0)
        assert seen, ("train_classifier made no torch.optim.AdamW step: the docstring asks for AdamW(lr, weight_decay) "
                      "(decoupled weight decay), stepped once per batch")
        assert len(seen) == epochs * 3, (f"train_classifier(40 images, batch_size=16, epochs=3) made {len(seen)} torch.optim.AdamW "
                                         "steps; expected 9, one per batch (3 batches per epoch, the last one incomplete)")
        assert all(w == wd for _, w in seen), f"AdamW ran with weight_decay {seen[0][1]}; train_classifier was given {wd}"
        lrs = [a for a, _ in seen]
        close(lrs, expected, "the learning rate at each optimizer step does not follow OneCycleLR(max_lr=lr, total_steps=epochs * "
              f"batches per epoch) stepped once per batch: got {[f'{a:.2e}' for a in lrs]}, "
              f"expected {[f'{a:.2e}' for a in expected]}", rtol=1e-9, atol=0)

    def test_train_classifier_epoch_loss_is_the_mean_over_samples(self):
        ex = lab.exercise(3)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        with torch.no_grad():
            model[1].weight.mul_(5.0)
        x, y = torch.randn(33, 1, 2, 2), torch.randint(0, 3, (33,))
        with torch.no_grad():
            expected = F.cross_entropy(model(x), y).item()
        # lr=0: the model never changes, so every epoch's loss is the mean cross-entropy over the 33 images.
        history = ex.train_classifier(model, x, y, epochs=2, batch_size=16, lr=0.0, weight_decay=0.0, max_shift=0)
        assert len(history) == 2, f"train_classifier(epochs=2) returned {len(history)} losses"
        for e, h in enumerate(history):
            assert abs(h - expected) < 1e-5 * max(1.0, expected), (
                f"epoch {e} loss is {h:.6f}; with lr=0 the model is fixed and the mean cross-entropy over the 33 images is "
                f"{expected:.6f}: weigh each batch's loss by its size (batches of 16, 16, 1), do not average the batches")

    def test_train_classifier_zeroes_the_gradients_before_every_backward(self):
        import copy

        ex = lab.exercise(3)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
        oracle = copy.deepcopy(model)
        x, y = torch.randn(20, 1, 2, 2), torch.randint(0, 3, (20,))
        x[:, 0, 0, 0] = torch.arange(20, dtype=torch.float32)  # the first pixel tells which image it is
        batches, grads = [], []
        model.register_forward_pre_hook(lambda m, inputs: batches.append(inputs[0][:, 0, 0, 0].round().long()))
        # lr=0: the model never changes, so each step's gradient is that of its own batch's mean loss.
        ex.train_classifier(model, x, y, epochs=2, batch_size=8, lr=0.0, weight_decay=0.0, max_shift=0,
                            after_step=lambda m: grads.append(None if m[1].weight.grad is None else m[1].weight.grad.detach().clone()))
        assert len(grads) == len(batches) == 6, f"expected 6 steps (2 epochs of batches 8, 8, 4); saw {len(batches)} forward passes and {len(grads)} steps"
        for step, (idx, got) in enumerate(zip(batches, grads)):
            if got is None or not bool(got.any()):
                continue  # zeroed right after the step: fine too
            (want,) = torch.autograd.grad(F.cross_entropy(oracle(x[idx]), y[idx]), oracle[1].weight)
            close(got, want, f"at step {step} the weight's .grad is not the gradient of that batch's mean cross-entropy: "
                  "zero the gradients before every backward (optimizer.zero_grad()), or they add up over the batches",
                  rtol=1e-5, atol=1e-6)

    def test_train_classifier_augments_every_batch_with_random_shift(self):
        ex = lab.exercise(3)
        x = torch.rand(12, 1, 5, 5) + 0.1  # no zeros inside: a shift is identifiable
        y = torch.arange(12) % 3
        seen = []
        model = nn.Sequential(nn.Flatten(), nn.Linear(25, 3))
        model.register_forward_pre_hook(lambda m, inputs: seen.extend(inputs[0].detach().clone()))
        ex.train_classifier(model, x, y, epochs=3, batch_size=5, max_shift=1, seed=0)
        assert len(seen) == 36, f"train_classifier(12 images, epochs=3) ran the model on {len(seen)} images; expected 36"
        shifts = []
        for img in seen:
            found = [(i, dy, dx) for i in range(12) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if torch.equal(img, _shifted(x[i], dy, dx))]
            assert found, "train_classifier fed the model an image that is no training image shifted by at most max_shift=1"
            shifts.append(found[0])
        moved = sum(s[1:] != (0, 0) for s in shifts)
        assert moved >= 12, (f"with max_shift=1 only {moved} of the 36 training images seen were shifted; "
                             "apply random_shift(xb, max_shift, generator) to every training batch")
        per_image: dict[int, set] = {}
        for i, dy, dx in shifts:
            per_image.setdefault(i, set()).add((dy, dx))
        varied = sum(len(v) > 1 for v in per_image.values())
        assert varied >= 6, (f"over 3 epochs only {varied} of the 12 images were ever shifted differently; each epoch must "
                             "draw new shifts (call random_shift on every batch inside the loop, not once on the whole "
                             "training set before it)")

    def test_predict_never_augments(self):
        ex = lab.exercise(3)
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(36, 10))  # position-sensitive: a shift changes the logits
        x = torch.randn(200, 1, 6, 6)
        with torch.no_grad():
            expected = model(x).argmax(1)
        for _ in range(2):
            got = ex.predict(model, x, batch_size=64)
            wrong = int((got != expected).sum())
            assert wrong == 0, (f"predict disagrees with argmax(model(x)) on {wrong} of 200 images: evaluation must see the "
                                "images as they are (random_shift is a training-time augmentation only)")

    def test_train_classifier_autocasts_to_bfloat16_on_cpu_when_asked(self):
        ex = lab.exercise(3)
        x, y = torch.randn(24, 1, 2, 2), torch.randint(0, 3, (24,))

        def run(amp):
            torch.manual_seed(0)
            model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
            seen = []
            model[1].register_forward_hook(lambda m, i, out: seen.append((out.dtype, torch.is_autocast_enabled("cpu"))))
            kwargs = {} if amp == "default" else {"amp": amp}
            history = ex.train_classifier(model, x, y, epochs=2, batch_size=8, max_shift=0, device=torch.device("cpu"), **kwargs)
            return model, seen, history

        model, seen, history = run(True)
        assert seen, "train_classifier(amp=True) never ran the model"
        dtypes = sorted({str(d) for d, _ in seen})
        assert all(on for _, on in seen), ("train_classifier(amp=True) on the CPU ran forward passes outside torch.autocast: "
                                           "wrap forward and loss in torch.autocast(device.type, dtype=torch.bfloat16)")
        assert dtypes == ["torch.bfloat16"], (f"train_classifier(amp=True) on the CPU computed the Linear layer in {dtypes}; "
                                              "on a CPU autocast to bfloat16 (float16 and its gradient scaler are for CUDA)")
        params = sorted({str(p.dtype) for p in model.parameters()})
        assert params == ["torch.float32"], (f"after train_classifier(amp=True) the parameters are {params}: mixed precision "
                                             "casts inside autocast only; the parameters (and the optimizer) stay float32")
        assert all(h == h and abs(h) < 1e6 for h in history), f"train_classifier(amp=True) returned losses {history}"
        for amp in (False, "default"):
            _, seen, _ = run(amp)
            dtypes = sorted({str(d) for d, _ in seen})
            call = "amp=False" if amp is False else "amp left at its default"
            assert dtypes == ["torch.float32"] and not any(on for _, on in seen), (
                f"train_classifier({call}) on the CPU computed the Linear layer in {dtypes}"
                f"{' under autocast' if any(on for _, on in seen) else ''}; without amp it runs in float32 "
                "(the default turns mixed precision on only on CUDA)")

    @pytest.mark.gpu
    @pytest.mark.skipif(not torch.cuda.is_available(), reason="the float16 path of train_classifier needs a CUDA GPU")
    def test_train_classifier_uses_float16_and_a_grad_scaler_on_cuda(self, monkeypatch):
        ex = lab.exercise(3)
        device = torch.device("cuda")
        x, y = torch.randn(24, 1, 2, 2), torch.randint(0, 3, (24,))
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).to(device)
        seen, scaled = [], []
        model[1].register_forward_hook(lambda m, i, out: seen.append(out.dtype))
        scale = torch.amp.GradScaler.scale

        def spy(self, outputs):
            scaled.append(self.is_enabled())
            return scale(self, outputs)

        monkeypatch.setattr(torch.amp.GradScaler, "scale", spy)
        history = ex.train_classifier(model, x, y, epochs=2, batch_size=8, max_shift=0, device=device)
        assert seen and all(d == torch.float16 for d in seen), (
            f"train_classifier on CUDA (amp at its default) computed the Linear layer in {sorted({str(d) for d in seen})}; "
            "the default on CUDA is autocast to float16")
        assert scaled and all(scaled), "train_classifier on CUDA with float16 must scale the loss with an enabled torch.amp.GradScaler"
        assert all(p.dtype == torch.float32 for p in model.parameters()), "the parameters must stay float32 under mixed precision"
        assert all(h == h for h in history), f"train_classifier on CUDA returned losses {history}"

    @pytest.mark.timeout(60)
    def test_train_classifier_learns_digits_from_a_small_subset(self):
        from shared.datasets import load_digits

        ex = lab.exercise(3)
        ref = lab.reference(2)
        xtr, ytr = load_digits("train")
        xte, yte = load_digits("test")
        xtr, ytr = xtr[:500], ytr[:500]
        torch.manual_seed(0)
        model = ref.SmallResNet(1, 10, (16, 32))
        calls = []
        history = ex.train_classifier(model, xtr, ytr, epochs=6, batch_size=32, lr=5e-3, seed=0,
                                      after_step=lambda m: calls.append(1))
        assert model.training, "train_classifier should leave the model in train mode"
        assert len(history) == 6, f"train_classifier(epochs=6) returned {len(history)} losses; expected one per epoch"
        assert history[-1] < 0.5 * history[0], f"the epoch losses {[round(h, 3) for h in history]} did not halve"
        assert len(calls) == 6 * 16, f"after_step ran {len(calls)} times; expected once per optimizer step (6 epochs x 16 batches of 32)"
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        assert acc >= 0.85, f"after 6 epochs on 500 digits the test accuracy is {acc:.1%}; the reference loop reaches about 93%"

    def test_train_classifier_leaves_frozen_parameters_alone(self):
        ex = lab.exercise(3)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        model[0].requires_grad_(False)
        before = model[0].weight.clone()
        x, y = torch.randn(40, 1, 6, 6), torch.randint(0, 3, (40,))
        ex.train_classifier(model, x, y, epochs=2, batch_size=16, weight_decay=0.1)
        assert torch.equal(model[0].weight, before), "a parameter with requires_grad=False changed during training (weight decay included)"


# ---------------------------------------------------------------------------------------------
# Exercise 4: surgery
# ---------------------------------------------------------------------------------------------


@pytest.mark.exercise(4)
class TestSurgery:
    def test_remove_skip_connections_on_a_copy(self):
        ex = lab.exercise(4)
        ref = lab.reference(2)
        model = ref.SmallResNet(1, 10, (8, 16), blocks_per_stage=2)
        before = sum(p.numel() for p in model.parameters())
        new, n = ex.remove_skip_connections(model)
        assert n == 4, f"remove_skip_connections reported {n} blocks changed; the model has 4 residual blocks"
        assert new is not model, "remove_skip_connections must return a copy"
        assert all(b.shortcut is not None for b in model.modules() if isinstance(b, ref.BasicBlock)), "the original model lost its shortcuts"
        assert all(b.shortcut is None for b in new.modules() if isinstance(b, ref.BasicBlock)), "some blocks of the copy still have a shortcut"
        projection = sum(p.numel() for b in model.modules() if isinstance(b, ref.BasicBlock) and not isinstance(b.shortcut, nn.Identity) for p in b.shortcut.parameters())
        after = sum(p.numel() for p in new.parameters())
        assert after == before - projection, f"the copy has {after} parameters; expected {before} - {projection} (the projections go)"
        new.eval()
        x = torch.randn(2, 1, 8, 8)
        block = [b for b in new.modules() if isinstance(b, ref.BasicBlock)][0]
        close(block(x.expand(2, 8, 8, 8).contiguous()), block.act(block.bn2(block.conv2(block.act(block.bn1(block.conv1(x.expand(2, 8, 8, 8).contiguous())))))),
              "a block without its shortcut should compute the plain stack")
        _, again = ex.remove_skip_connections(new)
        assert again == 0, f"a model with no shortcuts left reported {again} blocks changed; expected 0"

    def test_swap_activation_everywhere_and_only_in_the_copy(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Tanh()), nn.Linear(4, 2),
                              nn.Sequential(nn.ReLU()))
        new, n = ex.swap_activation(model, nn.ReLU, nn.SiLU)
        assert n == 3, f"swap_activation reported {n} replacements; the model holds 3 nn.ReLU modules"
        assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 3, "the original model was modified"
        assert not any(isinstance(m, nn.ReLU) for m in new.modules()), "the copy still holds an nn.ReLU"
        x = torch.randn(5, 3)
        expected = F.silu(new[3](torch.tanh(F.silu(new[2][0](F.silu(new[0](x)))))))
        close(new(x), expected, "the swapped model does not compute SiLU where ReLU was")

    def test_swap_activation_builds_a_fresh_module_per_replacement(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 4), nn.ReLU()), nn.ReLU())
        new, n = ex.swap_activation(model, nn.ReLU, nn.PReLU)
        prelus = [m for m in new.modules() if isinstance(m, nn.PReLU)]
        assert n == 3 and len(prelus) == 3, (f"swap_activation(ReLU -> PReLU) reported {n} replacements and the copy holds "
                                             f"{len(prelus)} distinct PReLU modules; expected 3 and 3")
        assert len({id(m.weight) for m in prelus}) == 3, (
            "swap_activation put one module in several places: call new() once per replacement, so that "
            "modules with parameters (PReLU) or state do not end up shared")

    def test_magnitude_prune_with_tied_magnitudes_prunes_exactly_round_amount_total(self):
        ex = lab.exercise(4)
        g = torch.Generator().manual_seed(5)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(12, 3))
        with torch.no_grad():
            for m in (model[0], model[2]):
                m.weight.copy_(torch.randint(-3, 4, m.weight.shape, generator=g).float())  # many equal |w|
        total = 18 + 36
        for amount in (0.35, 0.5, 0.9):
            k = round(amount * total)
            new, masks = ex.magnitude_prune(model, amount)
            pruned = sum(int((~m).sum()) for m in masks.values())
            assert pruned == k, (f"magnitude_prune(amount={amount}) on {total} weights with many tied magnitudes pruned {pruned}; "
                                 f"expected exactly round({amount} * {total}) = {k} (a threshold prunes every tie; pick an exact count)")
            kept = torch.cat([model[int(n)].weight.detach().abs()[masks[n]] for n in masks])
            gone = torch.cat([model[int(n)].weight.detach().abs()[~masks[n]] for n in masks])
            assert float(gone.max()) <= float(kept.min()), (
                f"magnitude_prune(amount={amount}) pruned a weight of magnitude {float(gone.max())} while keeping one of "
                f"{float(kept.min())}; prune the smallest |w| globally")

    def test_magnitude_prune_matches_torch_global_unstructured(self):
        import copy

        import torch.nn.utils.prune as prune

        ex = lab.exercise(4)
        ref = lab.reference(2)
        for amount in (0.2, 0.5, 0.0):
            model = ref.SmallResNet(1, 10, (8, 16))
            oracle = copy.deepcopy(model)
            layers = [(m, "weight") for m in oracle.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
            prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=amount)
            names = [n for n, m in oracle.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
            expected = {n: dict(oracle.named_modules())[n].weight_mask.bool() for n in names}
            original = {n: p.clone() for n, p in model.named_parameters()}
            with forbid("torch.nn.utils.prune.global_unstructured", "torch.nn.utils.prune.l1_unstructured",
                        "torch.nn.utils.prune.L1Unstructured.compute_mask", why="Exercise 4 asks you to prune by hand"):
                new, masks = ex.magnitude_prune(model, amount)
            assert sorted(masks) == sorted(names), f"magnitude_prune masks have keys {sorted(masks)}; expected {sorted(names)}"
            for n in names:
                assert masks[n].dtype == torch.bool and torch.equal(masks[n], expected[n]), (
                    f"magnitude_prune(amount={amount}): the mask of {n!r} differs from torch.nn.utils.prune.global_unstructured's "
                    f"({int((~masks[n]).sum())} pruned vs {int((~expected[n]).sum())})"
                )
                w = dict(new.named_modules())[n].weight
                close(w, original[n + ".weight"] * expected[n], f"the pruned copy's {n}.weight should be the original times its mask")
            for name, p in model.named_parameters():
                assert torch.equal(p, original[name]), f"magnitude_prune modified the original model's {name}"
            for name, p in new.named_parameters():
                if not name.endswith("weight") or "bn" in name:
                    assert torch.equal(p, original[name]), f"magnitude_prune changed {name}; only conv and linear weights are pruned"
            assert all(not m._forward_pre_hooks for m in new.modules()), "the pruned copy carries forward pre-hooks; return plain tensors"

    def test_apply_masks_zeroes_the_existing_parameters_in_place(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4, 2))
        masks = {"0": torch.rand(3, 2, 3, 3) > 0.3, "3": torch.rand(2, 12) > 0.5}
        params = {name: dict(model.named_modules())[name].weight for name in masks}
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        ex.apply_masks_(model, masks)
        for name, p in params.items():
            assert dict(model.named_modules())[name].weight is p, (
                f"apply_masks_ replaced {name}.weight by a new tensor; zero the existing Parameter in place (an optimizer "
                "created before holds the old one, and would train weights the mask removed)")
            assert bool((p[~masks[name]] == 0).all()), f"apply_masks_ left non-zero weights where the mask of {name!r} is False"
        assert opt.param_groups[0]["params"][0] is params["0"]

    def test_sparsity_counts_only_exact_zeros(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor([0.0, 1e-30, -1e-9, 1e-7, 0.5, 0.0, 2.0, -3.0, 1.0] * 2).view(2, 1, 3, 3))
            model[2].weight.fill_(1e-12)
            model[2].weight[0, :4] = 0.0
        got = ex.sparsity(model)
        assert got == 8 / 34, (f"sparsity gave {got}; 8 of the 34 conv/linear weights are exactly 0.0 (tiny values "
                               "like 1e-30 or 1e-12 are not zero: compare with == 0, not a tolerance)")

    def test_apply_masks_and_sparsity(self):
        ex = lab.exercise(4)
        model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4, 2))
        masks = {"0": torch.rand(3, 2, 3, 3) > 0.3, "3": torch.rand(2, 12) > 0.5}
        ex.apply_masks_(model, masks)
        for name, mask in masks.items():
            w = dict(model.named_modules())[name].weight
            assert bool((w[~mask] == 0).all()), f"apply_masks_ left non-zero weights where the mask of {name!r} is False"
            assert bool((w[mask] != 0).all()), f"apply_masks_ zeroed weights of {name!r} that the mask keeps"
            assert w.is_leaf and w.grad_fn is None, f"apply_masks_ made {name}.weight a non-leaf: do the masking under torch.no_grad()"
        zeros = sum(int((~m).sum()) for m in masks.values())
        total = sum(m.numel() for m in masks.values())
        got = ex.sparsity(model)
        assert abs(got - zeros / total) < 1e-12, f"sparsity gave {got}; {zeros} of the {total} conv/linear weights are zero"
        assert ex.sparsity(nn.Sequential(nn.ReLU())) == 0.0, "sparsity of a model without prunable layers should be 0.0"


# ---------------------------------------------------------------------------------------------
# Exercise 5: transfer and Grad-CAM
# ---------------------------------------------------------------------------------------------


def _oracle_grad_cam(model, layer, x, target):
    store = {}
    handle = layer.register_forward_hook(lambda m, i, o: store.__setitem__("a", o))
    model.eval()
    logits = model(x)
    handle.remove()
    a = store["a"]
    grads = torch.autograd.grad(logits[torch.arange(len(x)), target].sum(), a)[0]
    cam = F.relu((grads.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    return (cam / cam.amax((1, 2), keepdim=True).clamp_min(1e-12)).detach()


class _KnownModel(nn.Module):
    """features: identity 1x1 conv; logits: class 0 = +mean(relu(A)), class 1 = -mean(relu(A))."""

    def __init__(self):
        super().__init__()
        self.features = nn.Conv2d(1, 1, 1, bias=False)
        nn.init.ones_(self.features.weight)
        self.fc = nn.Linear(1, 2, bias=False)
        with torch.no_grad():
            self.fc.weight.copy_(torch.tensor([[1.0], [-1.0]]))

    def forward(self, x):
        return self.fc(F.relu(self.features(x)).mean((2, 3)))


@pytest.mark.exercise(5)
class TestTransfer:
    def test_replace_head(self):
        ex = lab.exercise(5)
        model = lab.reference(2).SmallResNet(1, 10, (8, 16)).double()
        old = model.fc
        new = ex.replace_head(model, 4)
        assert model.fc is new and new is not old, "replace_head must set model.fc to the new layer and return it"
        assert isinstance(new, nn.Linear) and (new.in_features, new.out_features) == (16, 4), f"the new head is {new!r}; expected Linear(16, 4)"
        assert new.weight.dtype == torch.float64, "the new head must take the old head's dtype"
        assert tuple(model(torch.randn(2, 1, 8, 8, dtype=torch.float64)).shape) == (2, 4), "after replace_head(model, 4) the model should output 4 logits"

    def test_freeze_backbone_trains_only_the_head_and_keeps_bn_statistics(self):
        ex = lab.exercise(5)
        model = lab.reference(2).SmallResNet(1, 10, (8, 16))
        _randomise_bn(model)
        x = torch.randn(8, 1, 8, 8)
        model.eval()
        with torch.no_grad():
            expected = model(x)
        model.fc.requires_grad_(False)  # frozen before: freeze_backbone must make the head trainable
        n = ex.freeze_backbone(model)
        head = sum(p.numel() for p in model.fc.parameters())
        assert n == head, (f"freeze_backbone returned {n} trainable parameters; the head has {head} (the head's parameters "
                           "must end with requires_grad=True, even when they were frozen before the call)")
        wrong = [name for name, p in model.named_parameters() if p.requires_grad != name.startswith("fc.")]
        assert not wrong, f"after freeze_backbone these parameters have the wrong requires_grad: {wrong[:4]}"
        left = [name for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
        assert not left, f"after freeze_backbone these backbone BatchNorm2d remain (replace them with FrozenBatchNorm2d): {left[:4]}"
        model.train()
        with torch.no_grad():
            got = model(x)
        close(got, expected, "after freeze_backbone and model.train(), the model must compute what it computed in eval mode "
              "before (frozen BatchNorm normalises with its running statistics and keeps the BN's weight, bias and eps)",
              rtol=1e-5, atol=1e-5)
        buffers = {k: v.clone() for k, v in model.named_buffers()}
        params = {k: v.clone() for k, v in model.named_parameters()}
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
        F.cross_entropy(model(x), torch.randint(0, 10, (8,))).backward()
        opt.step()
        moved = [k for k, v in model.named_buffers() if not torch.equal(v, buffers[k])]
        assert not moved, f"a training step changed the frozen backbone's statistics: {moved[:4]}"
        changed = [k for k, v in model.named_parameters() if not torch.equal(v, params[k])]
        assert changed and all(k.startswith("fc.") for k in changed), f"a training step changed {changed}; only fc.* should change"

    def test_freeze_backbone_keeps_each_batchnorms_own_eps(self):
        from torchvision.ops import FrozenBatchNorm2d

        ex = lab.exercise(5)
        model = lab.reference(2).SmallResNet(1, 10, (8, 16)).double()
        _randomise_bn(model)
        eps = {}
        for i, (name, m) in enumerate((n, m) for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)):
            m.eps = (1e-1, 1e-3)[i % 2]
            m.running_var.mul_(0.01)  # small variances: eps matters
            eps[name] = m.eps
        x = torch.randn(4, 1, 8, 8, dtype=torch.float64)
        model.eval()
        with torch.no_grad():
            expected = model(x)
        ex.freeze_backbone(model)
        modules = dict(model.named_modules())
        wrong = {name: getattr(modules.get(name), "eps", None) for name, e in eps.items()
                 if not isinstance(modules.get(name), FrozenBatchNorm2d) or modules[name].eps != e}
        assert not wrong, (f"after freeze_backbone these layers do not carry their BatchNorm's eps ({dict(list(eps.items())[:2])}, ...): "
                           f"{dict(list(wrong.items())[:3])}; pass eps=bn.eps to FrozenBatchNorm2d")
        model.train()
        with torch.no_grad():
            got = model(x)
        close(got, expected, "after freeze_backbone on BatchNorms with eps 0.1 and 0.001, the model must compute what it "
              "computed in eval mode before", rtol=1e-9, atol=1e-9)

    def test_grad_cam_removes_its_hook_and_restores_the_mode_when_the_model_raises(self):
        ex = lab.exercise(5)
        conv = nn.Conv2d(1, 2, 3)
        model = nn.Sequential(conv, nn.BatchNorm2d(2), _Boom())
        model.train()
        try:
            ex.grad_cam(model, conv, torch.randn(2, 1, 6, 6), torch.tensor([0, 1]))
        except RuntimeError as err:
            if "boom" not in str(err):
                raise
        else:
            raise AssertionError("grad_cam on a model whose forward raises RuntimeError returned normally; let the error through")
        assert not conv._forward_hooks and not conv._backward_hooks, (
            "grad_cam left its hook on the layer when the model's forward raised; remove it in a finally block")
        assert model.training, "grad_cam left the model in eval mode when its forward raised; restore the mode in a finally block"

    def test_grad_cam_matches_the_definition(self):
        ex = lab.exercise(5)
        model = lab.reference(2).SmallResNet(3, 4, (8, 16)).double()
        _randomise_bn(model)
        layer = model.stages[1][0].conv2
        x = torch.randn(5, 3, 12, 12, dtype=torch.float64)
        target = torch.tensor([0, 1, 2, 3, 1])
        expected = _oracle_grad_cam(model, layer, x, target)
        model.train()
        got = ex.grad_cam(model, layer, x, target)
        assert tuple(got.shape) == (5, 12, 12), f"grad_cam returned shape {tuple(got.shape)}; expected (5, 12, 12), the input's size"
        maxima = got.detach().amax((1, 2))
        assert float(got.min()) >= 0.0, (
            f"a Grad-CAM map has the negative value {float(got.min()):.4f}: apply the ReLU to sum_k alpha_k A_k, which keeps "
            "only the regions that raise the class score")
        assert torch.allclose(maxima, torch.ones(5, dtype=maxima.dtype)), (
            f"every Grad-CAM map must lie in [0, 1] with maximum 1 (divide each map by its own maximum, not the batch's); "
            f"the maxima per image were {[round(float(m), 4) for m in maxima]}")
        close(got, expected, "grad_cam differs from ReLU(sum_k mean(dy_c/dA_k) A_k), upsampled bilinearly and divided by its max")
        assert not got.requires_grad, "grad_cam must return a detached tensor"
        assert model.training, "grad_cam must restore the model's train mode"
        assert not layer._forward_hooks and not layer._backward_hooks, "grad_cam left hooks on the layer"
        assert all(p.grad is None for p in model.parameters()), "grad_cam filled parameters' .grad; use torch.autograd.grad on the activation"
        assert float(got.min()) >= 0.0 and torch.allclose(got.amax((1, 2)), torch.ones(5, dtype=torch.float64)), "every map must lie in [0, 1] with maximum 1"
        default = ex.grad_cam(model, layer, x)
        model.eval()
        with torch.no_grad():
            pred = model(x).argmax(1)
        close(default, _oracle_grad_cam(model, layer, x, pred), "grad_cam without target should explain each image's predicted class")

    def test_grad_cam_highlights_the_object_of_a_known_model(self):
        ex = lab.exercise(5)
        model = _KnownModel()
        x = torch.zeros(2, 1, 16, 16)
        x[0, 0, 2:6, 9:13] = 1.0
        x[1, 0, 10:15, 1:4] = 0.5
        x[1, 0, 11, 2] = 1.0
        cam = ex.grad_cam(model, model.features, x, torch.tensor([0, 0]))
        close(cam, x[:, 0] / x[:, 0].amax((1, 2), keepdim=True),
              "for class 0 of a model whose logit is the mean of relu(features), Grad-CAM must equal the object itself, "
              "normalised to maximum 1: 1 where the object is, 0 elsewhere")
        negative = ex.grad_cam(model, model.features, x, torch.tensor([1, 1]))
        assert torch.equal(negative, torch.zeros_like(negative)), (
            "for class 1 (logit = minus the mean) every weight alpha_k is negative, so the map is all zeros after the ReLU, "
            f"without NaNs; got values in [{negative.min().item()}, {negative.max().item()}]"
        )

    def test_grad_cam_at_the_last_block_equals_cam(self):
        ex = lab.exercise(5)
        model = lab.reference(2).SmallResNet(3, 5, (8, 16)).double()
        _randomise_bn(model)
        model.eval()
        x = torch.randn(6, 3, 12, 12, dtype=torch.float64)
        target = torch.tensor([0, 1, 2, 3, 4, 0])
        with torch.no_grad():
            feats = model.stages(model.stem(x))  # the last block's output: (6, 16, 6, 6)
            cam = torch.einsum("nk,nkhw->nhw", model.fc.weight[target], feats).relu().unsqueeze(1)
            cam = F.interpolate(cam, size=(12, 12), mode="bilinear", align_corners=False).squeeze(1)
            cam = cam / cam.amax((1, 2), keepdim=True).clamp_min(1e-12)
        got = ex.grad_cam(model, model.stages[-1][-1], x, target)
        close(got, cam, "grad_cam at the last residual block of a network ending in global average pooling and a linear "
              "layer must equal CAM: ReLU(sum_k W[c, k] A_k), upsampled and divided by its max (alpha_k = W[c, k] / (h w))",
              rtol=1e-7, atol=1e-9)

    def test_replace_head_and_freeze_backbone_on_torchvision_resnet18(self):
        from torchvision.models import resnet18

        ex = lab.exercise(5)
        torch.manual_seed(0)
        model = resnet18(weights=None)  # the ImageNet layout, randomly initialised: nothing is downloaded
        _randomise_bn(model)
        new = ex.replace_head(model, 10)
        assert model.fc is new and (new.in_features, new.out_features) == (512, 10), (
            f"replace_head(resnet18, 10) gave {new!r}; expected Linear(512, 10) set as model.fc")
        x = torch.randn(2, 3, 32, 32)
        model.eval()
        with torch.no_grad():
            expected = model(x)
        n = ex.freeze_backbone(model)
        assert n == 512 * 10 + 10, f"freeze_backbone(resnet18 with a 10-class head) returned {n}; the head has 5,130 parameters"
        left = [name for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
        assert not left, f"after freeze_backbone these resnet18 BatchNorm2d remain: {left[:4]} (it has 20, some inside downsample)"
        model.train()
        with torch.no_grad():
            got = model(x)
        close(got, expected, "after freeze_backbone and model.train(), torchvision's resnet18 must compute what it computed "
              "in eval mode before", rtol=1e-4, atol=1e-5)
