"""Every suite's fixtures and hooks live in shared/grading.py; this file only plugs them in.

LAB_TARGET=solution|exercises|stubs selects the code under test (see shared/grading.py).
"""
pytest_plugins = ("shared.grading",)
