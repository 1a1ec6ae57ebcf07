"""make_permanent removes only the weight's pruning: a pruned bias keeps bias_orig, bias_mask and its hook."""
FILE = "exercise4_compress.py"
REPLACE = [
    ('for name in [n[:-len("_orig")] for n, _ in module.named_parameters(recurse=False) if n.endswith("_orig")]:',
     'for name in (["weight"] if hasattr(module, "weight_orig") else []):'),
]
