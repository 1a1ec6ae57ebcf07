"""A bool src_mask passed to F.sdpa without inverting it: PyTorch's True means "not allowed", F.sdpa's means "attend"."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("mask = ~attn_mask if attn_mask.dtype == torch.bool", "mask = attn_mask if attn_mask.dtype == torch.bool"),
]
