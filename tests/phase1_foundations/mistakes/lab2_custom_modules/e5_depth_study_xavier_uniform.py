"""activation_std_through_depth draws the "xavier" weights with xavier_uniform_: the docstring (and the README's table) use xavier_normal_."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ("            xavier_normal_(w, generator=gen)", "            xavier_uniform_(w, generator=gen)"),
]
