"""nn.Module tested before ScriptModule: a scripted module (also an nn.Module) is measured by its state_dict, without its code."""
FILE = "exercise5_benchmark.py"
REPLACE = [
    ("    if isinstance(artifact, torch.jit.ScriptModule):\n        torch.jit.save(artifact, buffer)\n    else:\n        torch.save(artifact.state_dict(), buffer)\n",
     "    if isinstance(artifact, nn.Module):\n        torch.save(artifact.state_dict(), buffer)\n    else:\n        torch.jit.save(artifact, buffer)\n"),
]
