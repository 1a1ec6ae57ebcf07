"""Lion whose decoupled weight decay ignores the learning rate: p * (1 - wd) instead of p * (1 - lr * wd)."""
FILE = "exercise2_optimizers.py"
REPLACE = [
    ("                if weight_decay != 0:\n                    p.mul_(1 - lr * weight_decay)\n                direction",
     "                if weight_decay != 0:\n                    p.mul_(1 - weight_decay)\n                direction"),
]
