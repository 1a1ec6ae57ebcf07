"""shared.devices: device choice, overrides and their errors, seeding, tolerances."""
import random

import numpy as np
import pytest
import torch

from shared import devices


def test_best_device_is_cuda_then_mps_then_cpu():
    expected = devices.available_devices()[0]
    assert devices.get_device().type == expected
    assert devices.available_devices()[-1] == "cpu", "the CPU is always available and always last"


def test_argument_overrides_environment(monkeypatch):
    monkeypatch.setenv(devices.ENV_VAR, "cuda:7")
    assert devices.get_device("cpu") == torch.device("cpu")


def test_environment_variable_selects_the_device(monkeypatch):
    monkeypatch.setenv(devices.ENV_VAR, "cpu")
    assert devices.get_device() == torch.device("cpu")


def test_unknown_device_names_what_is_available():
    with pytest.raises(devices.DeviceUnavailableError, match="available here: .*cpu"):
        devices.get_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA, so asking for it is not an error")
def test_missing_cuda_is_an_error_not_a_silent_fallback(monkeypatch):
    monkeypatch.setenv(devices.ENV_VAR, "cuda")
    with pytest.raises(devices.DeviceUnavailableError, match=r"'cuda' \(from \$LAB_DEVICE\) is not available"):
        devices.get_device()


def test_seed_everything_makes_all_generators_repeat():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    devices.seed_everything(123)
    first = draw()
    devices.seed_everything(123)
    assert draw() == first
    devices.seed_everything(124)
    assert draw() != first


def test_describe_machine_is_one_line_naming_torch():
    line = devices.describe_machine()
    assert "\n" not in line and f"torch {torch.__version__}" in line and "Python" in line


def test_tolerances_loosen_with_precision():
    f64, f32, f16 = (devices.tolerances("cpu", d) for d in (torch.float64, torch.float32, torch.float16))
    assert f64["rtol"] < f32["rtol"] < f16["rtol"]
    assert devices.tolerances("cuda", torch.float32)["rtol"] >= f32["rtol"], "GPU float32 (TF32 matmuls) needs looser rtol"
    torch.testing.assert_close(torch.tensor(1.0), torch.tensor(1.0 + 5e-6), **f32)


def test_cpu_name_names_the_vector_isa():
    name = devices.cpu_name()
    assert name.endswith(")") and "(" in name
    assert name in devices.describe_machine()
