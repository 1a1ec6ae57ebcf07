"""Exported without model.eval(): the graph carries the Dropout nodes of train mode, and the model is left in train mode."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("    model.eval()\n    dynamic = ", "    dynamic = "),
]
