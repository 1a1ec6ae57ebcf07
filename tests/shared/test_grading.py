"""shared.grading: the target loader, the shortcut guard, plain-words failures, test hygiene."""
import os
import socket
import textwrap

import pytest
import torch

from shared import grading, stubgen
from shared.labs import REPO_ROOT, LabInfo, UnknownLabError, resolve_lab


def make_lab(root, rel, body):
    sol = root / rel / "solution"
    sol.mkdir(parents=True)
    (sol / "exercise1_value.py").write_text(body)
    info = LabInfo(rel, int(rel[5]), int(rel.split("/lab")[1][0]), root)
    stubgen.sync_lab(info)
    return info


VALUE_SOLUTION = textwrap.dedent('''\
    NAME = "{name}"

    def value() -> int:
        # BEGIN SOLUTION
        return {value}
        # END SOLUTION
    ''')


def test_targets_load_solution_exercises_or_fresh_stubs(tmp_path, monkeypatch):
    info = make_lab(tmp_path, "phase1_x/lab1_a", VALUE_SOLUTION.format(name="a", value=1))
    (info.path / "exercises" / "exercise1_value.py").write_text("NAME = 'mine'\ndef value():\n    return 42\n")
    lab = grading.Lab(info)
    monkeypatch.setenv("LAB_TARGET", "solution")
    assert lab.exercise(1).value() == 1
    monkeypatch.setenv("LAB_TARGET", "exercises")
    assert lab.exercise(1).value() == 42, "LAB_TARGET=exercises must load the learner's file"
    monkeypatch.setenv("LAB_TARGET", "stubs")
    with pytest.raises(NotImplementedError, match="Exercise 1.1"):
        lab.exercise(1).value()  # the learner's edits do not matter for check-stubs
    assert lab.reference(1).value() == 1


def test_two_labs_with_the_same_file_names_do_not_mix(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_TARGET", "solution")
    a = grading.Lab(make_lab(tmp_path, "phase1_x/lab1_a", VALUE_SOLUTION.format(name="a", value=1)))
    b = grading.Lab(make_lab(tmp_path, "phase1_x/lab2_b", VALUE_SOLUTION.format(name="b", value=2)))
    assert (a.exercise(1).NAME, b.exercise(1).NAME) == ("a", "b")
    assert a.exercise(1) is not b.exercise(1)


def test_a_broken_exercise_file_is_reported_in_plain_words(tmp_path, monkeypatch):
    info = make_lab(tmp_path, "phase1_x/lab1_a", VALUE_SOLUTION.format(name="a", value=1))
    (info.path / "exercises" / "exercise1_value.py").write_text("def value(:\n")
    monkeypatch.setenv("LAB_TARGET", "exercises")
    with pytest.raises(grading.ExerciseImportError, match=r"exercise1_value.py could not be imported: SyntaxError.*line 1"):
        grading.Lab(info).exercise(1)


def test_unknown_target_is_an_error(monkeypatch):
    monkeypatch.setenv("LAB_TARGET", "solutions")
    with pytest.raises(ValueError, match="not one of solution, exercises, stubs"):
        grading.current_target()


def test_forbid_traps_the_call_and_restores_the_function():
    original = torch.broadcast_shapes
    with pytest.raises(grading.ShortcutUsed, match="by hand: your code called torch.broadcast_shapes"):
        with grading.forbid("torch.broadcast_shapes", why="do it by hand"):
            torch.broadcast_shapes((1, 2), (3, 1))
    assert torch.broadcast_shapes is original
    assert torch.broadcast_shapes((1, 2), (3, 1)) == (3, 2)


def test_forbid_notices_a_swallowed_call():
    with pytest.raises(grading.ShortcutUsed):
        with grading.forbid("torch.cdist", why="no cdist"):
            try:
                torch.cdist(torch.zeros(1, 2), torch.zeros(1, 2))
            except Exception:  # noqa: BLE001 - a learner's over-broad except
                pass


def test_forbid_restores_inherited_tensor_methods():
    with pytest.raises(grading.ShortcutUsed):
        with grading.forbid("torch.Tensor.expand", why="no expand"):
            torch.zeros(1).expand(3)
    assert "expand" not in vars(torch.Tensor), "the trap must not stay behind on torch.Tensor"
    assert torch.zeros(1).expand(3).shape == (3,)


def test_forbid_rejects_a_name_that_does_not_exist():
    with pytest.raises(AttributeError, match="does not exist"):
        with grading.forbid("torch.no_such_function", why="x"):
            pass


def test_plain_failure_messages():
    def info(exc):
        try:
            raise exc
        except BaseException:  # noqa: BLE001
            return pytest.ExceptionInfo.from_current()

    assert grading.plain_failure(info(NotImplementedError("Exercise 2.1: implement f"))) == "not written yet: Exercise 2.1: implement f"
    assert grading.plain_failure(info(AssertionError("f(2) returned 5, expected 4\nassert 5 == 4"))) == "f(2) returned 5, expected 4"
    assert grading.plain_failure(info(pytest.fail.Exception("Timeout (>30.0s) from pytest-timeout.")), 30) .startswith(
        "stopped after the 30 s time limit")
    assert grading.plain_failure(info(TypeError("bad operand"))) == "TypeError: bad operand"


def test_plain_failure_names_the_cause_of_a_wrapper_error_without_colour_codes():
    def wrapped():
        try:
            raise ValueError("Constraints violated (seq)!\n  - the guard")
        except ValueError as cause:
            raise RuntimeError("Failed to export the model. \x1b[96mThis is step 1/3\x1b[0m of exporting") from cause

    try:
        wrapped()
    except RuntimeError:
        excinfo = pytest.ExceptionInfo.from_current()
    assert grading.plain_failure(excinfo) == (
        "RuntimeError: Failed to export the model. This is step 1/3 of exporting; "
        "caused by ValueError: Constraints violated (seq)!")


def test_scoreboard_counts_exercises_and_shows_the_first_failure():
    results = [
        grading.ExerciseResult("phase1_foundations/lab1_tensors", 1, "tensor basics", passed=4),
        grading.ExerciseResult("phase1_foundations/lab1_tensors", 2, "broadcasting", passed=1, failed=2,
                               first_failure="test_x: not written yet: Exercise 2.1"),
    ]
    lines = grading.format_scoreboard(results, "exercises")
    assert lines[0].startswith("phase1_foundations/lab1_tensors")
    assert "PASS  exercise 1" in lines[1] and "4/4" in lines[1]
    assert "FAIL  exercise 2" in lines[2] and "1/3" in lines[2]
    assert lines[3].strip() == "first failure: test_x: not written yet: Exercise 2.1"
    assert lines[-1].strip() == "1/2 exercises passed"


def test_network_is_blocked_but_loopback_works():
    with pytest.raises(grading.NetworkBlocked, match="offline"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()


def test_each_test_runs_seeded_in_its_own_folder(tmp_path):
    first_draw = torch.rand(3)
    torch.manual_seed(0)
    assert torch.equal(first_draw, torch.rand(3)), "the hygiene fixture should seed torch with 0 before each test"
    assert os.getcwd() == str(tmp_path)
    assert os.environ["LAB_OUTPUT_DIR"].startswith(str(tmp_path))


def test_lab_names_resolve_from_short_forms():
    labs = [p for p in (REPO_ROOT / "phase1_foundations").glob("lab1_*")]
    if not labs:
        pytest.skip("lab 1 is not there")
    assert resolve_lab("1.1").rel == "phase1_foundations/lab1_tensors"
    assert resolve_lab("lab1_tensors").rel == "phase1_foundations/lab1_tensors"
    assert resolve_lab("phase1_foundations/lab1_tensors/").rel == "phase1_foundations/lab1_tensors"
    with pytest.raises(UnknownLabError, match="Valid labs"):
        resolve_lab("lab99_nothing")


def test_expect_raises_passes_on_the_exception_and_says_in_words_when_it_is_missing():
    with grading.expect_raises(ValueError, "f(0)"):
        raise ValueError("bad")
    with pytest.raises(AssertionError, match=r"f\(0\) should raise ValueError \(no zero\); it returned without an error"):
        with grading.expect_raises(ValueError, "f(0)", "no zero"):
            pass
    with pytest.raises(AssertionError, match=r"f\(0\) should raise ValueError; it raised TypeError: nope"):
        with grading.expect_raises(ValueError, "f(0)"):
            raise TypeError("nope")
    with pytest.raises(NotImplementedError):  # an untouched stub is reported as such, not as a wrong exception
        with grading.expect_raises(ValueError, "f(0)"):
            raise NotImplementedError("Exercise 1.1: implement f")
