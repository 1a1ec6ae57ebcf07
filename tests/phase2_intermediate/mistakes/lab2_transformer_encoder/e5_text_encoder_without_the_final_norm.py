"""TextEncoder.forward skips the final LayerNorm: a pre-norm stack's output is never normalised."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("return self.norm(self.encoder(x, src_key_padding_mask=padding_mask))", "return self.encoder(x, src_key_padding_mask=padding_mask)"),
]
