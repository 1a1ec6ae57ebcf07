"""accumulated_gradients does not clear .grad first, so gradients from before the call leak into the result."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    model.zero_grad(set_to_none=True)\n    n_total", "    n_total"),
]
