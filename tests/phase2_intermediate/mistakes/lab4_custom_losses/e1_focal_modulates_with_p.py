"""Focal loss discounted by p_y^gamma instead of (1 - p_y)^gamma: it down-weights the hard examples."""
FILE = "exercise1_imbalance.py"
REPLACE = [
    ("loss = -((1 - logp_y.exp()) ** gamma) * logp_y", "loss = -(logp_y.exp() ** gamma) * logp_y"),
]
