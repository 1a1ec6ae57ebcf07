"""The backward forgets the softmax scale in dK: the scores are scale * q k^T, so dK = scale * dS^T Q."""
FILE = "exercise4_flash.py"
REPLACE = [
    ("dk[..., cols, :] += (ds.transpose(-2, -1) @ q_blk) * scale", "dk[..., cols, :] += ds.transpose(-2, -1) @ q_blk"),
]
