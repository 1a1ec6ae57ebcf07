"""shared.stubgen: one source for stub and solution."""
import textwrap

import pytest

from shared import stubgen
from shared.labs import LabInfo

SOLUTION = textwrap.dedent('''\
    """Module docstring stays."""
    import math


    def area(r: float) -> float:
        """Area of a circle of radius r."""
        # BEGIN SOLUTION
        # TODO: the area is pi r^2.
        # TODO: math.pi is there for you.
        squared = r * r  # a solution-only comment
        return math.pi * squared
        # END SOLUTION


    class Counter:
        def __init__(self):
            # BEGIN SOLUTION
            self.n = 0
            # END SOLUTION

        def bump(self) -> int:
            """Add one and return the count."""
            # BEGIN SOLUTION
            self.n += 1
            return self.n
            # END SOLUTION
    ''')


def test_regions_become_numbered_not_implemented_errors_with_hints():
    stub = stubgen.generate_stub(SOLUTION, exercise=3)
    assert 'raise NotImplementedError("Exercise 3.1: implement area")' in stub
    assert 'raise NotImplementedError("Exercise 3.2: implement Counter.__init__")' in stub
    assert 'raise NotImplementedError("Exercise 3.3: implement Counter.bump")' in stub
    assert "# TODO: the area is pi r^2.\n    # TODO: math.pi is there for you.\n    raise" in stub
    assert "squared" not in stub and "solution-only" not in stub and "self.n" not in stub
    assert "BEGIN SOLUTION" not in stub


def test_everything_outside_regions_is_kept_verbatim():
    stub = stubgen.generate_stub(SOLUTION, exercise=3)
    for kept in ('"""Module docstring stays."""', "import math", "def area(r: float) -> float:",
                 '"""Area of a circle of radius r."""', "def bump(self) -> int:"):
        assert kept in stub
    compile(stub, "<stub>", "exec")  # the stub must import cleanly


def test_stub_raises_at_call_time_only():
    namespace: dict = {}
    exec(compile(stubgen.generate_stub(SOLUTION, exercise=3), "<stub>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Exercise 3.1"):
        namespace["area"](1.0)


@pytest.mark.parametrize(
    "source, problem",
    [
        ("x = 1\n# BEGIN SOLUTION\nx = 2\n# END SOLUTION\n", "inside a function"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
        ("def f():\n    return 1\n    # END SOLUTION\n", "without a matching"),
        ("def f():\n    return 1\n", "no '# BEGIN SOLUTION' region"),
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n", "nested"),
    ],
)
def test_malformed_markers_are_reported(source, problem):
    with pytest.raises(stubgen.StubError, match=problem):
        stubgen.generate_stub(source, exercise=1)


@pytest.fixture
def tiny_lab(tmp_path):
    sol = tmp_path / "phase9_demo" / "lab1_demo" / "solution"
    sol.mkdir(parents=True)
    (sol / "exercise1_area.py").write_text(SOLUTION)
    return LabInfo("phase9_demo/lab1_demo", 9, 1, tmp_path)


def test_sync_writes_then_check_passes(tiny_lab):
    assert stubgen.sync_lab(tiny_lab) == []
    stub = tiny_lab.path / "exercises" / "exercise1_area.py"
    assert stub.read_text().startswith("# Exercise stub generated from solution/exercise1_area.py")
    assert stubgen.is_untouched(stub.read_text())
    assert stubgen.sync_lab(tiny_lab, check=True) == []


def test_check_fails_when_the_solution_changed(tiny_lab):
    stubgen.sync_lab(tiny_lab)
    sol = tiny_lab.path / "solution" / "exercise1_area.py"
    sol.write_text(sol.read_text().replace("Area of a circle", "Area of a disc"))
    problems = stubgen.sync_lab(tiny_lab, check=True)
    assert len(problems) == 1 and "differs" in problems[0]


def test_an_edited_stub_is_never_overwritten_unless_forced(tiny_lab):
    stubgen.sync_lab(tiny_lab)
    stub = tiny_lab.path / "exercises" / "exercise1_area.py"
    learner_work = stub.read_text().replace('raise NotImplementedError("Exercise 1.1: implement area")', "return 3.14 * r * r")
    stub.write_text(learner_work)
    sol = tiny_lab.path / "solution" / "exercise1_area.py"
    sol.write_text(sol.read_text() + "\n\nTAU = 2 * math.pi\n")
    problems = stubgen.sync_lab(tiny_lab)
    assert len(problems) == 1 and "was edited" in problems[0]
    assert stub.read_text() == learner_work, "the learner's edits were overwritten"
    assert stubgen.sync_lab(tiny_lab, force=True) == []
    assert "TAU = 2 * math.pi" in stub.read_text()
