"""The positions are added before the sqrt(d_model) scaling, so they are scaled up with the tokens."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("self.drop(self.embed(ids) * math.sqrt(self.d_model) + self.pe[: ids.shape[1]])",
     "self.drop((self.embed(ids) + self.pe[: ids.shape[1]]) * math.sqrt(self.d_model))"),
]
