"""receptive_field multiplies the jump by a layer's stride before adding that layer's kernel, so a stride widens its own layer."""
FILE = "exercise1_convolution.py"
REPLACE = [
    ("        r += d * (k - 1) * j\n        j *= s\n", "        j *= s\n        r += d * (k - 1) * j\n"),
]
