"""The optimization argument is ignored: every session optimises at ORT_ENABLE_ALL, so "disable" still fuses."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("options.graph_optimization_level = OPTIMIZATION_LEVELS[optimization]",
     "options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL"),
]
