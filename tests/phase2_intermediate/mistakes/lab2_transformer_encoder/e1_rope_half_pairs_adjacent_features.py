"""apply_rope_half pairs adjacent features (i, i+1) like the interleaved layout: a half-layout checkpoint (GPT-NeoX, Hugging Face LLaMA) pairs (i, i + D/2)."""
FILE = "exercise1_positions.py"
REPLACE = [
    ("    h = x.size(-1) // 2\n    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)",
     "    return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)"),
    ("cos, sin = torch.cat((cos, cos), dim=-1), torch.cat((sin, sin), dim=-1)",
     "cos, sin = cos.repeat_interleave(2, dim=-1), sin.repeat_interleave(2, dim=-1)"),
]
