"""gather_target_scores gathers along dim 0 (rows) instead of dim 1 (classes)."""
FILE = "exercise2_broadcasting.py"
REPLACE = [
    ('return scores.gather(1, target.long().unsqueeze(1)).squeeze(1)',
     'return scores.gather(0, target.long().unsqueeze(1)).squeeze(1)'),
]
