"""Only a bool src_mask is handled: a float src_mask (generate_square_subsequent_mask's -inf/0) is silently dropped."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("mask = ~attn_mask if attn_mask.dtype == torch.bool else attn_mask.to(x.dtype)",
     "mask = ~attn_mask if attn_mask.dtype == torch.bool else None"),
]
