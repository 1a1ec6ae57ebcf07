"""The focal backward forgets the 1/numel of reduction='mean': its gradient is numel times too large."""
FILE = "exercise4_backward.py"
REPLACE = [
    ("            grad = grad * (grad_output / logits.numel())\n", "            grad = grad * grad_output\n"),
]
