"""Dead units dropped without folding activation(ff1.bias[dead]) into ff2's bias: their constant output is lost."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("        if ff1.bias is not None and dead.any():\n            bias += ff2.weight[:, dead] @ activation(ff1.bias[dead])\n", ""),
]
