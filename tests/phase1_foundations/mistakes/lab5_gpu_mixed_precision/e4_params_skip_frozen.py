"""memory_breakdown counts only trainable parameters; frozen parameters still occupy memory."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("    params = list(model.parameters())\n    out = {", "    params = [p for p in model.parameters() if p.requires_grad]\n    out = {"),
]
