"""apply_rope_interleaved rotates clockwise (the sign of sin flipped): scores still depend on m - n only, but it is not the rotation of the paper or of any checkpoint."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1)", "torch.stack((a * cos + b * sin, b * cos - a * sin), dim=-1)"),
]
