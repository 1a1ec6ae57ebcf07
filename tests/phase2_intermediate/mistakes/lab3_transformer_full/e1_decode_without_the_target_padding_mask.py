"""decode passes no tgt_key_padding_mask: the logits at the target's PAD positions differ from nn.Transformer's."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("tgt_in == self.pad_id, src_pad)", "None, src_pad)"),
]
