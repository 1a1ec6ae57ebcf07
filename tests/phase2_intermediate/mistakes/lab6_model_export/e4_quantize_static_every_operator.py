"""op_types_to_quantize left out of quantize_static: Add, LayerNormalization and the embedding are quantized too."""
FILE = "exercise4_compress.py"
REPLACE = [
    ("op_types_to_quantize=QUANTIZED_OPS, activation_type=QuantType.QUInt8,", "activation_type=QuantType.QUInt8,"),
]
