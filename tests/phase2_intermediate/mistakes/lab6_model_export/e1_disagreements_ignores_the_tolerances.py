"""atol and rtol not passed on: torch.allclose's own defaults (atol=1e-8, rtol=1e-5) decide instead of the caller's."""
FILE = "exercise1_torchscript.py"
REPLACE = [
    ("torch.allclose(got, want, atol=atol, rtol=rtol)", "torch.allclose(got, want)"),
]
