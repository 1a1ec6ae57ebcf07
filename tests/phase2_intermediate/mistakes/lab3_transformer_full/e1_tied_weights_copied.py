"""The generator gets a copy of the embedding (nn.Parameter(embed.weight.clone())): equal at first, then trained apart."""
FILE = "exercise1_seq2seq.py"
REPLACE = [
    ("self.generator.weight = self.embed.weight", "self.generator.weight = nn.Parameter(self.embed.weight.clone())"),
]
