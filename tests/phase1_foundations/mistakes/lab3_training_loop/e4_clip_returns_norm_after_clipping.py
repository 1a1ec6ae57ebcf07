"""clip_grad_norm returns the global norm AFTER clipping (at most max_norm) instead of before."""
FILE = "exercise4_healthy_training.py"
REPLACE = [
    ("    return total\n    # END SOLUTION",
     "    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]), norm_type)\n    # END SOLUTION"),
]
