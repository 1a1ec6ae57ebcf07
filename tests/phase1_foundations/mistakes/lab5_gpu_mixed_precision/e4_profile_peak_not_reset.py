"""profile_cuda_memory never resets the peak statistic: it reports the program's peak so far, not fn's."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    cuda.reset_peak_memory_stats()\n", ""),
]
