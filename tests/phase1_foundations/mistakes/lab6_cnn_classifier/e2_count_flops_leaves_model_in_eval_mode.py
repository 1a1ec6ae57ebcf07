"""count_flops switches the model to eval mode for its forward pass and never switches it back."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("    finally:\n        model.train(was_training)\n        for h in handles:", "    finally:\n        for h in handles:"),
]
