"""decode turns each token into text on its own: a character split over tokens (an emoji) becomes U+FFFD."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ('return self.decode_bytes(ids).decode("utf-8", errors="replace")',
     'return "".join(self.vocab[i].decode("utf-8", errors="replace") for i in ids)'),
]
