"""shared.cli: the commands behind `make test-lab`, `make run`, `make labs` and `make doctor`."""
import pytest

from shared import cli


def test_labs_lists_every_lab_with_its_short_name(capsys):
    assert cli.main(["labs"]) == 0
    out = capsys.readouterr().out
    assert "1.1   phase1_foundations/lab1_tensors" in out


def test_an_unknown_lab_lists_the_valid_ones(capsys):
    assert cli.main(["test-lab", "lab99_nothing"]) == 2
    err = capsys.readouterr().err
    assert "no lab matches LAB='lab99_nothing'" in err and "phase1_foundations/lab1_tensors" in err


@pytest.mark.timeout(60)
def test_test_lab_grades_one_exercise_of_the_reference_and_prints_the_scoreboard(capfd):
    assert cli.main(["test-lab", "1.1", "--target", "solution", "--exercise", "2"]) == 0
    out = capfd.readouterr().out
    assert "scoreboard (LAB_TARGET=solution)" in out
    assert "PASS  exercise 2  broadcasting" in out and "1/1 exercises passed" in out


def test_doctor_reports_one_line_per_check(capsys):
    code = cli.main(["doctor"])
    lines = capsys.readouterr().out.splitlines()
    checks = [l for l in lines if l.startswith(("OK", "FAIL"))]
    assert checks and any("torch" in l for l in checks)
    assert code == (0 if all(l.startswith("OK") for l in checks) else 1)


def test_gpu_check_refuses_plainly_without_a_gpu(monkeypatch, capsys):
    from shared import gpu_check

    monkeypatch.setattr(gpu_check.torch.cuda, "is_available", lambda: False)
    assert gpu_check.main() == 2
    assert "has no CUDA GPU" in capsys.readouterr().out


def test_gpu_check_runners_exist_and_take_gpu_only():
    from shared import gpu_check

    for lab, args in gpu_check.GPU_RUNNERS:
        runner = gpu_check.ROOT / lab / "solution" / "solution.py"
        assert runner.is_file(), runner
        assert "--gpu-only" in runner.read_text(), f"{runner} lists no --gpu-only option"
