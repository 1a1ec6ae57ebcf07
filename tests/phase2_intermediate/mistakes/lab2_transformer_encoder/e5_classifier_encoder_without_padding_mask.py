"""SequenceClassifier masks the mean but not the encoder: real tokens attend to the padding, so the logits depend on it."""
FILE = "exercise5_mlm.py"
REPLACE = [
    ("return self.head(masked_mean(self.encoder(ids, padding_mask), padding_mask))",
     "return self.head(masked_mean(self.encoder(ids), padding_mask))"),
]
