"""update_to_param_ratio snapshots with p.detach() only: the in-place step changes the "snapshot" too, and every ratio is 0."""
FILE = "exercise4_healthy_training.py"
REPLACE = [
    ("before = {name: p.detach().clone() for name, p in model.named_parameters()}",
     "before = {name: p.detach() for name, p in model.named_parameters()}"),
]
