"""simd_bits_from_flags looks only for avx2, so a CPU with AVX but not AVX2 (Sandy Bridge) is reported as 128-bit."""
FILE = "exercise2_benchmarking.py"
REPLACE = [
    ('if found & {"avx", "avx2"}:', 'if "avx2" in found:'),
]
