"""threads set as inter_op_num_threads (parallel operators) instead of intra_op_num_threads (one operator's threads)."""
FILE = "exercise3_onnx.py"
REPLACE = [
    ("options.intra_op_num_threads = threads\n    options.inter_op_num_threads = 1",
     "options.inter_op_num_threads = threads"),
]
