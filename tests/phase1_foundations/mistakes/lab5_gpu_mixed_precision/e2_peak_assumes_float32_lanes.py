"""estimate_peak_flops always divides the register width by 32, ignoring dtype_bits (float64 gets twice the lanes)."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ("lanes = max(1, simd_bits // dtype_bits)", "lanes = max(1, simd_bits // 32)"),
]
