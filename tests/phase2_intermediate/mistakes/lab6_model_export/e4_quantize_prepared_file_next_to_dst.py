"""The pre-processed graph is written next to dst and left there, instead of in a temporary folder."""
FILE = "exercise4_compress.py"
REPLACE = [
    ('prepared = Path(tmp) / "prepared.onnx"', 'prepared = dst.with_name(dst.stem + "_prepared.onnx")'),
]
