"""The projection weights use xavier_normal_ instead of xavier_uniform_: same std, but unbounded entries."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ("                nn.init.xavier_uniform_(w)", "                nn.init.xavier_normal_(w)"),
]
