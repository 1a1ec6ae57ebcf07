"""gradient_flow_report zeroes the gradients (set_to_none=False): every .grad is a tensor of zeros instead of None."""
FILE = "exercise4_hooks.py"
REPLACE = [
    ("model.zero_grad(set_to_none=True)", "model.zero_grad(set_to_none=False)"),
]
