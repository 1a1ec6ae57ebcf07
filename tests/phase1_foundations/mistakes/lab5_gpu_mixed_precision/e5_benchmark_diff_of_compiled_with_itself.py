"""compile_benchmark compares the compiled output with another compiled call, not with eager, so max_abs_diff is always 0."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("diff = (out_compiled - fn(*args)).abs().max().item()", "diff = (out_compiled - compiled(*args)).abs().max().item()"),
]
