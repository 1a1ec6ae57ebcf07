"""max_abs_error runs the model as it was handed over: in train mode, dropout makes the eager side random."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("    model.eval()\n    errors = {}", "    errors = {}"),
]
