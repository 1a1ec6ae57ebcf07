"""One backward pass whatever steps says: hooks with memory (PowerSGD starts compressing at its third pass) never get going."""
FILE = "exercise4_ddp.py"
REPLACE = [
    ("    for _ in range(steps):\n", "    for _ in range(1):\n"),
]
