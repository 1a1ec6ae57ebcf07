"""Encoder stacks the same layer object num_layers times (no deepcopy): all layers share one set of parameters."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ("nn.ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))",
     "nn.ModuleList(encoder_layer for _ in range(num_layers))"),
]
