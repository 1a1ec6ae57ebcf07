"""Dimensions read as dim_value only: a named (dynamic) dimension has no value and comes out as 0."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("[d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]",
     "[d.dim_value for d in v.type.tensor_type.shape.dim]"),
]
