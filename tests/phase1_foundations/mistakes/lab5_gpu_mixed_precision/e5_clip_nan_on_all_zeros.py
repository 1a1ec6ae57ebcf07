"""clip_and_squash blends x / max|x| and x with a mask, which gives 0 * NaN = NaN for an all-zero input."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("return 2.0 * torch.tanh(x / torch.clamp(m, min=1.0))", "return 2.0 * torch.tanh((x / m) * (m > 1) + x * (m <= 1))"),
]
