"""The scores are divided by sqrt(E), the model width, instead of sqrt(D), the head dim."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)", "scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.embed_dim)"),
]
