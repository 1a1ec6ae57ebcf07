"""roofline calls an intensity exactly at the ridge point memory-bound; the docstring says compute."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ('("memory" if intensity < ridge else "compute")', '("memory" if intensity <= ridge else "compute")'),
]
