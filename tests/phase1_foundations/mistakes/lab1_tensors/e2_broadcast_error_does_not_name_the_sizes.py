"""broadcast_shape raises ValueError without saying which sizes clash, so the caller cannot tell what to fix."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('                raise ValueError(\n                    f"shapes {shapes} are not broadcastable: sizes {result[i]} and {size} "\n                    f"in dim {i - ndim} differ and neither is 1"\n                )',
     '                raise ValueError("the shapes are not broadcastable")'),
]
