"""Batch-all loss averaged over ALL valid triplets, the easy ones too: it shrinks as training makes triplets easy."""
FILE = "exercise2_metric.py"
REPLACE = [
    ("return losses.sum() / max(active, 1), active", "return losses.sum() / max(int(valid.sum()), 1), active"),
]
