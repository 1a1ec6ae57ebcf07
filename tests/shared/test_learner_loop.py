"""The learner's loop end to end: grading with time-outs and import errors, bad arguments, hints,
known mistakes, running the runner on your own code, and watch mode.

Most tests build a small repository in tmp_path (a copy of shared/ and one two-exercise lab) and
run the real commands in it, so nothing here depends on the phase-1 labs' contents.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shared import cli, hints, mistakes, stubgen
from shared.labs import REPO_ROOT, LabInfo, all_labs
from shared.watch import watch_folder

VALUE = textwrap.dedent('''\
    def value() -> int:
        """The answer."""
        # BEGIN SOLUTION
        # TODO: return the answer.
        return 42
        # END SOLUTION
    ''')
PAIR = textwrap.dedent('''\
    def pair() -> tuple[int, int]:
        """One and two."""
        # BEGIN SOLUTION
        return (1, 2)
        # END SOLUTION
    ''')
SUITE = textwrap.dedent('''\
    import pytest
    from shared.grading import Lab

    lab = Lab("phase1_demo/lab1_demo")

    @pytest.mark.exercise(1)
    @pytest.mark.parametrize("k", range(6))
    def test_value_is_42(k):
        assert lab.exercise(1).value() == 42, "value() must return 42"

    @pytest.mark.exercise(2)
    def test_pair_is_one_two():
        assert lab.exercise(2).pair() == (1, 2), "pair() must return (1, 2)"
    ''')
RUNNER = textwrap.dedent('''\
    from shared.report import run_part, whose
    from exercise1_value import value
    from exercise2_pair import pair

    def show_value():
        print(f"value ({whose()}): {value()}")

    def show_pair():
        print(f"pair ({whose()}): {pair()}")
        return pair()

    def use_pair(p):
        print(f"sum of the pair: {sum(p)}")

    run_part(show_value)
    run_part(use_pair, run_part(show_pair))
    ''')
HINTS = textwrap.dedent('''\
    # Hints for lab 1.1: lab1_demo

    ## Exercise 1: value

    ### Hint 1

    A nudge.

    ### Hint 2

    More.

    ### Hint 3

    Nearly the answer: `return 42`.
    ''')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with this shared/ package and one lab, phase1_demo/lab1_demo (short name 1.1)."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "shared", root / "shared", ignore=shutil.ignore_patterns("__pycache__"))
    ini = (REPO_ROOT / "pyproject.toml").read_text().replace("timeout = 30", "timeout = 2")
    assert "timeout = 2\n" in ini
    (root / "pyproject.toml").write_text(ini)
    (root / "tests" / "phase1_demo").mkdir(parents=True)
    (root / "tests" / "conftest.py").write_text('pytest_plugins = ("shared.grading",)\n')
    (root / "tests" / "phase1_demo" / "test_lab1_demo.py").write_text(SUITE)
    sol = root / "phase1_demo" / "lab1_demo" / "solution"
    sol.mkdir(parents=True)
    (sol / "exercise1_value.py").write_text(VALUE)
    (sol / "exercise2_pair.py").write_text(PAIR)
    (sol / "solution.py").write_text(RUNNER)
    (sol.parent / "hints.md").write_text(HINTS)
    assert stubgen.sync_lab(LabInfo("phase1_demo/lab1_demo", 1, 1, root)) == []
    return root


def run(repo: Path, *args: str, timeout: float = 60) -> tuple[int, str, float]:
    """Run ``python args...`` in the fake repository; (exit code, stdout+stderr, seconds)."""
    env = dict(os.environ, PYTHONPATH=str(repo), LAB_STATE_DIR=str(repo / ".state"))
    env.pop("LAB_TARGET", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start


def exercise_file(repo: Path, name: str) -> Path:
    return repo / "phase1_demo" / "lab1_demo" / "exercises" / name


# -- grading ---------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_an_infinite_loop_costs_one_time_limit_and_the_rest_are_not_run(repo):
    exercise_file(repo, "exercise1_value.py").write_text("def value():\n    while True:\n        pass\n")
    code, out, seconds = run(repo, "-m", "shared.cli", "test-lab", "1.1", "--exercise", "1")
    assert code != 0
    assert out.count("Timeout") == 1, f"only the first test may wait out its time limit:\n{out}"
    assert "5 not run: an earlier test of this exercise timed out; fix that first" in out, out
    assert "test_value_is_42[0]" in out and "test_value_is_42[5]" in out, "each test's name is shown as it runs"
    session = float(re.search(r" in ([0-9.]+)s", out).group(1))  # pytest's own clock, without Python's start-up
    assert session < 6 * 2 - 1, f"6 tests of 2 s each must not all wait out the limit: the session took {session:.1f} s"


@pytest.mark.timeout(120)
def test_a_syntax_error_is_reported_once_with_its_line_once(repo):
    exercise_file(repo, "exercise1_value.py").write_text("def value(:\n    return 42\n")
    code, out, _ = run(repo, "-m", "shared.cli", "test-lab", "1.1", "--exercise", "1")
    assert code != 0
    assert "1 failed, 5 skipped" in out, f"the import error fails one test, not each of them:\n{out}"
    assert "line 1) (line 1)" not in out and "(exercise1_value.py, line 1)" in out
    assert "5 not run: the exercise file could not be imported" in out, out


@pytest.mark.timeout(120)
def test_files_written_into_the_repository_are_named_in_the_last_line(repo):
    suite = repo / "tests" / "phase1_demo" / "test_lab1_demo.py"
    suite.write_text(SUITE + textwrap.dedent('''
        from shared.labs import REPO_ROOT

        @pytest.mark.exercise(2)
        def test_that_litters():
            (REPO_ROOT / "litter.txt").write_text("x")
        '''))
    code, out, _ = run(repo, "-m", "pytest", "tests/phase1_demo", "-q", "-p", "no:cacheprovider")
    assert code != 0, "every test passed, but writing into the repository must fail the run"
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last.startswith("FAILED: the tests wrote 1 file(s) inside the repository (litter.txt)"), out


@pytest.mark.parametrize("ex", ["9", "0", "two"])
def test_an_exercise_the_lab_lacks_is_a_one_line_error(ex, capsys):
    assert cli.main(["test-lab", "1.1", "--exercise", ex]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"EX={ex} is not an exercise of lab 1.1 (phase1_foundations/lab1_tensors): it has exercises 1-5"


# -- known mistakes --------------------------------------------------------------------------


def write_mistake(repo: Path, name: str, why: str, file: str, old: str, new: str) -> None:
    folder = repo / "tests" / "phase1_demo" / "mistakes" / "lab1_demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(f'"""{why}"""\nFILE = {file!r}\nREPLACE = [({old!r}, {new!r})]\n')


@pytest.mark.timeout(120)
def test_check_mistakes_reports_caught_survived_and_broken(repo):
    write_mistake(repo, "e1_off_by_one", "Off by one: 41 is not 42.", "exercise1_value.py", "return 42", "return 41")
    write_mistake(repo, "e2_same_in_disguise", "Builds the same tuple another way.", "exercise2_pair.py",
                  "return (1, 2)", "return tuple([1, 2])")
    write_mistake(repo, "e2_crash", "Does not parse.", "exercise2_pair.py", "return (1, 2)", "return (1, 2")
    code, out, _ = run(repo, "-m", "shared.mistakes", "--jobs", "2", timeout=110)
    assert code == 1
    assert "caught   1.1   ex 1  e1_off_by_one" in out and "value() must return 42" in out, out
    assert "SURVIVED 1.1   ex 2  e2_same_in_disguise" in out, out
    assert "BROKEN   1.1   ex 2  e2_crash" in out and "a crash, not a mistake" in out, out
    assert "check-mistakes: 1/3 caught" in out
    assert "TOO FEW" in out, "a lab needs at least 6 known mistakes"


def test_a_mistake_whose_text_is_gone_says_so(repo):
    write_mistake(repo, "e1_stale", "Stale.", "exercise1_value.py", "return 43", "return 41")
    m = mistakes.load_mistake(repo / "tests" / "phase1_demo" / "mistakes" / "lab1_demo" / "e1_stale.py")
    with pytest.raises(mistakes.MistakeError, match="does not occur in solution/exercise1_value.py"):
        m.apply(VALUE)


def test_every_known_mistake_of_the_curriculum_loads_and_applies():
    count = 0
    for lab in all_labs():
        for m in mistakes.lab_mistakes(lab):
            patched = m.apply((lab.path / "solution" / m.file).read_text(encoding="utf-8"))
            compile(patched, m.file, "exec")
            count += 1
    assert count > 0


# -- hints -----------------------------------------------------------------------------------


def test_hint_shows_one_level_per_call_and_remembers(repo, monkeypatch, capsys):
    monkeypatch.setenv("LAB_STATE_DIR", str(repo / ".state"))
    lab = LabInfo("phase1_demo/lab1_demo", 1, 1, repo)
    shown = []
    for _ in range(4):
        assert hints.cmd_hint(lab, 1) == 0
        shown.append(capsys.readouterr().out)
    assert "Hint 1 of 3" in shown[0] and "A nudge." in shown[0] and "More." not in shown[0]
    assert "Hint 2 of 3" in shown[1] and "More." in shown[1]
    assert "Hint 3 of 3" in shown[2] and "return 42" in shown[2]
    assert "Hint 3 of 3" in shown[3] and "That was the last hint" in shown[3]
    assert hints.hints_used(lab) == (3, 3)
    again = capsys.readouterr().out if hints.cmd_hint(lab, 1, "1") == 0 else ""
    assert "A nudge." in again and "again for hint" not in again, "after all levels were seen, LEVEL=1 must not promise hint 2"
    assert hints.cmd_hint(lab, 1, "4") == 2 and "hint levels 1-3" in capsys.readouterr().out
    assert hints.cmd_hint(lab, 2) == 2, "exercise 2 has no hints in this lab"


def test_every_lab_has_graded_hints_for_every_exercise_and_none_in_its_readme():
    for lab in all_labs():
        found = hints.lab_hints(lab)
        assert sorted(found) == sorted(lab.exercise_files()), f"{lab.rel}/hints.md must cover every exercise"
        for n, (_, levels) in found.items():
            assert len(levels) >= 2 and all(body for _, body in levels), f"{lab.rel} exercise {n}: 2+ non-empty levels"
        assert "<details" not in (lab.path / "README.md").read_text(), f"{lab.rel}/README.md still holds <details> hints"


# -- run your own code -----------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_run_target_exercises_runs_yours_and_skips_what_is_not_written(repo):
    exercise_file(repo, "exercise1_value.py").write_text("def value():\n    return 7\n")
    code, out, _ = run(repo, "-m", "shared.cli", "run", "1.1", "--target", "exercises")
    assert code == 0, out
    assert "value (yours): 7" in out
    assert "show_pair: skipped, your exercise is not written yet (Exercise 2.1: implement pair)" in out
    assert "use_pair: skipped, it needs the result of a part that was skipped" in out
    exercise_file(repo, "exercise2_pair.py").write_text("def pair(:\n")
    code, out, _ = run(repo, "-m", "shared.cli", "run", "1.1", "--target", "exercises")
    assert code == 0 and "Traceback" not in out, f"a file that does not import skips its parts only:\n{out}"
    assert "exercises/exercise2_pair.py does not import (SyntaxError" in out and "value (yours): 7" in out, out
    assert "show_pair: skipped, your exercise is not written yet (exercises/exercise2_pair.py does not import" in out, out
    code, out, _ = run(repo, "-m", "shared.cli", "run", "1.1")
    assert code == 0, out
    assert "value (the reference): 42" in out and "pair (the reference): (1, 2)" in out and "sum of the pair: 3" in out


# -- watch -----------------------------------------------------------------------------------


@pytest.mark.parametrize("poll", [True, False], ids=["polling", "file-system events"])
def test_watch_regrades_after_a_save_and_stops_by_itself(tmp_path, poll):
    folder = tmp_path / "exercises"
    folder.mkdir()
    watched = folder / "exercise1_value.py"
    watched.write_text("x = 1\n")
    runs = tmp_path / "runs.txt"
    command = [sys.executable, "-c", f"open({str(runs)!r}, 'a').write('x')"]
    result = {}
    thread = threading.Thread(target=lambda: result.update(code=watch_folder(
        folder, command, {"exercise1_value.py"}, poll=poll, max_runs=2, interval=0.05, cwd=tmp_path)))
    thread.start()
    deadline = time.monotonic() + 20
    while not (runs.exists() and runs.read_text() == "x") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runs.exists(), "watch grades once at the start"
    (folder / "notes.txt").write_text("not a watched file")
    for k in range(40):  # save until the watcher notices (events may arrive after the watch starts)
        watched.write_text(f"x = {k + 2}\n")
        thread.join(timeout=0.25)
        if not thread.is_alive():
            break
    assert not thread.is_alive(), "watch must stop after max_runs gradings"
    assert result["code"] == 0 and runs.read_text() == "xx"


@pytest.mark.timeout(120)
def test_make_watch_ends_cleanly_on_ctrl_c(repo):
    env = dict(os.environ, PYTHONPATH=str(repo))
    proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "watch", "1.1", "--exercise", "1", "--poll"],
                            cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Waiting for you to save exercise1_value.py"):
                break
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    out = "".join(lines) + rest
    assert "exercise 1" in out and "not written yet" in out, f"the first grading runs at once:\n{out}"
    assert proc.returncode == 0 and "Stopped watching." in out and "Traceback" not in out, out
