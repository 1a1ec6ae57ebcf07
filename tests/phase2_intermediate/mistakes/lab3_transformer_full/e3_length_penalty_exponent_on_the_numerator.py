"""length_penalty raises only 5 + n to alpha: (5 + n) ** alpha / 6 instead of ((5 + n) / 6) ** alpha, which is not 1 at n = 1."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ("return ((5.0 + n) / 6.0) ** alpha", "return (5.0 + n) ** alpha / 6.0"),
]
