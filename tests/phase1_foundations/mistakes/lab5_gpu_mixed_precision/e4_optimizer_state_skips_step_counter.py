"""memory_breakdown counts only the optimizer's per-element buffers and skips Adam's 0-d step tensors."""
FILE = "exercise4_memory.py"
REPLACE = [
    ("for v in state.values() if isinstance(v, torch.Tensor))", "for v in state.values() if isinstance(v, torch.Tensor) and v.dim() > 0)"),
]
