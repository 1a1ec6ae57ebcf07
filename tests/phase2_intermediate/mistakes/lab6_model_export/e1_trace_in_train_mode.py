"""Traced without model.eval(): dropout is recorded in train mode, so the trace is random on every call and the model is left in train mode."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("    model.eval()\n    with warnings.catch_warnings(record=True) as caught:", "    with warnings.catch_warnings(record=True) as caught:"),
]
