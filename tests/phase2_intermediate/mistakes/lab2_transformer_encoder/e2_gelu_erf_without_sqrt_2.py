"""gelu computes Phi(x) as (1 + erf(x)) / 2: the standard normal CDF is (1 + erf(x / sqrt 2)) / 2."""
FILE = "exercise2_block_parts.py"
REPLACE = [
    ("return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))", "return 0.5 * x * (1.0 + torch.erf(x))"),
]
