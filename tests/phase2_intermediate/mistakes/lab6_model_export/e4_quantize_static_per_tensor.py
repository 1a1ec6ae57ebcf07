"""Static weights quantized per tensor: one scale for a whole matrix instead of one per output channel."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("weight_type=QuantType.QInt8, per_channel=True)", "weight_type=QuantType.QInt8, per_channel=False)"),
]
