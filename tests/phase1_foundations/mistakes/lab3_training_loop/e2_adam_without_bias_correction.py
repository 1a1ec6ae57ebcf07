"""Adam without bias correction: m and v start at 0, so the first steps are scaled by the wrong factor."""
FILE = "exercise2_optimizers.py"
REPLACE = [
    ("bias_correction1 = 1 - beta1**step", "bias_correction1 = 1.0"),
    ("bias_correction2 = 1 - beta2**step", "bias_correction2 = 1.0"),
]
