"""Shapes not compared: torch.allclose broadcasts (B,) against (B, 1), so a candidate returning a column passes for a batch of 1."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("if want.shape != got.shape or not torch.allclose", "if not torch.allclose"),
]
