"""Opset read from the first opset_import entry, which may be another domain's (com.microsoft 1), not the default domain's."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ('opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))',
     "opset = proto.opset_import[0].version"),
]
