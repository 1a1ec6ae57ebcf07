"""broadcast_shape compares every shape with the first one only, so two later shapes that clash pass."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('            if result[i] != 1:\n',
     '            if result[i] != 1 and shape is shapes[0]:\n'),
]
