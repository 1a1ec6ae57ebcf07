"""activation="gelu" implemented as the tanh approximation; nn.TransformerEncoderLayer's "gelu" is the exact erf GELU."""
FILE = "exercise3_encoder_layer.py"
REPLACE = [
    ('self.activation = F.relu if activation == "relu" else F.gelu',
     'self.activation = F.relu if activation == "relu" else nn.GELU(approximate="tanh")'),
]
