"""The embeddings are not multiplied by sqrt(d_model): with E ~ N(0, 1/d) the positions drown the tokens."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("self.drop(self.embed(ids) * math.sqrt(self.d_model) + self.pe[: ids.shape[1]])",
     "self.drop(self.embed(ids) + self.pe[: ids.shape[1]])"),
]
