"""max |diff| measured against the first variant's outputs instead of the reference (the eager model)."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("    want = all_logits(reference)\n", "    want = all_logits(variants[0].predict)\n"),
]
