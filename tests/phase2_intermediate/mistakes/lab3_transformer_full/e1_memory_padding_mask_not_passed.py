"""memory_key_padding_mask is not passed to cross-attention: the target attends to the source's PAD positions."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("self.multihead_attn(x, memory, memory, memory_mask, memory_key_padding_mask)",
     "self.multihead_attn(x, memory, memory, memory_mask, None)"),
]
