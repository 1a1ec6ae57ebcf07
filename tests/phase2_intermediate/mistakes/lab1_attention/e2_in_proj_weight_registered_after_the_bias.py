"""in_proj_bias is registered before the weights: the state_dict order differs from nn.MultiheadAttention's."""
FILE = "exercise2_multihead.py"
REPLACE = [
    ('''        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))''',
     '''        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim)) if bias else None
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))'''),
    ('''        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
''', ""),
]
