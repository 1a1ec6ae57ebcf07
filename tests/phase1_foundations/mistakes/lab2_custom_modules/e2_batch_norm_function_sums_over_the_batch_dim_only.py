"""BatchNormFunction reduces over dim 0 only: for (N, C, H, W) each position gets its own statistics instead of one per channel over N * H * W values."""
FILE = "exercise2_normalization_layers.py"
REPLACE = [
    ("""        dims = (0,) + tuple(range(2, x.dim()))
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean = x.mean(dim=dims, keepdim=True)""",
     """        dims = (0,)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean = x.mean(dim=dims, keepdim=True)"""),
    ("""        dims = (0,) + tuple(range(2, dy.dim()))
        shape = (1, -1) + (1,) * (dy.dim() - 2)
        n = dy.numel() // dy.shape[1]""",
     """        dims = (0,)
        shape = (1, -1) + (1,) * (dy.dim() - 2)
        n = dy.shape[0]"""),
    ("return dx, sum_dy_xhat.view(-1), sum_dy.view(-1), None",
     "return dx, sum_dy_xhat.sum(dim=tuple(range(2, dy.dim()))).view(-1), sum_dy.sum(dim=tuple(range(2, dy.dim()))).view(-1), None"),
]
