"""LayerNorm always normalises over the last dim only, ignoring a multi-dim normalized_shape such as (6, 5)."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("dims = tuple(range(-len(self.normalized_shape), 0))", "dims = (-1,)"),
]
