"""top-k masks every logit <= the k-th largest: it keeps only k - 1 tokens (none for k = 1)."""
FILE = "exercise3_decoding.py"
REPLACE = [
    ('return logits.masked_fill(logits < kth, float("-inf"))', 'return logits.masked_fill(logits <= kth, float("-inf"))'),
]
