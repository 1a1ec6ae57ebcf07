"""run_session feeds the input as "ids" instead of the session's own input name: a file whose input has another name fails."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("    name = session.get_inputs()[0].name\n    return torch.from_numpy(", "    name = \"ids\"\n    return torch.from_numpy("),
]
