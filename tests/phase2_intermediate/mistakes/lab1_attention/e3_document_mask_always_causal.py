"""document_mask applies the causal mask whatever causal says: bidirectional packing (an encoder) sees only the past."""
FILE = "exercise3_masks.py"
REPLACE = [
    ("    if causal:\n        same = same & causal_mask", "    if True:\n        same = same & causal_mask"),
]
