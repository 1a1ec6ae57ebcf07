"""broadcast_shape takes the larger of two sizes, but 1 stretched against 0 gives 0, not 1."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('            if size == 1 or size == result[i]:\n                continue\n',
     '            if size == 1 or size == result[i]:\n                continue\n            if size == 0 and result[i] == 1:\n                continue\n'),
]
