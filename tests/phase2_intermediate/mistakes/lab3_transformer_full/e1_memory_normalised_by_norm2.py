"""The decoder normalises the memory with norm2 before cross-attention; the encoder's final norm already did."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("self.multihead_attn(x, memory, memory, memory_mask, memory_key_padding_mask)",
     "self.multihead_attn(x, self.norm2(memory), self.norm2(memory), memory_mask, memory_key_padding_mask)"),
]
