"""The bigram model divides c(u w) by the total number of bigrams instead of c(u .), the count of bigrams that start with u: p(. | u) does not sum to 1."""
FILE = "exercise4_gpt.py"
REPLACE = [
    ("logp = ((pairs + alpha) / (pairs.sum(1, keepdim=True) + alpha * v)).log()", "logp = ((pairs + alpha) / (pairs.sum() + alpha * v)).log()"),
]
