"""grad_cam removes its hook and restores the mode only when everything succeeds (no try/finally): an error leaves the hook on the layer."""
FILE = "exercise5_transfer.py"
REPLACE = [
    ("    try:\n        with torch.enable_grad():\n            logits = model(x)\n            acts = captured[-1]\n            if target is None:\n                target = logits.argmax(1)\n            score = logits.gather(1, target.view(-1, 1).to(logits.device)).sum()\n            (grads,) = torch.autograd.grad(score, acts)\n    finally:\n        handle.remove()\n        model.train(was_training)\n",
     "    with torch.enable_grad():\n        logits = model(x)\n        acts = captured[-1]\n        if target is None:\n            target = logits.argmax(1)\n        score = logits.gather(1, target.view(-1, 1).to(logits.device)).sum()\n        (grads,) = torch.autograd.grad(score, acts)\n    handle.remove()\n    model.train(was_training)\n"),
]
