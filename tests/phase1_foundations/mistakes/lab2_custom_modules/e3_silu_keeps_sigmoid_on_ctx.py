"""MemoryEfficientSiLU saves only x with save_for_backward but keeps sigmoid(x) as a ctx attribute: the graph still holds two tensors."""
FILE = "exercise3_functions_and_containers.py"
REPLACE = [
    ("        ctx.save_for_backward(x)\n        return x * torch.sigmoid(x)",
     "        ctx.save_for_backward(x)\n        ctx.sig = torch.sigmoid(x)\n        return x * ctx.sig"),
    ("        (x,) = ctx.saved_tensors\n        s = torch.sigmoid(x)", "        (x,) = ctx.saved_tensors\n        s = ctx.sig"),
]
