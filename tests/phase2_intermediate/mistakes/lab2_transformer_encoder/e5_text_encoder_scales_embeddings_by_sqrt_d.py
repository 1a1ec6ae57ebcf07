"""TextEncoder.forward multiplies the token embeddings by sqrt(d_model), as Vaswani et al. (section 3.4) do: this encoder adds them unscaled, as BERT does."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("x = self.tok_emb(ids)\n", "x = self.tok_emb(ids) * math.sqrt(self.tok_emb.embedding_dim)\n"),
]
