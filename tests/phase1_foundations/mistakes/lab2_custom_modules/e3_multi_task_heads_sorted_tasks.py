"""MultiTaskHeads sorts the task names: the heads and outputs are not in the order given."""
FILE = "exercise3_functions_and_containers.py"
REPLACE = [
    ("self.heads = nn.ModuleDict({name: nn.Linear(hidden, n) for name, n in tasks.items()})",
     "self.heads = nn.ModuleDict({name: nn.Linear(hidden, n) for name, n in sorted(tasks.items())})"),
]
