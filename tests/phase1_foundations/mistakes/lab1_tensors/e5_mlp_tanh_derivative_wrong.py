"""mlp_forward_backward uses 1 - h instead of 1 - h^2 as the derivative of tanh."""
FILE = "exercise5_from_scratch.py"
REPLACE = [
    ('dz1 = dh * (1.0 - h * h)',
     'dz1 = dh * (1.0 - h)'),
]
