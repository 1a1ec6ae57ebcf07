"""activation_std_through_depth draws the "kaiming" weights for a leaky ReLU of slope 0.2 (gain sqrt(2 / 1.04)): 4 % too little variance per layer for a ReLU, so the signal decays through 50 layers."""
FILE = "exercise5_initialization.py"
REPLACE = [
    ('            kaiming_normal_(w, nonlinearity="relu", generator=gen)',
     '            kaiming_normal_(w, a=0.2, nonlinearity="leaky_relu", generator=gen)'),
]
