"""TextEncoder.forward adds only the fixed sinusoidal table: the learned position table (a Parameter) is never used."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("        if self.pos_emb is not None:\n            x = x + self.pos_emb[:t]",
     "        if self.positions == \"sinusoidal\":\n            x = x + self.pos_emb[:t]"),
]
