"""src_key_padding_mask passed to F.sdpa without inverting it: True means padding there but "attend" in F.sdpa, so every query attends only to the padding."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("keep = ~key_padding_mask[:, None, None, :]", "keep = key_padding_mask[:, None, None, :]"),
]
