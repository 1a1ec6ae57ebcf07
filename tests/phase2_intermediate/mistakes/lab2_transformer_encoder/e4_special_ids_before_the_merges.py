"""Special tokens take the ids right after the 256 bytes, colliding with the first merges' ids."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("        specials[s] = len(vocab)\n        vocab[len(vocab)] = s.encode(\"utf-8\")\n",
     "        specials[s] = 256 + len(specials)\n        vocab[specials[s]] = s.encode(\"utf-8\")\n"),
]
