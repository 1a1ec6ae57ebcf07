"""EncoderLayer with norm_first inverted: norm_first=False runs the pre-norm order and True the post-norm one."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("        if self.norm_first:\n", "        if not self.norm_first:\n"),
]
