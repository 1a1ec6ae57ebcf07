"""estimate_peak_flops divides simd_bits by dtype_bits without a floor of 1: a value wider than the register gives 0 FLOP/s."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ("lanes = max(1, simd_bits // dtype_bits)", "lanes = simd_bits // dtype_bits"),
]
