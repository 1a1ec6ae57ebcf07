"""Compares with torch.equal: a last-bit rounding difference counts as a disagreement, and atol and rtol are ignored."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("not torch.allclose(got, want, atol=atol, rtol=rtol)", "not torch.equal(got, want)"),
]
