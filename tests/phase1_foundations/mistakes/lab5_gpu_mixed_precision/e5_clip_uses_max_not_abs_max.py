"""clip_and_squash divides by the largest value instead of the largest absolute value (negative inputs are missed)."""
FILE = "exercise5_compile.py"
REPLACE = [
    ("""    m = x.abs().max()
    return 2.0 * torch.tanh(x / torch.clamp(m, min=1.0))""", """    m = x.max()
    return 2.0 * torch.tanh(x / torch.clamp(m, min=1.0))"""),
]
