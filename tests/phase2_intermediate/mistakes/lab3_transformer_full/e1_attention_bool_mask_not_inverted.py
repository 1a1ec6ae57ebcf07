"""A bool attn_mask is handed to F.sdpa as it is: sdpa reads True as "attend", PyTorch's modules as "blocked"."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("mask = ~attn_mask if attn_mask.dtype == torch.bool else attn_mask.to(query.dtype)",
     "mask = attn_mask if attn_mask.dtype == torch.bool else attn_mask.to(query.dtype)"),
]
