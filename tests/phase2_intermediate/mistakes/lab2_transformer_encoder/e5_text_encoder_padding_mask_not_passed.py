"""TextEncoder.forward does not pass padding_mask to the encoder: real tokens attend to the padding."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("return self.norm(self.encoder(x, src_key_padding_mask=padding_mask))", "return self.norm(self.encoder(x))"),
]
