"""step() returns at the first inf/NaN gradient, leaving the other parameters' gradients still scaled."""
FILE = "exercise3_mixed_precision.py"
REPLACE = [
    ("""                if not bool(torch.isfinite(p.grad).all()):
                    found_inf = True""", """                if not bool(torch.isfinite(p.grad).all()):
                    self.found_inf = True
                    return False"""),
]
