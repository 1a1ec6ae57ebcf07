"""clip_and_squash always divides by the largest |x|, also when it is below 1 (the eager version leaves x alone then)."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("return 2.0 * torch.tanh(x / torch.clamp(m, min=1.0))", "return 2.0 * torch.tanh(x / m)"),
]
