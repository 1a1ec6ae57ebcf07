"""After a merge the new pairs are counted but the word is not recorded under them, so later merges skip it."""
FILE = "exercise4_bpe.py"
REPLACE = [
    ("                counts[pair] += freq\n                where[pair].add(idx)\n            words[idx] = new\n",
     "                counts[pair] += freq\n            words[idx] = new\n"),
    ("for idx in where.pop(best):", "for idx in where.pop(best, ()):"),
]
