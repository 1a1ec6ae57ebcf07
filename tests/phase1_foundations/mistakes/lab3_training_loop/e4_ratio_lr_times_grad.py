"""update_to_param_ratio measures lr * grad (SGD's step) instead of the actual change of the parameter."""
FILE = "exercise4_healthy_training.py"
REPLACE = [
    ("            moved = torch.linalg.vector_norm((p.detach() - before[name]).double()).item()\n",
     "            moved = 1e-3 * torch.linalg.vector_norm(p.grad.double()).item() if p.grad is not None else 0.0\n"),
]
