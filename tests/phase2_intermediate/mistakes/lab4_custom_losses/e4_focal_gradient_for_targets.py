"""The focal backward returns the logits' gradient for the targets too: labels are not differentiable inputs and must get None."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("        return grad, None, None, None, None\n", "        return grad, grad, None, None, None\n"),
]
