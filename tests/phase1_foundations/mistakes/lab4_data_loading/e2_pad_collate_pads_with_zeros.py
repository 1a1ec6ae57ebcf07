"""pad_collate pads with zeros whatever padding_value says."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("padded = seqs[0].new_full((len(seqs), T, *seqs[0].shape[1:]), padding_value)",
     "padded = seqs[0].new_zeros((len(seqs), T, *seqs[0].shape[1:]))"),
]
