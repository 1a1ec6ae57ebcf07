"""update_to_param_ratio divides by the parameter's norm after the step instead of before it."""
FILE = "exercise4_healthy_training.py"
REPLACE = [
    ("            size = torch.linalg.vector_norm(before[name].double()).item()\n",
     "            size = torch.linalg.vector_norm(p.detach().double()).item()\n"),
]
