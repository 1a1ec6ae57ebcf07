"""count_parameters sums the state_dict: it counts buffers (running statistics) and a tied weight twice."""
FILE = "exercise1_modules_from_parts.py"
REPLACE = [
    ("return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)",
     "return sum(p.numel() for p in model.state_dict(keep_vars=True).values() if p.requires_grad or not trainable_only)"),
]
