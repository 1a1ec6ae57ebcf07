"""The decoder layer's self-attention ignores tgt_mask: each target position sees the tokens after it."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("self.self_attn(x, x, x, tgt_mask, tgt_key_padding_mask)", "self.self_attn(x, x, x, None, tgt_key_padding_mask)"),
]
