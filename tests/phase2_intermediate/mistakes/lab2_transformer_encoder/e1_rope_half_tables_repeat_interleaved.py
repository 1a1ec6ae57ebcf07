"""apply_rope_half repeats the cos/sin tables as [c0, c0, c1, c1, ...]: features i and i + D/2 of a pair get different frequencies, so the pairs are not rotated."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("cos, sin = torch.cat((cos, cos), dim=-1), torch.cat((sin, sin), dim=-1)",
     "cos, sin = cos.repeat_interleave(2, dim=-1), sin.repeat_interleave(2, dim=-1)"),
]
