"""tta_predict restores the model's mode only when every view succeeds: a view that raises leaves a training model in eval mode."""
FILE = "exercise4_augmentation.py"
REPLACE = [
    ("    try:\n        with torch.no_grad():\n            probs = [torch.softmax(model(t(images)), dim=1) for t in transforms]\n"
     "        return torch.stack(probs).mean(dim=0)\n    finally:\n        model.train(was_training)",
     "    with torch.no_grad():\n        probs = [torch.softmax(model(t(images)), dim=1) for t in transforms]\n"
     "    model.train(was_training)\n    return torch.stack(probs).mean(dim=0)"),
]
