"""The online softmax forgets to rescale the running sum by exp(m - m'): when a later block raises the max, l mixes sums taken with different shifts."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("l_new = alpha * l + p.sum(dim=-1)", "l_new = l + p.sum(dim=-1)"),
]
