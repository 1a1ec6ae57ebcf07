"""The tiled forward divides acc by l without a guard: a row that sees no key (no keys at all) gives 0/0 = NaN instead of zeros."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("out[..., q0:q0 + rows, :] = torch.where(seen.unsqueeze(-1), acc / torch.where(seen, l, 1.0).unsqueeze(-1), 0.0)",
     "out[..., q0:q0 + rows, :] = acc / l.unsqueeze(-1)"),
]
