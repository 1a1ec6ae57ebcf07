"""broadcast_shape pads the shorter shape on the right, aligning dims from the left."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('padded = (1,) * (ndim - len(shape)) + tuple(shape)',
     'padded = tuple(shape) + (1,) * (ndim - len(shape))'),
]
