"""padding_waste averages each batch's waste instead of dividing all real positions by all padded ones."""
FILE = "exercise2_collation.py"
REPLACE = [
    ("    real, padded = 0, 0\n    for b in batches:",
     "    wastes = []\n    real, padded = 0, 0\n    for b in batches:"),
    ("        padded += len(b) * int(lb.max())\n    return 0.0 if padded == 0 else 1.0 - real / padded",
     "        padded += len(b) * int(lb.max())\n        if int(lb.max()):\n            wastes.append(1.0 - int(lb.sum()) / (len(b) * int(lb.max())))\n"
     "    return 0.0 if padded == 0 else sum(wastes) / len(wastes)"),
]
