"""With a float src_mask and a padding mask, the padding mask replaces the float mask instead of being combined with it."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ('mask = mask.masked_fill(~keep, float("-inf"))', "mask = keep"),
]
