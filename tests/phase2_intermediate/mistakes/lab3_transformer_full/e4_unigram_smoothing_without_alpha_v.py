"""The add-alpha unigram divides by N + alpha instead of N + alpha V: the smoothed probabilities sum to more than 1."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("logp = ((counts + alpha) / (counts.sum() + alpha * v)).log()", "logp = ((counts + alpha) / (counts.sum() + alpha)).log()"),
]
