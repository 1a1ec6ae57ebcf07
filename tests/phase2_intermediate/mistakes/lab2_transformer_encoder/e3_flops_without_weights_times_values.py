"""encoder_layer_flops counts the scores Q K^T but not weights @ V: 2 T^2 d instead of 4 T^2 d."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("return 8 * t * d * d + 4 * t * t * d + 4 * t * d * f", "return 8 * t * d * d + 2 * t * t * d + 4 * t * d * f"),
]
