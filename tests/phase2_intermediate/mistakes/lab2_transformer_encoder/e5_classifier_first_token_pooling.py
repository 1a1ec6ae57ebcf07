"""SequenceClassifier pools the first position, as if it were a trained [CLS] token: not the masked mean the docstring asks for."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("return self.head(masked_mean(self.encoder(ids, padding_mask), padding_mask))",
     "return self.head(self.encoder(ids, padding_mask)[:, 0])"),
]
