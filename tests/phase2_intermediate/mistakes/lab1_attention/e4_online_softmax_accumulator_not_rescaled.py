"""The online softmax forgets to rescale the accumulator by exp(m - m'): earlier blocks' values keep weights taken with the old max."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("acc_new = alpha.unsqueeze(-1) * acc + p @ v_blk", "acc_new = acc + p @ v_blk"),
]
