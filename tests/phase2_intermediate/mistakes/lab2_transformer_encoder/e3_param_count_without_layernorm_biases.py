"""encoder_layer_param_count forgets the two LayerNorms' biases (2d): 7d + f instead of 9d + f."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("biases = (4 * d + f + d + 2 * d) if bias else 0", "biases = (4 * d + f + d) if bias else 0"),
]
