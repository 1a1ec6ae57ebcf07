"""The backward takes dS = P * dP, leaving out the - D_i term of the softmax Jacobian (D_i = sum_d dO_id O_id)."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("ds = p * (dp - d_blk)", "ds = p * dp"),
]
