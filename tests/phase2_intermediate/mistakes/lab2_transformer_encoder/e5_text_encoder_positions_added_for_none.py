"""TextEncoder.forward adds a sinusoidal table also when positions == "none": that encoder is no longer order-blind."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("        if self.pos_emb is not None:\n            x = x + self.pos_emb[:t]",
     "        pe = self.pos_emb if self.pos_emb is not None else sinusoid_table(self.max_len, x.size(-1)).to(x)\n"
     "        x = x + pe[:t]"),
]
