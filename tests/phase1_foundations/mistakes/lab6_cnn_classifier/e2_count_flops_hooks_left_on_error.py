"""count_flops removes its hooks only when the forward pass succeeds: a model that raises keeps them forever (no try/finally)."""
FILE = "exercise2_architectures.py"
REPLACE = [
    ("    try:\n        model.eval()\n        with torch.no_grad():\n            model(x)\n    finally:\n        model.train(was_training)\n        for h in handles:\n            h.remove()",
     "    model.eval()\n    with torch.no_grad():\n        model(x)\n    model.train(was_training)\n    for h in handles:\n        h.remove()"),
]
